package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * Argument of {@code GNTTABOP_dump_table} (3): mirrors {@code grant_table.h}:
 * {@code gnttab_dump_table} (4 bytes).
 *
 * <pre>
 *  0       2        4
 *  +-------+--------+
 *  |  dom  | status |
 *  +-------+--------+
 * </pre>
 *
 * <p>Invariants: a debugging aid: Xen prints the table to its console.
 */
public final class GnttabDumpTable {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U16.withName("dom"),
            Layouts.S16.withName("status")).withName("gnttab_dump_table");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long DOM_OFFSET = Layouts.offsetOf(LAYOUT, "dom");
    public static final long STATUS_OFFSET = Layouts.offsetOf(LAYOUT, "status");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public GnttabDumpTable() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public GnttabDumpTable wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public GnttabDumpTable clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** The domain whose table is dumped. */
    public int dom() {
        return Layouts.u16(buffer.getShort(base + DOM_OFFSET));
    }

    public GnttabDumpTable dom(int v) {
        buffer.putShort(base + DOM_OFFSET, (short) v);
        return this;
    }

    /** OUT: {@code GNTST_*}. */
    public int status() {
        return buffer.getShort(base + STATUS_OFFSET);
    }

    public GnttabDumpTable status(int v) {
        buffer.putShort(base + STATUS_OFFSET, (short) v);
        return this;
    }
}
