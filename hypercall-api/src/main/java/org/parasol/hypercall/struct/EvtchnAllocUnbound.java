package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

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

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public EvtchnAllocUnbound() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public EvtchnAllocUnbound wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public EvtchnAllocUnbound clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** The domain to allocate in. */
    public int dom() {
        return Layouts.u16(buffer.getShort(base + DOM_OFFSET));
    }

    public EvtchnAllocUnbound dom(int v) {
        buffer.putShort(base + DOM_OFFSET, (short) v);
        return this;
    }

    /** The domain allowed to bind. */
    public int remoteDom() {
        return Layouts.u16(buffer.getShort(base + REMOTE_DOM_OFFSET));
    }

    public EvtchnAllocUnbound remoteDom(int v) {
        buffer.putShort(base + REMOTE_DOM_OFFSET, (short) v);
        return this;
    }

    /** OUT: the new unbound port. */
    public long port() {
        return Layouts.u32(buffer.getInt(base + PORT_OFFSET));
    }

    public EvtchnAllocUnbound port(long v) {
        buffer.putInt(base + PORT_OFFSET, (int) v);
        return this;
    }
}
