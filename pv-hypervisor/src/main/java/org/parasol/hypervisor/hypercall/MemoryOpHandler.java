package org.parasol.hypervisor.hypercall;

import static org.parasol.hypercall.Errno.EFAULT;
import static org.parasol.hypercall.Errno.EINVAL;
import static org.parasol.hypercall.Errno.ENOSYS;
import static org.parasol.hypercall.Errno.EPERM;
import static org.parasol.hypercall.Errno.ESRCH;

import org.parasol.hypercall.abi.MemoryOp;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.struct.XenMachphysMapping;
import org.parasol.hypercall.struct.XenMachphysMfnList;
import org.parasol.hypercall.struct.XenMemoryDomain;
import org.parasol.hypercall.struct.XenMemoryReservation;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.Vcpu;
import org.parasol.hypervisor.mm.FrameTable;
import org.parasol.hypervisor.mm.PageTables;

/**
 * memory_op (hypercall 12): {@code (cmd, arg)}; the low 6 bits of {@code cmd} are the command
 * and the bits above are the extent to start from (Xen's continuation encoding), in
 * {@code do_memory_op}'s order.
 *
 * <ul>
 *   <li>XENMEM_increase_reservation (0) and XENMEM_decrease_reservation (1):
 *       {@code xen_memory_reservation}. Like Xen, they return how many extents are done and
 *       never an errno: an unreadable structure, more extents than a continuation can encode,
 *       a start at or beyond {@code nr_extents}, an unknown domain ({@code DOMID_SELF} or any
 *       domain), an {@code extent_order} above the caller's {@code max_order} (x86 Xen's: 9,
 *       {@code PAGETABLE_ORDER}, for a domU; 20, {@code MAX_ORDER}, for the control domain), another
 *       domain without privilege, or an extent list Xen's {@code access_ok} refuses, each
 *       return the start extent. An extent is {@code 2^extent_order} machine-contiguous frames,
 *       naturally aligned ({@link FrameTable#allocateExtent}). increase allocates
 *       {@code nr_extents} extents to the domain
 *       and writes their first MFNs to {@code extent_start[]} (if not NULL), stopping at
 *       {@code max_pages}, at the end of machine memory or at an unwritable element (that
 *       frame is returned first). decrease takes the GMFNs (MFNs for a PV guest) in
 *       {@code extent_start[]}, each the first of {@code 2^extent_order}: each frame is unpinned if pinned and loses the owner's allocation
 *       reference ({@link PageTables#removePage}), and is released only when its last
 *       reference — mappings included — goes, after a TLB shootdown; it stops at a frame the
 *       domain does not own or an unreadable element. Both check for preemption between
 *       extents and continue with the next extent index in {@code cmd >> 6}.</li>
 *   <li>XENMEM_populate_physmap (6): the same structure and the same checks, in the same
 *       order, so a caller without privilege naming another domain gets 0 extents done (not
 *       -EPERM: Xen's XSM check returns the start extent). For each extent it reads the GPFN
 *       from {@code extent_start[i]}, allocates an extent to the domain (stopping at
 *       {@code max_pages} or when no aligned run is free), sets the M2P entry of its frame
 *       {@code j} to GPFN + {@code j} ({@code set_gpfn_from_mfn}) and, as for a PV guest, writes its first MFN back over
 *       {@code extent_start[i]}; an unreadable or unwritable element stops it (the frame is
 *       returned first), and so does a GPFN Parasol's 32-bit M2P entry cannot hold. A
 *       privileged caller populates another domain this way while building it.</li>
 *   <li>XENMEM_maximum_ram_page (2): the highest machine frame number.</li>
 *   <li>XENMEM_current_reservation (3), XENMEM_maximum_reservation (4):
 *       {@code xen_memory_domain {u16 domid}}: unknown domain -ESRCH, then another domain
 *       without privilege -EPERM.</li>
 *   <li>XENMEM_machphys_mfn_list (5): {@code {u32 max_extents; ptr extent_start;
 *       u32 nr_extents}}: the MFN of each 2 MiB chunk of the M2P table, up to max_extents;
 *       nr_extents receives the count.</li>
 *   <li>XENMEM_machphys_mapping (12): {@code {v_start, v_end, max_mfn}}: where the read-only
 *       M2P table is mapped and the highest MFN it describes.</li>
 * </ul>
 * Commands that take no continuation answer a non-zero start extent with -EINVAL (those of
 * common code) or -ENOSYS (the architecture's, which see the whole {@code cmd}), as Xen does.
 */
