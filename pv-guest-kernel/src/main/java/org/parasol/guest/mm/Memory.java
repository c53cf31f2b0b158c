package org.parasol.guest.mm;

import org.parasol.guest.pvops.PvOps;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.Mfn;
import org.parasol.hypercall.StartOfDay;
import org.parasol.hypercall.abi.Mmu;

/**
 * The kernel's memory: every frame the domain was built with, in one linear map
 * ({@code va = VIRT_BASE + (pfn << 12)}, as Mini-OS's {@code pfn_to_virt}), handed out in
 * page runs by the {@link PageFrameAllocator}.
 *
 * <pre>
 *  VIRT_BASE                firstFree          mappedEnd                     nrPages
 *  | P2M | start_info | PTs | free, mapped by the builder | not mapped until allocated |
 * </pre>
 *
 * <p>The builder maps only the start-of-day region; the rest of the domain's frames are
 * mapped the first time they are allocated, through {@link PageTables} in lazy MMU mode (one
 * {@code mmu_update} batch for a whole run, new L1 tables included). Allocated pages are
 * zeroed.
 *
 * <p>Invariants: a PFN below {@code mappedEnd}, or marked in {@code mapped}, is mapped
 * writable at its linear address; page-table frames for new tables come from the mapped part,
 * from a reserve set aside at boot large enough to map every frame.
 */
public final class Memory {
    private final GuestMemory mem;
    private final PvOps ops;
    private P2m p2m;
    private final PageTables tables;
    private final PageFrameAllocator frames;
    private final long mappedEnd;
    /** Pages the domain was built with ({@code start_info.nr_pages}). */
    private final long builtPages;
    private final long[] mapped;
    private final long[] tableReserve;
    private int tableReserveCount;
    private long mappedOnDemand;

    /**
     * Memory over {@code p2m}'s frames: those below {@code firstFree} are the start-of-day
     * region, those below {@code mappedEnd} are mapped by the builder.
     */
    public Memory(GuestMemory mem, PvOps ops, P2m p2m, PageTables tables, long firstFree, long mappedEnd) {
        this(mem, ops, p2m, tables, firstFree, mappedEnd, p2m.nrPages());
    }

    /**
     * Memory as above with room for {@code maxPfn} pages (at least {@code p2m}'s): the PFNs
     * from the built size to {@code maxPfn} have no frame behind them and are the balloon's
     * ({@link Balloon}), in use in the allocator until populated. Room for them is made as
     * Linux makes it for its extra memory: a new P2M list of {@code maxPfn} entries in pages
     * of the domain's own, the built entries copied, the rest {@link P2m#INVALID_ENTRY}.
     */
    public Memory(GuestMemory mem, PvOps ops, P2m p2m, PageTables tables, long firstFree, long mappedEnd, long maxPfn) {
        if (maxPfn < p2m.nrPages() || maxPfn > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("maxPfn " + maxPfn + " below the built " + p2m.nrPages() + " pages");
        }
        this.mem = mem;
        this.ops = ops;
        this.p2m = p2m;
        this.tables = tables;
        this.builtPages = p2m.nrPages();
        this.frames = new PageFrameAllocator(maxPfn, firstFree, p2m.nrPages());
        this.mappedEnd = mappedEnd;
        this.mapped = new long[(int) ((maxPfn + 63) >>> 6)];
        for (long p = 0; p < mappedEnd; p++) {
            mapped[(int) (p >>> 6)] |= 1L << (p & 63);
        }
        // Tables for the unmapped rest must come from mapped frames; hold enough of them back
        // now (one L1 per 2 MiB, plus one spare), or allocations could use every mapped frame
        // first and leave none to map the rest with.
        // The balloon's room beyond the built pages is mapped the same way when it is populated.
        long unmapped = maxPfn - mappedEnd;
        this.tableReserve = new long[unmapped <= 0 ? 0 : (int) ((unmapped + Mmu.PT_ENTRIES - 1) / Mmu.PT_ENTRIES) + 1];
        for (int i = 0; i < tableReserve.length; i++) {
            long pfn = frames.allocate(1, mappedEnd);
            if (pfn < 0) {
                break;
            }
            tableReserve[tableReserveCount++] = pfn;
        }
        if (maxPfn > builtPages) {
            extendP2m(maxPfn);
        }
    }

    /** A P2M list of {@code maxPfn} entries in new pages: the built entries, then invalid ones. */
    private void extendP2m(long maxPfn) {
        int pages = (int) ((maxPfn * Long.BYTES + Mmu.PAGE_SIZE - 1) >>> Mmu.PAGE_SHIFT);
        PageRun run = allocatePages(pages);
        for (long p = 0; p < maxPfn; p++) {
            mem.putLong(run.va() + p * Long.BYTES, p < builtPages ? p2m.mfn(p) : P2m.INVALID_ENTRY);
        }
        p2m = new P2m(mem, run.va(), maxPfn);
    }

    /**
     * Finds where the builder's linear map ends: the first PFN from {@code firstFree} whose
     * linear address is not mapped.
     */
    public static long probeMappedEnd(PageTables tables, long firstFree, long nrPages) {
        long p = firstFree;
        while (p < nrPages && tables.isMapped(va(p))) {
            p++;
        }
        return p;
    }

    /** The linear-map address of {@code pfn}. */
    public static long va(long pfn) {
        return StartOfDay.VIRT_BASE + (pfn << Mmu.PAGE_SHIFT);
    }

    /** The PFN of linear-map address {@code va}. */
    public static long pfn(long va) {
        return (va - StartOfDay.VIRT_BASE) >>> Mmu.PAGE_SHIFT;
    }

