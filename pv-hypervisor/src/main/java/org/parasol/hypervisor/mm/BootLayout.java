package org.parasol.hypervisor.mm;

/**
 * The start-of-day address space {@link BootstrapBuilder} laid out for a new domain: what the
 * domain builder writes into {@code start_info} and what the boot vCPU's CR3 is.
 *
 * <pre>
 *  sharedInfoVa (2 MiB)  virtBase (4 MiB)                                                   freeVa        mappedEnd
 *  | (unmapped; L1    |  P2M list   | start_info | [store] [console] | [module] |  L4 L3 L2.. L1.. | free pages ... | (unmapped)
 *  |  table present)  | pfn 0 ..    |            |                   |          |  (read-only)     | (read-write)   |
 *  +------------------+-------------+------------+-------------------+----------+------------------+----------------+
 *  VA = virtBase + (pfn << 12) for every pfn below mappedPages; pfns from mappedPages on are
 *  the domain's but unmapped. The store and console pages are there only in a domctl build (libxc's
 *  special pages sit between start_info and the page tables in the same way), the module
 *  pages only for a dom0 given a boot module; the guest's allocator starts after the page
 *  tables, so it never hands either out.
 * </pre>
 *
 * @param virtBase      first VA of the region ({@code 0x400000}); VA 0 stays unmapped
 * @param nrPages       frames allocated to the domain ({@code start_info.nr_pages})
 * @param p2mVa         VA of the P2M list, 8 bytes per PFN ({@code start_info.mfn_list})
 * @param firstP2mPfn   PFN of the P2M list's first page ({@code start_info.first_p2m_pfn})
 * @param nrP2mFrames   pages the P2M list spans ({@code start_info.nr_p2m_frames})
 * @param startInfoVa   VA of the start_info page (passed in RSI at entry)
 * @param startInfoPfn  PFN of the start_info page
 * @param startInfoMfn  MFN of the start_info page, for the builder to fill it
 * @param ptBaseVa      VA of the L4 table ({@code start_info.pt_base})
 * @param l4Mfn         MFN of the L4 table: the boot vCPU's CR3
 * @param nrPtFrames    bootstrap page-table frames, L4 first ({@code start_info.nr_pt_frames})
 * @param freeVa        first VA after the bootstrap page tables: where free mapped memory begins
 * @param firstFreePfn  the PFN at {@code freeVa}
 * @param mappedEnd     end of the mapped pfn region, on a 4 MiB boundary unless the domain is
 *                      too small to reach it
 * @param mappedPages   PFNs mapped: {@code (mappedEnd - virtBase) >> 12}
 * @param sharedInfoVa  VA where the guest is expected to map the shared_info frame itself
 *                      ({@code update_va_mapping}); the bootstrap L1 tables cover it, nothing
 *                      is mapped there at start of day
 * @param sharedInfoMfn MFN of the shared_info frame
 * @param storePfn      PFN of the xenstore page ({@code start_info.store_mfn} is its MFN), or -1
 *                      when the layout has none
 * @param storeMfn      MFN of the xenstore page, or -1 when the layout has none
 * @param consolePfn    PFN of the console ring's page ({@code start_info.console.domU.mfn} is its
 *                      MFN), right after the store page, or -1 when the layout has none
 * @param consoleMfn    MFN of the console ring's page, or -1 when the layout has none
 * @param modulePfn     first PFN of the boot module's pages (dom0's {@code start_info.mod_start}),
 *                      after start_info (and the store page) and before the page tables, or -1
 * @param modulePages   pages the boot module spans, 0 when the layout has none
 */
public record BootLayout(
        long virtBase,
        long nrPages,
        long p2mVa,
        long firstP2mPfn,
        long nrP2mFrames,
        long startInfoVa,
        long startInfoPfn,
        long startInfoMfn,
        long ptBaseVa,
        long l4Mfn,
        long nrPtFrames,
        long freeVa,
        long firstFreePfn,
        long mappedEnd,
        long mappedPages,
        long sharedInfoVa,
        long sharedInfoMfn,
        long storePfn,
        long storeMfn,
        long consolePfn,
        long consoleMfn,
        long modulePfn,
        long modulePages) {

    /** Whether the layout has a xenstore page. */
    public boolean hasStorePage() {
        return storePfn >= 0;
    }

    /** Whether the layout has a console page. */
    public boolean hasConsolePage() {
        return consolePfn >= 0;
    }

    /** The VA of {@code pfn} in the start-of-day mapping, or -1 if that pfn is not mapped. */
    public long vaOfPfn(long pfn) {
        return pfn >= 0 && pfn < mappedPages ? virtBase + (pfn << MachineMemory.PAGE_SHIFT) : -1;
    }
}
