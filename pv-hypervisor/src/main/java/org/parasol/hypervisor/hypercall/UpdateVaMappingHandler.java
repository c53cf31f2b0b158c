package org.parasol.hypervisor.hypercall;

import static org.parasol.hypercall.Errno.EINVAL;

import org.parasol.hypercall.abi.Uvmf;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.Vcpu;
import org.parasol.hypervisor.mm.PageTables;

/**
 * update_va_mapping (hypercall 14): {@code (ulong va, u64 new_pte, ulong flags)}, as
 * {@code __do_update_va_mapping}.
 *
 * <p>Writes the L1 entry that maps {@code va} in the caller's current page tables, validated
 * as {@code mmu_update} would ({@link PageTables#updateL1Entry}): {@code -EINVAL} when
 * {@code va} has no L1 table (not present, hypervisor-private, non-canonical) or the entry does
 * not validate, and nothing is flushed then. Only after the entry is written are
 * {@code flags} read: the low two bits choose {@code UVMF_NONE}, {@code UVMF_TLB_FLUSH} or
 * {@code UVMF_INVLPG} (3 flushes nothing, as in Xen); the rest, {@code flags & ~3}, is
 * {@code UVMF_LOCAL} (0: the caller), {@code UVMF_ALL} (4: every vCPU of the domain) or else a
 * pointer to a vCPU bitmap ({@code UVMF_MULTI}; {@code -EFAULT} when it cannot be read, the
 * entry written by then). A remote {@code UVMF_INVLPG} empties the remote TLBs entirely (a
 * superset of what was asked).
 */
final class UpdateVaMappingHandler implements HypercallHandler {

    @Override
    public long call(Vcpu v, long va, long newPte, long flags, long a4, long a5) {
        Domain d = v.domain();
        PageTables pt = d.host().pageTables();
        long ma = pt.l1EntryAddress(d.domid(), v.baseMfn(), va);
        if (ma < 0) {
            return -EINVAL;
        }
        long rc = pt.updateL1Entry(d.pages(), d.domid(), ma, newPte, v.mmu().deferred());
        v.releaseDeferredPuts();
        if (rc != 0) {
            return rc;
        }
        int flushType = (int) (flags & Uvmf.FLUSHTYPE_MASK);
        if (flushType != Uvmf.TLB_FLUSH && flushType != Uvmf.INVLPG) {
            return 0;
        }
        long bitmap = flags & ~(long) Uvmf.FLUSHTYPE_MASK;
        boolean all = bitmap == Uvmf.ALL;
        return TlbFlushes.flush(v, flushType == Uvmf.INVLPG, va, all, all || bitmap == Uvmf.LOCAL ? 0 : bitmap);
    }
}
