package org.parasol.hypervisor.mm;

import static org.parasol.hypercall.Errno.EINVAL;
import static org.parasol.hypercall.Errno.EPERM;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import org.parasol.hypercall.abi.Mmu;

/**
 * The PV MMU's rules (Xen's {@code x86/mm.c}): validation of page tables, checked updates of
 * their entries, pinning, the base pointer's reference, and the writable-page-table
 * emulation. Everything a guest can do to a page table goes through here.
 *
 * <h2>Types and validation</h2>
 * Taking an L1..L4 type on a frame whose type count was 0 validates it ({@code get_page_type}
 * → {@code alloc_page_type}): every present entry is checked and takes its references —
 * <ul>
 *   <li>an L1 entry: a general reference on the frame it maps, which the page owner
 *       ({@code pg_owner}, the caller or a privileged caller's {@code foreigndom}) must be
 *       allowed to map ({@link FrameTable#mayMap}); a writable entry also takes the
 *       {@code PGT_writable_page} type, which fails while the frame is a page table, so a page
 *       table is never mapped writable;</li>
 *   <li>an L2/L3/L4 entry: a general reference and the L1/L2/L3 type of the frame it points at,
 *       which must be owned by the page-table owner — taking that type validates it in turn,
 *       so validation is recursive. {@code PSE} is refused (no superpages for PV guests).</li>
 * </ul>
 * A failure rolls back what the table took and answers {@code -EINVAL}. When the last type
 * reference goes ({@link FrameTable#putPageType}) the table is devalidated and drops what its
 * entries hold, recursively. A table refers to a table of its own level only through a type it
 * cannot have, so a linear (self-referencing) page table is refused: see docs/deviations.md.
 *
 * <h2>Hypervisor-private L4 slots</h2>
 * L4 slots {@value #XEN_L4_FIRST_SLOT}..{@value #XEN_L4_LAST_SLOT} belong to the hypervisor:
 * an update there is {@code -EINVAL}, validation ignores what the guest left in them, and the
 * MMU resolves that range itself. The read-only M2P table is mapped at
 * {@link Mmu#MACH2PHYS_VIRT_START}, as {@code XENMEM_machphys_mapping} reports.
 *
 * <h2>Locks</h2>
 * Lock order, outermost first:
 * <ol>
 *   <li>a domain's page-table lock: the monitor of its {@link DomainPages} — held across one
 *       entry's validation and update, one pin, one base-pointer switch, one emulated write;
 *       only one domain's at a time (the page-table owner's);</li>
 *   <li>the frame table's per-frame words (compare-and-swap, no lock);</li>
 *   <li>the frame table's free-pool lock (a leaf).</li>
 * </ol>
 * No lock is held while guest memory is copied, guest code runs, or a vCPU is waited for:
 * TLB shootdowns happen between entries, with the lock released ({@link DeferredPuts}).
 */
public final class PageTables {
    /** First hypervisor-private L4 slot ({@code ROOT_PAGETABLE_FIRST_XEN_SLOT}). */
    public static final int XEN_L4_FIRST_SLOT = 256;
    /** Last hypervisor-private L4 slot ({@code ROOT_PAGETABLE_LAST_XEN_SLOT}). */
    public static final int XEN_L4_LAST_SLOT = 271;

    /** Result of an update that refused the new entry. */
    private static final long REFUSED = -EINVAL;
    /** Bits a walk may change under us: Accessed and Dirty. */
    private static final long AD = PageTableEntry.ACCESSED | PageTableEntry.DIRTY;
    /** Bits whose change leaves every reference as it is: anything but frame, P and RW. */
    private static final long REF_BITS = PageTableEntry.FRAME_MASK | PageTableEntry.PRESENT | PageTableEntry.RW;

    private static final ValueLayout.OfLong PTE =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle PTE_VH =
            ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    private final FrameTable frames;
    private final MemorySegment mem;

    /** The PV MMU over {@code frames}. */
    public PageTables(FrameTable frames) {
        this.frames = frames;
        this.mem = frames.memory().segment();
    }

    /** The frame table these rules guard. */
    public FrameTable frames() {
        return frames;
    }

    /** Whether L4 slot {@code slot} is hypervisor-private. */
    public static boolean isXenL4Slot(int slot) {
        return slot >= XEN_L4_FIRST_SLOT && slot <= XEN_L4_LAST_SLOT;
    }