    /** The P2M list. */
    public P2m p2m() {
        return p2m;
    }

    /** The page tables. */
    public PageTables pageTables() {
        return tables;
    }

    /** The frame allocator. */
    public PageFrameAllocator frames() {
        return frames;
    }

    /** Mapped frames held back at boot for the page tables of the unmapped rest. */
    public int tablesReserved() {
        return tableReserveCount;
    }

    /** Frames mapped after boot, on their first allocation. */
    public long mappedOnDemand() {
        return mappedOnDemand;
    }

    /** The machine frame behind {@code pfn}. */
    public Mfn mfn(long pfn) {
        return Mfn.of(p2m.mfn(pfn));
    }

    /**
     * {@link #mfn}'s number without the handle, for per-frame paths (netback's copy op for a page
     * of a frame in dom0), which allocate nothing; throws as {@link #mfn} does for an entry that
     * names no frame.
     */
    public long mfnValue(long pfn) {
        long m = p2m.mfn(pfn);
        if (m < 0 || m >= Mfn.LIMIT) {
            throw new IllegalArgumentException("pfn " + pfn + ": no machine frame (0x" + Long.toHexString(m) + ")");
        }
        return m;
    }

    /** Whether {@code pfn} is mapped at its linear address. */
    public boolean isMapped(long pfn) {
        return pfn >= 0 && pfn < p2m.nrPages() && (mapped[(int) (pfn >>> 6)] & (1L << (pfn & 63))) != 0;
    }

    /** Pages the domain was built with ({@code start_info.nr_pages}). */
    public long builtPages() {
        return builtPages;
    }

    /** The most pages the kernel has room for: the P2M list's entries. */
    public long maxPfn() {
        return p2m.nrPages();
    }

    /**
     * Hands a page the balloon took from the allocator back to nobody: its linear mapping
     * goes ({@code update_va_mapping} to 0, which drops the mapping's reference to the frame)
     * and its P2M entry becomes invalid, as Linux's balloon does before
     * {@code XENMEM_decrease_reservation}. Returns the machine frame it had.
     */
    long balloonOut(long pfn) {
        long mfn = p2m.mfn(pfn);
        if (isMapped(pfn)) {
            tables.unmap(va(pfn));
            mapped[(int) (pfn >>> 6)] &= ~(1L << (pfn & 63));
        }
        p2m.set(pfn, P2m.INVALID_ENTRY);
        return mfn;
    }

    /**
     * A ballooned page has frame {@code mfn} again ({@code XENMEM_populate_physmap}): its P2M
     * entry is set and the page is free in the allocator, mapped when first allocated.
     */
    void balloonIn(long pfn, long mfn) {
        p2m.set(pfn, mfn);
        frames.free(pfn, 1);
    }

    /**
     * Allocates {@code count} contiguous zeroed pages, mapping any that were never mapped.
     *
     * @throws GuestOutOfMemoryException if no such run is free
     */
    public PageRun allocatePages(int count) {
        long pfn = frames.allocate(count);
        if (pfn < 0) {
            throw new GuestOutOfMemoryException("no run of " + count + " free pages (" + frames.freeFrames() + " free)");
        }
        ensureMapped(pfn, count);
        mem.fill(va(pfn), (long) count << Mmu.PAGE_SHIFT, (byte) 0);
        return new PageRun(pfn, count, va(pfn));
    }

    /** Zeroes {@code length} bytes at {@code va}. */
    public void zero(long va, long length) {
        mem.fill(va, length, (byte) 0);
    }

    /**
     * Makes sure the page tables reach down to an L1 table covering {@code va} (outside the
     * domain's own pages: a window for foreign mappings), taking table frames from the
     * allocator, and returns that L1's machine frame.
     */
    public long ensurePageTable(long va) {
        long l1 = tables.ensureL1(va, this::tableFrame, p2m, StartOfDay.VIRT_BASE);
        ops.flushLazyMmu();
        return l1;
    }

    /** Returns a run from {@link #allocatePages}; it stays mapped for its next use. */
    public void freePages(PageRun run) {
        frames.free(run.pfn(), run.count());
    }

    private void ensureMapped(long pfn, int count) {
        boolean batching = false;
        for (long p = pfn; p < pfn + count; p++) {
            if (isMapped(p)) {
                continue;
            }
            if (!batching) {
                ops.enterLazyMmu();
                batching = true;
            }
            tables.map(va(p), p2m.mfn(p), PageTables.WRITABLE, this::tableFrame, p2m, StartOfDay.VIRT_BASE);
            mapped[(int) (p >>> 6)] |= 1L << (p & 63);
            mappedOnDemand++;
        }
        if (batching) {
            ops.leaveLazyMmu();
        }
    }

    private long tableFrame() {
        if (tableReserveCount > 0) {
            return tableReserve[--tableReserveCount];
        }
        long pfn = frames.allocate(1, mappedEnd);
        if (pfn < 0) {
            throw new GuestOutOfMemoryException("no mapped frame left for a page table");
        }
        if (!isMapped(pfn)) {
            // Ballooned out and back in: below mappedEnd its L1 table is the builder's, so
            // mapping it again takes no table frame.
            tables.map(va(pfn), p2m.mfn(pfn), PageTables.WRITABLE, () -> {
                throw new GuestOutOfMemoryException("no page table for pfn " + pfn);
            }, p2m, StartOfDay.VIRT_BASE);
            ops.flushLazyMmu();
            mapped[(int) (pfn >>> 6)] |= 1L << (pfn & 63);
        }
        return pfn;
    }
}
