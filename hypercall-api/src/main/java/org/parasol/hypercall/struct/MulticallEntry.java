package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.util.Objects;
import org.parasol.hypercall.SharedBuffer;

/**
 * One call of a {@code HYPERVISOR_multicall} batch: mirrors {@code xen.h}:
 * {@code multicall_entry} (64 bytes).
 *
 * <pre>
 *  0        8        16      24      32      40      48      56      64
 *  +--------+--------+-------+-------+-------+-------+-------+-------+
 *  |   op   | result |args[0]|args[1]|args[2]|args[3]|args[4]|args[5]|
 *  +--------+--------+-------+-------+-------+-------+-------+-------+
 * </pre>
 *
 * <p>Invariants: {@code op} is a hypercall number; only {@code args[0..4]} are passed (as
 * registers would be); the hypervisor writes each sub-call's return value into
 * {@code result} and does not stop at a failing entry.
 */
public final class MulticallEntry {
    /** Entries in {@code args}. */
    public static final int NR_ARGS = 6;

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U64.withName("op"),
            Layouts.U64.withName("result"),
            MemoryLayout.sequenceLayout(NR_ARGS, Layouts.U64).withName("args")).withName("multicall_entry");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long OP_OFFSET = Layouts.offsetOf(LAYOUT, "op");
    public static final long RESULT_OFFSET = Layouts.offsetOf(LAYOUT, "result");
    public static final long ARGS_OFFSET = Layouts.offsetOf(LAYOUT, "args");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public MulticallEntry() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public MulticallEntry wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public MulticallEntry clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    public long op() {
        return buffer.getLong(base + OP_OFFSET);
    }

    public MulticallEntry op(long v) {
        buffer.putLong(base + OP_OFFSET, v);
        return this;
    }

    /** The sub-call's result: {@code >= 0} or {@code -errno}. */
    public long result() {
        return buffer.getLong(base + RESULT_OFFSET);
    }

    public MulticallEntry result(long v) {
        buffer.putLong(base + RESULT_OFFSET, v);
        return this;
    }

    /** {@code args[i]}, {@code 0 <= i < 6}. */
    public long arg(int i) {
        Objects.checkIndex(i, NR_ARGS);
        return buffer.getLong(base + ARGS_OFFSET + i * 8L);
    }

    public MulticallEntry arg(int i, long v) {
        Objects.checkIndex(i, NR_ARGS);
        buffer.putLong(base + ARGS_OFFSET + i * 8L, v);
        return this;
    }
}
