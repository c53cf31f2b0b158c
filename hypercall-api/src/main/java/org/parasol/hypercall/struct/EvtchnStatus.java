package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * Argument of {@code EVTCHNOP_status} (5): mirrors {@code event_channel.h}:
 * {@code evtchn_status} (24 bytes).
 *
 * <pre>
 *  0       2       4        8        12       16                 24
 *  +-------+-------+--------+--------+--------+------------------+
 *  |  dom  |  pad  |  port  | status |  vcpu  | u (8 B union)    |
 *  +-------+-------+--------+--------+--------+------------------+
 *    IN              IN       OUT      OUT      OUT
 *  u: unbound { dom u16 } | interdomain { dom u16, pad, port u32 @20 } | pirq u32 | virq u32
 * </pre>
 *
 * <p>Invariants: {@code status} is an {@code EVTCHNSTAT_*} value and selects which member of
 * {@code u} is meaningful; asking about another domain needs privilege.
 */
public final class EvtchnStatus {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U16.withName("dom"),
            MemoryLayout.paddingLayout(2),
            Layouts.U32.withName("port"),
            Layouts.U32.withName("status"),
            Layouts.U32.withName("vcpu"),
            MemoryLayout.unionLayout(
                    MemoryLayout.structLayout(
                            Layouts.U16.withName("dom"),
                            MemoryLayout.paddingLayout(6)).withName("unbound"),
                    MemoryLayout.structLayout(
                            Layouts.U16.withName("dom"),
                            MemoryLayout.paddingLayout(2),
                            Layouts.U32.withName("port")).withName("interdomain"),
                    Layouts.U32.withName("pirq"),
                    Layouts.U32.withName("virq")).withName("u")).withName("evtchn_status");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long DOM_OFFSET = Layouts.offsetOf(LAYOUT, "dom");
    public static final long PORT_OFFSET = Layouts.offsetOf(LAYOUT, "port");
    public static final long STATUS_OFFSET = Layouts.offsetOf(LAYOUT, "status");
    public static final long VCPU_OFFSET = Layouts.offsetOf(LAYOUT, "vcpu");
    public static final long U_OFFSET = Layouts.offsetOf(LAYOUT, "u");
    public static final long U_UNBOUND_DOM_OFFSET = Layouts.offsetOf(LAYOUT, "u", "unbound", "dom");
    public static final long U_INTERDOMAIN_DOM_OFFSET = Layouts.offsetOf(LAYOUT, "u", "interdomain", "dom");
    public static final long U_INTERDOMAIN_PORT_OFFSET = Layouts.offsetOf(LAYOUT, "u", "interdomain", "port");
    public static final long U_PIRQ_OFFSET = Layouts.offsetOf(LAYOUT, "u", "pirq");
    public static final long U_VIRQ_OFFSET = Layouts.offsetOf(LAYOUT, "u", "virq");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public EvtchnStatus() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public EvtchnStatus wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public EvtchnStatus clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** The domain asked about ({@code DOMID_SELF} for the caller). */
    public int dom() {
        return Layouts.u16(buffer.getShort(base + DOM_OFFSET));
    }

    public EvtchnStatus dom(int v) {
        buffer.putShort(base + DOM_OFFSET, (short) v);
        return this;
    }

    /** The port asked about. */
    public long port() {
        return Layouts.u32(buffer.getInt(base + PORT_OFFSET));
    }

    public EvtchnStatus port(long v) {
        buffer.putInt(base + PORT_OFFSET, (int) v);
        return this;
    }

    /** OUT: {@code EVTCHNSTAT_*}. */
    public long status() {
        return Layouts.u32(buffer.getInt(base + STATUS_OFFSET));
    }

    public EvtchnStatus status(long v) {
        buffer.putInt(base + STATUS_OFFSET, (int) v);
        return this;
    }

    /** OUT: the vCPU notified. */
    public long vcpu() {
        return Layouts.u32(buffer.getInt(base + VCPU_OFFSET));
    }

    public EvtchnStatus vcpu(long v) {
        buffer.putInt(base + VCPU_OFFSET, (int) v);
        return this;
    }

    /** Zeroes the whole union {@code u} (8 bytes), before the member {@code status} selects is set. */
    public EvtchnStatus clearU() {
        buffer.putLong(base + U_OFFSET, 0L);
        return this;
    }

    /** OUT {@code u.unbound.dom}: the domain allowed to bind. */
    public int unboundDom() {
        return Layouts.u16(buffer.getShort(base + U_UNBOUND_DOM_OFFSET));
    }

    public EvtchnStatus unboundDom(int v) {
        buffer.putShort(base + U_UNBOUND_DOM_OFFSET, (short) v);
        return this;
    }

    /** OUT {@code u.interdomain.dom}: the peer domain. */
    public int interdomainDom() {
        return Layouts.u16(buffer.getShort(base + U_INTERDOMAIN_DOM_OFFSET));
    }

    public EvtchnStatus interdomainDom(int v) {
        buffer.putShort(base + U_INTERDOMAIN_DOM_OFFSET, (short) v);
        return this;
    }

    /** OUT {@code u.interdomain.port}: the peer port. */
    public long interdomainPort() {
        return Layouts.u32(buffer.getInt(base + U_INTERDOMAIN_PORT_OFFSET));
    }

    public EvtchnStatus interdomainPort(long v) {
        buffer.putInt(base + U_INTERDOMAIN_PORT_OFFSET, (int) v);
        return this;
    }

    /** OUT {@code u.pirq}. */
    public long pirq() {
        return Layouts.u32(buffer.getInt(base + U_PIRQ_OFFSET));
    }

    public EvtchnStatus pirq(long v) {
        buffer.putInt(base + U_PIRQ_OFFSET, (int) v);
        return this;
    }

    /** OUT {@code u.virq}. */
    public long virq() {
        return Layouts.u32(buffer.getInt(base + U_VIRQ_OFFSET));
    }

    public EvtchnStatus virq(long v) {
        buffer.putInt(base + U_VIRQ_OFFSET, (int) v);
        return this;
    }
}
