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
    /**
     * The entry of a PFN with no frame behind it (ballooned out, or beyond what the domain was
     * built with): Linux's {@code INVALID_P2M_ENTRY}, all ones.
     */
    public static final long INVALID_ENTRY = ~0L;

    private final GuestMemory mem;
    private final long listVa;
    private final long nrPages;

    /** The list of {@code nrPages} entries at {@code listVa}. */
    public P2m(GuestMemory mem, long listVa, long nrPages) {
        this.mem = mem;
        this.listVa = listVa;
        this.nrPages = nrPages;
    }

    /**
     * Entries in the list: the pages the domain was built with, or more once the kernel made
     * room for the pages it may balloon up to ({@link Memory}).
     */
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

    /**
     * Sets the entry of {@code pfn}: {@code mfn}, or {@link #INVALID_ENTRY} for a page given
     * back (Linux's {@code __set_phys_to_machine}). The list is the guest's own memory.
     */
    public void set(long pfn, long mfn) {
        if (pfn < 0 || pfn >= nrPages) {
            throw new IllegalArgumentException("pfn " + pfn + " outside 0.." + (nrPages - 1));
        }
        mem.putLong(listVa + pfn * 8, mfn);
    }

    /** The list's virtual address. */
    public long listVa() {
        return listVa;
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
