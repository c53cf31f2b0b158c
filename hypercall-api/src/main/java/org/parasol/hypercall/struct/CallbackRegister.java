package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * Argument of {@code CALLBACKOP_register} (0): mirrors {@code callback.h}:
 * {@code callback_register} (16 bytes).
 *
 * <pre>
 *  0       2       4               8                               16
 *  +-------+-------+---------------+-------------------------------+
 *  | type  | flags |      pad      |       address (code addr)     |
 *  +-------+-------+---------------+-------------------------------+
 * </pre>
 *
 * <p>Invariants: {@code type} is a {@code CALLBACKTYPE_*} number (event 0, failsafe 1, syscall
 * 2, nmi 4, ...); {@code flags} may hold {@code CALLBACKF_mask_events} (1); {@code address} is
 * a synthetic code address from {@code Cpu.registerCode}.
 */
public final class CallbackRegister {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U16.withName("type"),
            Layouts.U16.withName("flags"),
            MemoryLayout.paddingLayout(4),
            Layouts.U64.withName("address")).withName("callback_register");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long TYPE_OFFSET = Layouts.offsetOf(LAYOUT, "type");
    public static final long FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "flags");
    public static final long ADDRESS_OFFSET = Layouts.offsetOf(LAYOUT, "address");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public CallbackRegister() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public CallbackRegister wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public CallbackRegister clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** {@code CALLBACKTYPE_*}. */
    public int type() {
        return Layouts.u16(buffer.getShort(base + TYPE_OFFSET));
    }

    public CallbackRegister type(int v) {
        buffer.putShort(base + TYPE_OFFSET, (short) v);
        return this;
    }

    /** {@code CALLBACKF_*}. */
    public int flags() {
        return Layouts.u16(buffer.getShort(base + FLAGS_OFFSET));
    }

    public CallbackRegister flags(int v) {
        buffer.putShort(base + FLAGS_OFFSET, (short) v);
        return this;
    }

    /** The code address of the callback. */
    public long address() {
        return buffer.getLong(base + ADDRESS_OFFSET);
    }

    public CallbackRegister address(long v) {
        buffer.putLong(base + ADDRESS_OFFSET, v);
        return this;
    }
}
