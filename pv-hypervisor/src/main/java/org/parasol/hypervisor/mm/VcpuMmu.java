package org.parasol.hypervisor.mm;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.Arrays;
import java.util.Objects;
import org.parasol.hypercall.GuestAbort;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.abi.Mmu;

/**
 * One vCPU's software MMU: the {@link GuestMemory} its guest kernel uses, and the
 * {@code copy_from_guest}/{@code copy_to_guest} the hypervisor uses on its behalf.
 *
 * <h2>An access, step by step</h2>
 * <ol>
 *   <li>The caller must be the vCPU's own thread, else {@link MmuContext#wrongThread()}.</li>
 *   <li>The vCPU's poll word ({@link PollWord}, owned by the vCPU) is read with one opaque
 *       load. Non-zero: the vCPU passes a safe point ({@link MmuContext#safePoint()}), where
 *       a flush request empties this TLB ({@link #flushForRequests()}) and the other bits end
 *       the time slice or the domain.</li>
 *   <li>The virtual page is looked up in a direct-mapped software TLB of
 *       {@value #TLB_ENTRIES} entries. On a miss the guest's own 4-level page tables are walked
 *       from {@link MmuContext#baseMfn()}: present and writable are enforced at every level,
 *       Accessed is set on every entry used, Dirty on the L1 entry at the first write, with
 *       atomic ORs as the hardware does. Every frame reached — tables and data — must be one
 *       the domain may map ({@link FrameTable#mayMap}), whatever the entry says, or the
 *       frame of a grant mapping (an L1 entry map_grant_ref wrote).</li>
 *   <li>A fault calls {@link MmuContext#pageFault(long, int)}, which runs the guest's handler,
 *       and the access is tried again from step 1. The error code has {@link #PF_WRITE} for
 *       writes and {@link #PF_PRESENT} when an entry was present but the access not allowed
 *       (read-only, or a frame the domain may not map). Two departures from the hardware: a
 *       non-canonical address is a not-present #PF rather than #GP, and a PSE bit in an L2..L4
 *       entry (no superpages for PV guests) is a #PF with {@link #PF_RSVD}. U/S and NX are not
 *       enforced.</li>
 * </ol>
 *
 * <h2>TLB entry</h2>
 * One {@code long}, so that a translation can never be read torn:
 * <pre>
 *  63 62 61                      34 33                        2   1   0
 * +-----+--------------------------+---------------------------+---+---+
 * |  0  |  tag (VPN >> 8, 28 bits) |       MFN (32 bits)       | W | V |
 * +-----+--------------------------+---------------------------+---+---+
 *   slot = VPN & 255    V: valid    W: writes allowed (writable at every level and dirty)
 * </pre>
 * An entry is installed only for the access the walk allowed: a read caches a read-only
 * entry unless the page is writable and already dirty, so the first write still walks and
 * sets Dirty. As on x86, an entry survives a change of the page tables until
 * {@link #flushTlb()}, {@link #invlpg(long)} or an acknowledged {@link #requestFlush()}.
 *
 * <h2>Threads</h2>
 * The TLB and the {@code GuestMemory} methods belong to the vCPU's thread.
 * {@link #nextFlushGeneration}, {@link #flushRequested}, {@link #flushAcked} and
 * {@link #translate} may be called from any thread; the hypervisor-side copies use the TLB on
 * the vCPU's thread and a plain walk elsewhere.
 */
public final class VcpuMmu implements GuestMemory {
    /** #PF error code bit: the page was present, the access was not allowed. */
    public static final int PF_PRESENT = 1;
    /** #PF error code bit: the access was a write. */
    public static final int PF_WRITE = 2;
    /** #PF error code bit: a reserved bit (PSE in a PV page table) was set in an entry. */
    public static final int PF_RSVD = 8;

    /** Entries of the direct-mapped software TLB. */
    public static final int TLB_ENTRIES = 256;
    private static final int TLB_INDEX_BITS = 8;
    private static final int TLB_MASK = TLB_ENTRIES - 1;
    private static final long TLB_VALID = 1L;
    private static final long TLB_WRITABLE = 1L << 1;
    private static final int TLB_MFN_SHIFT = 2;
    private static final long TLB_MFN_MASK = 0xFFFF_FFFFL;
    private static final int TLB_TAG_SHIFT = 34;
    /** 48-bit canonical addresses have 36 bits of virtual page number. */
    private static final long VPN_MASK = (1L << 36) - 1;

    private static final int PAGE_SHIFT = MachineMemory.PAGE_SHIFT;
    private static final long PAGE_MASK = MachineMemory.PAGE_SIZE - 1;

