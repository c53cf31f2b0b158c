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
    private final P2m p2m;
    private final PageTables tables;
    private final PageFrameAllocator frames;
    private final long mappedEnd;
    private final long[] mapped;
    private final long[] tableReserve;
    private int tableReserveCount;
    private long mappedOnDemand;

    /**
     * Memory over {@code p2m}'s frames: those below {@code firstFree} are the start-of-day
     * region, those below {@code mappedEnd} are mapped by the builder.
     */
    public Memory(GuestMemory mem, PvOps ops, P2m p2m, PageTables tables, long firstFree, long mappedEnd) {
        this.mem = mem;
        this.ops = ops;
        this.p2m = p2m;
        this.tables = tables;
        this.frames = new PageFrameAllocator(p2m.nrPages(), firstFree);
        this.mappedEnd = mappedEnd;
        this.mapped = new long[(int) ((p2m.nrPages() + 63) >>> 6)];
        // Tables for the unmapped rest must come from mapped frames; hold enough of them back
        // now (one L1 per 2 MiB, plus one spare), or allocations could use every mapped frame
        // first and leave none to map the rest with.
        long unmapped = p2m.nrPages() - mappedEnd;
        this.tableReserve = new long[unmapped <= 0 ? 0 : (int) ((unmapped + Mmu.PT_ENTRIES - 1) / Mmu.PT_ENTRIES) + 1];
        for (int i = 0; i < tableReserve.length; i++) {
            long pfn = frames.allocate(1, mappedEnd);
            if (pfn < 0) {
                break;
            }
            tableReserve[tableReserveCount++] = pfn;
        }
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

    /** Whether {@code pfn} is mapped at its linear address. */
    public boolean isMapped(long pfn) {
        return pfn < mappedEnd || (mapped[(int) (pfn >>> 6)] & (1L << (pfn & 63))) != 0;
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
        return pfn;
    }
}