    /** Whether {@code va} lies in the hypervisor-private part of every address space. */
    public static boolean isXenVirtualAddress(long va) {
        return isXenL4Slot(PageTableEntry.index(va, 4)) && PageTableEntry.isCanonical(va);
    }

    // ---------------------------------------------------------------------------------------
    // mmu_update
    // ---------------------------------------------------------------------------------------

    /**
     * {@code MMU_NORMAL_PT_UPDATE} / {@code MMU_PT_UPDATE_PRESERVE_AD}: {@code *maddr = val},
     * checked against the type of the frame holding {@code maddr}.
     *
     * <ul>
     *   <li>The frame must be owned by the page-table owner and {@code maddr} 8-byte aligned
     *       inside machine memory: else {@code -EINVAL}.</li>
     *   <li>An L1..L4 table (type count above 0): the new entry is validated as described in
     *       the class comment, written by compare-and-swap (with the current A/D bits OR-ed in
     *       for {@code preserveAd}), and the old entry's references are dropped — through
     *       {@code deferred} when a TLB may still use them. A hypervisor-private L4 slot is
     *       {@code -EINVAL}.</li>
     *   <li>Any other frame of the owner that can take the writable type: a plain write.</li>
     * </ul>
     *
     * @param ptOwner the page-table owner; its monitor is the page-table lock taken here
     * @param pgOwner the domain whose frames L1 entries may map ({@code foreigndom})
     * @return 0 or {@code -EINVAL}
     */
    public long updateEntry(DomainPages ptOwner, int pgOwner, long maddr, long val, boolean preserveAd,
            DeferredPuts deferred) {
        long rc = update(ptOwner, pgOwner, maddr, val, preserveAd, false, deferred);
        ptOwner.pageTablesChanged(); // after the entry is in place: shadows refill from it
        return rc;
    }

    /**
     * {@code update_va_mapping}'s write: as {@link #updateEntry}, but the frame holding
     * {@code maddr} must be a validated L1 table ({@code -EINVAL} otherwise).
     */
    public long updateL1Entry(DomainPages ptOwner, int pgOwner, long maddr, long val, DeferredPuts deferred) {
        long rc = update(ptOwner, pgOwner, maddr, val, false, true, deferred);
        ptOwner.pageTablesChanged();
        return rc;
    }

    private long update(DomainPages ptOwner, int pgOwner, long maddr, long val, boolean preserveAd,
            boolean l1Only, DeferredPuts deferred) {
        if ((maddr & 7) != 0 || maddr < 0) {
            return REFUSED;
        }
        long mfn = maddr >>> MachineMemory.PAGE_SHIFT;
        int domid = ptOwner.domid();
        synchronized (ptOwner) {
            if (frames.owner(mfn) != domid) {
                return REFUSED;
            }
            long x = frames.typeInfo(mfn);
            int type = FrameTable.pageType(x);
            if (FrameTable.isPageTableType(type) && FrameTable.typeCount(x) > 0) {
                if (!FrameTable.isValidated(x)) {
                    return REFUSED;
                }
                int slot = (int) ((maddr & (MachineMemory.PAGE_SIZE - 1)) >>> 3);
                if (l1Only && type != FrameTable.PGT_L1_PAGE_TABLE) {
                    return REFUSED;
                }
                if (type == FrameTable.PGT_L1_PAGE_TABLE) {
                    return modL1(maddr, -1L, val, domid, pgOwner, preserveAd, deferred);
                }
                if (type == FrameTable.PGT_L4_PAGE_TABLE && isXenL4Slot(slot)) {
                    return REFUSED;
                }
                return modUpper(maddr, type, val, domid, preserveAd, deferred);
            }
            if (l1Only) {
                return REFUSED;
            }
            // Not a live page table: an ordinary write into a frame of the owner's that may be
            // writable (Xen takes and drops PGT_writable_page around it).
            if (!frames.getPageType(mfn, FrameTable.PGT_WRITABLE_PAGE)) {
                return REFUSED;
            }
            PTE_VH.setRelease(mem, maddr, val);
            frames.putPageType(mfn);
            return 0;
        }
    }

