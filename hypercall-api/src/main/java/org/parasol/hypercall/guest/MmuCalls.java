package org.parasol.hypercall.guest;

import java.util.Objects;
import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.Mfn;
import org.parasol.hypercall.SharedBuffer;
import org.parasol.hypercall.struct.MmuUpdate;
import org.parasol.hypercall.struct.MmuextOp;

/**
 * The PV MMU hypercalls: {@code mmu_update} (1), {@code mmuext_op} (26),
 * {@code update_va_mapping} (14) and {@code update_va_mapping_otherdomain} (22), as
 * Mini-OS's {@code mm.c} calls them.
 *
 * <p>The hypervisor validates every page-table update against the frame's type and owner:
 * a refused entry answers {@code -EINVAL} (an entry of an unknown {@code mmu_update}
 * command {@code -ENOSYS}, a machine-to-phys update of a frame the caller does not own
 * {@code -EPERM}), and the batch stops there with {@code done_out} saying how many entries
 * took effect. A bad pointer answers {@code -EFAULT}.
 */
public final class MmuCalls {
    private final Cpu cpu;
    private final ArgumentPage page;
    private final MmuUpdate update = new MmuUpdate();
    private final MmuextOp ext = new MmuextOp();

    /** Wrappers for {@code cpu}, marshalling through {@code page} (the same vCPU's). */
    public MmuCalls(Cpu cpu, ArgumentPage page) {
        this.cpu = Objects.requireNonNull(cpu, "cpu");
        this.page = Objects.requireNonNull(page, "page");
    }

    /**
     * {@code mmu_update(reqs, count, done_out, foreigndom)} over {@code count} requests the
     * caller prepared at {@code requestsVa}; {@code doneOutVa} (or 0) receives how many
     * took effect. {@code foreignDom} is {@code DOMID_SELF} for the caller's own frames.
     */
    public long mmuUpdate(long requestsVa, int count, long doneOutVa, int foreignDom) {
        return cpu.hypercall(Hypercall.MMU_UPDATE, requestsVa, count, doneOutVa, foreignDom);
    }

    /** One {@code mmu_update} request: {@code *address = val} for command {@code cmd} ({@code MMU_*}). */
    public long mmuUpdate(long address, int cmd, long val) {
        long off = page.push(MmuUpdate.SIZE);
        try {
            update.wrap(page.buffer(), off).ptr(address, cmd).val(val);
            page.copyIn(cpu.memory(), off, MmuUpdate.SIZE);
            return mmuUpdate(page.address(off), 1, 0, DomId.DOMID_SELF);
        } finally {
            page.pop(off);
        }
    }

    /**
     * A small batch of {@code count} {@code mmu_update} requests built in {@code requests}
     * (16 bytes each from {@code offset}), sent through the argument page.
     *
     * @throws IllegalStateException if the batch does not fit the free part of the page
     */
    public long mmuUpdate(SharedBuffer requests, long offset, int count, int foreignDom) {
        long bytes = checkedBytes(requests, offset, count, MmuUpdate.SIZE);
        long off = page.push(bytes);
        try {
            requests.getBytes(offset, page.scratch(), off, bytes);
            page.copyIn(cpu.memory(), off, bytes);
            return mmuUpdate(page.address(off), count, 0, foreignDom);
        } finally {
            page.pop(off);
        }
    }

    /**
     * {@code mmuext_op(ops, count, done_out, foreigndom)} over {@code count} operations the
     * caller prepared at {@code opsVa}.
     */
    public long mmuextOp(long opsVa, int count, long doneOutVa, int foreignDom) {
        return cpu.hypercall(Hypercall.MMUEXT_OP, opsVa, count, doneOutVa, foreignDom);
    }

    /**
     * A small batch of {@code count} {@code mmuext_op} entries built in {@code ops}
     * (24 bytes each from {@code offset}), sent through the argument page.
     */
    public long mmuextOp(SharedBuffer ops, long offset, int count, int foreignDom) {
        long bytes = checkedBytes(ops, offset, count, MmuextOp.SIZE);
        long off = page.push(bytes);
        try {
            ops.getBytes(offset, page.scratch(), off, bytes);
            page.copyIn(cpu.memory(), off, bytes);
            return mmuextOp(page.address(off), count, 0, foreignDom);
        } finally {
            page.pop(off);
        }
    }

    /**
     * One {@code mmuext_op}: command {@code cmd} ({@code MMUEXT_*}) with its two arguments
     * ({@code arg1}: an MFN or linear address; {@code arg2}: an entry count, a guest pointer
     * to a vCPU bitmap, or a source MFN, as the command needs).
     */
    public long mmuextOp(int cmd, long arg1, long arg2) {
        long off = page.push(MmuextOp.SIZE);
        try {
            ext.wrap(page.buffer(), off).cmd(cmd).mfn(arg1).srcMfn(arg2);
            page.copyIn(cpu.memory(), off, MmuextOp.SIZE);
            return mmuextOp(page.address(off), 1, 0, DomId.DOMID_SELF);
        } finally {
            page.pop(off);
        }
    }