final class MemoryOpHandler implements HypercallHandler {
    /** Extents a continuation can encode: Xen's {@code UINT_MAX >> MEMOP_EXTENT_SHIFT}. */
    private static final long MAX_EXTENTS = 0xFFFF_FFFFL >>> MemoryOp.MEMOP_EXTENT_SHIFT;
    /** M2P entries (8 bytes each) per 2 MiB chunk of the table. */
    private static final long M2P_CHUNK_FRAMES = (2L << 20) / Mmu.PAGE_SIZE;
    /** The highest GPFN an M2P entry holds in Parasol (32 bits; all ones is the invalid entry). */
    private static final long MAX_M2P_PFN = 0xFFFF_FFFEL;

    @Override
    public long call(Vcpu v, long cmd, long arg, long a3, long a4, long a5) {
        int op = (int) (cmd & MemoryOp.MEMOP_CMD_MASK);
        long start = cmd >>> MemoryOp.MEMOP_EXTENT_SHIFT;
        return switch (op) {
            case MemoryOp.INCREASE_RESERVATION -> increase(v, arg, start);
            case MemoryOp.DECREASE_RESERVATION -> decrease(v, arg, start);
            case MemoryOp.POPULATE_PHYSMAP -> populate(v, arg, start);
            case MemoryOp.MAXIMUM_RAM_PAGE -> start != 0 ? -EINVAL : v.domain().host().frames().frameCount() - 1;
            case MemoryOp.CURRENT_RESERVATION -> start != 0 ? -EINVAL : reservation(v, arg, false);
            case MemoryOp.MAXIMUM_RESERVATION -> start != 0 ? -EINVAL : reservation(v, arg, true);
            case MemoryOp.MACHPHYS_MFN_LIST -> start != 0 ? -ENOSYS : machphysMfnList(v, arg);
            case MemoryOp.MACHPHYS_MAPPING -> start != 0 ? -ENOSYS : machphysMapping(v, arg);
            default -> -ENOSYS;
        };
    }

    private static long reservation(Vcpu v, long arg, boolean maximum) {
        GuestArgs a = GuestArgs.of(v);
        if (!a.in(v, arg, XenMemoryDomain.SIZE)) {
            return -EFAULT;
        }
        Domain d = DomainArgs.byAnyId(v, a.memoryDomain.domid());
        if (d == null) {
            return -ESRCH;
        }
        if (!DomainArgs.mayControl(v, d)) {
            return -EPERM;
        }
        return maximum ? d.pages().maxPages() : d.pages().totPages();
    }

    /**
     * The domain a {@code xen_memory_reservation} at {@code arg} names, read into the vCPU's
     * scratch and checked in {@code do_memory_op}'s order for a call starting at extent
     * {@code start}, its extent list included ({@code guest_handle_subrange_okay}, unless the
     * handle is null); null when the call does nothing and returns {@code start}.
     */
    private static Domain reservationTarget(Vcpu v, long arg, long start) {
        GuestArgs a = GuestArgs.of(v);
        if (!a.in(v, arg, XenMemoryReservation.SIZE)) {
            return null;
        }
        XenMemoryReservation r = a.reservation;
        long nr = r.nrExtents();
        if (Long.compareUnsigned(nr, MAX_EXTENTS) > 0 || Long.compareUnsigned(start, nr) >= 0) {
            return null;
        }
        Domain d = DomainArgs.byAnyId(v, r.domid());
        if (d == null || Long.compareUnsigned(r.extentOrder(), maxOrder(v)) > 0 || !DomainArgs.mayControl(v, d)) {
            return null;
        }
        long extentStart = r.extentStart();
        if (extentStart != 0 && !GuestArgs.accessOk(extentStart + start * Long.BYTES)) {
            return null; // guest_handle_subrange_okay
        }
        return d;
    }

    /**
     * Xen's {@code max_order(current->domain)} on x86: the largest extent order the caller may
     * ask for, {@code PAGETABLE_ORDER} (9, a 2 MiB superpage) for a domU and {@code MAX_ORDER}
     * for the control domain.
     */
    static int maxOrder(Vcpu v) {
        return v.domain().privileged() ? FrameTable.MAX_ORDER : DOMU_MAX_ORDER;
    }

    /** {@code CONFIG_DOMU_MAX_ORDER} on x86: {@code PAGETABLE_ORDER}. */
    static final int DOMU_MAX_ORDER = 9;

    /** Drops the allocation reference of each frame of an extent just allocated, which frees it. */
    private static void unallocate(FrameTable frames, long mfn, int n) {
        for (int j = 0; j < n; j++) {
            frames.putPage(mfn + j);
        }
    }

