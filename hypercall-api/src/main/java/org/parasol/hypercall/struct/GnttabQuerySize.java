package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * Argument of {@code GNTTABOP_query_size} (6): mirrors {@code grant_table.h}:
 * {@code gnttab_query_size} (16 bytes).
 *
 * <pre>
 *  0       2       4           8               12       14     16
 *  +-------+-------+-----------+---------------+--------+------+
 *  |  dom  |  pad  | nr_frames | max_nr_frames | status | pad  |
 *  +-------+-------+-----------+---------------+--------+------+
 *    IN              OUT         OUT             OUT
 * </pre>
 *
 * <p>Invariants: asking about another domain needs privilege.
 */
public final class GnttabQuerySize {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U16.withName("dom"),
            MemoryLayout.paddingLayout(2),
            Layouts.U32.withName("nr_frames"),
            Layouts.U32.withName("max_nr_frames"),
            Layouts.S16.withName("status"),
            MemoryLayout.paddingLayout(2)).withName("gnttab_query_size");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long DOM_OFFSET = Layouts.offsetOf(LAYOUT, "dom");
    public static final long NR_FRAMES_OFFSET = Layouts.offsetOf(LAYOUT, "nr_frames");
    public static final long MAX_NR_FRAMES_OFFSET = Layouts.offsetOf(LAYOUT, "max_nr_frames");
    public static final long STATUS_OFFSET = Layouts.offsetOf(LAYOUT, "status");

    private MemorySegment segment;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public GnttabQuerySize() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code segment}; returns this. */
    public GnttabQuerySize wrap(MemorySegment segment, long offset) {
        this.base = Layouts.checkWrap(segment, offset, SIZE);
        this.segment = segment;
        return this;
    }

    /** Zeroes the whole structure. */
    public GnttabQuerySize clear() {
        Layouts.zero(segment, base, SIZE);
        return this;
    }

    /** The domain asked about. */
    public int dom() {
        return Layouts.u16(segment.get(Layouts.U16, base + DOM_OFFSET));
    }

    public GnttabQuerySize dom(int v) {
        segment.set(Layouts.U16, base + DOM_OFFSET, (short) v);
        return this;
    }

    /** OUT: current table frames. */
    public long nrFrames() {
        return Layouts.u32(segment.get(Layouts.U32, base + NR_FRAMES_OFFSET));
    }

    public GnttabQuerySize nrFrames(long v) {
        segment.set(Layouts.U32, base + NR_FRAMES_OFFSET, (int) v);
        return this;
    }

    /** OUT: maximum table frames. */
    public long maxNrFrames() {
        return Layouts.u32(segment.get(Layouts.U32, base + MAX_NR_FRAMES_OFFSET));
    }

    public GnttabQuerySize maxNrFrames(long v) {
        segment.set(Layouts.U32, base + MAX_NR_FRAMES_OFFSET, (int) v);
        return this;
    }

    /** OUT: {@code GNTST_*}. */
    public int status() {
        return segment.get(Layouts.S16, base + STATUS_OFFSET);
    }

    public GnttabQuerySize status(int v) {
        segment.set(Layouts.S16, base + STATUS_OFFSET, (short) v);
        return this;
    }
}
