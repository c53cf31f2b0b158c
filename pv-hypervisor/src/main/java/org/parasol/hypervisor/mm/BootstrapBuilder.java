package org.parasol.hypervisor.mm;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import org.parasol.hypercall.DomId;
import org.parasol.hypercall.StartOfDay;

/**
 * The domain builder's memory half: allocates a new PV domain's frames and lays out its
 * start-of-day address space the way Xen's domain builder does, so that the boot vCPU can
 * start with CR3 pointing at a working set of page tables.
 *
 * <p>Steps, in order:
 * <ol>
 *   <li>Allocate {@code nrPages} frames; PFN {@code i} is the {@code i}-th. Write the P2M list
 *       (the MFN of every PFN, 8 bytes each) and set the M2P entry of every frame. A list of
 *       more than one page is not written here but kept as runs ({@link LazyP2m}) and written
 *       a page at a time when first read, referenced or typed (deviation 38).</li>
 *   <li>Lay out, from {@link #VIRT_BASE} ({@code 0x400000}; VA 0 stays unmapped so that null
 *       pointers fault) and each page-aligned: the P2M list pages, the start_info page, then
 *       in a domctl build the xenstore page ({@link #layOut(FrameTable, DomainPages, long[], long, boolean)}),
 *       then the bootstrap page tables L4, L3, L2s, L1s. {@code VA = VIRT_BASE + (pfn << 12)}.</li>
 *   <li>Map that region plus at least {@link #MIN_PADDING_PAGES} free pages, up to the next
 *       4 MiB boundary (fact sheet §4), or the whole domain if it is smaller. Page-table pages
 *       are mapped read-only, everything else read-write. The remaining pages stay owned but
 *       unmapped.</li>
 *   <li>Leave {@link StartOfDay#SHARED_INFO_VA} unmapped but give it an L1 table: the guest
 *       maps {@code start_info.shared_info} there itself with {@code update_va_mapping}, as on
 *       Xen, and needs no page-table page of its own for it.</li>
 *   <li>Take the references validation would take, as if the L4 had been pinned
 *       ({@code MMUEXT_PIN_L4_TABLE}): every present entry holds a general reference on the
 *       frame it points at; L4/L3/L2 entries hold the L3/L2/L1 type of the table below; writable
 *       L1 entries hold the writable type of their page. Every table is marked validated; the
 *       L4 is pinned (one general and one type reference for the pin). The boot vCPU's CR3 should
 *       take its own reference on the L4 when it loads it.</li>
 * </ol>
 * The builder fills no {@code start_info} field: the caller does, from the {@link BootLayout}.
 */
public final class BootstrapBuilder {
    private BootstrapBuilder() {
    }

    /** The first VA of the start-of-day region (4 MiB). */
    public static final long VIRT_BASE = StartOfDay.VIRT_BASE;
    /**
     * The lowest virtual address the bootstrap L1 tables cover: {@link StartOfDay#SHARED_INFO_VA}
     * (below the region, in the same gigabyte), where the guest maps shared_info with
     * update_va_mapping — which needs an L1 table there.
     */
    static final long L1_BASE_VA = StartOfDay.SHARED_INFO_VA;
    /** Free pages mapped at least after the bootstrap tables (512 KiB). */
    public static final long MIN_PADDING_PAGES = 128;
    /** The mapped region ends on a boundary of this many pages (4 MiB). */
    public static final long ALIGN_PAGES = 1024;

    private static final int PAGE_SHIFT = MachineMemory.PAGE_SHIFT;
    private static final long TABLE_FLAGS =
            PageTableEntry.PRESENT | PageTableEntry.RW | PageTableEntry.USER;
    private static final long DATA_FLAGS =
            PageTableEntry.PRESENT | PageTableEntry.RW | PageTableEntry.USER;
    private static final long READ_ONLY_FLAGS = PageTableEntry.PRESENT | PageTableEntry.USER;
    private static final ValueLayout.OfLong U64 =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * Allocates {@code nrPages} frames to the domain and builds its start-of-day address space.
     *
     * @param frames        the frame table to allocate from
     * @param pages         the domain's accounting; {@code max_pages} must leave room
     * @param nrPages       the domain's memory in pages
     * @param sharedInfoMfn the domain's shared_info frame, from {@link FrameTable#allocateShared}
     * @return where everything went
     * @throws IllegalArgumentException if {@code nrPages} cannot hold the bootstrap region or
     *                                  {@code sharedInfoMfn} is not shared with the domain
     * @throws IllegalStateException    if the frames cannot be allocated (nothing is kept)
     */
    public static BootLayout build(FrameTable frames, DomainPages pages, long nrPages, long sharedInfoMfn) {
        return build(frames, pages, nrPages, sharedInfoMfn, null);
    }

