package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * Argument of {@code EVTCHNOP_bind_virq} (1): mirrors {@code event_channel.h}:
 * {@code evtchn_bind_virq} (12 bytes).
 *
 * <pre>
 *  0        4        8        12
 *  +--------+--------+--------+
 *  |  virq  |  vcpu  |  port  |
 *  +--------+--------+--------+
 *    IN       IN       OUT
 * </pre>
 *
 * <p>Invariants: {@code virq} is below {@code NR_VIRQS} (24); a global or per-domain VIRQ is
 * bound on vCPU 0; Xen writes the new {@code port}.
 */
public final class EvtchnBindVirq {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U32.withName("virq"),
            Layouts.U32.withName("vcpu"),
            Layouts.U32.withName("port")).withName("evtchn_bind_virq");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long VIRQ_OFFSET = Layouts.offsetOf(LAYOUT, "virq");
    public static final long VCPU_OFFSET = Layouts.offsetOf(LAYOUT, "vcpu");
    public static final long PORT_OFFSET = Layouts.offsetOf(LAYOUT, "port");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public EvtchnBindVirq() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public EvtchnBindVirq wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public EvtchnBindVirq clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** The VIRQ number. */
    public long virq() {
        return Layouts.u32(buffer.getInt(base + VIRQ_OFFSET));
    }

    public EvtchnBindVirq virq(long v) {
        buffer.putInt(base + VIRQ_OFFSET, (int) v);
        return this;
    }

    /** The vCPU to notify. */
    public long vcpu() {
        return Layouts.u32(buffer.getInt(base + VCPU_OFFSET));
    }

    public EvtchnBindVirq vcpu(long v) {
        buffer.putInt(base + VCPU_OFFSET, (int) v);
        return this;
    }

    /** OUT: the new port. */
    public long port() {
        return Layouts.u32(buffer.getInt(base + PORT_OFFSET));
    }

    public EvtchnBindVirq port(long v) {
        buffer.putInt(base + PORT_OFFSET, (int) v);
        return this;
    }
}
