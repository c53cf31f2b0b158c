package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * Argument of {@code EVTCHNOP_bind_ipi} (7): mirrors {@code event_channel.h}:
 * {@code evtchn_bind_ipi} (8 bytes).
 *
 * <pre>
 *  0        4        8
 *  +--------+--------+
 *  |  vcpu  |  port  |
 *  +--------+--------+
 *    IN       OUT
 * </pre>
 *
 * <p>Invariants: the port's vCPU binding never changes.
 */
public final class EvtchnBindIpi {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U32.withName("vcpu"),
            Layouts.U32.withName("port")).withName("evtchn_bind_ipi");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long VCPU_OFFSET = Layouts.offsetOf(LAYOUT, "vcpu");
    public static final long PORT_OFFSET = Layouts.offsetOf(LAYOUT, "port");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public EvtchnBindIpi() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public EvtchnBindIpi wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public EvtchnBindIpi clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** The vCPU to notify. */
    public long vcpu() {
        return Layouts.u32(buffer.getInt(base + VCPU_OFFSET));
    }

    public EvtchnBindIpi vcpu(long v) {
        buffer.putInt(base + VCPU_OFFSET, (int) v);
        return this;
    }

    /** OUT: the new IPI port. */
    public long port() {
        return Layouts.u32(buffer.getInt(base + PORT_OFFSET));
    }

    public EvtchnBindIpi port(long v) {
        buffer.putInt(base + PORT_OFFSET, (int) v);
        return this;
    }
}
