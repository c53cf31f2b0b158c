package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * Argument of {@code EVTCHNOP_reset} (10): mirrors {@code event_channel.h}: {@code evtchn_reset}
 * (2 bytes).
 *
 * <pre>
 *  0       2
 *  +-------+
 *  |  dom  |
 *  +-------+
 * </pre>
 *
 * <p>Invariants: resetting {@code DOMID_SELF} closes every port and reverts to the 2-level
 * ABI.
 */
public final class EvtchnReset {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U16.withName("dom")).withName("evtchn_reset");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long DOM_OFFSET = Layouts.offsetOf(LAYOUT, "dom");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public EvtchnReset() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public EvtchnReset wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public EvtchnReset clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** The domain whose ports are closed. */
    public int dom() {
        return Layouts.u16(buffer.getShort(base + DOM_OFFSET));
    }

    public EvtchnReset dom(int v) {
        buffer.putShort(base + DOM_OFFSET, (short) v);
        return this;
    }
}
