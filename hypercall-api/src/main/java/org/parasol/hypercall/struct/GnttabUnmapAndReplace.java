package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * Argument of {@code GNTTABOP_unmap_and_replace} (7): mirrors {@code grant_table.h}:
 * {@code gnttab_unmap_and_replace} (24 bytes).
 *
 * <pre>
 *  0                  8                  16       20       22     24
 *  +------------------+------------------+--------+--------+------+
 *  |    host_addr     |     new_addr     | handle | status | pad  |
 *  +------------------+------------------+--------+--------+------+
 *    IN                 IN                 IN       OUT
 * </pre>
 *
 * <p>Invariants: the mapping at {@code host_addr} is replaced by the one at {@code new_addr},
 * which is zapped.
 */
public final class GnttabUnmapAndReplace {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U64.withName("host_addr"),
            Layouts.U64.withName("new_addr"),
            Layouts.U32.withName("handle"),
            Layouts.S16.withName("status"),
            MemoryLayout.paddingLayout(2)).withName("gnttab_unmap_and_replace");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long HOST_ADDR_OFFSET = Layouts.offsetOf(LAYOUT, "host_addr");
    public static final long NEW_ADDR_OFFSET = Layouts.offsetOf(LAYOUT, "new_addr");
    public static final long HANDLE_OFFSET = Layouts.offsetOf(LAYOUT, "handle");
    public static final long STATUS_OFFSET = Layouts.offsetOf(LAYOUT, "status");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public GnttabUnmapAndReplace() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public GnttabUnmapAndReplace wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public GnttabUnmapAndReplace clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** The mapped address. */
    public long hostAddr() {
        return buffer.getLong(base + HOST_ADDR_OFFSET);
    }

    public GnttabUnmapAndReplace hostAddr(long v) {
        buffer.putLong(base + HOST_ADDR_OFFSET, v);
        return this;
    }

    /** The address whose mapping moves in. */
    public long newAddr() {
        return buffer.getLong(base + NEW_ADDR_OFFSET);
    }

    public GnttabUnmapAndReplace newAddr(long v) {
        buffer.putLong(base + NEW_ADDR_OFFSET, v);
        return this;
    }

    /** The maptrack handle. */
    public long handle() {
        return Layouts.u32(buffer.getInt(base + HANDLE_OFFSET));
    }

    public GnttabUnmapAndReplace handle(long v) {
        buffer.putInt(base + HANDLE_OFFSET, (int) v);
        return this;
    }

    /** OUT: {@code GNTST_*}. */
    public int status() {
        return buffer.getShort(base + STATUS_OFFSET);
    }

    public GnttabUnmapAndReplace status(int v) {
        buffer.putShort(base + STATUS_OFFSET, (short) v);
        return this;
    }
}
