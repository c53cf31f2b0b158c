package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

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

    private MemorySegment segment;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public EvtchnUnmask() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code segment}; returns this. */
    public EvtchnUnmask wrap(MemorySegment segment, long offset) {
        this.base = Layouts.checkWrap(segment, offset, SIZE);
        this.segment = segment;
        return this;
    }

    /** Zeroes the whole structure. */
    public EvtchnUnmask clear() {
        Layouts.zero(segment, base, SIZE);
        return this;
    }

    /** The local port to unmask. */
    public long port() {
        return Layouts.u32(segment.get(Layouts.U32, base + PORT_OFFSET));
    }

    public EvtchnUnmask port(long v) {
        segment.set(Layouts.U32, base + PORT_OFFSET, (int) v);
        return this;
    }
}
