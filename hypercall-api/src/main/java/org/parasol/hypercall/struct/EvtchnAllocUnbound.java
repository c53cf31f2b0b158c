package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * Argument of {@code EVTCHNOP_alloc_unbound} (6): mirrors {@code event_channel.h}:
 * {@code evtchn_alloc_unbound} (8 bytes).
 *
 * <pre>
 *  0       2            4        8
 *  +-------+------------+--------+
 *  |  dom  | remote_dom |  port  |
 *  +-------+------------+--------+
 *    IN      IN           OUT
 * </pre>
 *
 * <p>Invariants: unprivileged callers pass {@code dom = DOMID_SELF}; the new port accepts a
 * bind from {@code remote_dom} only.
 */
public final class EvtchnAllocUnbound {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U16.withName("dom"),
            Layouts.U16.withName("remote_dom"),
            Layouts.U32.withName("port")).withName("evtchn_alloc_unbound");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long DOM_OFFSET = Layouts.offsetOf(LAYOUT, "dom");
    public static final long REMOTE_DOM_OFFSET = Layouts.offsetOf(LAYOUT, "remote_dom");
    public static final long PORT_OFFSET = Layouts.offsetOf(LAYOUT, "port");

    private MemorySegment segment;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public EvtchnAllocUnbound() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code segment}; returns this. */
    public EvtchnAllocUnbound wrap(MemorySegment segment, long offset) {
        this.base = Layouts.checkWrap(segment, offset, SIZE);
        this.segment = segment;
        return this;
    }

    /** Zeroes the whole structure. */
    public EvtchnAllocUnbound clear() {
        Layouts.zero(segment, base, SIZE);
        return this;
    }

    /** The domain to allocate in. */
    public int dom() {
        return Layouts.u16(segment.get(Layouts.U16, base + DOM_OFFSET));
    }

    public EvtchnAllocUnbound dom(int v) {
        segment.set(Layouts.U16, base + DOM_OFFSET, (short) v);
        return this;
    }

    /** The domain allowed to bind. */
    public int remoteDom() {
        return Layouts.u16(segment.get(Layouts.U16, base + REMOTE_DOM_OFFSET));
    }

    public EvtchnAllocUnbound remoteDom(int v) {
        segment.set(Layouts.U16, base + REMOTE_DOM_OFFSET, (short) v);
        return this;
    }

    /** OUT: the new unbound port. */
    public long port() {
        return Layouts.u32(segment.get(Layouts.U32, base + PORT_OFFSET));
    }

    public EvtchnAllocUnbound port(long v) {
        segment.set(Layouts.U32, base + PORT_OFFSET, (int) v);
        return this;
    }
}
