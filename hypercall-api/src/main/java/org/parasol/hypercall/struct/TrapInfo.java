package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

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

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public TrapInfo() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public TrapInfo wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure (which makes it a terminator). */
    public TrapInfo clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    public int vector() {
        return Layouts.u8(buffer.getByte(base + VECTOR_OFFSET));
    }

    public TrapInfo vector(int v) {
        buffer.putByte(base + VECTOR_OFFSET, (byte) v);
        return this;
    }

    public int flags() {
        return Layouts.u8(buffer.getByte(base + FLAGS_OFFSET));
    }

    public TrapInfo flags(int v) {
        buffer.putByte(base + FLAGS_OFFSET, (byte) v);
        return this;
    }

    public int cs() {
        return Layouts.u16(buffer.getShort(base + CS_OFFSET));
    }

    public TrapInfo cs(int v) {
        buffer.putShort(base + CS_OFFSET, (short) v);
        return this;
    }

    public long address() {
        return buffer.getLong(base + ADDRESS_OFFSET);
    }

    public TrapInfo address(long v) {
        buffer.putLong(base + ADDRESS_OFFSET, v);
        return this;
    }

    /** Whether this entry ends a {@code set_trap_table} array ({@code address == 0}). */
    public boolean isTerminator() {
        return address() == 0;
    }
}
