package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * One virtual IDT entry: mirrors {@code arch-x86/xen.h}: {@code trap_info} (16 bytes).
 *
 * <pre>
 *  0      1      2      4             8                         16
 *  +------+------+------+-------------+-------------------------+
 *  |vector|flags |  cs  |    pad      |   address (code addr)   |
 *  +------+------+------+-------------+-------------------------+
 * </pre>
 *
 * <p>Invariants: {@code set_trap_table} takes an array of these terminated by an entry whose
 * {@code address} is 0; bits 0..1 of {@code flags} are the privilege level allowed to raise
 * the vector with a software interrupt and bit 2 ({@link org.parasol.hypercall.abi.TrapVector#TI_IF}) masks events
 * on entry, like an x86 interrupt gate; {@code address} is a synthetic code address from
 * {@code Cpu.registerCode}.
 */
public final class TrapInfo {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U8.withName("vector"),
            Layouts.U8.withName("flags"),
            Layouts.U16.withName("cs"),
            MemoryLayout.paddingLayout(4),
            Layouts.U64.withName("address")).withName("trap_info");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long VECTOR_OFFSET = Layouts.offsetOf(LAYOUT, "vector");
    public static final long FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "flags");
    public static final long CS_OFFSET = Layouts.offsetOf(LAYOUT, "cs");
    public static final long ADDRESS_OFFSET = Layouts.offsetOf(LAYOUT, "address");

    private MemorySegment segment;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public TrapInfo() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code segment}; returns this. */
    public TrapInfo wrap(MemorySegment segment, long offset) {
        this.base = Layouts.checkWrap(segment, offset, SIZE);
        this.segment = segment;
        return this;
    }

    /** Zeroes the whole structure (which makes it a terminator). */
    public TrapInfo clear() {
        Layouts.zero(segment, base, SIZE);
        return this;
    }

    public int vector() {
        return Layouts.u8(segment.get(Layouts.U8, base + VECTOR_OFFSET));
    }

    public TrapInfo vector(int v) {
        segment.set(Layouts.U8, base + VECTOR_OFFSET, (byte) v);
        return this;
    }

    public int flags() {
        return Layouts.u8(segment.get(Layouts.U8, base + FLAGS_OFFSET));
    }

    public TrapInfo flags(int v) {
        segment.set(Layouts.U8, base + FLAGS_OFFSET, (byte) v);
        return this;
    }

    public int cs() {
        return Layouts.u16(segment.get(Layouts.U16, base + CS_OFFSET));
    }

    public TrapInfo cs(int v) {
        segment.set(Layouts.U16, base + CS_OFFSET, (short) v);
        return this;
    }

    public long address() {
        return segment.get(Layouts.U64, base + ADDRESS_OFFSET);
    }

    public TrapInfo address(long v) {
        segment.set(Layouts.U64, base + ADDRESS_OFFSET, v);
        return this;
    }

    /** Whether this entry ends a {@code set_trap_table} array ({@code address == 0}). */
    public boolean isTerminator() {
        return address() == 0;
    }
}
