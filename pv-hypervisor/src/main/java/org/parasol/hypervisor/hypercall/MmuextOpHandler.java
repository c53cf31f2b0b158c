package org.parasol.hypervisor.hypercall;

import static org.parasol.hypercall.Errno.EFAULT;
import static org.parasol.hypercall.Errno.EINVAL;
import static org.parasol.hypercall.Errno.ENOSYS;
import static org.parasol.hypercall.Errno.EPERM;
import static org.parasol.hypercall.Errno.ESRCH;

import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.abi.MmuextOp;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.Vcpu;
import org.parasol.hypervisor.mm.FrameTable;
import org.parasol.hypervisor.mm.PageTables;
import org.parasol.hypervisor.mm.VcpuMmu;

/**
 * mmuext_op (hypercall 26): {@code (mmuext_op_t *ops, uint count, uint *done_out,
 * uint foreigndom)}, in {@code do_mmuext_op}'s order: an op list Xen's {@code access_ok}
 * refuses is -EFAULT; the page owner (foreigndom's low 16 bits, as
 * {@link DomainArgs#pageOwner}) must exist (-ESRCH) and, if foreign, the caller must be
 * privileged (-EPERM, asked once before any op); then each 24-byte op
 * {@code {u32 cmd; u64 arg1; u64 arg2}} is copied in (-EFAULT) and decoded with the
 * {@link org.parasol.hypercall.struct.MmuextOp} flyweight.
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
 * {@code DOMID_IO} and {@code DOMID_XEN} own nothing a guest may pin here: their table ops are
 * -EINVAL. The batch stops at the first failure; {@code *done_out} gets the count done.
 * Continuation as in {@link MmuUpdateHandler}.
 */
final class MmuextOpHandler implements HypercallHandler {
    /** {@code sizeof(mmuext_op_t)}: the flyweight's (the ABI's constants class shares its name). */
    private static final long OP_SIZE = org.parasol.hypercall.struct.MmuextOp.SIZE;

    @Override
    public long call(Vcpu v, long ops, long count, long doneOut, long foreigndom, long a5) {
        GuestArgs a = GuestArgs.of(v);
        long n = count & 0xFFFF_FFFFL;
        long done = 0;
        if ((n & Mmu.MMU_UPDATE_PREEMPTED) != 0) {
            n &= ~(long) Mmu.MMU_UPDATE_PREEMPTED & 0xFFFF_FFFFL;
            if (doneOut != 0 && a.inU32Element(v, doneOut, 0)) {
                done = Integer.toUnsignedLong(a.u32Element());
            }
        }
        if (!GuestArgs.arrayOk(ops, n, OP_SIZE)) {
            return -EFAULT;
        }
        int fd = DomainArgs.pageOwnerId(foreigndom);
        boolean special = DomainArgs.isSpecialOwner(fd);
        Domain pgOwner = DomainArgs.pageOwner(v, fd);
        if (pgOwner == null && !special) {
            return -ESRCH;
        }
        if (special ? !v.domain().privileged() : !DomainArgs.mayControl(v, pgOwner)) {
            return -EPERM; // xsm_mmuext_op
        }
        Domain flushed = pgOwner == null ? v.domain() : pgOwner;
        long rc = 0;
        long i = 0;
        for (; i < n; i++) {
            if (i > 0 && v.preemptCheck(i)) {
                v.releaseDeferredPuts(flushed);
                writeDone(v, doneOut, done + i);
                v.setContinuation(ops + OP_SIZE * i, (n - i) | Mmu.MMU_UPDATE_PREEMPTED, doneOut, foreigndom, a5);
                return Vcpu.CONTINUATION;
            }
            if (!a.in(v, ops + OP_SIZE * i, OP_SIZE)) {
                rc = -EFAULT;
                break;
            }
            var op = a.mmuextOp;
            rc = op(v, pgOwner, (int) op.cmd(), op.mfn(), op.vcpumask());
            if (rc != 0) {
                break;
            }
        }
        v.releaseDeferredPuts(flushed);
        writeDone(v, doneOut, done + i);
        return rc;
    }

    /**
     * One op; {@code arg1} is the union's {@code mfn}/{@code linear_addr}, {@code arg2} its
     * {@code vcpumask} (the only member of the union Parasol reads). {@code pgOwner} is null
     * for the special owners.
     */
    private static long op(Vcpu v, Domain pgOwner, int cmd, long arg1, long arg2) {
        PageTables pt = v.domain().host().pageTables();
        VcpuMmu mmu = v.mmu();
        return switch (cmd) {
            case MmuextOp.PIN_L1_TABLE -> pin(pt, pgOwner, arg1, FrameTable.PGT_L1_PAGE_TABLE);
            case MmuextOp.PIN_L2_TABLE -> pin(pt, pgOwner, arg1, FrameTable.PGT_L2_PAGE_TABLE);
            case MmuextOp.PIN_L3_TABLE -> pin(pt, pgOwner, arg1, FrameTable.PGT_L3_PAGE_TABLE);
            case MmuextOp.PIN_L4_TABLE -> pin(pt, pgOwner, arg1, FrameTable.PGT_L4_PAGE_TABLE);
            case MmuextOp.UNPIN_TABLE -> pgOwner == null ? -EINVAL : pt.unpin(pgOwner.pages(), arg1, mmu.deferred());
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

    private static long pin(PageTables pt, Domain pgOwner, long mfn, int type) {
        return pgOwner == null ? -EINVAL : pt.pin(pgOwner.pages(), mfn, type);
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

    /** {@code *done_out = done}, if the guest asked for it; a fault there is ignored, as in Xen. */
    private static void writeDone(Vcpu v, long doneOut, long done) {
        if (doneOut != 0) {
            GuestArgs.of(v).outU32Element(v, doneOut, 0, (int) done);
        }
    }
}
