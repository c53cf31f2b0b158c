package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * Argument of {@code GNTTABOP_setup_table} (2): mirrors {@code grant_table.h}:
 * {@code gnttab_setup_table} (24 bytes).
 *
 * <pre>
 *  0       2       4           8        10        16                 24
 *  +-------+-------+-----------+--------+---------+------------------+
 *  |  dom  |  pad  | nr_frames | status |   pad   |    frame_list    |
 *  +-------+-------+-----------+--------+---------+------------------+
 *    IN              IN          OUT                 IN (guest pointer to u64[nr_frames], filled)
 * </pre>
 *
 * <p>Invariants: only {@code DOMID_SELF} unless privileged; {@code frame_list} points at room
 * for {@code nr_frames} frame numbers that Xen fills; {@code status} is a {@code GNTST_*}
 * code.
 */
public final class GnttabSetupTable {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U16.withName("dom"),
            MemoryLayout.paddingLayout(2),
            Layouts.U32.withName("nr_frames"),
            Layouts.S16.withName("status"),
            MemoryLayout.paddingLayout(6),
            Layouts.U64.withName("frame_list")).withName("gnttab_setup_table");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long DOM_OFFSET = Layouts.offsetOf(LAYOUT, "dom");
    public static final long NR_FRAMES_OFFSET = Layouts.offsetOf(LAYOUT, "nr_frames");
    public static final long STATUS_OFFSET = Layouts.offsetOf(LAYOUT, "status");
    public static final long FRAME_LIST_OFFSET = Layouts.offsetOf(LAYOUT, "frame_list");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public GnttabSetupTable() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public GnttabSetupTable wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public GnttabSetupTable clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** The domain whose table is set up. */
    public int dom() {
        return Layouts.u16(buffer.getShort(base + DOM_OFFSET));
    }

    public GnttabSetupTable dom(int v) {
        buffer.putShort(base + DOM_OFFSET, (short) v);
        return this;
    }

    /** Frames wanted. */
    public long nrFrames() {
        return Layouts.u32(buffer.getInt(base + NR_FRAMES_OFFSET));
    }

    public GnttabSetupTable nrFrames(long v) {
        buffer.putInt(base + NR_FRAMES_OFFSET, (int) v);
        return this;
    }

    /** OUT: {@code GNTST_*}. */
    public int status() {
        return buffer.getShort(base + STATUS_OFFSET);
    }

    public GnttabSetupTable status(int v) {
        buffer.putShort(base + STATUS_OFFSET, (short) v);
        return this;
    }

    /** Guest address of the frame array. */
    public long frameList() {
        return buffer.getLong(base + FRAME_LIST_OFFSET);
    }

    public GnttabSetupTable frameList(long v) {
        buffer.putLong(base + FRAME_LIST_OFFSET, v);
        return this;
    }
}
