package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

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

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public GnttabQuerySize() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public GnttabQuerySize wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public GnttabQuerySize clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** The domain asked about. */
    public int dom() {
        return Layouts.u16(buffer.getShort(base + DOM_OFFSET));
    }

    public GnttabQuerySize dom(int v) {
        buffer.putShort(base + DOM_OFFSET, (short) v);
        return this;
    }

    /** OUT: current table frames. */
    public long nrFrames() {
        return Layouts.u32(buffer.getInt(base + NR_FRAMES_OFFSET));
    }

    public GnttabQuerySize nrFrames(long v) {
        buffer.putInt(base + NR_FRAMES_OFFSET, (int) v);
        return this;
    }

    /** OUT: maximum table frames. */
    public long maxNrFrames() {
        return Layouts.u32(buffer.getInt(base + MAX_NR_FRAMES_OFFSET));
    }

    public GnttabQuerySize maxNrFrames(long v) {
        buffer.putInt(base + MAX_NR_FRAMES_OFFSET, (int) v);
        return this;
    }

    /** OUT: {@code GNTST_*}. */
    public int status() {
        return buffer.getShort(base + STATUS_OFFSET);
    }

    public GnttabQuerySize status(int v) {
        buffer.putShort(base + STATUS_OFFSET, (short) v);
        return this;
    }
}