    /**
     * {@code MMU_MACHPHYS_UPDATE}: {@code m2p[mfn] = pfn}. The frame must belong to
     * {@code pgOwner} ({@code -EPERM} otherwise); a PFN of 2^32 - 1 or more is {@code -EINVAL}
     * (Parasol keeps 32-bit PFNs; see docs/deviations.md).
     */
    public long machphysUpdate(int pgOwner, long mfn, long pfn) {
        if (!frames.memory().isValidMfn(mfn) || frames.owner(mfn) != pgOwner) {
            return -EPERM;
        }
        if (pfn < 0 || pfn >= 0xFFFF_FFFFL) {
            return -EINVAL;
        }
        frames.setM2p(mfn, pfn);
        return 0;
    }

    /**
     * The machine address of the L1 entry that maps {@code va} in the address space rooted at
     * {@code l4Mfn}, for {@code update_va_mapping}: every level must be present and owned by
     * {@code domid}; a hypervisor-private or non-canonical address has none. Reads the tables
     * as they are now (no TLB, no A/D).
     *
     * @return the machine address, or -1
     */
    public long l1EntryAddress(int domid, long l4Mfn, long va) {
        if (!PageTableEntry.isCanonical(va) || isXenVirtualAddress(va)) {
            return -1;
        }
        long table = l4Mfn;
        for (int level = 4; level > 1; level--) {
            if (frames.owner(table) != domid) {
                return -1;
            }
            long pte = (long) PTE_VH.getAcquire(mem, entryAddress(table, va, level));
            if ((pte & PageTableEntry.PRESENT) == 0 || (pte & PageTableEntry.PSE) != 0) {
                return -1;
            }
            table = PageTableEntry.mfn(pte);
            if (!frames.memory().isValidMfn(table)) {
                return -1;
            }
        }
        return frames.owner(table) == domid ? entryAddress(table, va, 1) : -1;
    }

    /**
     * One extent of {@code XENMEM_decrease_reservation} ({@code guest_remove_page}): unpins the
     * frame if pinned and drops the owner's allocation reference. The frame is freed only when
     * its last reference goes — mappings included — and that drop waits in {@code deferred}
     * for a TLB shootdown.
     *
     * @return 0, or {@code -EINVAL} if {@code owner} does not own the frame
     */
    public long removePage(DomainPages owner, long mfn, DeferredPuts deferred) {
        int domid = owner.domid();
        synchronized (owner) {
            if (!frames.memory().isValidMfn(mfn) || frames.owner(mfn) != domid || !frames.getPage(mfn, domid)) {
                return REFUSED;
            }
            for (;;) {
                long x = frames.typeInfo(mfn);
                if (!FrameTable.isPinned(x)) {
                    break;
                }
                if (frames.casTypeInfo(mfn, x, x & ~FrameTable.PGT_PINNED)) {
                    deferred.putPageAndType(frames, mfn, false);
                    break;
                }
            }
            // Our own reference keeps this from being the last one.
            frames.putPageAllocRef(mfn);
            deferred.putPage(frames, mfn, false);
            return 0;
        }
    }

    // ---------------------------------------------------------------------------------------
    // mmuext_op: pin, unpin, base pointer
    // ---------------------------------------------------------------------------------------

    /**
     * {@code MMUEXT_PIN_Ln_TABLE}: validates {@code mfn} as {@code type} (taking a general and a
     * type reference) and sets {@code PGT_pinned}, which keeps them until unpinned. The frame
     * must be owned by {@code owner}; each frame is pinned at most once.
     *
     * @return 0, or {@code -EINVAL} if the frame does not validate or is pinned already
     */
    public long pin(DomainPages owner, long mfn, int type) {
        synchronized (owner) {
            if (!getPageAndType(mfn, owner.domid(), type)) {
                return REFUSED;
            }
            for (;;) {
                long x = frames.typeInfo(mfn);
                if (FrameTable.isPinned(x)) {
                    // Our own reference keeps the count above 1: this drop never devalidates.
                    frames.putPageType(mfn);
                    frames.putPage(mfn);
                    return REFUSED;
                }
                if (frames.casTypeInfo(mfn, x, x | FrameTable.PGT_PINNED)) {
                    return 0;
                }
            }
        }
    }

