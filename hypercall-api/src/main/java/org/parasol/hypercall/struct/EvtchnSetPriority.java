package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * Argument of {@code EVTCHNOP_set_priority} (13, FIFO ABI): mirrors {@code event_channel.h}:
 * {@code evtchn_set_priority} (8 bytes).
 *
 * <pre>
 *  0        4          8
 *  +--------+----------+
 *  |  port  | priority |
 *  +--------+----------+
 * </pre>
 *
 * <p>Invariants: {@code priority} is 0 (highest) to 15 (lowest).
 */
public final class EvtchnSetPriority {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U32.withName("port"),
            Layouts.U32.withName("priority")).withName("evtchn_set_priority");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long PORT_OFFSET = Layouts.offsetOf(LAYOUT, "port");
    public static final long PRIORITY_OFFSET = Layouts.offsetOf(LAYOUT, "priority");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public EvtchnSetPriority() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public EvtchnSetPriority wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public EvtchnSetPriority clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** The local port. */
    public long port() {
        return Layouts.u32(buffer.getInt(base + PORT_OFFSET));
    }

    public EvtchnSetPriority port(long v) {
        buffer.putInt(base + PORT_OFFSET, (int) v);
        return this;
    }

    /** The new priority. */
    public long priority() {
        return Layouts.u32(buffer.getInt(base + PRIORITY_OFFSET));
    }

    public EvtchnSetPriority priority(long v) {
        buffer.putInt(base + PRIORITY_OFFSET, (int) v);
        return this;
    }
}
