package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * Argument of {@code GNTTABOP_set_version} (8): mirrors {@code grant_table.h}:
 * {@code gnttab_set_version} (4 bytes).
 *
 * <pre>
 *  0         4
 *  +---------+
 *  | version |
 *  +---------+
 *    IN/OUT
 * </pre>
 *
 * <p>Invariants: {@code version} is 1 or 2; on return it holds the version in force.
 */
public final class GnttabSetVersion {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U32.withName("version")).withName("gnttab_set_version");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long VERSION_OFFSET = Layouts.offsetOf(LAYOUT, "version");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public GnttabSetVersion() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public GnttabSetVersion wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public GnttabSetVersion clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** The grant-table version wanted, then in force. */
    public long version() {
        return Layouts.u32(buffer.getInt(base + VERSION_OFFSET));
    }

    public GnttabSetVersion version(long v) {
        buffer.putInt(base + VERSION_OFFSET, (int) v);
        return this;
    }
}
