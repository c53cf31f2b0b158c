package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * Argument of {@code EVTCHNOP_bind_pirq} (2): mirrors {@code event_channel.h}:
 * {@code evtchn_bind_pirq} (12 bytes).
 *
 * <pre>
 *  0        4        8        12
 *  +--------+--------+--------+
 *  |  pirq  | flags  |  port  |
 *  +--------+--------+--------+
 *    IN       IN       OUT
 * </pre>
 *
 * <p>Invariants: {@code flags} may hold {@code BIND_PIRQ__WILL_SHARE} (1); Xen writes the new
 * {@code port}.
 */
public final class EvtchnBindPirq {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U32.withName("pirq"),
            Layouts.U32.withName("flags"),
            Layouts.U32.withName("port")).withName("evtchn_bind_pirq");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long PIRQ_OFFSET = Layouts.offsetOf(LAYOUT, "pirq");
    public static final long FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "flags");
    public static final long PORT_OFFSET = Layouts.offsetOf(LAYOUT, "port");

    private MemorySegment segment;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public EvtchnBindPirq() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code segment}; returns this. */
    public EvtchnBindPirq wrap(MemorySegment segment, long offset) {
        this.base = Layouts.checkWrap(segment, offset, SIZE);
        this.segment = segment;
        return this;
    }

    /** Zeroes the whole structure. */
    public EvtchnBindPirq clear() {
        Layouts.zero(segment, base, SIZE);
        return this;
    }

    /** The physical IRQ. */
    public long pirq() {
        return Layouts.u32(segment.get(Layouts.U32, base + PIRQ_OFFSET));
    }

    public EvtchnBindPirq pirq(long v) {
        segment.set(Layouts.U32, base + PIRQ_OFFSET, (int) v);
        return this;
    }

    /** {@code BIND_PIRQ__*} flags. */
    public long flags() {
        return Layouts.u32(segment.get(Layouts.U32, base + FLAGS_OFFSET));
    }

    public EvtchnBindPirq flags(long v) {
        segment.set(Layouts.U32, base + FLAGS_OFFSET, (int) v);
        return this;
    }

    /** OUT: the new port. */
    public long port() {
        return Layouts.u32(segment.get(Layouts.U32, base + PORT_OFFSET));
    }

    public EvtchnBindPirq port(long v) {
        segment.set(Layouts.U32, base + PORT_OFFSET, (int) v);
        return this;
    }
}
