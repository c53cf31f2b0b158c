package org.parasol.hypervisor.hypercall;

import static org.parasol.hypercall.Errno.EFAULT;
import static org.parasol.hypercall.Errno.ENOSYS;
import static org.parasol.hypercall.Errno.EPERM;

import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.abi.MmuextOp;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.Vcpu;
import org.parasol.hypervisor.mm.FrameTable;
import org.parasol.hypervisor.mm.PageTables;
import org.parasol.hypervisor.mm.VcpuMmu;

/**
 * mmuext_op (hypercall 26): {@code (mmuext_op_t *ops, uint count, uint *done_out,
 * uint foreigndom)}; each 24-byte op is {@code {u32 cmd; u64 arg1; u64 arg2}}.
 *
 * <ul>
 *   <li>{@code MMUEXT_PIN_L1..L4_TABLE} (0..3): validates the frame {@code arg1} of the page
 *       owner as that level and pins it ({@link PageTables#pin}); {@code -EINVAL} if it does
 *       not validate or is pinned already.</li>
 *   <li>{@code MMUEXT_UNPIN_TABLE} (4): {@code -EINVAL} if not pinned.</li>
 *   <li>{@code MMUEXT_NEW_BASEPTR} (5): the frame must validate as an L4 of the caller
 *       ({@code -EINVAL}; a foreign page owner is {@code -EPERM}); the CR3 reference moves to
 *       it, the vCPU's CR3 is loaded and its TLB flushed.</li>
 *   <li>{@code MMUEXT_TLB_FLUSH_LOCAL} (6), {@code MMUEXT_INVLPG_LOCAL} (7),
 *       {@code MMUEXT_TLB_FLUSH_MULTI} (8) and {@code MMUEXT_INVLPG_MULTI} (9) with a vCPU bitmap
 *       pointer in {@code arg2} ({@code -EFAULT} if unreadable), {@code MMUEXT_TLB_FLUSH_ALL}
 *       (10), {@code MMUEXT_INVLPG_ALL} (11).</li>
 *   <li>Everything else — cache flushes, LDT, user base pointer, clear/copy page,
 *       superpages — is {@code -ENOSYS}.</li>
 * </ul>
 * The batch stops at the first failure; {@code *done_out} gets the count done. Continuation as
 * in {@link MmuUpdateHandler}.
 */
final class MmuextOpHandler implements HypercallHandler {
    static final int OP_SIZE = 24;

    @Override
    public long call(Vcpu v, long ops, long count, long doneOut, long foreigndom, long a5) {
        long n = count & 0xFFFF_FFFFL;
        long done = 0;
        if ((n & Mmu.MMU_UPDATE_PREEMPTED) != 0) {
            n &= ~(long) Mmu.MMU_UPDATE_PREEMPTED & 0xFFFF_FFFFL;
            if (doneOut != 0 && GuestArgs.in(v, doneOut, 0, 4)) {
                done = GuestArgs.u32(v, 0) & 0xFFFF_FFFFL;
            }
        }
        int pgId = ForeignDomain.pageOwnerId(foreigndom);
        long rc = ForeignDomain.check(v, pgId);
        if (rc != 0) {
            return rc;
        }
        Domain pgOwner = ForeignDomain.resolve(v, pgId);
        if (pgOwner == null) {
            return -org.parasol.hypercall.Errno.ESRCH;
        }
        long i = 0;
        for (; i < n; i++) {
            if (i > 0 && v.preemptCheck(i)) {
                v.releaseDeferredPuts(pgOwner);
                writeDone(v, doneOut, done + i);
                v.setContinuation(ops + OP_SIZE * i, (n - i) | Mmu.MMU_UPDATE_PREEMPTED, doneOut, foreigndom, a5);
                return Vcpu.CONTINUATION;
            }
            if (!GuestArgs.in(v, ops + OP_SIZE * i, 0, OP_SIZE)) {
                rc = -EFAULT;
                break;
            }
            rc = op(v, pgOwner, GuestArgs.u32(v, 0), GuestArgs.u64(v, 8), GuestArgs.u64(v, 16));
            if (rc != 0) {
                break;
            }
        }
        v.releaseDeferredPuts(pgOwner);
        writeDone(v, doneOut, done + i);
        return rc;
    }

    private static long op(Vcpu v, Domain pgOwner, int cmd, long arg1, long arg2) {
        PageTables pt = v.domain().host().pageTables();
        VcpuMmu mmu = v.mmu();
        return switch (cmd) {
            case MmuextOp.PIN_L1_TABLE -> pt.pin(pgOwner.pages(), arg1, FrameTable.PGT_L1_PAGE_TABLE);
            case MmuextOp.PIN_L2_TABLE -> pt.pin(pgOwner.pages(), arg1, FrameTable.PGT_L2_PAGE_TABLE);
            case MmuextOp.PIN_L3_TABLE -> pt.pin(pgOwner.pages(), arg1, FrameTable.PGT_L3_PAGE_TABLE);
            case MmuextOp.PIN_L4_TABLE -> pt.pin(pgOwner.pages(), arg1, FrameTable.PGT_L4_PAGE_TABLE);
            case MmuextOp.UNPIN_TABLE -> pt.unpin(pgOwner.pages(), arg1, mmu.deferred());
            case MmuextOp.NEW_BASEPTR -> newBaseptr(v, pgOwner, arg1);
            case MmuextOp.TLB_FLUSH_LOCAL -> {
                mmu.flushTlb();
                yield 0;
            }
            case MmuextOp.INVLPG_LOCAL -> {
                mmu.invlpg(arg1);
                yield 0;
            }
            case MmuextOp.TLB_FLUSH_MULTI -> TlbFlushes.flush(v, false, 0, false, arg2 == 0 ? -1 : arg2);
            case MmuextOp.INVLPG_MULTI -> TlbFlushes.flush(v, true, arg1, false, arg2 == 0 ? -1 : arg2);
            case MmuextOp.TLB_FLUSH_ALL -> TlbFlushes.flush(v, false, 0, true, 0);
            case MmuextOp.INVLPG_ALL -> TlbFlushes.flush(v, true, arg1, true, 0);
            default -> -ENOSYS;
        };
    }

    /** {@code new_guest_cr3}: the CR3 reference moves to the new L4, then CR3 is loaded. */
    private static long newBaseptr(Vcpu v, Domain pgOwner, long mfn) {
        Domain d = v.domain();
        if (pgOwner != d) {
            return -EPERM;
        }
        PageTables pt = d.host().pageTables();
        VcpuMmu mmu = v.mmu();
        long rc = pt.getBaseRef(d.pages(), mfn);
        if (rc != 0) {
            return rc;
        }
        long old = mmu.baseRef();
        mmu.setBaseRef(mfn);
        v.setBaseMfn(mfn);
        mmu.flushTlb();
        if (old >= 0) {
            pt.putBaseRef(d.pages(), old, mmu.deferred());
        }
        return 0;
    }

    private static void writeDone(Vcpu v, long doneOut, long done) {
        if (doneOut != 0) {
            GuestArgs.put32(v, 0, (int) done);
            GuestArgs.out(v, 0, doneOut, 4);
        }
    }
}
