package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * Argument of {@code GNTTABOP_get_status_frames} (9): mirrors {@code grant_table.h}:
 * {@code gnttab_get_status_frames} (16 bytes).
 *
 * <pre>
 *  0           4       6        8                  16
 *  +-----------+-------+--------+------------------+
 *  | nr_frames |  dom  | status |    frame_list    |
 *  +-----------+-------+--------+------------------+
 *    IN          IN      OUT      IN (guest pointer to u64[nr_frames], filled)
 * </pre>
 *
 * <p>Invariants: valid only with grant-table version 2.
 */
public final class GnttabGetStatusFrames {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U32.withName("nr_frames"),
            Layouts.U16.withName("dom"),
            Layouts.S16.withName("status"),
            Layouts.U64.withName("frame_list")).withName("gnttab_get_status_frames");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long NR_FRAMES_OFFSET = Layouts.offsetOf(LAYOUT, "nr_frames");
    public static final long DOM_OFFSET = Layouts.offsetOf(LAYOUT, "dom");
    public static final long STATUS_OFFSET = Layouts.offsetOf(LAYOUT, "status");
    public static final long FRAME_LIST_OFFSET = Layouts.offsetOf(LAYOUT, "frame_list");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public GnttabGetStatusFrames() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public GnttabGetStatusFrames wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public GnttabGetStatusFrames clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** Status frames wanted. */
    public long nrFrames() {
        return Layouts.u32(buffer.getInt(base + NR_FRAMES_OFFSET));
    }

    public GnttabGetStatusFrames nrFrames(long v) {
        buffer.putInt(base + NR_FRAMES_OFFSET, (int) v);
        return this;
    }

    /** The domain asked about. */
    public int dom() {
        return Layouts.u16(buffer.getShort(base + DOM_OFFSET));
    }

    public GnttabGetStatusFrames dom(int v) {
        buffer.putShort(base + DOM_OFFSET, (short) v);
        return this;
    }

    /** OUT: {@code GNTST_*}. */
    public int status() {
        return buffer.getShort(base + STATUS_OFFSET);
    }

    public GnttabGetStatusFrames status(int v) {
        buffer.putShort(base + STATUS_OFFSET, (short) v);
        return this;
    }

    /** Guest address of the frame array. */
    public long frameList() {
        return buffer.getLong(base + FRAME_LIST_OFFSET);
    }

    public GnttabGetStatusFrames frameList(long v) {
        buffer.putLong(base + FRAME_LIST_OFFSET, v);
        return this;
    }
}
