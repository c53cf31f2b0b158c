package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * Argument of {@code EVTCHNOP_init_control} (11, FIFO ABI): mirrors {@code event_channel.h}:
 * {@code evtchn_init_control} (24 bytes).
 *
 * <pre>
 *  0                    8        12       16          17             24
 *  +--------------------+--------+--------+-----------+--------------+
 *  |    control_gfn     | offset |  vcpu  | link_bits |    pad[7]    |
 *  +--------------------+--------+--------+-----------+--------------+
 *    IN                   IN       IN       OUT
 * </pre>
 *
 * <p>Invariants: {@code offset} is 8-byte aligned and the 72-byte control block does not cross
 * the page;  Xen answers {@code link_bits} = 17.
 */
public final class EvtchnInitControl {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U64.withName("control_gfn"),
            Layouts.U32.withName("offset"),
            Layouts.U32.withName("vcpu"),
            Layouts.U8.withName("link_bits"),
            MemoryLayout.paddingLayout(7)).withName("evtchn_init_control");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long CONTROL_GFN_OFFSET = Layouts.offsetOf(LAYOUT, "control_gfn");
    public static final long OFFSET_OFFSET = Layouts.offsetOf(LAYOUT, "offset");
    public static final long VCPU_OFFSET = Layouts.offsetOf(LAYOUT, "vcpu");
    public static final long LINK_BITS_OFFSET = Layouts.offsetOf(LAYOUT, "link_bits");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public EvtchnInitControl() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public EvtchnInitControl wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public EvtchnInitControl clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** The frame holding the control block. */
    public long controlGfn() {
        return buffer.getLong(base + CONTROL_GFN_OFFSET);
    }

    public EvtchnInitControl controlGfn(long v) {
        buffer.putLong(base + CONTROL_GFN_OFFSET, v);
        return this;
    }

    /** Byte offset of the block in that frame. */
    public long offset() {
        return Layouts.u32(buffer.getInt(base + OFFSET_OFFSET));
    }

    public EvtchnInitControl offset(long v) {
        buffer.putInt(base + OFFSET_OFFSET, (int) v);
        return this;
    }

    /** The vCPU the block belongs to. */
    public long vcpu() {
        return Layouts.u32(buffer.getInt(base + VCPU_OFFSET));
    }

    public EvtchnInitControl vcpu(long v) {
        buffer.putInt(base + VCPU_OFFSET, (int) v);
        return this;
    }

    /** OUT: {@code EVTCHN_FIFO_LINK_BITS}. */
    public int linkBits() {
        return Layouts.u8(buffer.getByte(base + LINK_BITS_OFFSET));
    }

    public EvtchnInitControl linkBits(int v) {
        buffer.putByte(base + LINK_BITS_OFFSET, (byte) v);
        return this;
    }
}