    /**
     * {@code MMUEXT_UNPIN_TABLE}: clears {@code PGT_pinned} of a frame {@code owner} owns and
     * drops the pin's references (through {@code deferred} if they are the last).
     *
     * @return 0, or {@code -EINVAL} if the frame is not the owner's or not pinned
     */
    public long unpin(DomainPages owner, long mfn, DeferredPuts deferred) {
        synchronized (owner) {
            if (!frames.memory().isValidMfn(mfn) || frames.owner(mfn) != owner.domid()) {
                return REFUSED;
            }
            for (;;) {
                long x = frames.typeInfo(mfn);
                if (!FrameTable.isPinned(x) || !FrameTable.isPageTableType(FrameTable.pageType(x))) {
                    return REFUSED;
                }
                if (frames.casTypeInfo(mfn, x, x & ~FrameTable.PGT_PINNED)) {
                    break;
                }
            }
            deferred.putPageAndType(frames, mfn, false);
            return 0;
        }
    }

    /**
     * The reference a vCPU's CR3 holds ({@code new_guest_cr3}): validates {@code mfn} as an L4
     * of {@code owner} and takes a general and an L4 type reference.
     *
     * @return 0, or {@code -EINVAL} if it does not validate as an L4
     */
    public long getBaseRef(DomainPages owner, long mfn) {
        synchronized (owner) {
            return getPageAndType(mfn, owner.domid(), FrameTable.PGT_L4_PAGE_TABLE) ? 0 : REFUSED;
        }
    }

    /** Drops a CR3 reference taken by {@link #getBaseRef}, through {@code deferred} if it is the last. */
    public void putBaseRef(DomainPages owner, long mfn, DeferredPuts deferred) {
        synchronized (owner) {
            deferred.putPageAndType(frames, mfn, false);
        }
    }

    // ---------------------------------------------------------------------------------------
    // Grant mappings (create_grant_pv_mapping / replace_grant_pv_mapping)
    // ---------------------------------------------------------------------------------------

    /**
     * Writes the grant mapping {@code pte} (which must carry {@link PageTableEntry#GNTTAB})
     * into the L1 entry at {@code pteMaddr} of {@code ptOwner}'s validated L1 table
     * ({@code create_grant_pv_mapping}). The entry takes no reference: the grant's pin holds
     * them. What the entry mapped before loses its references through {@code deferred}; an
     * entry that is itself a grant mapping is not replaced.
     *
     * @return 0, or {@code -EINVAL} if the address is not an entry of such a table, or holds
     *     a grant mapping already
     */
    public long createGrantMapping(DomainPages ptOwner, long pteMaddr, long pte, DeferredPuts deferred) {
        if ((pte & PageTableEntry.GNTTAB) == 0 || (pteMaddr & 7) != 0 || pteMaddr < 0) {
            return REFUSED;
        }
        synchronized (ptOwner) {
            if (!isLiveL1(pteMaddr >>> MachineMemory.PAGE_SHIFT, ptOwner.domid())) {
                return REFUSED;
            }
            long old = (long) PTE_VH.getAcquire(mem, pteMaddr);
            if ((old & PageTableEntry.GNTTAB) != 0) {
                return REFUSED;
            }
            old = writeEntry(pteMaddr, -1L, pte, false);
            ptOwner.pageTablesChanged();
            putPageFromL1e(old, ptOwner.domid(), deferred);
            return 0;
        }
    }

    /**
     * Replaces the grant mapping at {@code pteMaddr} with {@code replacement} — 0 to unmap, or
     * an entry {@link #stealL1Entry stolen} elsewhere whose references move with it
     * ({@code replace_grant_pv_mapping}). The entry must be a grant mapping of {@code mfn},
     * writable exactly when {@code writable}.
     *
     * @return 0, or {@code -EINVAL} if the entry is not that mapping (the caller still owns
     *     {@code replacement}'s references then)
     */
    public long replaceGrantMapping(DomainPages ptOwner, long pteMaddr, long mfn, boolean writable, long replacement) {
        if ((pteMaddr & 7) != 0 || pteMaddr < 0) {
            return REFUSED;
        }
        synchronized (ptOwner) {
            if (!isLiveL1(pteMaddr >>> MachineMemory.PAGE_SHIFT, ptOwner.domid())) {
                return REFUSED;
            }
            long cur = (long) PTE_VH.getAcquire(mem, pteMaddr);
            long want = PageTableEntry.GNTTAB | PageTableEntry.PRESENT | (writable ? PageTableEntry.RW : 0);
            if ((cur & (PageTableEntry.GNTTAB | PageTableEntry.PRESENT | PageTableEntry.RW)) != want
                    || PageTableEntry.mfn(cur) != mfn) {
                return REFUSED;
            }
            writeEntry(pteMaddr, -1L, replacement, false);
            ptOwner.pageTablesChanged();
            return 0;
        }
    }

