package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * Argument of {@code GNTTABOP_get_version} (10): mirrors {@code grant_table.h}:
 * {@code gnttab_get_version} (8 bytes).
 *
 * <pre>
 *  0       2       4         8
 *  +-------+-------+---------+
 *  |  dom  |  pad  | version |
 *  +-------+-------+---------+
 *    IN              OUT
 * </pre>
 *
 * <p>Invariants: asking about another domain needs privilege.
 */
public final class GnttabGetVersion {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U16.withName("dom"),
            MemoryLayout.paddingLayout(2),
            Layouts.U32.withName("version")).withName("gnttab_get_version");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long DOM_OFFSET = Layouts.offsetOf(LAYOUT, "dom");
    public static final long VERSION_OFFSET = Layouts.offsetOf(LAYOUT, "version");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public GnttabGetVersion() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public GnttabGetVersion wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public GnttabGetVersion clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** The domain asked about. */
    public int dom() {
        return Layouts.u16(buffer.getShort(base + DOM_OFFSET));
    }

    public GnttabGetVersion dom(int v) {
        buffer.putShort(base + DOM_OFFSET, (short) v);
        return this;
    }

    /** OUT: its grant-table version. */
    public long version() {
        return Layouts.u32(buffer.getInt(base + VERSION_OFFSET));
    }

    public GnttabGetVersion version(long v) {
        buffer.putInt(base + VERSION_OFFSET, (int) v);
        return this;
    }
}
