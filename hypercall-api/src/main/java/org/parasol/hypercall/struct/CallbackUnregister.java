package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * Argument of {@code CALLBACKOP_unregister} (1): mirrors {@code callback.h}:
 * {@code callback_unregister} (4 bytes).
 *
 * <pre>
 *  0       2         4
 *  +-------+---------+
 *  | type  | _unused |
 *  +-------+---------+
 * </pre>
 *
 * <p>Invariants: {@code type} is a {@code CALLBACKTYPE_*} number; the event callback cannot be
 * unregistered.
 */
public final class CallbackUnregister {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U16.withName("type"),
            MemoryLayout.paddingLayout(2)).withName("callback_unregister");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long TYPE_OFFSET = Layouts.offsetOf(LAYOUT, "type");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public CallbackUnregister() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public CallbackUnregister wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public CallbackUnregister clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** {@code CALLBACKTYPE_*}. */
    public int type() {
        return Layouts.u16(buffer.getShort(base + TYPE_OFFSET));
    }

    public CallbackUnregister type(int v) {
        buffer.putShort(base + TYPE_OFFSET, (short) v);
        return this;
    }
}