    /**
     * Clears the present, non-grant L1 entry at {@code pteMaddr} and returns it with its
     * references, which now belong to the caller ({@code steal_linear_address}, for
     * {@code unmap_and_replace}).
     *
     * @return the entry, or 0 if there is no such entry to take
     */
    public long stealL1Entry(DomainPages ptOwner, long pteMaddr) {
        if ((pteMaddr & 7) != 0 || pteMaddr < 0) {
            return 0;
        }
        synchronized (ptOwner) {
            if (!isLiveL1(pteMaddr >>> MachineMemory.PAGE_SHIFT, ptOwner.domid())) {
                return 0;
            }
            long cur = (long) PTE_VH.getAcquire(mem, pteMaddr);
            if ((cur & PageTableEntry.PRESENT) == 0 || (cur & PageTableEntry.GNTTAB) != 0) {
                return 0;
            }
            long stolen = writeEntry(pteMaddr, -1L, 0L, false);
            ptOwner.pageTablesChanged();
            return stolen;
        }
    }

    /** Drops the references of an entry {@link #stealL1Entry} returned and nobody took. */
    public void putStolenEntry(DomainPages ptOwner, long pte, DeferredPuts deferred) {
        synchronized (ptOwner) {
            putPageFromL1e(pte, ptOwner.domid(), deferred);
        }
    }

    /** Whether {@code mfn} is a validated, in-use L1 table of {@code domid}. */
    private boolean isLiveL1(long mfn, int domid) {
        if (!frames.memory().isValidMfn(mfn) || frames.owner(mfn) != domid) {
            return false;
        }
        long x = frames.typeInfo(mfn);
        return FrameTable.pageType(x) == FrameTable.PGT_L1_PAGE_TABLE && FrameTable.typeCount(x) > 0
                && FrameTable.isValidated(x);
    }

    // ---------------------------------------------------------------------------------------
    // Writable page tables (ptwr)
    // ---------------------------------------------------------------------------------------

    /**
     * Emulates a guest store that faulted on a read-only mapping of one of its own L1 tables
     * ({@code ptwr_do_page_fault}), with {@code VMASST_TYPE_writable_pagetables} on (the
     * caller checks). Only a write-protection fault ({@code P|W}) of a naturally aligned store
     * of 1, 2, 4 or 8 bytes into a validated L1 page table owned by {@code owner} qualifies; a
     * partial store is merged with the rest of the entry, a compare-and-exchange compares the
     * stored bytes first. The merged entry is validated exactly as {@code mmu_update} would.
     *
     * @param pteMaddr the machine address the faulting address reads from ({@code translate})
     * @return true if the store was emulated (applied, or a compare-and-exchange that found
     *         another value, left in {@link TrapRecord#witness}); false if it is not a
     *         page-table write this path takes, or the new entry was refused — the fault then
     *         goes to the guest
     */
    public boolean emulatePtWrite(DomainPages owner, TrapRecord r, long pteMaddr, DeferredPuts deferred) {
        int w = r.width;
        if ((r.errorCode & (VcpuMmu.PF_PRESENT | VcpuMmu.PF_WRITE)) != (VcpuMmu.PF_PRESENT | VcpuMmu.PF_WRITE)
                || (w != 1 && w != 2 && w != 4 && w != 8) || (r.address & (w - 1)) != 0 || pteMaddr < 0) {
            return false;
        }
        long mfn = pteMaddr >>> MachineMemory.PAGE_SHIFT;
        long entry = pteMaddr & ~7L;
        int shift = (int) (pteMaddr & 7) * 8;
        long mask = w == 8 ? -1L : ((1L << (8 * w)) - 1) << shift;
        long bits = (r.value << shift) & mask;
        synchronized (owner) {
            long x = frames.typeInfo(mfn);
            if (frames.owner(mfn) != owner.domid() || FrameTable.pageType(x) != FrameTable.PGT_L1_PAGE_TABLE
                    || FrameTable.typeCount(x) == 0 || !FrameTable.isValidated(x)) {
                return false;
            }
            if (r.kind == TrapRecord.CMPXCHG) {
                long found = ((long) PTE_VH.getAcquire(mem, entry) & mask) >>> shift;
                long want = (r.expected << shift & mask) >>> shift;
                if (found != want) {
                    r.witness = found;
                    return true;
                }
            }
            boolean done = modL1(entry, mask, bits, owner.domid(), owner.domid(), false, deferred) == 0;
            owner.pageTablesChanged();
            return done;
        }
    }

