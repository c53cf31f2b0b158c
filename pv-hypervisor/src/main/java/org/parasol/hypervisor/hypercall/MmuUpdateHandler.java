package org.parasol.hypervisor.hypercall;

import static org.parasol.hypercall.Errno.EFAULT;
import static org.parasol.hypercall.Errno.ENOSYS;

import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.Vcpu;
import org.parasol.hypervisor.mm.PageTables;

/**
 * mmu_update (hypercall 1): {@code (mmu_update_t *reqs, uint count, uint *done_out,
 * uint foreigndom)}.
 *
 * <p>Each 16-byte request is {@code {u64 ptr; u64 val}}; {@code ptr & 3} is the command:
 * <ul>
 *   <li>{@code MMU_NORMAL_PT_UPDATE} (0), {@code MMU_PT_UPDATE_NO_TRANSLATE} (3, the same for
 *       a PV guest) and {@code MMU_PT_UPDATE_PRESERVE_AD} (2): a checked write of the entry at
 *       machine address {@code ptr & ~3} ({@link PageTables#updateEntry}); a refused entry is
 *       {@code -EINVAL}.</li>
 *   <li>{@code MMU_MACHPHYS_UPDATE} (1): {@code m2p[ptr >> 12] = val}, for a frame of the page
 *       owner ({@code -EPERM} otherwise).</li>
 * </ul>
 * Requests run in order and the batch stops at the first failure, whose errno is returned;
 * {@code *done_out} (if not NULL) receives how many took effect. A request that cannot be
 * read is {@code -EFAULT}. {@code foreigndom} other than the caller needs privilege
 * ({@code -EPERM}).
 *
 * <p>Continuation: every {@link Vcpu#PREEMPT_CHECK_INTERVAL} requests the handler asks
 * {@link Vcpu#preemptCheck}; when preempted it writes the progress to {@code *done_out},
 * advances {@code reqs}, sets {@code count = remaining | MMU_UPDATE_PREEMPTED} and is entered
 * again, reading the progress back, as Xen does.
 */
final class MmuUpdateHandler implements HypercallHandler {
    static final int REQUEST_SIZE = 16;

    @Override
    public long call(Vcpu v, long reqs, long count, long doneOut, long foreigndom, long a5) {
        long n = count & 0xFFFF_FFFFL;
        long done = 0;
        if ((n & Mmu.MMU_UPDATE_PREEMPTED) != 0) {
            n &= ~(long) Mmu.MMU_UPDATE_PREEMPTED & 0xFFFF_FFFFL;
            if (doneOut != 0 && GuestArgs.in(v, doneOut, 0, 4)) {
                done = GuestArgs.u32(v, 0) & 0xFFFF_FFFFL;
            }
        }
        int pgId = ForeignDomain.pageOwnerId(foreigndom);
        int ptId = ForeignDomain.tableOwnerId(foreigndom);
        long rc = ForeignDomain.check(v, pgId);
        if (rc == 0) {
            rc = ForeignDomain.check(v, ptId);
        }
        if (rc != 0) {
            return rc;
        }
        Domain pgOwner = ForeignDomain.resolve(v, pgId);
        Domain ptOwner = ForeignDomain.resolve(v, ptId);
        if (pgOwner == null || ptOwner == null) {
            return -org.parasol.hypercall.Errno.ESRCH;
        }
        PageTables pt = v.domain().host().pageTables();
        var deferred = v.mmu().deferred();
        long i = 0;
        for (; i < n; i++) {
            if (i > 0 && v.preemptCheck(i)) {
                v.releaseDeferredPuts(ptOwner);
                writeDone(v, doneOut, done + i);
                v.setContinuation(reqs + REQUEST_SIZE * i, (n - i) | Mmu.MMU_UPDATE_PREEMPTED, doneOut,
                        foreigndom, a5);
                return Vcpu.CONTINUATION;
            }
            if (!GuestArgs.in(v, reqs + REQUEST_SIZE * i, 0, REQUEST_SIZE)) {
                rc = -EFAULT;
                break;
            }
            long ptr = GuestArgs.u64(v, 0);
            long val = GuestArgs.u64(v, 8);
            int cmd = (int) (ptr & Mmu.CMD_MASK);
            long address = ptr & ~(long) Mmu.CMD_MASK;
            rc = switch (cmd) {
                case Mmu.NORMAL_PT_UPDATE, Mmu.PT_UPDATE_NO_TRANSLATE ->
                        pt.updateEntry(ptOwner.pages(), pgOwner.domid(), address, val, false, deferred);
                case Mmu.PT_UPDATE_PRESERVE_AD ->
                        pt.updateEntry(ptOwner.pages(), pgOwner.domid(), address, val, true, deferred);
                case Mmu.MACHPHYS_UPDATE -> pt.machphysUpdate(pgOwner.domid(), ptr >>> 12, val);
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

    private static void writeDone(Vcpu v, long doneOut, long done) {
        if (doneOut != 0) {
            GuestArgs.put32(v, 0, (int) done);
            GuestArgs.out(v, 0, doneOut, 4);
        }
    }
}