    private static final ValueLayout.OfShort SHORT_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT_LE =
            ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG_LE =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Aligned little-endian views for acquire/release and atomics: (segment, offset). */
    private static final VarHandle BYTE_VH = ValueLayout.JAVA_BYTE.varHandle();
    private static final VarHandle SHORT_VH =
            ValueLayout.JAVA_SHORT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    private static final VarHandle INT_VH =
            ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    private static final VarHandle LONG_VH =
            ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    private static final VarHandle FLUSH_REQUESTED;
    private static final VarHandle FLUSH_ACKED;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            FLUSH_REQUESTED = lookup.findVarHandle(VcpuMmu.class, "flushRequested", long.class);
            FLUSH_ACKED = lookup.findVarHandle(VcpuMmu.class, "flushAcked", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final FrameTable frames;
    private final MemorySegment machine;
    private final MmuContext context;
    private final PollWord pollWord;
    private final int domid;
    /**
     * The vCPU's thread, the only one that may use the TLB and the {@code GuestMemory}
     * methods. Set by the vCPU before that thread runs guest code (a plain field: published
     * by {@code Thread.start}, or set on the thread itself); a foreign thread never sees its
     * own thread here.
     */
    private Thread owner;
    private final long[] tlb = new long[TLB_ENTRIES];

    @SuppressWarnings("unused") // through FLUSH_REQUESTED
    private volatile long flushRequested;
    @SuppressWarnings("unused") // through FLUSH_ACKED
    private volatile long flushAcked;

    /** References waiting for a TLB shootdown (page-table updates made by this vCPU). */
    private final DeferredPuts deferred = new DeferredPuts();
    /** The trap record of the last faulting store; owner thread only. */
    private final TrapRecord trap = new TrapRecord();
    /** The L4 this vCPU's CR3 holds a reference on ({@link PageTables#getBaseRef}), or -1. */
    private long baseRef = -1;

    /** The shadow page tables the walk goes through (a trap-and-emulate vCPU), or null. */
    private ShadowPageTables shadow;

    /** TLB misses (walks); a hit counts nothing, so the hit path stores nothing. */
    private long tlbMisses;
    /** Second machine address of a page-crossing access; owner thread only. */
    private long splitSecond;

    /**
     * Creates the MMU of the vCPU described by {@code context}, whose poll word it reads
     * through {@code pollWord}, with an empty TLB.
     */
    public VcpuMmu(FrameTable frames, MmuContext context, PollWord pollWord) {
        this.frames = Objects.requireNonNull(frames, "frames");
        this.context = Objects.requireNonNull(context, "context");
        this.pollWord = Objects.requireNonNull(pollWord, "pollWord");
        this.machine = frames.memory().segment();
        this.domid = context.domid();
    }

    /**
     * Makes TLB misses on the vCPU's own thread walk {@code shadow} instead of the guest's
     * tables (trap-and-emulate without nested paging). Set once, before the vCPU runs.
     */
    public void useShadow(ShadowPageTables shadow) {
        this.shadow = shadow;
    }

    /** The shadow page tables this MMU walks, or null (it walks the guest's own). */
    public ShadowPageTables shadow() {
        return shadow;
    }

    /** Binds this MMU to the vCPU's thread {@code t}: before {@code t} starts, or on {@code t}. */
    public void setOwner(Thread t) {
        this.owner = t;
    }

    /** Whether the calling thread is the vCPU's own. */
    public boolean onOwnThread() {
        return Thread.currentThread() == owner;
    }

    // ---------------------------------------------------------------------------------------
    // Flush requests (any thread)
    // ---------------------------------------------------------------------------------------

    /**
     * Opens a new flush generation, the first half of a flush request: the requester then
     * raises the flush bit in the vCPU's poll word, in that order, so whoever takes the bit
     * sees this generation (any thread).
     *
     * @return the generation to wait for: the request is done once {@link #flushAcked()}
     *         {@code >=} it
     */
    public long nextFlushGeneration() {
        return (long) FLUSH_REQUESTED.getAndAdd(this, 1L) + 1;
    }

    /** The latest flush generation requested of this vCPU ({@link #requestFlush}'s last result). */
    public long flushRequested() {
        return (long) FLUSH_REQUESTED.getAcquire(this);
    }

    /** The highest flush generation this vCPU has acknowledged; its TLB was emptied after it. */
    public long flushAcked() {
        return (long) FLUSH_ACKED.getAcquire(this);
    }

    /** Empties the TLB ({@code TLB_FLUSH_LOCAL}, a CR3 load). Own thread only. */
    public void flushTlb() {
        checkThread();
        emptyTlb();
    }

    /** Drops the TLB entry of {@code va}'s page ({@code INVLPG_LOCAL}). Own thread only. */
    public void invlpg(long va) {
        checkThread();
        tlb[(int) ((va >>> PAGE_SHIFT) & TLB_MASK)] = 0L;
        if (shadow != null) {
            shadow.invlpg(va);
        }
    }

    /**
     * TLB misses (page-table walks) so far. Counted by the vCPU's thread; another thread may
     * read a stale value. Hits are not counted: the hit path stores nothing.
     */
    public long tlbMisses() {
        return tlbMisses;
    }

    /** References this vCPU's page-table updates still owe a TLB shootdown. */
    public DeferredPuts deferred() {
        return deferred;
    }

    /** The L4 MFN whose CR3 reference this vCPU holds, or -1 if it holds none. */
    public long baseRef() {
        return baseRef;
    }

    /** Records the L4 MFN whose CR3 reference this vCPU now holds (-1 for none). */
    public void setBaseRef(long mfn) {
        this.baseRef = mfn;
    }

    /**
     * Empties the TLB for the flush requests made so far and acknowledges them: what the vCPU
     * does when it takes the flush bit of its poll word. Own thread only; calls no guest code.
     */
    public void flushForRequests() {
        emptyTlb();
    }

    private void emptyTlb() {
        long generation = (long) FLUSH_REQUESTED.getAcquire(this);
        Arrays.fill(tlb, 0L);
        // Every request up to this generation is now satisfied.
        FLUSH_ACKED.setRelease(this, generation);
    }

    // ---------------------------------------------------------------------------------------
    // Translation
    // ---------------------------------------------------------------------------------------

    /** Own-thread check and poll, the prologue of every guest access. */
    private void enter() {
        if (Thread.currentThread() != owner) {
            foreignThread();
        }
        if (pollWord.pending() != 0) {
            context.safePoint();
        }
    }

    private void checkThread() {
        if (Thread.currentThread() != owner) {
            foreignThread();
        }
    }

    private void foreignThread() {
        context.wrongThread();
        throw new GuestAbort("guest memory of d" + domid + " used from a foreign thread");
    }

    /**
     * Machine address of the byte at {@code va}, delivering faults until the access succeeds.
     * The hit is straight-line code; the fault and retry loop is a method of its own
     * ({@link #accessFaulting}), so the JIT compiles no loop with a call in it around every
     * guest load (a loop around a call makes it keep the caller's live values on the stack
     * across each access).
     */
    private long access(long va, boolean write) {
        enter();
        long ma = lookup(va, write);
        if (ma >= 0) {
            return ma;
        }
        return accessFaulting(va, write, ma);
    }

    /** {@link #access}'s slow path: delivers the fault {@code ~firstMiss}, then tries again until the access succeeds. */
    private long accessFaulting(long va, boolean write, long firstMiss) {
        long ma = firstMiss;
        for (;;) {
            context.pageFault(va, (int) ~ma);
            enter();
            ma = lookup(va, write);
            if (ma >= 0) {
                return ma;
            }
        }
    }

    /**
     * Machine address of a store of {@code width} bytes of {@code value} at {@code va}, or -1
     * if the store was emulated instead (a write to one of the guest's own page tables through
     * its read-only mapping, with writable page tables on). Other faults are delivered and the
     * access tried again.
     */
    private long storeAccess(long va, int width, long value) {
        enter();
        long ma = lookup(va, true);
        if (ma >= 0) {
            return ma;
        }
        return storeFaulting(va, width, value, ma);
    }

    /**
     * {@link #storeAccess}'s slow path, out of the hit's way as {@link #accessFaulting} is:
     * emulates or delivers the fault {@code ~firstMiss}, then tries again.
     */
    private long storeFaulting(long va, int width, long value, long firstMiss) {
        long ma = firstMiss;
        for (;;) {
            int errorCode = (int) ~ma;
            if ((errorCode & PF_PRESENT) != 0 && trapStore(errorCode, va, width, value, TrapRecord.STORE, 0)) {
                return -1;
            }
            context.pageFault(va, errorCode);
            enter();
            ma = lookup(va, true);
            if (ma >= 0) {
                return ma;
            }
        }
    }

    /**
     * As {@link #storeAccess} for a locked compare-and-exchange; when it was emulated the
     * value found is in {@link TrapRecord#witness} of {@link #trap}.
     */
    private long cmpxchgAccess(long va, int width, long expected, long value) {
        if ((va & (width - 1)) != 0) {
            misaligned(va, width);
        }
        for (;;) {
            enter();
            long ma = lookup(va, true);
            if (ma >= 0) {
                return ma;
            }
            int errorCode = (int) ~ma;
            if ((errorCode & PF_PRESENT) != 0
                    && trapStore(errorCode, va, width, value, TrapRecord.CMPXCHG, expected)) {
                return -1;
            }
            context.pageFault(va, errorCode);
        }
    }

    /** Builds the trap record of a faulting store and offers it to the vCPU's emulator. */
    private boolean trapStore(int errorCode, long va, int width, long value, int kind, long expected) {
        trap.set(errorCode, va, width, value, kind, expected);
        return context.emulateStore(trap);
    }

    /**
     * Machine addresses of both halves of an access crossing from {@code va}'s page into the
     * next: returns the first, leaves the second in {@link #splitSecond}. Both translations are
     * made with no guest code in between, so a store touches neither page unless both allow it.
     */
    private long accessSplit(long va, boolean write) {
        long next = (va | PAGE_MASK) + 1;
        for (;;) {
            enter();
            long first = lookup(va, write);
            if (first < 0) {
                context.pageFault(va, (int) ~first);
                continue;
            }
            long second = lookup(next, write);
            if (second < 0) {
                context.pageFault(next, (int) ~second);
                continue;
            }
            splitSecond = second;
            return first;
        }
    }

    /** TLB lookup, walking on a miss: the machine address, or {@code ~errorCode}. Own thread. */
    private long lookup(long va, boolean write) {
        if (!PageTableEntry.isCanonical(va)) {
            return ~(write ? PF_WRITE : 0);
        }
        long vpn = (va >>> PAGE_SHIFT) & VPN_MASK;
        int slot = (int) vpn & TLB_MASK;
        long entry = tlb[slot];
        long want = ((vpn >>> TLB_INDEX_BITS) << TLB_TAG_SHIFT) | TLB_VALID | (write ? TLB_WRITABLE : 0);
        long mask = ~(TLB_MFN_MASK << TLB_MFN_SHIFT) & (write ? -1L : ~TLB_WRITABLE);
        if ((entry & mask) == want) {
            return (((entry >>> TLB_MFN_SHIFT) & TLB_MFN_MASK) << PAGE_SHIFT) | (va & PAGE_MASK);
        }
        tlbMisses++;
        return walk(va, write, true);
    }

    /**
     * The TLB hit alone, the fast path of a plain access on the vCPU's own thread: the machine
     * address of {@code va}, or -1 when anything more is needed (a foreign thread, a raised
     * poll word, a non-canonical address, a miss, a write the entry does not allow). Calls
     * nothing and stores nothing; the caller then takes the full path, which checks all of it
     * again and acts ({@link #access}, {@link #storeAccess}).
     */
    private long hit(long va, boolean write) {
        if (Thread.currentThread() != owner || pollWord.pending() != 0 || !PageTableEntry.isCanonical(va)) {
            return -1;
        }
        long vpn = (va >>> PAGE_SHIFT) & VPN_MASK;
        long entry = tlb[(int) vpn & TLB_MASK];
        long want = ((vpn >>> TLB_INDEX_BITS) << TLB_TAG_SHIFT) | TLB_VALID | (write ? TLB_WRITABLE : 0);
        long mask = ~(TLB_MFN_MASK << TLB_MFN_SHIFT) & (write ? -1L : ~TLB_WRITABLE);
        if ((entry & mask) != want) {
            return -1;
        }
        return (((entry >>> TLB_MFN_SHIFT) & TLB_MFN_MASK) << PAGE_SHIFT) | (va & PAGE_MASK);
    }

    /**
     * Walks the guest's page tables for {@code va} (canonical), setting Accessed and Dirty.
     *
     * @param fill install the translation in the TLB (own thread only)
     * @return the machine address, or {@code ~errorCode}
     */
    private long walk(long va, boolean write, boolean fill) {
        int writeBit = write ? PF_WRITE : 0;
        if (PageTables.isXenL4Slot(PageTableEntry.index(va, 4))) {
            return walkXen(va, write, fill);
        }
        if (fill && shadow != null) {
            return walkShadow(va, write);
        }
        long table = context.baseMfn();
        if (!frames.mayMap(domid, table)) {
            return ~(PF_PRESENT | writeBit);
        }
        boolean writable = true;
        long pte = 0;
        for (int level = 4; level >= 1; level--) {
            long pteAddr = (table << PAGE_SHIFT) | ((long) PageTableEntry.index(va, level) << 3);
            // Acquire: the table's contents written before the entry was installed are visible.
            pte = (long) LONG_VH.getAcquire(machine, pteAddr);
            if ((pte & PageTableEntry.PRESENT) == 0) {
                return ~writeBit;
            }
            if (level > 1 && (pte & PageTableEntry.PSE) != 0) {
                return ~(PF_PRESENT | PF_RSVD | writeBit);
            }
            long next = PageTableEntry.mfn(pte);
            // We can't trust the guest's tables: whatever they say, only frames the domain may
            // map are ever reached.
            if (!frames.mayMap(domid, next) && !isGrantMapping(level, pte, next)) {
                return ~(PF_PRESENT | writeBit);
            }
            if ((pte & PageTableEntry.RW) == 0) {
                if (write) {
                    return ~(PF_PRESENT | PF_WRITE);
                }
                writable = false;
            }
            long set = (level == 1 && write) ? (PageTableEntry.ACCESSED | PageTableEntry.DIRTY)
                                             : PageTableEntry.ACCESSED;
            if ((pte & set) != set) {
                LONG_VH.getAndBitwiseOr(machine, pteAddr, set);
            }
            table = next;
        }
        frames.ensureP2mWritten(table); // a page of the P2M list is written before its first reader
        if (fill) {
            boolean writesAllowed = writable && (write || (pte & PageTableEntry.DIRTY) != 0);
            long vpn = (va >>> PAGE_SHIFT) & VPN_MASK;
            tlb[(int) vpn & TLB_MASK] = ((vpn >>> TLB_INDEX_BITS) << TLB_TAG_SHIFT)
                    | (table << TLB_MFN_SHIFT) | (writesAllowed ? TLB_WRITABLE : 0) | TLB_VALID;
        }
        return (table << PAGE_SHIFT) | (va & PAGE_MASK);
    }

    /** A TLB miss through the shadow page tables: the TLB is filled from the shadow's leaf. */
    private long walkShadow(long va, boolean write) {
        long ma = shadow.walk(va, write, context.baseMfn());
        if (ma >= 0) {
            frames.ensureP2mWritten(ma >>> PAGE_SHIFT);
            long vpn = (va >>> PAGE_SHIFT) & VPN_MASK;
            tlb[(int) vpn & TLB_MASK] = ((vpn >>> TLB_INDEX_BITS) << TLB_TAG_SHIFT)
                    | ((ma >>> PAGE_SHIFT) << TLB_MFN_SHIFT) | (shadow.lastWritable() ? TLB_WRITABLE : 0) | TLB_VALID;
        }
        return ma;
    }

    /**
     * A foreign frame is reachable only through a grant mapping: an L1 entry carrying
     * {@link PageTableEntry#GNTTAB}, which only map_grant_ref writes (validation refuses it
     * from the guest, and the walk only follows validated tables), of a frame the grant's pin
     * keeps referenced.
     */
    private boolean isGrantMapping(int level, long pte, long mfn) {
        return level == 1 && (pte & PageTableEntry.GNTTAB) != 0 && frames.memory().isValidMfn(mfn)
                && frames.refCount(mfn) > 0;
    }

    /**
     * The hypervisor-private L4 slots: the read-only M2P table at
     * {@link Mmu#MACH2PHYS_VIRT_START}, nothing else. What the guest's L4 holds in these
     * slots is never read.
     */
    private long walkXen(long va, boolean write, boolean fill) {
        long offset = va - Mmu.MACH2PHYS_VIRT_START;
        long page = offset >>> PAGE_SHIFT;
        if (offset < 0 || page >= frames.machphysFrames()) {
            return ~(write ? PF_WRITE : 0);
        }
        if (write) {
            return ~(PF_PRESENT | PF_WRITE);
        }
        long mfn = frames.machphysPage(page); // written from the frame state at the first read
        if (fill) {
            long vpn = (va >>> PAGE_SHIFT) & VPN_MASK;
            tlb[(int) vpn & TLB_MASK] = ((vpn >>> TLB_INDEX_BITS) << TLB_TAG_SHIFT)
                    | (mfn << TLB_MFN_SHIFT) | TLB_VALID;
        }
        return (mfn << PAGE_SHIFT) | (va & PAGE_MASK);
    }

    /**
     * The hypervisor's own walk: the machine address {@code va} maps to for a read or a write,
     * setting Accessed (and Dirty for a write) as the hardware would, or -1. Never delivers a
     * fault and neither reads nor fills the TLB, so it sees the page tables as they are now.
     * Any thread.
     */
    public long translate(long va, boolean write) {
        if (!PageTableEntry.isCanonical(va)) {
            return -1;
        }
        long ma = walk(va, write, false);
        return ma < 0 ? -1 : ma;
    }

    /** Own thread: the TLB, as the hardware MMU would; other threads: a walk. */
    private long hypervisorLookup(long va, boolean write, boolean ownThread) {
        if (ownThread) {
            if (shadow == null) {
                return lookup(va, write);
            }
            shadow.quiet(true); // the hypervisor's own access: a software walk, no exit
            try {
                return lookup(va, write);
            } finally {
                shadow.quiet(false);
            }
        }
        return PageTableEntry.isCanonical(va) ? walk(va, write, false) : -1;
    }

    // ---------------------------------------------------------------------------------------
    // Hypervisor-side copies (copy_from_guest / copy_to_guest / clear_guest)
    // ---------------------------------------------------------------------------------------

    /**
     * {@code copy_from_guest}: copies {@code length} bytes at guest {@code va} into
     * {@code dst}. Never delivers a fault.
     *
     * @return false if any byte of the range is not readable (the hypercall answers
     *         {@code -EFAULT}); {@code dst} may then hold part of the data
     */
    public boolean copyFromGuest(long va, MemorySegment dst, long dstOffset, long length) {
        if (!guestRangeOk(va, length)) {
            return false;
        }
        Objects.checkFromIndexSize(dstOffset, length, dst.byteSize());
        boolean own = Thread.currentThread() == owner;
        if (length > 0 && length <= SMALL_COPY && (va & PAGE_MASK) + length <= MachineMemory.PAGE_SIZE) {
            // A hypercall's structure, within one page: one translation, a few word copies.
            long ma = hypervisorLookup(va, false, own);
            if (ma < 0) {
                return false;
            }
            copyInSmall(ma, dst, dstOffset, length);
            return true;
        }
        long done = 0;
        while (done < length) {
            long cur = va + done;
            long ma = hypervisorLookup(cur, false, own);
            if (ma < 0) {
                return false;
            }
            long n = Math.min(length - done, MachineMemory.PAGE_SIZE - (cur & PAGE_MASK));
            MemorySegment.copy(machine, ma, dst, dstOffset + done, n);
            done += n;
        }
        return true;
    }

    /**
     * The translation {@link #copyFromGuest} ({@code write} false) or {@link #copyToGuest}
     * ({@code write} true) would use for the byte at guest {@code va}, on the vCPU's own thread
     * only: the machine address, or -1 for a refused pointer, a page not mapped for that
     * access, or another thread. Through the TLB, as those copies go, so a handler that keeps
     * it for the rest of its hypercall sees what its copies would: the vCPU acknowledges no
     * flush inside a hypercall, so a TLB entry, and a page it maps, outlive the call.
     */
    public long hypervisorAddress(long va, boolean write) {
        if (Thread.currentThread() != owner || !accessOk(va)) {
            return -1;
        }
        long ma = hypervisorLookup(va, write, true);
        return ma < 0 ? -1 : ma;
    }

    /**
     * {@code __copy_field_to_guest} of a 16-bit field through a translation
     * {@link #hypervisorAddress} gave for a write, whose page holds both bytes (a
     * {@code GNTTABOP_copy} element's {@code status}): one store into machine memory.
     */
    public void putShortAt(long ma, short value) {
        machine.set(SHORT_LE, ma, value);
    }

    /** Copies at or below this many bytes within one page take {@link #copyInSmall} and {@link #copyOutSmall}. */
    private static final long SMALL_COPY = 64;

    /**
     * Copies {@code n} ({@code <=} {@link #SMALL_COPY}) bytes of machine memory at {@code ma}
     * into {@code dst} word by word: for the few bytes of a hypercall's structure,
     * {@code MemorySegment.copy}'s fixed cost (both segments' checks, the overlap test, the bulk
     * loop) is several times the copy's. One method per direction, so that each access site
     * sees one kind of segment (machine memory on one side, the caller's scratch on the other)
     * and the JIT compiles it for that kind alone. The bounds were checked by the caller; each
     * access checks them again.
     */
    private void copyInSmall(long ma, MemorySegment dst, long dstOffset, long n) {
        MemorySegment m = machine;
        long i = 0;
        for (; i + 8 <= n; i += 8) {
            dst.set(LONG_LE, dstOffset + i, m.get(LONG_LE, ma + i));
        }
        if (i + 4 <= n) {
            dst.set(INT_LE, dstOffset + i, m.get(INT_LE, ma + i));
            i += 4;
        }
        for (; i < n; i++) {
            dst.set(ValueLayout.JAVA_BYTE, dstOffset + i, m.get(ValueLayout.JAVA_BYTE, ma + i));
        }
    }

    /** As {@link #copyInSmall}, the other way: {@code n} bytes of {@code src} to machine address {@code ma}. */
    private void copyOutSmall(MemorySegment src, long srcOffset, long ma, long n) {
        MemorySegment m = machine;
        long i = 0;
        for (; i + 8 <= n; i += 8) {
            m.set(LONG_LE, ma + i, src.get(LONG_LE, srcOffset + i));
        }
        if (i + 4 <= n) {
            m.set(INT_LE, ma + i, src.get(INT_LE, srcOffset + i));
            i += 4;
        }
        for (; i < n; i++) {
            m.set(ValueLayout.JAVA_BYTE, ma + i, src.get(ValueLayout.JAVA_BYTE, srcOffset + i));
        }
    }

    /**
     * {@code copy_to_guest}: copies {@code length} bytes of {@code src} to guest {@code va}.
     * Never delivers a fault; every page must be mapped writable.
     *
     * @return false if any page of the range is not writable ({@code -EFAULT}); the pages
     *         before it may already have been written, as on Xen
     */
    public boolean copyToGuest(MemorySegment src, long srcOffset, long va, long length) {
        if (!guestRangeOk(va, length)) {
            return false;
        }
        Objects.checkFromIndexSize(srcOffset, length, src.byteSize());
        boolean own = Thread.currentThread() == owner;
        if (length > 0 && length <= SMALL_COPY && (va & PAGE_MASK) + length <= MachineMemory.PAGE_SIZE) {
            long ma = hypervisorLookup(va, true, own);
            if (ma < 0) {
                return false;
            }
            copyOutSmall(src, srcOffset, ma, length);
            return true;
        }
        long done = 0;
        while (done < length) {
            long cur = va + done;
            long ma = hypervisorLookup(cur, true, own);
            if (ma < 0) {
                return false;
            }
            long n = Math.min(length - done, MachineMemory.PAGE_SIZE - (cur & PAGE_MASK));
            MemorySegment.copy(src, srcOffset + done, machine, ma, n);
            done += n;
        }
        return true;
    }

    /**
     * {@code clear_guest}: zeroes {@code length} bytes at guest {@code va}. Never delivers a
     * fault.
     *
     * @return false if any page of the range is not writable ({@code -EFAULT})
     */
    public boolean clearGuest(long va, long length) {
        if (!guestRangeOk(va, length)) {
            return false;
        }
        boolean own = Thread.currentThread() == owner;
        long done = 0;
        while (done < length) {
            long cur = va + done;
            long ma = hypervisorLookup(cur, true, own);
            if (ma < 0) {
                return false;
            }
            long n = Math.min(length - done, MachineMemory.PAGE_SIZE - (cur & PAGE_MASK));
            fillMachine(ma, n, (byte) 0);
            done += n;
        }
        return true;
    }

    /**
     * A guest range the hypervisor may copy: its length is not negative, and a range that is
     * not empty does not wrap and starts where Xen's {@link #accessOk} allows, so a pointer into
     * the reserved range is refused for reads (which the read-only M2P mapping would otherwise
     * serve) as for writes. Nothing is copied for an empty range, which succeeds wherever it
     * points, as Xen's copies of 0 bytes do.
     */
    private static boolean guestRangeOk(long va, long length) {
        return length == 0 || length > 0 && accessOk(va) && Long.compareUnsigned(va + (length - 1), va) >= 0;
    }

    /**
     * Xen's {@code access_ok} for a 64-bit PV guest pointer ({@code __addr_ok}): it must start
     * below the non-canonical hole (bit 47 clear) or at or above {@code HYPERVISOR_VIRT_END}.
     * Anything in the hole, the hypervisor's reserved L4 slots 256..271 included, is refused;
     * a range that starts below the hole and runs into it faults at the first non-canonical
     * address, as on Xen.
     */
    public static boolean accessOk(long va) {
        return Long.compareUnsigned(va, 1L << 47) < 0 || Long.compareUnsigned(va, Mmu.HYPERVISOR_VIRT_END) >= 0;
    }

    private void fillMachine(long ma, long n, byte value) {
        long pattern = (value & 0xFFL) * 0x0101_0101_0101_0101L;
        long p = ma;
        long end = ma + n;
        while (p < end && (p & 7) != 0) {
            machine.set(ValueLayout.JAVA_BYTE, p++, value);
        }
        while (end - p >= 8) {
            machine.set(LONG_LE, p, pattern);
            p += 8;
        }
        while (p < end) {
            machine.set(ValueLayout.JAVA_BYTE, p++, value);
        }
    }

    // ---------------------------------------------------------------------------------------
    // GuestMemory: plain accesses (any alignment; split per page)
    // ---------------------------------------------------------------------------------------

    private static boolean crosses(long va, int size) {
        return (va & PAGE_MASK) > MachineMemory.PAGE_SIZE - size;
    }

    private long loadSplit(long va, int size) {
        long first = accessSplit(va, false);
        long second = splitSecond;
        int inFirst = (int) (MachineMemory.PAGE_SIZE - (va & PAGE_MASK));
        long value = 0;
        for (int i = 0; i < size; i++) {
            long ma = i < inFirst ? first + i : second + (i - inFirst);
            value |= (machine.get(ValueLayout.JAVA_BYTE, ma) & 0xFFL) << (8 * i);
        }
        return value;
    }

    private void storeSplit(long va, long value, int size) {
        long first = accessSplit(va, true);
        long second = splitSecond;
        int inFirst = (int) (MachineMemory.PAGE_SIZE - (va & PAGE_MASK));
        for (int i = 0; i < size; i++) {
            long ma = i < inFirst ? first + i : second + (i - inFirst);
            machine.set(ValueLayout.JAVA_BYTE, ma, (byte) (value >>> (8 * i)));
        }
    }

    /*
     * Each plain access tries the TLB hit first (hit: no call, no loop), and takes the full
     * path (the entry checks with their safe point, the walk, faults, page-crossing halves)
     * for anything else. The full path checks everything again, so the hit decides nothing
     * the full path would decide otherwise.
     */

    @Override
    public byte getByte(long va) {
        long ma = hit(va, false);
        if (ma >= 0) {
            return machine.get(ValueLayout.JAVA_BYTE, ma);
        }
        return machine.get(ValueLayout.JAVA_BYTE, access(va, false));
    }

    @Override
    public void putByte(long va, byte value) {
        long ma = hit(va, true);
        if (ma < 0) {
            ma = storeAccess(va, 1, value);
        }
        if (ma >= 0) {
            machine.set(ValueLayout.JAVA_BYTE, ma, value);
        }
    }

    @Override
    public short getShort(long va) {
        long ma = within(va, 2) ? hit(va, false) : -1;
        if (ma >= 0) {
            return machine.get(SHORT_LE, ma);
        }
        return getShortSlow(va);
    }

    private short getShortSlow(long va) {
        if (crosses(va, 2)) {
            return (short) loadSplit(va, 2);
        }
        return machine.get(SHORT_LE, access(va, false));
    }

    @Override
    public void putShort(long va, short value) {
        long ma = within(va, 2) ? hit(va, true) : -1;
        if (ma >= 0) {
            machine.set(SHORT_LE, ma, value);
            return;
        }
        putSlow(va, value, 2);
    }

    @Override
    public int getInt(long va) {
        long ma = within(va, 4) ? hit(va, false) : -1;
        if (ma >= 0) {
            return machine.get(INT_LE, ma);
        }
        return getIntSlow(va);
    }

    private int getIntSlow(long va) {
        if (crosses(va, 4)) {
            return (int) loadSplit(va, 4);
        }
        return machine.get(INT_LE, access(va, false));
    }

    @Override
    public void putInt(long va, int value) {
        long ma = within(va, 4) ? hit(va, true) : -1;
        if (ma >= 0) {
            machine.set(INT_LE, ma, value);
            return;
        }
        putSlow(va, value, 4);
    }

    @Override
    public long getLong(long va) {
        long ma = within(va, 8) ? hit(va, false) : -1;
        if (ma >= 0) {
            return machine.get(LONG_LE, ma);
        }
        return getLongSlow(va);
    }

    private long getLongSlow(long va) {
        if (crosses(va, 8)) {
            return loadSplit(va, 8);
        }
        return machine.get(LONG_LE, access(va, false));
    }

    @Override
    public void putLong(long va, long value) {
        long ma = within(va, 8) ? hit(va, true) : -1;
        if (ma >= 0) {
            machine.set(LONG_LE, ma, value);
            return;
        }
        putSlow(va, value, 8);
    }

    /** A 2-, 4- or 8-byte store that did not hit: split across pages, emulated, or after a fault. */
    private void putSlow(long va, long value, int width) {
        if (crosses(va, width)) {
            storeSplit(va, value, width);
            return;
        }
        long ma = storeAccess(va, width, value);
        if (ma < 0) {
            return;
        }
        switch (width) {
            case 2 -> machine.set(SHORT_LE, ma, (short) value);
            case 4 -> machine.set(INT_LE, ma, (int) value);
            default -> machine.set(LONG_LE, ma, value);
        }
    }

    /** Whether {@code size} bytes at {@code va} lie within one page. */
    private static boolean within(long va, int size) {
        return (va & PAGE_MASK) <= MachineMemory.PAGE_SIZE - size;
    }

    // ---------------------------------------------------------------------------------------
    // GuestMemory: ordered and atomic accesses (naturally aligned only)
    // ---------------------------------------------------------------------------------------

    /** Machine address of an aligned {@code size}-byte access; a misaligned one is a guest bug. */
    private long aligned(long va, int size, boolean write) {
        if ((va & (size - 1)) != 0) {
            misaligned(va, size);
        }
        return access(va, write);
    }

    /** Machine address of an aligned store, or -1 if it was emulated (see {@link #storeAccess}). */
    private long alignedStore(long va, int size, long value) {
        if ((va & (size - 1)) != 0) {
            misaligned(va, size);
        }
        return storeAccess(va, size, value);
    }

    private void misaligned(long va, int size) {
        context.guestBug("misaligned " + (8 * size) + "-bit ordered or atomic access at 0x"
                + Long.toHexString(va));
        throw new GuestAbort("misaligned atomic access by d" + domid);
    }

    @Override
    public byte getByteAcquire(long va) {
        return (byte) BYTE_VH.getAcquire(machine, access(va, false));
    }

    @Override
    public void putByteRelease(long va, byte value) {
        long ma = storeAccess(va, 1, value);
        if (ma >= 0) {
            BYTE_VH.setRelease(machine, ma, value);
        }
    }

    @Override
    public short getShortAcquire(long va) {
        return (short) SHORT_VH.getAcquire(machine, aligned(va, 2, false));
    }

    @Override
    public void putShortRelease(long va, short value) {
        long ma = alignedStore(va, 2, value);
        if (ma >= 0) {
            SHORT_VH.setRelease(machine, ma, value);
        }
    }

    @Override
    public int getIntAcquire(long va) {
        return (int) INT_VH.getAcquire(machine, aligned(va, 4, false));
    }

    @Override
    public void putIntRelease(long va, int value) {
        long ma = alignedStore(va, 4, value);
        if (ma >= 0) {
            INT_VH.setRelease(machine, ma, value);
        }
    }

    @Override
    public long getLongAcquire(long va) {
        return (long) LONG_VH.getAcquire(machine, aligned(va, 8, false));
    }

    @Override
    public void putLongRelease(long va, long value) {
        long ma = alignedStore(va, 8, value);
        if (ma >= 0) {
            LONG_VH.setRelease(machine, ma, value);
        }
    }

    // Atomics are writes even when they fail: x86's locked instructions always need the page
    // writable and dirty it.

    @Override
    public boolean compareAndSetInt(long va, int expected, int update) {
        long ma = cmpxchgAccess(va, 4, expected & 0xFFFF_FFFFL, update & 0xFFFF_FFFFL);
        if (ma < 0) {
            return (int) trap.witness == expected;
        }
        return INT_VH.compareAndSet(machine, ma, expected, update);
    }

    @Override
    public boolean compareAndSetLong(long va, long expected, long update) {
        long ma = cmpxchgAccess(va, 8, expected, update);
        if (ma < 0) {
            return trap.witness == expected;
        }
        return LONG_VH.compareAndSet(machine, ma, expected, update);
    }

    @Override
    public int compareAndExchangeInt(long va, int expected, int update) {
        long ma = cmpxchgAccess(va, 4, expected & 0xFFFF_FFFFL, update & 0xFFFF_FFFFL);
        if (ma < 0) {
            return (int) trap.witness;
        }
        return (int) INT_VH.compareAndExchange(machine, ma, expected, update);
    }

    @Override
    public long compareAndExchangeLong(long va, long expected, long update) {
        long ma = cmpxchgAccess(va, 8, expected, update);
        if (ma < 0) {
            return trap.witness;
        }
        return (long) LONG_VH.compareAndExchange(machine, ma, expected, update);
    }

    @Override
    public int getAndSetInt(long va, int value) {
        return (int) INT_VH.getAndSet(machine, aligned(va, 4, true), value);
    }

    @Override
    public long getAndSetLong(long va, long value) {
        return (long) LONG_VH.getAndSet(machine, aligned(va, 8, true), value);
    }

    @Override
    public int getAndAddInt(long va, int delta) {
        return (int) INT_VH.getAndAdd(machine, aligned(va, 4, true), delta);
    }

    @Override
    public long getAndAddLong(long va, long delta) {
        return (long) LONG_VH.getAndAdd(machine, aligned(va, 8, true), delta);
    }

    @Override
    public int getAndBitwiseOrInt(long va, int mask) {
        return (int) INT_VH.getAndBitwiseOr(machine, aligned(va, 4, true), mask);
    }

    @Override
    public long getAndBitwiseOrLong(long va, long mask) {
        return (long) LONG_VH.getAndBitwiseOr(machine, aligned(va, 8, true), mask);
    }

    @Override
    public int getAndBitwiseAndInt(long va, int mask) {
        return (int) INT_VH.getAndBitwiseAnd(machine, aligned(va, 4, true), mask);
    }

    @Override
    public long getAndBitwiseAndLong(long va, long mask) {
        return (long) LONG_VH.getAndBitwiseAnd(machine, aligned(va, 8, true), mask);
    }

    @Override
    public int getAndBitwiseXorInt(long va, int mask) {
        return (int) INT_VH.getAndBitwiseXor(machine, aligned(va, 4, true), mask);
    }

    @Override
    public long getAndBitwiseXorLong(long va, long mask) {
        return (long) LONG_VH.getAndBitwiseXor(machine, aligned(va, 8, true), mask);
    }

    // ---------------------------------------------------------------------------------------
    // GuestMemory: bulk (page by page; a fault mid-way is delivered and the rest retried)
    // ---------------------------------------------------------------------------------------

    @Override
    public void copyToSegment(long va, MemorySegment dst, long dstOffset, long length) {
        Objects.checkFromIndexSize(dstOffset, length, dst.byteSize());
        long done = 0;
        while (done < length) {
            long cur = va + done;
            long ma = access(cur, false);
            long n = Math.min(length - done, MachineMemory.PAGE_SIZE - (cur & PAGE_MASK));
            MemorySegment.copy(machine, ma, dst, dstOffset + done, n);
            done += n;
        }
    }

    @Override
    public void copyFromSegment(MemorySegment src, long srcOffset, long va, long length) {
        Objects.checkFromIndexSize(srcOffset, length, src.byteSize());
        long done = 0;
        while (done < length) {
            long cur = va + done;
            long ma = access(cur, true);
            long n = Math.min(length - done, MachineMemory.PAGE_SIZE - (cur & PAGE_MASK));
            MemorySegment.copy(src, srcOffset + done, machine, ma, n);
            done += n;
        }
    }

    @Override
    public void copy(long srcVa, long dstVa, long length) {
        if (length < 0 || length > 0 && srcVa - dstVa < length && dstVa - srcVa < length) {
            throw new IllegalArgumentException("copy of " + length + " bytes from 0x" + Long.toHexString(srcVa)
                    + " to 0x" + Long.toHexString(dstVa) + ": negative or overlapping");
        }
        long done = 0;
        while (done < length) {
            long src = srcVa + done;
            long dst = dstVa + done;
            long n = Math.min(length - done, Math.min(MachineMemory.PAGE_SIZE - (src & PAGE_MASK),
                    MachineMemory.PAGE_SIZE - (dst & PAGE_MASK)));
            // Both translated with no guest code in between: a fault on the source is delivered
            // and then both are translated again.
            long dma = access(dst, true);
            long sma = lookup(src, false);
            if (sma < 0) {
                access(src, false);
                continue;
            }
            MemorySegment.copy(machine, sma, machine, dma, n);
            done += n;
        }
    }

    @Override
    public void fill(long va, long length, byte value) {
        if (length < 0) {
            throw new IllegalArgumentException("negative length " + length);
        }
        long done = 0;
        while (done < length) {
            long cur = va + done;
            long ma = access(cur, true);
            long n = Math.min(length - done, MachineMemory.PAGE_SIZE - (cur & PAGE_MASK));
            fillMachine(ma, n, value);
            done += n;
        }
    }

    // ---------------------------------------------------------------------------------------
    // Host file I/O (privileged domains' back ends)
    // ---------------------------------------------------------------------------------------

    /** The most one positional read or write moves: bounds the run of machine-contiguous pages. */
    private static final long HOST_IO_RUN = 1L << 20;

    @Override
    public long readFile(FileChannel file, long position, long va, long length) throws IOException {
        return hostIo(file, position, va, length, true);
    }

    @Override
    public long writeFile(FileChannel file, long position, long va, long length) throws IOException {
        return hostIo(file, position, va, length, false);
    }

    /**
     * Moves {@code [va, va + length)} to or from {@code file} at {@code position}, straight
     * between the frames and the file. Each run of pages that are machine-contiguous is one
     * positional call. The first page of a run is translated with {@link #access} (faults
     * delivered, safe point taken); the pages after it only by {@link #lookup}, which never
     * takes a safe point, so no flush can be acknowledged, and no frame of the run freed,
     * between a run's translation and its I/O. A page that needs a fault ends the run.
     */
    private long hostIo(FileChannel file, long position, long va, long length, boolean toMemory)
            throws IOException {
        checkHostIo(file);
        if (position < 0 || length < 0 || position > Long.MAX_VALUE - length) {
            throw new IllegalArgumentException("position " + position + ", length " + length);
        }
        long done = 0;
        while (done < length) {
            long cur = va + done;
            long ma = access(cur, toMemory);
            long run = Math.min(length - done, MachineMemory.PAGE_SIZE - (cur & PAGE_MASK));
            while (done + run < length && run < HOST_IO_RUN) {
                long next = lookup(va + done + run, toMemory);
                if (next != ma + run) {
                    break;
                }
                run += Math.min(length - done - run, MachineMemory.PAGE_SIZE);
            }
            if (file instanceof HostFileChannel raw) {
                // The hypervisor's own descriptor: one system call straight into or out of the frames.
                setIov(0, ma, run);
                long got = raw.vector(rawIov, 1, run, position + done, toMemory, rawErrno);
                if (got < run) {
                    return done + got; // the end of the file
                }
                done += run;
                continue;
            }
            ByteBuffer bytes = hostIoViews().view(0, ma, run);
            int start = bytes.position();
            while (bytes.hasRemaining()) {
                long at = position + done + bytes.position() - start;
                if (toMemory) {
                    if (file.read(bytes, at) < 0) {
                        return done + bytes.position() - start;
                    }
                } else {
                    file.write(bytes, at);
                }
            }
            done += run;
        }
        return done;
    }

    @Override
    public FileChannel openHostFile(java.nio.file.Path path, boolean writable) throws IOException {
        checkThread();
        if (!context.hostIo()) {
            throw new UnsupportedOperationException("host file I/O is for privileged domains (d" + domid + " is not)");
        }
        return HostFileChannel.open(Objects.requireNonNull(path, "path"), writable);
    }

    @Override
    public long readFileToGrants(FileChannel file, long position, int domid, int[] refs, int[] offsets,
            int[] lengths, int count) throws IOException {
        checkGrantIo(file, position, refs, offsets, lengths, count);
        return context.grantFileIo(file, position, domid, refs, offsets, lengths, count, true);
    }

    @Override
    public long writeFileFromGrants(FileChannel file, long position, int domid, int[] refs, int[] offsets,
            int[] lengths, int count) throws IOException {
        checkGrantIo(file, position, refs, offsets, lengths, count);
        return context.grantFileIo(file, position, domid, refs, offsets, lengths, count, false);
    }

    @Override
    public void grantIoBatch(FileChannel file, int domid, int count, boolean[] writes, long[] positions,
            int[] pieceEnds, int[] refs, int[] offsets, int[] lengths, long[] results) throws IOException {
        checkHostIo(file);
        if (count < 0 || count > GRANT_IO_BATCH || count > writes.length || count > positions.length
                || count > pieceEnds.length || count > results.length) {
            throw new IllegalArgumentException("count " + count + " (at most " + GRANT_IO_BATCH + ") for "
                    + writes.length + " ops, " + positions.length + " positions, " + pieceEnds.length
                    + " piece ends and " + results.length + " results");
        }
        int start = 0;
        for (int r = 0; r < count; r++) {
            int end = pieceEnds[r];
            if (end < start || end - start > HOST_IO_VECTOR || end > GRANT_IO_BATCH_PIECES || end > refs.length
                    || end > offsets.length || end > lengths.length) {
                throw new IllegalArgumentException("request " + r + ": pieces " + start + ".." + end + " (at most "
                        + HOST_IO_VECTOR + " a request, " + GRANT_IO_BATCH_PIECES + " in all)");
            }
            long position = positions[r];
            if (position < 0 || position > Long.MAX_VALUE - (long) (end - start) * MachineMemory.PAGE_SIZE) {
                throw new IllegalArgumentException("request " + r + ": position " + position);
            }
            start = end;
        }
        context.grantFileIoBatch(file, domid, count, writes, positions, pieceEnds, refs, offsets, lengths, results);
    }

    @Override
    public long grantIoSubmit(FileChannel file, int domid, boolean write, long position, int[] refs, int[] offsets,
            int[] lengths, int count, long tag) throws IOException {
        checkGrantIo(file, position, refs, offsets, lengths, count);
        return context.grantFileIoSubmit(file, domid, write, position, refs, offsets, lengths, count, tag);
    }

    @Override
    public int grantIoReap(long[] tags, long[] results, int max, boolean wait) throws IOException {
        checkThread();
        if (!context.hostIo()) {
            throw new UnsupportedOperationException("host file I/O is for privileged domains (d" + domid + " is not)");
        }
        if (max < 0 || max > tags.length || max > results.length) {
            throw new IllegalArgumentException("max " + max + " for " + tags.length + " tags and " + results.length
                    + " results");
        }
        return context.grantFileIoReap(tags, results, max, wait);
    }

    @Override
    public int grantIoCancel(FileChannel file) throws IOException {
        checkHostIo(file);
        return context.grantFileIoCancel(file);
    }

    @Override
    public int grantIoInFlight() {
        checkThread();
        return context.hostIo() ? context.grantFileIoInFlight() : 0;
    }

    @Override
    public int readGrant(int domid, int ref, int offset, long va, int length) {
        checkThread();
        if (!context.hostIo()) {
            throw new UnsupportedOperationException("grant reads are for privileged domains (d" + this.domid
                    + " is not)");
        }
        if (length < 0 || length > MachineMemory.PAGE_SIZE - (va & PAGE_MASK)) {
            throw new IllegalArgumentException("length " + length + " at 0x" + Long.toHexString(va)
                    + " (a grant read stays within one page)");
        }
        // Translated last: nothing takes a safe point between this and the copy.
        long ma = access(va, true);
        return context.grantRead(domid, ref, offset, ma, length);
    }

    /** The caller's thread, its right to host I/O, and a channel the JDK made. */
    private void checkHostIo(FileChannel file) {
        checkThread();
        if (!context.hostIo()) {
            throw new UnsupportedOperationException("host file I/O is for privileged domains (d" + domid + " is not)");
        }
        Objects.requireNonNull(file, "file");
        // Only the JDK's own channel gets a buffer over machine memory: any other could keep it.
        // The hypervisor's own (final) host file channel hands it on to a JDK channel.
        if (file.getClass().getModule() != FileChannel.class.getModule() && file.getClass() != HostFileChannel.class) {
            throw new IllegalArgumentException("not a file channel of the JDK: " + file.getClass().getName());
        }
    }

    /** The caller's thread and right, and the arguments' shape, for grant I/O. */
    private void checkGrantIo(FileChannel file, long position, int[] refs, int[] offsets, int[] lengths, int count) {
        checkHostIo(file);
        if (count < 0 || count > HOST_IO_VECTOR || count > refs.length || count > offsets.length
                || count > lengths.length) {
            throw new IllegalArgumentException("count " + count + " (at most " + HOST_IO_VECTOR + ") for "
                    + refs.length + " references, " + offsets.length + " offsets and " + lengths.length + " lengths");
        }
        if (position < 0 || position > Long.MAX_VALUE - (long) count * MachineMemory.PAGE_SIZE) {
            throw new IllegalArgumentException("position " + position);
        }
    }

    /** The most buffers one scattering call takes (Linux's IOV_MAX is 1024). */
    private static final int HOST_IO_VECTOR = 256;
    /** The scattering calls' buffer array, made on a privileged vCPU's first use and reused. */
    private ByteBuffer[] hostIoBuffers;
    /** Views of machine memory for host I/O, made on a privileged vCPU's first use and reused. */
    private MachineByteViews hostIoViews;

    /** The iovecs of raw host I/O ({@link HostFileChannel}), in machine memory's arena, and the errno of its calls. */
    private MemorySegment rawIov;
    private MemorySegment rawErrno;

    /** The raw calls' iovecs, made on a privileged vCPU's first raw call and reused. */
    private MemorySegment rawIov() {
        MemorySegment v = rawIov;
        if (v == null) {
            rawErrno = frames.memory().allocateScratch(64);
            v = rawIov = frames.memory().allocateScratch((long) HOST_IO_VECTOR * HostFileChannel.IOVEC_BYTES);
        }
        return v;
    }

    /** Iovec {@code i} of a raw call: machine bytes {@code [ma, ma + len)}, which the caller translated. */
    private void setIov(int i, long ma, long len) {
        if (ma < 0 || len < 0 || ma > machine.byteSize() - len) {
            throw new IndexOutOfBoundsException("machine bytes " + ma + "+" + len); // never handed to the kernel
        }
        MemorySegment v = rawIov();
        v.set(ValueLayout.JAVA_LONG, (long) i * HostFileChannel.IOVEC_BYTES, machine.address() + ma);
        v.set(ValueLayout.JAVA_LONG, (long) i * HostFileChannel.IOVEC_BYTES + 8, len);
    }

    private MachineByteViews hostIoViews() {
        MachineByteViews v = hostIoViews;
        if (v == null) {
            v = hostIoViews = new MachineByteViews(machine, HOST_IO_VECTOR);
        }
        return v;
    }

    @Override
    public long readFileScattered(FileChannel file, long position, long[] vas, int[] lengths, int count)
            throws IOException {
        return hostIoVector(file, position, vas, lengths, count, true);
    }

    @Override
    public long writeFileGathered(FileChannel file, long position, long[] vas, int[] lengths, int count)
            throws IOException {
        return hostIoVector(file, position, vas, lengths, count, false);
    }

    /**
     * Pieces {@code [vas[i], vas[i] + lengths[i])} to or from {@code file} from
     * {@code position} on, with one seek and one scattering call per batch. As in
     * {@link #hostIo}, only the first page of a batch is translated with a safe point; a page
     * that needs a fault ends the batch, which is moved before the fault is taken.
     */
    private long hostIoVector(FileChannel file, long position, long[] vas, int[] lengths, int count, boolean toMemory)
            throws IOException {
        checkHostIo(file);
        if (count < 0 || count > vas.length || count > lengths.length) {
            throw new IllegalArgumentException("count " + count + " for " + vas.length + " addresses and " + lengths.length
                    + " lengths");
        }
        long total = 0;
        for (int i = 0; i < count; i++) {
            if (lengths[i] < 0) {
                throw new IllegalArgumentException("length " + lengths[i] + " of piece " + i);
            }
            total += lengths[i];
        }
        if (position < 0 || position > Long.MAX_VALUE - total) {
            throw new IllegalArgumentException("position " + position + ", length " + total);
        }
        ByteBuffer[] buffers = hostIoBuffers;
        if (buffers == null) {
            buffers = hostIoBuffers = new ByteBuffer[HOST_IO_VECTOR]; // a back end's vCPU, once
        }
        long done = 0;
        int piece = 0;
        long inPiece = 0;
        while (piece < count) {
            if (lengths[piece] == inPiece) {
                piece++;
                inPiece = 0;
                continue;
            }
            // One batch: pages translated without a safe point after the first.
            int n = 0;
            long batchBytes = 0;
            boolean first = true;
            long runStart = -1;
            long runLen = 0;
            while (piece < count && n < buffers.length - 1) {
                long left = lengths[piece] - inPiece;
                if (left == 0) {
                    piece++;
                    inPiece = 0;
                    continue;
                }
                long va = vas[piece] + inPiece;
                long ma = first ? access(va, toMemory) : lookup(va, toMemory);
                if (ma < 0) {
                    break; // needs a fault: move what we have first
                }
                first = false;
                long len = Math.min(left, MachineMemory.PAGE_SIZE - (va & PAGE_MASK));
                if (runStart >= 0 && runStart + runLen == ma) {
                    runLen += len;
                } else {
                    if (runStart >= 0) {
                        buffers[n] = hostIoViews().view(n, runStart, runLen);
                        setIov(n, runStart, runLen);
                        n++;
                    }
                    runStart = ma;
                    runLen = len;
                }
                inPiece += len;
                batchBytes += len;
            }
            if (runStart >= 0) {
                buffers[n] = hostIoViews().view(n, runStart, runLen);
                setIov(n, runStart, runLen);
                n++;
            }
            if (n == 0) {
                continue;
            }
            if (file instanceof HostFileChannel raw) {
                java.util.Arrays.fill(buffers, 0, n, null); // the iovecs are used instead
                long got = raw.vector(rawIov(), n, batchBytes, position + done, toMemory, rawErrno);
                if (got < batchBytes) {
                    return done + got; // the end of the file
                }
                done += got;
                continue;
            }
            long moved = 0;
            try {
                file.position(position + done);
                while (moved < batchBytes) {
                    long r = toMemory ? file.read(buffers, 0, n) : file.write(buffers, 0, n);
                    if (r <= 0 && !toMemory) {
                        throw new IOException("a gathering write made no progress at " + (position + done + moved));
                    }
                    if (r <= 0) {
                        return done + moved;
                    }
                    moved += r;
                }
            } finally {
                java.util.Arrays.fill(buffers, 0, n, null); // no view of a frame outlives the call
            }
            done += moved;
        }
        return done;
    }
}
