package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

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

    private MemorySegment segment;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public EvtchnBindIpi() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code segment}; returns this. */
    public EvtchnBindIpi wrap(MemorySegment segment, long offset) {
        this.base = Layouts.checkWrap(segment, offset, SIZE);
        this.segment = segment;
        return this;
    }

    /** Zeroes the whole structure. */
    public EvtchnBindIpi clear() {
        Layouts.zero(segment, base, SIZE);
        return this;
    }

    /** The vCPU to notify. */
    public long vcpu() {
        return Layouts.u32(segment.get(Layouts.U32, base + VCPU_OFFSET));
    }

    public EvtchnBindIpi vcpu(long v) {
        segment.set(Layouts.U32, base + VCPU_OFFSET, (int) v);
        return this;
    }

    /** OUT: the new IPI port. */
    public long port() {
        return Layouts.u32(segment.get(Layouts.U32, base + PORT_OFFSET));
    }

    public EvtchnBindIpi port(long v) {
        segment.set(Layouts.U32, base + PORT_OFFSET, (int) v);
        return this;
    }
}
