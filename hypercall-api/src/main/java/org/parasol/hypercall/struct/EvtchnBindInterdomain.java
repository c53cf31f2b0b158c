package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * Argument of {@code EVTCHNOP_bind_interdomain} (0): mirrors {@code event_channel.h}:
 * {@code evtchn_bind_interdomain} (12 bytes).
 *
 * <pre>
 *  0            2       4             8            12
 *  +------------+-------+-------------+------------+
 *  | remote_dom |  pad  | remote_port | local_port |
 *  +------------+-------+-------------+------------+
 *    IN                   IN            OUT
 * </pre>
 *
 * <p>Invariants: {@code remote_port} must be unbound in {@code remote_dom} and waiting for the
 * caller;  Xen writes the new {@code local_port}, which it leaves pending.
 */
public final class EvtchnBindInterdomain {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U16.withName("remote_dom"),
            MemoryLayout.paddingLayout(2),
            Layouts.U32.withName("remote_port"),
            Layouts.U32.withName("local_port")).withName("evtchn_bind_interdomain");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long REMOTE_DOM_OFFSET = Layouts.offsetOf(LAYOUT, "remote_dom");
    public static final long REMOTE_PORT_OFFSET = Layouts.offsetOf(LAYOUT, "remote_port");
    public static final long LOCAL_PORT_OFFSET = Layouts.offsetOf(LAYOUT, "local_port");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public EvtchnBindInterdomain() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public EvtchnBindInterdomain wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public EvtchnBindInterdomain clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** The remote domain id. */
    public int remoteDom() {
        return Layouts.u16(buffer.getShort(base + REMOTE_DOM_OFFSET));
    }

    public EvtchnBindInterdomain remoteDom(int v) {
        buffer.putShort(base + REMOTE_DOM_OFFSET, (short) v);
        return this;
    }

    /** The remote unbound port. */
    public long remotePort() {
        return Layouts.u32(buffer.getInt(base + REMOTE_PORT_OFFSET));
    }

    public EvtchnBindInterdomain remotePort(long v) {
        buffer.putInt(base + REMOTE_PORT_OFFSET, (int) v);
        return this;
    }

    /** OUT: the new local port. */
    public long localPort() {
        return Layouts.u32(buffer.getInt(base + LOCAL_PORT_OFFSET));
    }

    public EvtchnBindInterdomain localPort(long v) {
        buffer.putInt(base + LOCAL_PORT_OFFSET, (int) v);
        return this;
    }
}