    /**
     * {@link #build(FrameTable, DomainPages, long, long)} with a boot module (dom0's modules,
     * {@code start_info.mod_start}): its bytes copied into pages right after start_info, mapped
     * read-write and below the page tables, so the guest's allocator never hands them out.
     *
     * @param module the module's bytes, or null or empty for none; its pages are part of the
     *               bootstrap region, which is always mapped
     */
    public static BootLayout build(FrameTable frames, DomainPages pages, long nrPages, long sharedInfoMfn,
            byte[] module) {
        checkShared(frames, pages.domid(), sharedInfoMfn);
        long moduleLen = module == null ? 0 : module.length;
        long modulePages = (moduleLen + MachineMemory.PAGE_SIZE - 1) >>> PAGE_SHIFT;
        Plan plan = plan(nrPages, false, modulePages);
        long[] p2m = allocateAll(frames, pages, (int) nrPages);
        MemorySegment mem = frames.memory().segment();
        for (long i = 0; i < modulePages; i++) {
            // Fresh frames are zero: only the module's bytes need copying, page by page (the
            // frames are not machine-contiguous).
            long from = i << PAGE_SHIFT;
            long n = Math.min(MachineMemory.PAGE_SIZE, moduleLen - from);
            MemorySegment.copy(MemorySegment.ofArray(module), from, mem,
                    MachineMemory.maddr(p2m[(int) (plan.modulePfn() + i)]), n);
        }
        return layOut(frames, pages, p2m, sharedInfoMfn, plan);
    }

    /**
     * Steps 1 to 5 over frames the domain already owns — the domctl build, where
     * XENMEM_populate_physmap gave PFN {@code i} the frame {@code p2m[i]} — instead of
     * allocating them. The caller checked them with {@link #populatedP2m} and {@link #fits}.
     *
     * @throws IllegalArgumentException if the frames cannot hold the bootstrap region or
     *                                  {@code sharedInfoMfn} is not shared with the domain
     */
    public static BootLayout layOut(FrameTable frames, DomainPages pages, long[] p2m, long sharedInfoMfn) {
        return layOut(frames, pages, p2m, sharedInfoMfn, false);
    }

    /**
     * {@link #layOut(FrameTable, DomainPages, long[], long)}, with a xenstore page and a console
     * page right after start_info when {@code storePage}: pages of the domain's own, mapped
     * read-write and still zero, below the page tables (so below where the guest's allocator
     * starts), as libxenguest places its special pages ({@code xenstore_pfn}, then
     * {@code console_pfn}, after {@code start_info_pfn}).
     */
    public static BootLayout layOut(FrameTable frames, DomainPages pages, long[] p2m, long sharedInfoMfn,
            boolean storePage) {
        checkShared(frames, pages.domid(), sharedInfoMfn);
        return layOut(frames, pages, p2m, sharedInfoMfn, plan(p2m.length, storePage, 0));
    }

    /** Whether {@code nrPages} pages can hold the start-of-day region (without a store page). */
    public static boolean fits(long nrPages) {
        return fits(nrPages, false);
    }