    // ---------------------------------------------------------------------------------------
    // Entries: get_page_from_lNe / put_page_from_lNe / mod_lN_entry (page-table lock held)
    // ---------------------------------------------------------------------------------------

    /**
     * Replaces the bits {@code mask} of the L1 entry at {@code maddr} with {@code bits}
     * ({@code mod_l1_entry}).
     */
    private long modL1(long maddr, long mask, long bits, int ptOwner, int pgOwner, boolean preserveAd,
            DeferredPuts deferred) {
        long ol1e = (long) PTE_VH.getAcquire(mem, maddr);
        if ((ol1e & PageTableEntry.GNTTAB) != 0) {
            return REFUSED; // a grant mapping goes only through unmap_grant_ref
        }
        long nl1e = (ol1e & ~mask) | bits;
        if ((nl1e & PageTableEntry.PRESENT) != 0 && (nl1e & PageTableEntry.GNTTAB) != 0) {
            // Xen's L1_DISALLOW_MASK on every present new entry, not only when its references change:
            // _PAGE_GNTTAB set on an entry that keeps its frame would leave the references it holds
            // to an entry devalidation skips as a grant's (a frame never freed).
            return REFUSED;
        }
        boolean taken = false;
        if ((nl1e & PageTableEntry.PRESENT) != 0 && ((ol1e ^ nl1e) & REF_BITS) != 0) {
            if (!getPageFromL1e(nl1e, pgOwner)) {
                return REFUSED;
            }
            taken = true;
        }
        long old = writeEntry(maddr, mask, bits, preserveAd);
        if (taken || ((old ^ ((old & ~mask) | bits)) & REF_BITS) != 0) {
            putPageFromL1e(old, ptOwner, deferred);
        }
        return 0;
    }

    /** {@code mod_l2_entry} .. {@code mod_l4_entry}: {@code type} is the table's own type. */
    private long modUpper(long maddr, int type, long nle, int ptOwner, boolean preserveAd, DeferredPuts deferred) {
        long ole = (long) PTE_VH.getAcquire(mem, maddr);
        boolean taken = false;
        if ((nle & PageTableEntry.PRESENT) != 0) {
            if ((nle & PageTableEntry.PSE) != 0) {
                return REFUSED;
            }
            if (((ole ^ nle) & (PageTableEntry.FRAME_MASK | PageTableEntry.PRESENT)) != 0) {
                if (!getPageAndType(PageTableEntry.mfn(nle), ptOwner, type - 1)) {
                    return REFUSED;
                }
                taken = true;
            }
        }
        long old = writeEntry(maddr, -1L, nle, preserveAd);
        if ((old & PageTableEntry.PRESENT) != 0
                && (taken || ((old ^ nle) & (PageTableEntry.FRAME_MASK | PageTableEntry.PRESENT)) != 0)) {
            deferred.putPageAndType(frames, PageTableEntry.mfn(old), false);
        }
        return 0;
    }

    /**
     * Writes {@code (current & ~mask) | bits}, with the current A/D bits kept for
     * {@code preserveAd}, by compare-and-swap: the only bits that change under the page-table
     * lock are the A/D bits a walk sets, and the loop keeps them consistent.
     *
     * @return the value replaced
     */
    private long writeEntry(long maddr, long mask, long bits, boolean preserveAd) {
        for (;;) {
            long cur = (long) PTE_VH.getAcquire(mem, maddr);
            long next = (cur & ~mask) | bits;
            if (preserveAd) {
                next |= cur & AD;
            }
            if (PTE_VH.compareAndSet(mem, maddr, cur, next)) {
                return cur;
            }
        }
    }

