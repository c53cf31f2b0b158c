package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * Argument of {@code EVTCHNOP_expand_array} (12, FIFO ABI): mirrors {@code event_channel.h}:
 * {@code evtchn_expand_array} (8 bytes).
 *
 * <pre>
 *  0                    8
 *  +--------------------+
 *  |     array_gfn      |
 *  +--------------------+
 * </pre>
 *
 * <p>Invariants: each call adds one page of 1024 event words, up to 128 pages.
 */
public final class EvtchnExpandArray {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U64.withName("array_gfn")).withName("evtchn_expand_array");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long ARRAY_GFN_OFFSET = Layouts.offsetOf(LAYOUT, "array_gfn");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public EvtchnExpandArray() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public EvtchnExpandArray wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public EvtchnExpandArray clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** The frame to add to the event array. */
    public long arrayGfn() {
        return buffer.getLong(base + ARRAY_GFN_OFFSET);
    }

    public EvtchnExpandArray arrayGfn(long v) {
        buffer.putLong(base + ARRAY_GFN_OFFSET, v);
        return this;
    }
}