    /** Whether {@code nrPages} pages can hold the start-of-day region, with a store page if asked. */
    public static boolean fits(long nrPages, boolean storePage) {
        try {
            plan(nrPages, storePage, 0);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * The P2M of a domain whose memory XENMEM_populate_physmap gave it, read back from the
     * M2P table: {@code p2m[pfn]} for every PFN {@code 0 .. tot_pages-1}. Null unless every
     * frame the domain owns has a distinct PFN in that range, and is fresh — only its
     * allocation reference, no type — so that laying it out cannot fail half-way.
     */
    public static long[] populatedP2m(FrameTable frames, DomainPages pages) {
        long tot = pages.totPages();
        if (tot <= 0 || tot > Integer.MAX_VALUE) {
            return null;
        }
        long[] p2m = new long[(int) tot];
        java.util.Arrays.fill(p2m, -1);
        long seen = frames.fillP2m(pages.domid(), p2m);
        return seen == tot ? p2m : null;
    }

    private static void checkShared(FrameTable frames, int domid, long sharedInfoMfn) {
        if (frames.owner(sharedInfoMfn) != DomId.DOMID_XEN || frames.sharedWith(sharedInfoMfn) != domid) {
            throw new IllegalArgumentException("mfn " + sharedInfoMfn + " is not a page shared with d" + domid);
        }
    }

    /** Where each part of the region goes for {@code nrPages} pages, before any frame is touched. */
    private record Plan(long nrPages, long p2mFrames, long startInfoPfn, long storePfn, long consolePfn, long modulePfn,
            long modulePages, long firstPtPfn, long nrPt, long mappedPages, long l3s, long l2s, long l1s) {
    }

    private static Plan plan(long nrPages, boolean storePage, long modulePages) {
        if (nrPages <= 0 || nrPages > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("nr_pages out of range: " + nrPages);
        }
        if (modulePages < 0 || modulePages > nrPages) {
            throw new IllegalArgumentException("a module of " + modulePages + " pages does not fit " + nrPages + " pages");
        }
        // Layout: the page-table count depends on how much is mapped, which depends on it.
        long p2mFrames = (nrPages * 8 + MachineMemory.PAGE_SIZE - 1) >>> PAGE_SHIFT;
        long startInfoPfn = p2mFrames;
        // A domctl build's special pages: the store's, then the console's (libxc's order).
        long specials = storePage ? 2 : 0;
        long storePfn = storePage ? startInfoPfn + 1 : -1;
        long consolePfn = storePage ? startInfoPfn + 2 : -1;
        long modulePfn = modulePages > 0 ? startInfoPfn + 1 + specials : -1;
        long firstPtPfn = startInfoPfn + 1 + specials + modulePages;
        long nrPt = 4;
        long mappedPages;
        long l3s;
        long l2s;
        long l1s;
        for (;;) {
            long regionPages = firstPtPfn + nrPt;
            if (regionPages > nrPages) {
                throw new IllegalArgumentException("a domain of " + nrPages
                        + " pages cannot hold its " + regionPages + "-page bootstrap region");
            }
            mappedPages = Math.min(nrPages, roundUp(regionPages + MIN_PADDING_PAGES, ALIGN_PAGES));
            long last = VIRT_BASE + (mappedPages << PAGE_SHIFT) - 1; // the last mapped byte
            l1s = (last >>> 21) - (L1_BASE_VA >>> 21) + 1; // from the shared_info page's 2 MiB up
            l2s = (last >>> 30) - (VIRT_BASE >>> 30) + 1;
            l3s = (last >>> 39) - (VIRT_BASE >>> 39) + 1;
            long need = 1 + l3s + l2s + l1s;
            if (need <= nrPt) {
                break;
            }
            nrPt = need;
        }
        return new Plan(nrPages, p2mFrames, startInfoPfn, storePfn, consolePfn, modulePfn, modulePages, firstPtPfn, nrPt,
                mappedPages,
                l3s, l2s, l1s);
    }

    private static BootLayout layOut(FrameTable frames, DomainPages pages, long[] p2m, long sharedInfoMfn,
            Plan plan) {
        int domid = pages.domid();
        long nrPages = plan.nrPages();
        long p2mFrames = plan.p2mFrames();
        long startInfoPfn = plan.startInfoPfn();
        long firstPtPfn = plan.firstPtPfn();
        long nrPt = plan.nrPt();
        long mappedPages = plan.mappedPages();
        long l3s = plan.l3s();
        long l2s = plan.l2s();
        long l1s = plan.l1s();
        long firstL3Pfn = firstPtPfn + 1;
        long firstL2Pfn = firstL3Pfn + l3s;
        long firstL1Pfn = firstL2Pfn + l2s;
        long firstFreePfn = firstPtPfn + nrPt;
        long mappedEnd = VIRT_BASE + (mappedPages << PAGE_SHIFT);
        long sharedInfoVa = StartOfDay.SHARED_INFO_VA;

        MemorySegment mem = frames.memory().segment();

        // 1. The P2M list and the M2P entries, the latter a run of consecutive frames at a time
        //    (a 2 MiB extent keeps its frame state uniform; the M2P table's pages are written
        //    only when a guest first reads them). A list of more than one page whose frames
        //    come in few machine-contiguous runs is kept as those runs and written a page at a
        //    time when first seen (deferred below, once its frames hold their references);
        //    any other is written now, whole: the host backs its frames with one call per
        //    machine-contiguous run, not a page fault per frame.
        LazyP2m lazy = p2mFrames >= LAZY_P2M_MIN_FRAMES && !frames.p2mWrittenAtBuild()
                ? LazyP2m.of(domid, p2m, p2mFrames) : null;
        if (lazy == null) {
            writeP2m(frames, p2m, p2mFrames);
        }
        for (int pfn = 0; pfn < nrPages; ) {
            int run = 1;
            while (pfn + run < nrPages && p2m[pfn + run] == p2m[pfn] + run) {
                run++;
            }
            frames.setM2pRun(p2m[pfn], pfn, run);
            pfn += run;
        }

        // 2. The tables: upper levels first, then every mapped page.
        long l4Mfn = p2m[(int) firstPtPfn];
        for (long i = 0; i < l3s; i++) {
            long va = ((VIRT_BASE >>> 39) + i) << 39;
            writeEntry(mem, l4Mfn, va, 4, p2m[(int) (firstL3Pfn + i)], TABLE_FLAGS);
        }
        for (long i = 0; i < l2s; i++) {
            long va = ((VIRT_BASE >>> 30) + i) << 30;
            long l3 = p2m[(int) (firstL3Pfn + ((va >>> 39) - (VIRT_BASE >>> 39)))];
            writeEntry(mem, l3, va, 3, p2m[(int) (firstL2Pfn + i)], TABLE_FLAGS);
        }
        for (long i = 0; i < l1s; i++) {
            long va = ((L1_BASE_VA >>> 21) + i) << 21;
            long l2 = p2m[(int) (firstL2Pfn + ((va >>> 30) - (VIRT_BASE >>> 30)))];
            writeEntry(mem, l2, va, 2, p2m[(int) (firstL1Pfn + i)], TABLE_FLAGS);
        }
        for (long pfn = 0; pfn < mappedPages; pfn++) {
            long va = VIRT_BASE + (pfn << PAGE_SHIFT);
            boolean pageTable = pfn >= firstPtPfn && pfn < firstFreePfn;
            writeEntry(mem, l1Of(p2m, firstL1Pfn, va), va, 1, p2m[(int) pfn],
                    pageTable ? READ_ONLY_FLAGS : DATA_FLAGS);
        }

        // 3. References and types, as pinning the L4 would take them.
        for (long i = 0; i < l3s; i++) {
            take(frames, domid, p2m[(int) (firstL3Pfn + i)], FrameTable.PGT_L3_PAGE_TABLE);
        }
        for (long i = 0; i < l2s; i++) {
            take(frames, domid, p2m[(int) (firstL2Pfn + i)], FrameTable.PGT_L2_PAGE_TABLE);
        }
        for (long i = 0; i < l1s; i++) {
            take(frames, domid, p2m[(int) (firstL1Pfn + i)], FrameTable.PGT_L1_PAGE_TABLE);
        }
        for (long pfn = firstPtPfn; pfn < firstFreePfn; pfn++) {
            take(frames, domid, p2m[(int) pfn], FrameTable.PGT_NONE); // mapped read-only
        }
        // The data pages a machine-contiguous run at a time: their frame state stays uniform
        // ("mapped at start of day") a block at a time.
        takeWritable(frames, domid, p2m, 0, firstPtPfn);
        takeWritable(frames, domid, p2m, firstFreePfn, mappedPages);
        for (long pfn = firstPtPfn; pfn < firstFreePfn; pfn++) {
            frames.setValidated(p2m[(int) pfn]);
        }
        if (!frames.pin(l4Mfn, FrameTable.PGT_L4_PAGE_TABLE, domid) || !frames.setValidated(l4Mfn)) {
            throw new IllegalStateException("cannot pin the bootstrap L4 of d" + domid);
        }
        if (lazy != null) {
            frames.deferP2m(pages, lazy);
        }

        return new BootLayout(
                VIRT_BASE, nrPages,
                VIRT_BASE, 0, p2mFrames,
                VIRT_BASE + (startInfoPfn << PAGE_SHIFT), startInfoPfn, p2m[(int) startInfoPfn],
                VIRT_BASE + (firstPtPfn << PAGE_SHIFT), l4Mfn, nrPt,
                VIRT_BASE + (firstFreePfn << PAGE_SHIFT), firstFreePfn,
                mappedEnd, mappedPages,
                sharedInfoVa, sharedInfoMfn,
                plan.storePfn(), plan.storePfn() >= 0 ? p2m[(int) plan.storePfn()] : -1,
                plan.consolePfn(), plan.consolePfn() >= 0 ? p2m[(int) plan.consolePfn()] : -1,
                plan.modulePfn(), plan.modulePages());
    }

    /**
     * A P2M list spanning at least this many pages is written lazily (deviation 38); a
     * one-page list, a domain of 2 MiB or less, is written at build as before: its page sits
     * in the block of frames the start of day details anyway, and a lazy list costs heap.
     */
    static final long LAZY_P2M_MIN_FRAMES = 2;

    /** The whole P2M list, now: every PFN's MFN into the list's frames, backed first. */
    private static void writeP2m(FrameTable frames, long[] p2m, long p2mFrames) {
        MemorySegment mem = frames.memory().segment();
        for (int pfn = 0; pfn < p2mFrames; ) {
            int run = 1;
            while (pfn + run < p2mFrames && p2m[pfn + run] == p2m[pfn] + run) {
                run++;
            }
            frames.memory().populate(p2m[pfn], run);
            pfn += run;
        }
        for (int pfn = 0; pfn < p2m.length; pfn++) {
            mem.set(U64, MachineMemory.maddr(p2m[pfn >>> 9]) + 8L * (pfn & 511), p2m[pfn]);
        }
    }

    /**
     * {@code nrPages} frames for PFNs {@code 0 .. nrPages-1}: 2 MiB extents (512 machine-contiguous
     * frames each, {@link FrameTable#allocateExtent}) while they last, single frames for the
     * rest, as Xen's domain builder asks for superpages first.
     */
    private static long[] allocateAll(FrameTable frames, DomainPages pages, int nrPages) {
        long[] p2m = new long[nrPages];
        int pfn = 0;
        boolean extents = true;
        while (pfn < nrPages) {
            long mfn = -1;
            int n = 1;
            if (extents && nrPages - pfn >= EXTENT_FRAMES) {
                mfn = frames.allocateExtent(pages, EXTENT_ORDER);
                n = EXTENT_FRAMES;
                if (mfn < 0) {
                    extents = false; // no aligned run left: frame by frame from here
                    continue;
                }
            } else {
                mfn = frames.allocate(pages);
            }
            if (mfn < 0) {
                for (int undo = 0; undo < pfn; undo++) {
                    frames.putPageAllocRef(p2m[undo]);
                }
                throw new IllegalStateException("cannot allocate " + nrPages + " pages to d" + pages.domid()
                        + ": " + frames.freeFrames() + " free, tot_pages " + pages.totPages()
                        + " of max_pages " + pages.maxPages());
            }
            for (int k = 0; k < n; k++) {
                p2m[pfn + k] = mfn + k;
            }
            pfn += n;
        }
        return p2m;
    }

    /** The order of the extents {@link #allocateAll} asks for first: 2 MiB, an x86 superpage. */
    private static final int EXTENT_ORDER = 9;
    private static final int EXTENT_FRAMES = 1 << EXTENT_ORDER;

    private static long roundUp(long value, long to) {
        return (value + to - 1) / to * to;
    }

    private static long l1Of(long[] p2m, long firstL1Pfn, long va) {
        return p2m[(int) (firstL1Pfn + ((va >>> 21) - (L1_BASE_VA >>> 21)))];
    }

    private static void writeEntry(MemorySegment mem, long tableMfn, long va, int level, long mfn, long flags) {
        long at = MachineMemory.maddr(tableMfn) + 8L * PageTableEntry.index(va, level);
        mem.set(U64, at, PageTableEntry.make(mfn, flags));
    }

    /** What a writable L1 entry holds, on the frames of PFNs {@code from .. to-1}. */
    private static void takeWritable(FrameTable frames, int domid, long[] p2m, long from, long to) {
        for (int pfn = (int) from; pfn < to; ) {
            int run = 1;
            while (pfn + run < to && p2m[pfn + run] == p2m[pfn] + run) {
                run++;
            }
            if (!frames.getPagesWritable(p2m[pfn], run, domid)) {
                throw new IllegalStateException("cannot map mfns " + p2m[pfn] + "+" + run + " writable for d" + domid);
            }
            pfn += run;
        }
    }

    /** A general reference on {@code mfn} and, unless {@code PGT_NONE}, a type reference. */
    private static void take(FrameTable frames, int domid, long mfn, int type) {
        if (!frames.getPage(mfn, domid)) {
            throw new IllegalStateException("cannot reference mfn " + mfn + " for d" + domid);
        }
        if (type != FrameTable.PGT_NONE && !frames.getPageType(mfn, type)) {
            throw new IllegalStateException("cannot type mfn " + mfn + " as " + type + " for d" + domid);
        }
    }
}