    /** {@code get_page_from_l1e}: the references a present L1 entry holds. */
    private boolean getPageFromL1e(long pte, int pgOwner) {
        if ((pte & PageTableEntry.GNTTAB) != 0) {
            return false; // only map_grant_ref writes grant entries (Xen's L1_DISALLOW_MASK)
        }
        long mfn = PageTableEntry.mfn(pte);
        if (!frames.getPage(mfn, pgOwner)) {
            return false;
        }
        if ((pte & PageTableEntry.RW) != 0 && !frames.getPageType(mfn, FrameTable.PGT_WRITABLE_PAGE)) {
            frames.putPage(mfn);
            return false;
        }
        return true;
    }

    /** {@code put_page_from_l1e}: drops what a (formerly) present L1 entry held. */
    private void putPageFromL1e(long pte, int ptOwner, DeferredPuts deferred) {
        if ((pte & PageTableEntry.PRESENT) == 0) {
            return;
        }
        long mfn = PageTableEntry.mfn(pte);
        boolean foreign = frames.owner(mfn) != ptOwner;
        if ((pte & PageTableEntry.RW) != 0) {
            deferred.putPageAndType(frames, mfn, foreign);
        } else {
            deferred.putPage(frames, mfn, foreign);
        }
    }

    /**
     * {@code get_page_and_type}: a general reference on a frame owned by exactly {@code owner}
     * and a reference of {@code type}, validating the frame if this is its first reference of
     * that type ({@code alloc_page_type}).
     */
    private boolean getPageAndType(long mfn, int owner, int type) {
        if (!frames.memory().isValidMfn(mfn) || frames.owner(mfn) != owner || !frames.getPage(mfn, owner)) {
            return false;
        }
        if (!frames.getPageType(mfn, type)) {
            frames.putPage(mfn);
            return false;
        }
        long x = frames.typeInfo(mfn);
        if (FrameTable.isValidated(x)) {
            return true;
        }
        // Under the page-table lock only we validate this owner's tables: a count above 1
        // without PGT_validated is a table whose validation failed half-way — refuse it.
        if (FrameTable.typeCount(x) != 1 || !validate(mfn, type, owner)) {
            frames.putPageType(mfn);
            frames.putPage(mfn);
            return false;
        }
        frames.setValidated(mfn);
        return true;
    }

    /**
     * Validates every entry of table {@code mfn} as {@code type}, taking the references they
     * hold; on a refusal drops those taken so far (at once: the table is reachable from no
     * validated table or CR3 yet, so no TLB holds anything through it).
     */
    private boolean validate(long mfn, int type, int owner) {
        long base = MachineMemory.maddr(mfn);
        for (int slot = 0; slot < PageTableEntry.ENTRIES; slot++) {
            if (type == FrameTable.PGT_L4_PAGE_TABLE && isXenL4Slot(slot)) {
                continue;
            }
            long pte = (long) PTE_VH.getAcquire(mem, base + 8L * slot);
            if ((pte & PageTableEntry.PRESENT) == 0) {
                continue;
            }
            boolean ok = type == FrameTable.PGT_L1_PAGE_TABLE
                    ? getPageFromL1e(pte, owner)
                    : (pte & PageTableEntry.PSE) == 0 && getPageAndType(PageTableEntry.mfn(pte), owner, type - 1);
            if (!ok) {
                unwind(base, slot, type);
                return false;
            }
        }
        return true;
    }

    private void unwind(long base, int upTo, int type) {
        for (int slot = 0; slot < upTo; slot++) {
            if (type == FrameTable.PGT_L4_PAGE_TABLE && isXenL4Slot(slot)) {
                continue;
            }
            long pte = mem.get(PTE, base + 8L * slot);
            if ((pte & PageTableEntry.PRESENT) == 0) {
                continue;
            }
            long target = PageTableEntry.mfn(pte);
            if (type != FrameTable.PGT_L1_PAGE_TABLE || (pte & PageTableEntry.RW) != 0) {
                frames.putPageType(target);
            }
            frames.putPage(target);
        }
    }

    private static long entryAddress(long table, long va, int level) {
        return MachineMemory.maddr(table) + 8L * PageTableEntry.index(va, level);
    }
}
