package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

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

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public EvtchnBindPirq() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public EvtchnBindPirq wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public EvtchnBindPirq clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** The physical IRQ. */
    public long pirq() {
        return Layouts.u32(buffer.getInt(base + PIRQ_OFFSET));
    }

    public EvtchnBindPirq pirq(long v) {
        buffer.putInt(base + PIRQ_OFFSET, (int) v);
        return this;
    }

    /** {@code BIND_PIRQ__*} flags. */
    public long flags() {
        return Layouts.u32(buffer.getInt(base + FLAGS_OFFSET));
    }

    public EvtchnBindPirq flags(long v) {
        buffer.putInt(base + FLAGS_OFFSET, (int) v);
        return this;
    }

    /** OUT: the new port. */
    public long port() {
        return Layouts.u32(buffer.getInt(base + PORT_OFFSET));
    }

    public EvtchnBindPirq port(long v) {
        buffer.putInt(base + PORT_OFFSET, (int) v);
        return this;
    }
}
