package org.parasol.hypervisor.hypercall;

import static org.parasol.hypercall.Errno.EINVAL;

import org.parasol.hypercall.abi.Uvmf;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.Vcpu;
import org.parasol.hypervisor.mm.PageTables;

/**
 * update_va_mapping (hypercall 14): {@code (ulong va, u64 new_pte, ulong flags)}.
 *
 * <p>Writes the L1 entry that maps {@code va} in the caller's current page tables, validated
 * as {@code mmu_update} would ({@link PageTables#updateL1Entry}), then flushes as
 * {@code flags} says: the low two bits are {@code UVMF_NONE}, {@code UVMF_TLB_FLUSH} or
 * {@code UVMF_INVLPG} (3 is {@code -EINVAL}); bit 2 {@code UVMF_ALL} means every vCPU of the
 * domain, otherwise the bits above 2 are a pointer to a vCPU bitmap ({@code UVMF_MULTI}), NULL
 * meaning the caller ({@code UVMF_LOCAL}).
 *
 * <p>Refusals: {@code -EINVAL} when {@code va} has no L1 table (not present, hypervisor-private,
 * non-canonical) or the entry does not validate; {@code -EFAULT} when the vCPU bitmap cannot be
 * read (the entry was written by then, as on Xen). A remote {@code UVMF_INVLPG} empties the
 * remote TLBs entirely (a superset of what was asked).
 */
final class UpdateVaMappingHandler implements HypercallHandler {

    @Override
    public long call(Vcpu v, long va, long newPte, long flags, long a4, long a5) {
        int flushType = (int) (flags & Uvmf.FLUSHTYPE_MASK);
        if (flushType == Uvmf.FLUSHTYPE_MASK) {
            return -EINVAL;
        }
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
        if (flushType == Uvmf.NONE) {
            return 0;
        }
        return TlbFlushes.flush(v, flushType == Uvmf.INVLPG, va, (flags & Uvmf.ALL) != 0, flags & ~7L);
    }
}