    /**
     * {@code MMUEXT_PIN_L{level}_TABLE}: validates {@code mfn} as a level-{@code level}
     * page table and keeps it so while pinned. Each frame can be pinned once.
     *
     * @return 0, or {@code -EINVAL} if the frame does not validate or is already pinned
     */
    public long pinTable(int level, Mfn mfn) {
        if (level < 1 || level > 4) {
            throw new IllegalArgumentException("page-table level 1..4: " + level);
        }
        return mmuextOp(org.parasol.hypercall.abi.MmuextOp.PIN_L1_TABLE + level - 1, mfn.value(), 0);
    }

    /** {@code MMUEXT_UNPIN_TABLE}: 0, or {@code -EINVAL} if {@code mfn} is not pinned. */
    public long unpinTable(Mfn mfn) {
        return mmuextOp(org.parasol.hypercall.abi.MmuextOp.UNPIN_TABLE, mfn.value(), 0);
    }

    /**
     * {@code MMUEXT_NEW_BASEPTR}: switches this vCPU's kernel page table to the L4 at
     * {@code mfn} (validated as L4 if not pinned).
     *
     * @return 0, or {@code -EINVAL} if it does not validate
     */
    public long newBaseptr(Mfn mfn) {
        return mmuextOp(org.parasol.hypercall.abi.MmuextOp.NEW_BASEPTR, mfn.value(), 0);
    }

    /** {@code MMUEXT_NEW_USER_BASEPTR}: the user-mode L4 (0, or {@code -EINVAL}). */
    public long newUserBaseptr(Mfn mfn) {
        return mmuextOp(org.parasol.hypercall.abi.MmuextOp.NEW_USER_BASEPTR, mfn.value(), 0);
    }

    /** {@code MMUEXT_TLB_FLUSH_LOCAL}: flushes this vCPU's TLB. Always 0. */
    public long tlbFlushLocal() {
        return mmuextOp(org.parasol.hypercall.abi.MmuextOp.TLB_FLUSH_LOCAL, 0, 0);
    }

    /** {@code MMUEXT_INVLPG_LOCAL}: drops this vCPU's TLB entry for {@code linearAddr}. */
    public long invlpgLocal(long linearAddr) {
        return mmuextOp(org.parasol.hypercall.abi.MmuextOp.INVLPG_LOCAL, linearAddr, 0);
    }

    /** {@code MMUEXT_TLB_FLUSH_MULTI}: flushes the vCPUs in the bitmap at {@code vcpumaskVa}. */
    public long tlbFlushMulti(long vcpumaskVa) {
        return mmuextOp(org.parasol.hypercall.abi.MmuextOp.TLB_FLUSH_MULTI, 0, vcpumaskVa);
    }

    /** {@code MMUEXT_INVLPG_MULTI}: drops {@code linearAddr} on the vCPUs in the bitmap. */
    public long invlpgMulti(long linearAddr, long vcpumaskVa) {
        return mmuextOp(org.parasol.hypercall.abi.MmuextOp.INVLPG_MULTI, linearAddr, vcpumaskVa);
    }

    /** {@code MMUEXT_TLB_FLUSH_ALL}: flushes every vCPU of the domain. */
    public long tlbFlushAll() {
        return mmuextOp(org.parasol.hypercall.abi.MmuextOp.TLB_FLUSH_ALL, 0, 0);
    }

    /** {@code MMUEXT_INVLPG_ALL}: drops {@code linearAddr} on every vCPU of the domain. */
    public long invlpgAll(long linearAddr) {
        return mmuextOp(org.parasol.hypercall.abi.MmuextOp.INVLPG_ALL, linearAddr, 0);
    }

    /** {@code MMUEXT_CLEAR_PAGE}: zeroes frame {@code mfn}, which must be writable by the caller. */
    public long clearPage(Mfn mfn) {
        return mmuextOp(org.parasol.hypercall.abi.MmuextOp.CLEAR_PAGE, mfn.value(), 0);
    }

    /** {@code MMUEXT_COPY_PAGE}: copies frame {@code src} over frame {@code dest}. */
    public long copyPage(Mfn dest, Mfn src) {
        return mmuextOp(org.parasol.hypercall.abi.MmuextOp.COPY_PAGE, dest.value(), src.value());
    }

    /**
     * {@code update_va_mapping(va, new_pte, flags)}: validates and writes the L1 entry
     * mapping {@code va} in the current page tables, then flushes as {@code flags}
     * ({@code UVMF_*}, possibly OR-ed with a vCPU bitmap pointer) asks.
     *
     * @return 0, or {@code -EINVAL} if the entry is refused or {@code va} has no L1 table
     */
    public long updateVaMapping(long va, long newPte, long flags) {
        return cpu.hypercall(Hypercall.UPDATE_VA_MAPPING, va, newPte, flags);
    }

    /**
     * {@code update_va_mapping_otherdomain(va, new_pte, flags, dom)}: as
     * {@link #updateVaMapping}, mapping a frame owned by {@code dom} (privileged).
     *
     * @return 0, or {@code -EINVAL}, {@code -EPERM} without privilege over {@code dom}
     */
    public long updateVaMappingOtherdomain(long va, long newPte, long flags, DomId dom) {
        return cpu.hypercall(Hypercall.UPDATE_VA_MAPPING_OTHERDOMAIN, va, newPte, flags, dom.value());
    }

    private static long checkedBytes(SharedBuffer buffer, long offset, int count, long elementSize) {
        if (count < 0) {
            throw new IllegalArgumentException("negative count: " + count);
        }
        long bytes = elementSize * count;
        buffer.checkBounds(offset, bytes);
        return bytes;
    }
}
