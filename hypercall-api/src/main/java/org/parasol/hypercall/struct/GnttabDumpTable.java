package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

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

    private MemorySegment segment;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public GnttabDumpTable() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code segment}; returns this. */
    public GnttabDumpTable wrap(MemorySegment segment, long offset) {
        this.base = Layouts.checkWrap(segment, offset, SIZE);
        this.segment = segment;
        return this;
    }

    /** Zeroes the whole structure. */
    public GnttabDumpTable clear() {
        Layouts.zero(segment, base, SIZE);
        return this;
    }

    /** The domain whose table is dumped. */
    public int dom() {
        return Layouts.u16(segment.get(Layouts.U16, base + DOM_OFFSET));
    }

    public GnttabDumpTable dom(int v) {
        segment.set(Layouts.U16, base + DOM_OFFSET, (short) v);
        return this;
    }

    /** OUT: {@code GNTST_*}. */
    public int status() {
        return segment.get(Layouts.S16, base + STATUS_OFFSET);
    }

    public GnttabDumpTable status(int v) {
        segment.set(Layouts.S16, base + STATUS_OFFSET, (short) v);
        return this;
    }
}
