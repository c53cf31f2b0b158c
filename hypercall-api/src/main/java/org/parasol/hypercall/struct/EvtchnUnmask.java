package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * Argument of {@code EVTCHNOP_unmask} (9): mirrors {@code event_channel.h}:
 * {@code evtchn_unmask} (4 bytes).
 *
 * <pre>
 *  0        4
 *  +--------+
 *  |  port  |
 *  +--------+
 * </pre>
 *
 * <p>Invariants: Xen clears the mask bit and re-raises the upcall if the port is pending.
 */
public final class EvtchnUnmask {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U32.withName("port")).withName("evtchn_unmask");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long PORT_OFFSET = Layouts.offsetOf(LAYOUT, "port");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public EvtchnUnmask() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public EvtchnUnmask wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public EvtchnUnmask clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** The local port to unmask. */
    public long port() {
        return Layouts.u32(buffer.getInt(base + PORT_OFFSET));
    }

    public EvtchnUnmask port(long v) {
        buffer.putInt(base + PORT_OFFSET, (int) v);
        return this;
    }
}
