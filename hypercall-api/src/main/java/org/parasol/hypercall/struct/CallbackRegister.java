package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

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

    private MemorySegment segment;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public CallbackRegister() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code segment}; returns this. */
    public CallbackRegister wrap(MemorySegment segment, long offset) {
        this.base = Layouts.checkWrap(segment, offset, SIZE);
        this.segment = segment;
        return this;
    }

    /** Zeroes the whole structure. */
    public CallbackRegister clear() {
        Layouts.zero(segment, base, SIZE);
        return this;
    }

    /** {@code CALLBACKTYPE_*}. */
    public int type() {
        return Layouts.u16(segment.get(Layouts.U16, base + TYPE_OFFSET));
    }

    public CallbackRegister type(int v) {
        segment.set(Layouts.U16, base + TYPE_OFFSET, (short) v);
        return this;
    }

    /** {@code CALLBACKF_*}. */
    public int flags() {
        return Layouts.u16(segment.get(Layouts.U16, base + FLAGS_OFFSET));
    }

    public CallbackRegister flags(int v) {
        segment.set(Layouts.U16, base + FLAGS_OFFSET, (short) v);
        return this;
    }

    /** The code address of the callback. */
    public long address() {
        return segment.get(Layouts.U64, base + ADDRESS_OFFSET);
    }

    public CallbackRegister address(long v) {
        segment.set(Layouts.U64, base + ADDRESS_OFFSET, v);
        return this;
    }
}