    private static long increase(Vcpu v, long arg, long start) {
        Domain d = reservationTarget(v, arg, start);
        if (d == null) {
            return start;
        }
        XenMemoryReservation r = GuestArgs.of(v).reservation;
        long extentStart = r.extentStart();
        long nr = r.nrExtents();
        int order = (int) r.extentOrder();
        int n = 1 << order;
        FrameTable frames = d.host().frames();
        long i = start;
        for (; i < nr; i++) {
            if (i > start && v.preemptCheck(i - start)) {
                v.setContinuation(MemoryOp.INCREASE_RESERVATION | (i << MemoryOp.MEMOP_EXTENT_SHIFT), arg, 0, 0, 0);
                return Vcpu.CONTINUATION;
            }
            if (!d.mayRun()) {
                break;
            }
            long mfn = frames.allocateExtent(d.pages(), order);
            if (mfn < 0) {
                break;
            }
            if (extentStart != 0 && !GuestArgs.of(v).outU64Element(v, extentStart, i, mfn)) {
                unallocate(frames, mfn, n);
                break;
            }
        }
        return i;
    }

    private static long populate(Vcpu v, long arg, long start) {
        Domain d = reservationTarget(v, arg, start);
        if (d == null) {
            return start;
        }
        GuestArgs a = GuestArgs.of(v);
        long extentStart = a.reservation.extentStart();
        long nr = a.reservation.nrExtents();
        int order = (int) a.reservation.extentOrder();
        int n = 1 << order;
        FrameTable frames = d.host().frames();
        long i = start;
        for (; i < nr; i++) {
            if (i > start && v.preemptCheck(i - start)) {
                v.setContinuation(MemoryOp.POPULATE_PHYSMAP | (i << MemoryOp.MEMOP_EXTENT_SHIFT), arg, 0, 0, 0);
                return Vcpu.CONTINUATION;
            }
            if (!a.inU64Element(v, extentStart, i)) {
                break;
            }
            long gpfn = a.u64Element();
            if (gpfn < 0 || gpfn > MAX_M2P_PFN - (n - 1) || !d.mayRun()) {
                break;
            }
            long mfn = frames.allocateExtent(d.pages(), order);
            if (mfn < 0) {
                break;
            }
            frames.setM2pRun(mfn, gpfn, n);
            if (!a.outU64Element(v, extentStart, i, mfn)) {
                unallocate(frames, mfn, n);
                break;
            }
        }
        return i;
    }

    private static long decrease(Vcpu v, long arg, long start) {
        Domain d = reservationTarget(v, arg, start);
        if (d == null) {
            return start;
        }
        GuestArgs a = GuestArgs.of(v);
        long extentStart = a.reservation.extentStart();
        long nr = a.reservation.nrExtents();
        int n = 1 << (int) a.reservation.extentOrder();
        PageTables pt = d.host().pageTables();
        long i = start;
        for (; i < nr; i++) {
            if (i > start && v.preemptCheck(i - start)) {
                v.releaseDeferredPuts(d);
                v.setContinuation(MemoryOp.DECREASE_RESERVATION | (i << MemoryOp.MEMOP_EXTENT_SHIFT), arg, 0, 0, 0);
                return Vcpu.CONTINUATION;
            }
            if (!a.inU64Element(v, extentStart, i)) {
                break;
            }
            long gmfn = a.u64Element();
            int j = 0;
            while (j < n && pt.removePage(d.pages(), gmfn + j, v.mmu().deferred()) == 0) {
                j++;
            }
            if (j < n) {
                break;
            }
        }
        v.releaseDeferredPuts(d);
        return i;
    }

    private static long machphysMfnList(Vcpu v, long arg) {
        GuestArgs a = GuestArgs.of(v);
        if (!a.in(v, arg, XenMachphysMfnList.SIZE)) {
            return -EFAULT;
        }
        XenMachphysMfnList op = a.machphysMfnList;
        long max = op.maxExtents();
        long extentStart = op.extentStart();
        FrameTable frames = v.domain().host().frames();
        long chunks = (frames.machphysFrames() + M2P_CHUNK_FRAMES - 1) / M2P_CHUNK_FRAMES;
        long i = 0;
        for (; i < max && i < chunks; i++) {
            if (!a.outU64Element(v, extentStart, i, frames.machphysBase() + M2P_CHUNK_FRAMES * i)) {
                return -EFAULT;
            }
        }
        op.nrExtents(i);
        return a.out(v, arg, XenMachphysMfnList.SIZE) ? 0 : -EFAULT;
    }

    private static long machphysMapping(Vcpu v, long arg) {
        GuestArgs a = GuestArgs.of(v);
        a.machphysMapping.vStart(Mmu.MACH2PHYS_VIRT_START).vEnd(Mmu.MACH2PHYS_VIRT_END)
                .maxMfn(v.domain().host().frames().frameCount() - 1);
        return a.out(v, arg, XenMachphysMapping.SIZE) ? 0 : -EFAULT;
    }
}
