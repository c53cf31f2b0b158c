package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * One extended MMU operation of {@code HYPERVISOR_mmuext_op}: mirrors {@code xen.h}:
 * {@code mmuext_op} (24 bytes).
 *
 * <pre>
 *  0        4        8                         16                        24
 *  +--------+--------+-------------------------+-------------------------+
 *  |  cmd   |  pad   | arg1: mfn | linear_addr | arg2: nr_ents (u32) |   |
 *  |        |        |                         |  vcpumask | src_mfn     |
 *  +--------+--------+-------------------------+-------------------------+
 * </pre>
 *
 * <p>Invariants: {@code cmd} is an {@code MMUEXT_*} number; which union member of
 * {@code arg1}/{@code arg2} is meaningful depends on it (pins, unpin, new baseptr, clear and
 * copy page take an MFN; invlpg takes a linear address; the multi-vCPU flushes take a guest
 * pointer to a vCPU bitmap; set_ldt takes an entry count).
 */
public final class MmuextOp {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U32.withName("cmd"),
            MemoryLayout.paddingLayout(4),
            MemoryLayout.unionLayout(
                    Layouts.U64.withName("mfn"),
                    Layouts.U64.withName("linear_addr")).withName("arg1"),
            MemoryLayout.unionLayout(
                    Layouts.U32.withName("nr_ents"),
                    Layouts.U64.withName("vcpumask"),
                    Layouts.U64.withName("src_mfn")).withName("arg2")).withName("mmuext_op");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long CMD_OFFSET = Layouts.offsetOf(LAYOUT, "cmd");
    public static final long ARG1_OFFSET = Layouts.offsetOf(LAYOUT, "arg1");
    public static final long ARG1_MFN_OFFSET = Layouts.offsetOf(LAYOUT, "arg1", "mfn");
    public static final long ARG1_LINEAR_ADDR_OFFSET = Layouts.offsetOf(LAYOUT, "arg1", "linear_addr");
    public static final long ARG2_OFFSET = Layouts.offsetOf(LAYOUT, "arg2");
    public static final long ARG2_NR_ENTS_OFFSET = Layouts.offsetOf(LAYOUT, "arg2", "nr_ents");
    public static final long ARG2_VCPUMASK_OFFSET = Layouts.offsetOf(LAYOUT, "arg2", "vcpumask");
    public static final long ARG2_SRC_MFN_OFFSET = Layouts.offsetOf(LAYOUT, "arg2", "src_mfn");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public MmuextOp() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public MmuextOp wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public MmuextOp clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    public long cmd() {
        return Layouts.u32(buffer.getInt(base + CMD_OFFSET));
    }

    public MmuextOp cmd(long v) {
        buffer.putInt(base + CMD_OFFSET, (int) v);
        return this;
    }

    /** {@code arg1.mfn}. */
    public long mfn() {
        return buffer.getLong(base + ARG1_MFN_OFFSET);
    }

    public MmuextOp mfn(long v) {
        buffer.putLong(base + ARG1_MFN_OFFSET, v);
        return this;
    }

    /** {@code arg1.linear_addr}. */
    public long linearAddr() {
        return buffer.getLong(base + ARG1_LINEAR_ADDR_OFFSET);
    }

    public MmuextOp linearAddr(long v) {
        buffer.putLong(base + ARG1_LINEAR_ADDR_OFFSET, v);
        return this;
    }

    /** {@code arg2.nr_ents}. */
    public long nrEnts() {
        return Layouts.u32(buffer.getInt(base + ARG2_NR_ENTS_OFFSET));
    }

    /** Sets {@code arg2.nr_ents}, zeroing the upper half of the union. */
    public MmuextOp nrEnts(long v) {
        buffer.putLong(base + ARG2_OFFSET, v & 0xFFFF_FFFFL);
        return this;
    }

    /** {@code arg2.vcpumask}: guest pointer to a vCPU bitmap. */
    public long vcpumask() {
        return buffer.getLong(base + ARG2_VCPUMASK_OFFSET);
    }

    public MmuextOp vcpumask(long v) {
        buffer.putLong(base + ARG2_VCPUMASK_OFFSET, v);
        return this;
    }

    /** {@code arg2.src_mfn}. */
    public long srcMfn() {
        return buffer.getLong(base + ARG2_SRC_MFN_OFFSET);
    }

    public MmuextOp srcMfn(long v) {
        buffer.putLong(base + ARG2_SRC_MFN_OFFSET, v);
        return this;
    }
}
