package org.parasol.guest.mm;

import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.Mfn;
import org.parasol.hypercall.Pfn;

/**
 * The domain's physical-to-machine list: {@code start_info.mfn_list}, one 64-bit MFN per
 * PFN, which the domain builder wrote and the guest owns from boot on (Mini-OS's
 * {@code phys_to_machine_mapping}).
 *
 * <pre>
 *  mfn_list VA:  [ mfn(pfn 0) | mfn(pfn 1) | ... | mfn(pfn nr_pages-1) ]   8 bytes each
 * </pre>
 *
 * <p>A classic PV guest sees machine frames: every page-table entry, grant and
 * {@code mmu_update} names an MFN, so the kernel translates through this list.
 */
public final class P2m {
    private final GuestMemory mem;
    private final long listVa;
    private final long nrPages;

    /** The list of {@code nrPages} entries at {@code listVa}. */
    public P2m(GuestMemory mem, long listVa, long nrPages) {
        this.mem = mem;
        this.listVa = listVa;
        this.nrPages = nrPages;
    }

    /** Pages the domain was built with. */
    public long nrPages() {
        return nrPages;
    }

    /** The machine frame behind {@code pfn}. */
    public long mfn(long pfn) {
        if (pfn < 0 || pfn >= nrPages) {
            throw new IllegalArgumentException("pfn " + pfn + " outside 0.." + (nrPages - 1));
        }
        return mem.getLong(listVa + pfn * 8);
    }

    /** {@link #mfn(long)} with typed frame numbers. */
    public Mfn mfn(Pfn pfn) {
        return Mfn.of(mfn(pfn.value()));
    }

    /** The PFN whose entry is {@code mfn}, or -1: a linear search, for the rare reverse lookup. */
    public long pfnOf(long mfn) {
        for (long p = 0; p < nrPages; p++) {
            if (mem.getLong(listVa + p * 8) == mfn) {
                return p;
            }
        }
        return -1;
    }
}
