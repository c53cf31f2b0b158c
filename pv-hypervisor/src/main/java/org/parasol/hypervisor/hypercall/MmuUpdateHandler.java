package org.parasol.hypervisor.hypercall;

import static org.parasol.hypercall.Errno.EFAULT;
import static org.parasol.hypercall.Errno.EINVAL;
import static org.parasol.hypercall.Errno.ENOSYS;
import static org.parasol.hypercall.Errno.EPERM;
import static org.parasol.hypercall.Errno.ESRCH;

import org.parasol.hypercall.DomId;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.struct.MmuUpdate;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.Vcpu;
import org.parasol.hypervisor.mm.PageTables;

/**
 * mmu_update (hypercall 1): {@code (mmu_update_t *reqs, uint count, uint *done_out,
 * uint foreigndom)}, in {@code do_mmu_update}'s order.
 *
 * <ol>
 *   <li>A request list Xen's {@code access_ok} refuses (or that would wrap): -EFAULT.</li>
 *   <li>{@code foreigndom} bits 31..16 (PFD), if not 0, name the page-table owner by id
 *       ({@code domid + 1}): unknown -ESRCH.</li>
 *   <li>Bits 15..0 (FD) name the page owner as {@code get_pg_owner} does: {@code DOMID_SELF}
 *       is the caller, the caller's own id is refused (-ESRCH, "cannot specify itself as
 *       foreign domain"), {@code DOMID_IO} and {@code DOMID_XEN} are special owners, anything
 *       else must exist (-ESRCH).</li>
 *   <li>Each 16-byte request {@code {u64 ptr; u64 val}} is copied in (-EFAULT) and decoded
 *       with {@link MmuUpdate}; {@code ptr & 3} is the command:
 *       <ul>
 *         <li>{@code MMU_NORMAL_PT_UPDATE} (0), {@code MMU_PT_UPDATE_NO_TRANSLATE} (3, the
 *             same for a PV guest) and {@code MMU_PT_UPDATE_PRESERVE_AD} (2): a foreign page
 *             owner other than {@code DOMID_IO}, or a foreign page-table owner, needs a
 *             privileged caller (-EPERM, Xen's {@code XSM_TARGET}); then a checked write of
 *             the entry at machine address {@code ptr & ~3} ({@link PageTables#updateEntry}),
 *             -EINVAL if refused.</li>
 *         <li>{@code MMU_MACHPHYS_UPDATE} (1): the page tables must be the caller's own
 *             (-EPERM), a foreign page owner needs privilege (-EPERM); then
 *             {@code m2p[ptr >> 12] = val} for a frame of the page owner (-EPERM otherwise).</li>
 *         <li>anything else: -ENOSYS.</li>
 *       </ul>
 *       The special owners hold no memory Parasol lets a guest map: past the permission
 *       check their requests are -EINVAL.</li>
 * </ol>
 * Requests run in order and the batch stops at the first failure, whose errno is returned;
 * {@code *done_out} (if not NULL) receives how many took effect.
 *
 * <p>Continuation: every {@link Vcpu#PREEMPT_CHECK_INTERVAL} requests the handler asks
 * {@link Vcpu#preemptCheck}; when preempted it writes the progress to {@code *done_out},
 * advances {@code reqs}, sets {@code count = remaining | MMU_UPDATE_PREEMPTED} and is entered
 * again, reading the progress back, as Xen does.
 */
final class MmuUpdateHandler implements HypercallHandler {

    @Override
    public long call(Vcpu v, long reqs, long count, long doneOut, long foreigndom, long a5) {
        GuestArgs a = GuestArgs.of(v);
        long n = count & 0xFFFF_FFFFL;
        long done = 0;
        if ((n & Mmu.MMU_UPDATE_PREEMPTED) != 0) {
            n &= ~(long) Mmu.MMU_UPDATE_PREEMPTED & 0xFFFF_FFFFL;
            if (doneOut != 0 && a.inU32Element(v, doneOut, 0)) {
                done = Integer.toUnsignedLong(a.u32Element());
            }
        }
        if (!GuestArgs.arrayOk(reqs, n, MmuUpdate.SIZE)) {
            return -EFAULT;
        }
        Domain self = v.domain();
        Domain ptOwner = self;
        int pfd = DomainArgs.tableOwnerField(foreigndom);
        if (pfd != 0) {
            ptOwner = DomainArgs.byId(v, pfd - 1);
            if (ptOwner == null) {
                return -ESRCH;
            }
        }
        int fd = DomainArgs.pageOwnerId(foreigndom);
        boolean special = DomainArgs.isSpecialOwner(fd);
        Domain pgOwner = DomainArgs.pageOwner(v, fd);
        if (pgOwner == null && !special) {
            return -ESRCH;
        }
        // XSM_TARGET, as xsm_mmu_update asks it: of the page owner (DOMID_IO is not asked about)
        // and, for page-table updates, of the page-table owner.
        boolean pgOwnerOk = fd == DomId.DOMID_IO || (special ? self.privileged() : DomainArgs.mayControl(v, pgOwner));
        boolean ptOwnerOk = DomainArgs.mayControl(v, ptOwner);
        PageTables pt = self.host().pageTables();
        var deferred = v.mmu().deferred();
        MmuUpdate req = a.mmuUpdate;
        long rc = 0;
        long i = 0;
        for (; i < n; i++) {
            if (i > 0 && v.preemptCheck(i)) {
                v.releaseDeferredPuts(ptOwner);
                writeDone(v, doneOut, done + i);
                v.setContinuation(reqs + MmuUpdate.SIZE * i, (n - i) | Mmu.MMU_UPDATE_PREEMPTED, doneOut,
                        foreigndom, a5);
                return Vcpu.CONTINUATION;
            }
            if (!a.in(v, reqs + MmuUpdate.SIZE * i, MmuUpdate.SIZE)) {
                rc = -EFAULT;
                break;
            }
            long ptr = req.ptr();
            long val = req.val();
            int cmd = (int) (ptr & Mmu.CMD_MASK);
            long address = ptr & ~(long) Mmu.CMD_MASK;
            rc = switch (cmd) {
                case Mmu.NORMAL_PT_UPDATE, Mmu.PT_UPDATE_NO_TRANSLATE, Mmu.PT_UPDATE_PRESERVE_AD -> {
                    if (!pgOwnerOk || !ptOwnerOk) {
                        yield -EPERM;
                    }
                    if (special) {
                        yield -EINVAL;
                    }
                    yield pt.updateEntry(ptOwner.pages(), pgOwner.domid(), address, val,
                            cmd == Mmu.PT_UPDATE_PRESERVE_AD, deferred);
                }
                case Mmu.MACHPHYS_UPDATE -> {
                    if (ptOwner != self || !pgOwnerOk) {
                        yield -EPERM;
                    }
                    yield special ? -EINVAL : pt.machphysUpdate(pgOwner.domid(), ptr >>> Mmu.PAGE_SHIFT, val);
                }
                default -> -ENOSYS;
            };
            if (rc != 0) {
                break;
            }
        }
        v.releaseDeferredPuts(ptOwner);
        writeDone(v, doneOut, done + i);
        return rc;
    }

    /** {@code *done_out = done}, if the guest asked for it; a fault there is ignored, as in Xen. */
    private static void writeDone(Vcpu v, long doneOut, long done) {
        if (doneOut != 0) {
            GuestArgs.of(v).outU32Element(v, doneOut, 0, (int) done);
        }
    }
}
