package org.parasol.hypervisor.mm;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * Shadow page tables for one vCPU of a trap-and-emulate or binary-translated domain, as a hypervisor without
 * nested paging (EPT/NPT) keeps them: the guest's own 4-level tables stay authoritative for the
 * guest — it reads back what it wrote, Accessed and Dirty included — while the MMU walks tables
 * the hypervisor derived from them and owns.
 *
 * <h2>Shape</h2>
 * One shadow table per guest table and level, found by (guest MFN, level) in a small
 * open-addressed map, so a guest table reached from two places is shadowed once (as Xen's
 * shadow code keys shadows by guest frame and type). A shadow table is 512 {@code long}s in
 * hypervisor memory — never a machine frame the guest could map:
 * <pre>
 *  upper (L4..L2):  63            12  11    2   1    0
 *                  +----------------+-------+----+---+
 *                  | child index + 1|   0   | RW | P |     RW: the guest entry's RW
 *                  +----------------+-------+----+---+
 *  leaf (L1):      |      MFN       |   0   | W  | P |     W: writes allowed: RW at this level,
 *                  +----------------+-------+----+---+        Dirty set, and not a page table
 *  0: not filled (a miss: the next access is a hidden fault that fills it)
 * </pre>
 * A walk ANDs RW down the upper entries and takes W from the leaf.
 *
 * <h2>Faults the guest never sees</h2>
 * A miss is a {@code #PF} VM exit the hypervisor keeps to itself: it walks the guest's tables
 * from the guest's CR3 ({@code guest_walk_tables}), checks every frame as the PV MMU does
 * (present; no PSE; a frame the domain may map, or a live grant mapping at L1), sets Accessed
 * (and Dirty for a write) in the guest's entries, fills the shadow entries on the way down and
 * resumes the access ({@link #hiddenFaults()}). A guest entry that does not allow the access is
 * the guest's own fault, reflected to it ({@link #reflectedFaults()}). A guest page table is
 * never shadowed writable, whatever maps it: a store into one faults and the trap path
 * validates it ({@code pageTableWrite}), which is how the guest's tables are write-protected.
 * A write to a page that is writable but not yet Dirty faults once more, to set Dirty in the
 * guest's entry. Grant mappings are not shadowed (their entry is read on every TLB miss), so
 * an unmapped grant is never reached through a stale shadow.
 *
 * <h2>Keeping up with the guest</h2>
 * <ul>
 *   <li>The shadowing vCPU's own page-table store ({@link #entryWritten}: trapped under
 *       {@code trap}, called inline by the translated kernel under {@code bt}) updates the
 *       shadow entries of the written slot in place, at whatever level the table is shadowed,
 *       where the new entry can be mirrored as it is; otherwise it drops them, to refill
 *       lazily.</li>
 *   <li>{@code invlpg} drops the leaf of the address in the current shadow
 *       ({@link #invlpg}); {@code mov cr3} switches to the shadow of the new L4, building its
 *       root when there is none ({@link #switchTo}). A CR3 reload keeps the shadows: they
 *       persist across address-space switches.</li>
 *   <li>Any other change to the domain's tables (a hypercall from any vCPU, a grant map or
 *       unmap, another vCPU's trapped store) moves the domain's page-table generation
 *       ({@link DomainPages#pageTableGeneration}); the next walk that sees it move drops every
 *       shadow and refills from the guest ({@link #resyncs()}).</li>
 *   <li>At most {@value #MAX_TABLES} shadow tables; when they run out, all are dropped
 *       ({@link #recycles()}) and refilled as the guest runs, as Xen's shadow pool is recycled.</li>
 * </ul>
 *
 * <h2>What a stale shadow cannot do</h2>
 * Every leaf is checked again when it is used: the frame must still be one the domain may map,
 * and a writable leaf must not have become a page table. So even a shadow that has not yet
 * seen a change can reach only the domain's own frames, never a page table writably.
 *
 * <p>Own thread only (the vCPU's); allocates only when the pool grows by a chunk of
 * {@value #CHUNK} tables.
 */
public final class ShadowPageTables {
    /** Shadow tables a vCPU keeps at most. */
    public static final int MAX_TABLES = 512;
    private static final int CHUNK = 16;
    private static final int ENTRIES = 512;
    private static final long P = 1L;
    private static final long W = 1L << 1;
    /** {@link #propagate}: the guest's entry cannot be mirrored as it is (no shadow entry is -1). */
    private static final long NOT_MIRRORED = -1L;
    private static final int SHIFT = MachineMemory.PAGE_SHIFT;
    private static final long OFFSET = MachineMemory.PAGE_SIZE - 1;
    private static final int MAP_SIZE = MAX_TABLES * 2;
    private static final VarHandle LONG_VH =
            ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    private final FrameTable frames;
    private final MemorySegment machine;
    private final DomainPages pages;
    private final int domid;
    private final long[][] chunks = new long[MAX_TABLES / CHUNK][];
    /** Shadow tables in use: indices 0..used-1. */
    private int used;
    /** (guest MFN << 3 | level) + 1 per slot, 0 = empty; the shadow's index in {@link #values}. */
    private final long[] keys = new long[MAP_SIZE];
    private final int[] values = new int[MAP_SIZE];
    /** The page-table generation the shadows agree with. */
    private long seen;
    /** The guest L4 the current root shadows, and the root's index (-1: none yet). */
    private long rootMfn = -1;
    private int root = -1;
    /** Whether the last successful {@link #walk} allows writes (for the TLB entry). */
    private boolean lastWritable;
    /** The hypervisor's own copies: fills they cause are not exits. */
    private boolean quiet;

    private long hiddenFaults;
    private long reflectedFaults;
    private long fills;
    private long quietFills;
    private long builds;
    private long writeUpdates;
    private long inPlace;
    private long drops;
    private long invlpgs;
    private long resyncs;
    private long recycles;
    private boolean profile;
    private long nanos;

    /** Shadows for a vCPU of {@code pages}' domain over {@code frames}. */
    public ShadowPageTables(FrameTable frames, DomainPages pages) {
        this.frames = Objects.requireNonNull(frames, "frames");
        this.pages = Objects.requireNonNull(pages, "pages");
        this.machine = frames.memory().segment();
        this.domid = pages.domid();
        pages.shadowed(); // every change counts from here on, before the count is read
        this.seen = pages.pageTableGeneration();
    }

    // ---------------------------------------------------------------- the walk

    /**
     * The MMU's walk on a TLB miss, through the shadow of {@code l4} (the guest's CR3): the
     * machine address of {@code va}, or {@code ~errorCode} for the guest's own fault. Fills
     * what is missing from the guest's tables (a hidden fault). {@code va} is canonical and
     * outside the hypervisor's L4 slots.
     */
    long walk(long va, boolean write, long l4) {
        long generation = pages.pageTableGeneration();
        if (generation != seen) {
            dropAll();
            seen = generation;
            resyncs++;
        }
        if (l4 != rootMfn || root < 0) {
            switchTo(l4);
        }
        int t = root;
        boolean rw = true;
        if (t >= 0) {
            for (int level = 4; level > 1; level--) {
                long e = entry(t, PageTableEntry.index(va, level));
                if (e == 0) {
                    return fault(va, write, l4);
                }
                rw &= (e & W) != 0;
                t = (int) (e >>> SHIFT) - 1;
            }
            long leaf = entry(t, PageTableEntry.index(va, 1));
            if (leaf != 0) {
                long mfn = leaf >>> SHIFT;
                boolean writes = rw && (leaf & W) != 0;
                if ((!write || writes) && frames.mayMap(domid, mfn) && (!writes || !isPageTable(mfn))) {
                    lastWritable = writes;
                    return mfn << SHIFT | va & OFFSET;
                }
            }
        }
        return fault(va, write, l4);
    }

    /** The {@code #PF} exit of a shadow miss: filled and hidden, or reflected to the guest. */
    private long fault(long va, boolean write, long l4) {
        long start = profile ? System.nanoTime() : 0;
        long ma = fill(va, write, l4);
        if (quiet) {
            quietFills++;
        } else if (ma >= 0) {
            hiddenFaults++;
        } else {
            reflectedFaults++;
        }
        if (profile) {
            nanos += System.nanoTime() - start;
        }
        return ma;
    }

    /** {@code guest_walk_tables} and the shadow's propagation on the way down. */
    private long fill(long va, boolean write, long l4) {
        int writeBit = write ? VcpuMmu.PF_WRITE : 0;
        if (!frames.mayMap(domid, l4)) {
            return ~(VcpuMmu.PF_PRESENT | writeBit);
        }
        if (used > MAX_TABLES - 4) {
            recycle(); // room for a whole walk: no index taken below is dropped under it
        }
        if (root < 0 || rootMfn != l4) {
            switchTo(l4);
        }
        int s = root;
        long table = l4;
        boolean writable = true;
        boolean grant = false;
        long pte = 0;
        for (int level = 4; level >= 1; level--) {
            int index = PageTableEntry.index(va, level);
            long pteAddr = table << SHIFT | (long) index << 3;
            pte = (long) LONG_VH.getAcquire(machine, pteAddr);
            if ((pte & PageTableEntry.PRESENT) == 0) {
                return ~writeBit;
            }
            if (level > 1 && (pte & PageTableEntry.PSE) != 0) {
                return ~(VcpuMmu.PF_PRESENT | VcpuMmu.PF_RSVD | writeBit);
            }
            long next = PageTableEntry.mfn(pte);
            // We can't trust the guest's tables: only frames the domain may map are reached.
            grant = level == 1 && (pte & PageTableEntry.GNTTAB) != 0 && frames.memory().isValidMfn(next)
                    && frames.refCount(next) > 0;
            if (!frames.mayMap(domid, next) && !grant) {
                return ~(VcpuMmu.PF_PRESENT | writeBit);
            }
            boolean entryRw = (pte & PageTableEntry.RW) != 0;
            if (!entryRw) {
                if (write) {
                    return ~(VcpuMmu.PF_PRESENT | VcpuMmu.PF_WRITE);
                }
                writable = false;
            }
            long set = level == 1 && write ? PageTableEntry.ACCESSED | PageTableEntry.DIRTY : PageTableEntry.ACCESSED;
            if ((pte & set) != set) {
                pte = (long) LONG_VH.getAndBitwiseOr(machine, pteAddr, set) | set;
            }
            if (level > 1) {
                int child = shadowOf(next, level - 1);
                setEntry(s, index, (long) (child + 1) << SHIFT | (entryRw ? W : 0) | P);
                s = child;
            } else {
                boolean pageTable = isPageTable(next);
                if (write && pageTable) {
                    return ~(VcpuMmu.PF_PRESENT | VcpuMmu.PF_WRITE); // write-protected: the trap path's
                }
                boolean writes = writable && entryRw && !pageTable && (pte & PageTableEntry.DIRTY) != 0;
                if (!grant) {
                    setEntry(s, index, next << SHIFT | (entryRw && !pageTable && (pte & PageTableEntry.DIRTY) != 0 ? W : 0)
                            | P);
                }
                fills++;
                lastWritable = writes;
            }
            table = next;
        }
        return table << SHIFT | va & OFFSET;
    }

    private boolean isPageTable(long mfn) {
        return FrameTable.isPageTableType(FrameTable.pageType(frames.typeInfo(mfn)));
    }

    /** Whether the last successful walk allows writes through its translation. */
    boolean lastWritable() {
        return lastWritable;
    }

    // ---------------------------------------------------------------- what the trap path tells us

    /**
     * {@code mov cr3}: the shadow of the L4 at {@code l4} becomes the one the MMU walks, built
     * (empty, filled lazily) if there is none.
     */
    public void switchTo(long l4) {
        if (used > MAX_TABLES - 4) {
            recycle();
        }
        root = shadowOf(l4, 4);
        rootMfn = l4;
    }

    /** {@code invlpg}: drops the shadow leaf of {@code va} in the current shadow, if it has one. */
    public void invlpg(long va) {
        invlpgs++;
        int t = root;
        if (t < 0 || !PageTableEntry.isCanonical(va)) {
            return;
        }
        for (int level = 4; level > 1; level--) {
            long e = entry(t, PageTableEntry.index(va, level));
            if (e == 0) {
                return;
            }
            t = (int) (e >>> SHIFT) - 1;
        }
        setEntry(t, PageTableEntry.index(va, 1), 0L);
    }

    /**
     * The shadowing vCPU's own page-table store (trapped, or called inline by a translated
     * kernel) into the guest table entry at machine address {@code maddr} was validated and
     * written. Each shadow of that table, at whatever level, has the slot brought up to date
     * from the entry now in the guest's table ({@code sh_map_and_validate}):
     * <ul>
     *   <li><em>updated in place</em> ({@link #inPlaceUpdates()}) when the new entry can be
     *       mirrored as it is: not present (the shadow entry is empty, and the next access is
     *       the guest's own fault, as it would be), or present and Accessed, no PSE, a frame
     *       the domain may map (not a grant), and — above L1 — a child table the shadow
     *       already has (none is built here). A leaf gets W as a fill would give it: the entry
     *       writable and Dirty, the frame not a page table;</li>
     *   <li><em>dropped</em> ({@link #drops()}) otherwise, to be refilled by a hidden fault
     *       on the next access, which sets Accessed (and Dirty) as the guest's MMU would.</li>
     * </ul>
     * A slot of a table the shadow does not mirror is left alone. {@code generationBefore} is
     * the domain's page-table generation read before the write: if the write was the only
     * change since, the shadow stays in step with the guest; otherwise the next walk resyncs.
     */
    public void entryWritten(long maddr, long generationBefore) {
        long start = profile ? System.nanoTime() : 0;
        writeUpdates++;
        long mfn = maddr >>> SHIFT;
        int index = (int) ((maddr & OFFSET) >>> 3);
        long pte = (long) LONG_VH.getAcquire(machine, maddr & ~7L); // as validated and written
        for (int level = 1; level <= 4; level++) {
            int s = find(mfn, level);
            if (s >= 0) {
                long now = propagate(pte, level);
                if (now != NOT_MIRRORED) {
                    inPlace++;
                    setEntry(s, index, now);
                } else {
                    drops++;
                    setEntry(s, index, 0L);
                }
            }
        }
        if (seen == generationBefore && pages.pageTableGeneration() == generationBefore + 1) {
            seen = generationBefore + 1;
        }
        if (profile) {
            nanos += System.nanoTime() - start;
        }
    }

    /**
     * The shadow entry mirroring guest entry {@code pte} of a level-{@code level} table (0 for
     * a guest entry that is not present), or {@link #NOT_MIRRORED}.
     */
    private long propagate(long pte, int level) {
        if ((pte & PageTableEntry.PRESENT) == 0) {
            return 0L; // mirrored exactly: the next access is the guest's own #PF, as before the write
        }
        if ((pte & PageTableEntry.ACCESSED) == 0 // the access must fault, to set Accessed
                || level > 1 && (pte & PageTableEntry.PSE) != 0
                || level == 1 && (pte & PageTableEntry.GNTTAB) != 0) {
            return NOT_MIRRORED;
        }
        long next = PageTableEntry.mfn(pte);
        if (!frames.mayMap(domid, next)) {
            return NOT_MIRRORED;
        }
        boolean rw = (pte & PageTableEntry.RW) != 0;
        if (level == 1) {
            boolean w = rw && (pte & PageTableEntry.DIRTY) != 0 && !isPageTable(next);
            return next << SHIFT | (w ? W : 0) | P;
        }
        int child = find(next, level - 1);
        return child < 0 ? NOT_MIRRORED : (long) (child + 1) << SHIFT | (rw ? W : 0) | P;
    }

    /** While on, fills are the hypervisor's own copies' (not exits): set around them by the MMU. */
    void quiet(boolean on) {
        quiet = on;
    }

    // ---------------------------------------------------------------- the pool

    private long entry(int table, int index) {
        return chunks[table / CHUNK][(table % CHUNK) * ENTRIES + index];
    }

    private void setEntry(int table, int index, long value) {
        chunks[table / CHUNK][(table % CHUNK) * ENTRIES + index] = value;
    }

    private static int slotOf(long key) {
        long h = key * 0x9E37_79B9_7F4A_7C15L;
        return (int) (h >>> 40) & (MAP_SIZE - 1);
    }

    private int find(long mfn, int level) {
        long key = (mfn << 3 | level) + 1;
        for (int i = slotOf(key), n = 0; n < MAP_SIZE; i = (i + 1) & (MAP_SIZE - 1), n++) {
            long k = keys[i];
            if (k == key) {
                return values[i];
            }
            if (k == 0) {
                return -1;
            }
        }
        return -1;
    }

    /** The shadow of guest table {@code mfn} at {@code level}, built empty if there is none (room assured by the caller). */
    private int shadowOf(long mfn, int level) {
        long key = (mfn << 3 | level) + 1;
        int i = slotOf(key);
        for (;;) {
            long k = keys[i];
            if (k == key) {
                return values[i];
            }
            if (k == 0) {
                break;
            }
            i = (i + 1) & (MAP_SIZE - 1);
        }
        int t = used++;
        if (chunks[t / CHUNK] == null) {
            chunks[t / CHUNK] = new long[CHUNK * ENTRIES];
        }
        keys[i] = key;
        values[i] = t;
        builds++;
        return t;
    }

    /** Drops every shadow (a resync: the guest's tables changed behind the shadow's back). */
    private void dropAll() {
        for (int c = 0; c * CHUNK < used; c++) {
            Arrays.fill(chunks[c], 0L);
        }
        Arrays.fill(keys, 0L);
        used = 0;
        root = -1;
        rootMfn = -1;
    }

    private void recycle() {
        recycles++;
        dropAll();
    }

    // ---------------------------------------------------------------- counters

    /** Shadow misses fixed up without the guest seeing them: {@code #PF} exits. */
    public long hiddenFaults() {
        return hiddenFaults;
    }

    /** Shadow misses that were the guest's own page faults, reflected to it: {@code #PF} exits too (under trap). */
    public long reflectedFaults() {
        return reflectedFaults;
    }

    /** Shadow leaves filled (by hidden faults and the hypervisor's own copies). */
    public long fills() {
        return fills;
    }

    /** Shadow misses taken by the hypervisor's own copies (instruction fetch, copy_from_guest): no exit. */
    public long quietFills() {
        return quietFills;
    }

    /** Shadow tables built (roots by mov cr3 included). */
    public long builds() {
        return builds;
    }

    /** The vCPU's own page-table stores (trapped or inline) propagated into the shadow. */
    public long writeUpdates() {
        return writeUpdates;
    }

    /** Shadow entries a page-table store updated in place (see {@link #entryWritten}). */
    public long inPlaceUpdates() {
        return inPlace;
    }

    /** Shadow entries a page-table store dropped (its new entry not mirrored as it is), to be refilled by a hidden fault. */
    public long drops() {
        return drops;
    }

    /** {@code invlpg}s applied to the shadow. */
    public long invlpgs() {
        return invlpgs;
    }

    /** Times every shadow was dropped because the guest's tables changed by another path. */
    public long resyncs() {
        return resyncs;
    }

    /** Times the pool ran out and every shadow was dropped. */
    public long recycles() {
        return recycles;
    }

    /** Shadow tables in use now. */
    public int tables() {
        return used;
    }

    /** Turns the shadow's own clock on or off (the bench's per-stage breakdown). */
    public void profile(boolean on) {
        profile = on;
    }

    /** Nanoseconds spent in shadow work since the last call (while profiling), and resets. */
    public long takeNanos() {
        long n = nanos;
        nanos = 0;
        return n;
    }
}
