package org.parasol.hypervisor.hypercall;

import static org.parasol.hypercall.Errno.EFAULT;
import static org.parasol.hypercall.Errno.EINVAL;
import static org.parasol.hypercall.Errno.ENOSYS;
import static org.parasol.hypercall.Errno.EPERM;
import static org.parasol.hypercall.Errno.ESRCH;

import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypercall.abi.MemoryOp;
import org.parasol.hypercall.DomId;
import org.parasol.hypervisor.domain.Vcpu;
import org.parasol.hypervisor.mm.FrameTable;
import org.parasol.hypervisor.mm.PageTables;

/**
 * memory_op (hypercall 12): {@code (cmd, arg)}; the low 6 bits of {@code cmd} are the
 * command and the bits above are the extent to start from (Xen's continuation encoding).
 *
 * <ul>
 *   <li>XENMEM_increase_reservation (0): {@code xen_memory_reservation}; allocates
 *       {@code nr_extents} frames of order 0 to the domain (DomId.DOMID_SELF, or any domain for a
 *       privileged caller: -EPERM otherwise) and writes their MFNs to {@code extent_start[]}.
 *       Returns how many were done: fewer when max_pages or machine memory is reached, or
 *       when writing an MFN back faults (that frame is returned first). Extent orders above
 *       0 are -EINVAL (Parasol hands out single frames; see deviations).</li>
 *   <li>XENMEM_maximum_ram_page (2): the highest machine frame number.</li>
 *   <li>XENMEM_current_reservation (3), XENMEM_maximum_reservation (4):
 *       {@code xen_memory_domain {u16 domid}}; another domain needs privilege (-EPERM);
 *       -ESRCH for an unknown one.</li>
 * </ul>
 * <ul>
 *   <li>XENMEM_decrease_reservation (1): {@code xen_memory_reservation} naming GMFNs (MFNs for
 *       a PV guest) in {@code extent_start[]}; each is unpinned if pinned and loses the
 *       owner's allocation reference ({@link PageTables#removePage}). A frame is released only
 *       when its last reference — mappings included — goes, after a TLB shootdown. Stops at a
 *       frame the domain does not own or an unreadable extent; returns how many were done.</li>
 *   <li>XENMEM_machphys_mfn_list (5): {@code {u32 max_extents; ptr extent_start;
 *       u32 nr_extents}}: the MFN of each 2 MiB chunk of the M2P table, up to max_extents;
 *       nr_extents receives the count. -EFAULT on a bad pointer.</li>
 *   <li>XENMEM_machphys_mapping (12): {@code {v_start, v_end, max_mfn}}: where the read-only
 *       M2P table is mapped ({@link PageTables#M2P_VIRT_START} up to
 *       {@link PageTables#M2P_VIRT_END}) and the highest MFN it describes.</li>
 * </ul>
 * Continuations: increase and decrease_reservation check for preemption between extents and
 * continue with the next extent index in {@code cmd >> 6}.
 */
final class MemoryOpHandler implements HypercallHandler {

    @Override
    public long call(Vcpu v, long cmd, long arg, long a3, long a4, long a5) {
        int op = (int) (cmd & MemoryOp.MEMOP_CMD_MASK);
        long start = cmd >>> MemoryOp.MEMOP_EXTENT_SHIFT;
        return switch (op) {
            case MemoryOp.INCREASE_RESERVATION -> increase(v, arg, start);
            case MemoryOp.DECREASE_RESERVATION -> decrease(v, arg, start);
            case MemoryOp.MACHPHYS_MFN_LIST -> machphysMfnList(v, arg);
            case MemoryOp.MACHPHYS_MAPPING -> machphysMapping(v, arg);
            case MemoryOp.MAXIMUM_RAM_PAGE -> v.domain().host().frames().frameCount() - 1;
            case MemoryOp.CURRENT_RESERVATION -> reservation(v, arg, false);
            case MemoryOp.MAXIMUM_RESERVATION -> reservation(v, arg, true);
            default -> -ENOSYS;
        };
    }

    private static Domain target(Vcpu v, int domid) {
        Domain d = v.domain();
        if (domid == DomId.DOMID_SELF || domid == d.domid()) {
            return d;
        }
        return d.host().lookup(domid);
    }

    private static long reservation(Vcpu v, long arg, boolean maximum) {
        if (!GuestArgs.in(v, arg, 0, 2)) {
            return -EFAULT;
        }
        int domid = GuestArgs.u16(v, 0);
        if (domid != DomId.DOMID_SELF && domid != v.domain().domid() && !v.domain().privileged()) {
            return -EPERM;
        }
        Domain d = target(v, domid);
        if (d == null) {
            return -ESRCH;
        }
        return maximum ? d.pages().maxPages() : d.pages().totPages();
    }

    /**
     * A {@code xen_memory_reservation} read and checked for a continuation at extent
     * {@code start}: {@code error} is 0 and {@code d} the target, or {@code error} is the
     * -errno to return (-EFAULT unreadable, -EPERM another domain without privilege, -ESRCH
     * no such domain, -EINVAL an order other than 0 or a bad extent count).
     */
    private record Reservation(long error, Domain d, long extentStart, long nr) {
        static Reservation read(Vcpu v, long arg, long start) {
            if (!GuestArgs.in(v, arg, 0, 32)) {
                return new Reservation(-EFAULT, null, 0, 0);
            }
            long extentStart = GuestArgs.u64(v, 0);
            long nr = GuestArgs.u64(v, 8);
            int order = GuestArgs.u32(v, 16);
            int domid = GuestArgs.u16(v, 24);
            if (domid != DomId.DOMID_SELF && domid != v.domain().domid() && !v.domain().privileged()) {
                return new Reservation(-EPERM, null, 0, 0);
            }
            Domain d = target(v, domid);
            if (d == null) {
                return new Reservation(-ESRCH, null, 0, 0);
            }
            if (order != 0 || nr < 0 || start > nr) {
                return new Reservation(-EINVAL, null, 0, 0);
            }
            return new Reservation(0, d, extentStart, nr);
        }
    }

    private static long increase(Vcpu v, long arg, long start) {
        Reservation r = Reservation.read(v, arg, start);
        if (r.error() != 0) {
            return r.error();
        }
        Domain d = r.d();
        long extentStart = r.extentStart();
        long nr = r.nr();
        var frames = d.host().frames();
        long i = start;
        for (; i < nr; i++) {
            if (i > start && v.preemptCheck(i - start)) {
                v.setContinuation(MemoryOp.INCREASE_RESERVATION | (i << MemoryOp.MEMOP_EXTENT_SHIFT), arg, 0, 0, 0);
                return Vcpu.CONTINUATION;
            }
            if (!d.mayRun()) {
                break;
            }
            long mfn = frames.allocate(d.pages());
            if (mfn < 0) {
                break;
            }
            GuestArgs.put64(v, 64, mfn);
            if (extentStart != 0 && !GuestArgs.out(v, 64, extentStart + 8 * i, 8)) {
                frames.putPage(mfn);
                break;
            }
        }
        return i;
    }

    private static long decrease(Vcpu v, long arg, long start) {
        Reservation r = Reservation.read(v, arg, start);
        if (r.error() != 0) {
            return r.error();
        }
        Domain d = r.d();
        long extentStart = r.extentStart();
        long nr = r.nr();
        PageTables pt = d.host().pageTables();
        long i = start;
        for (; i < nr; i++) {
            if (i > start && v.preemptCheck(i - start)) {
                v.releaseDeferredPuts(d);
                v.setContinuation(MemoryOp.DECREASE_RESERVATION | (i << MemoryOp.MEMOP_EXTENT_SHIFT), arg, 0, 0, 0);
                return Vcpu.CONTINUATION;
            }
            if (!GuestArgs.in(v, extentStart + 8 * i, 64, 8)) {
                break;
            }
            if (pt.removePage(d.pages(), GuestArgs.u64(v, 64), v.mmu().deferred()) != 0) {
                break;
            }
        }
        v.releaseDeferredPuts(d);
        return i;
    }

    private static long machphysMfnList(Vcpu v, long arg) {
        if (!GuestArgs.in(v, arg, 0, 24)) {
            return -EFAULT;
        }
        long max = GuestArgs.u32(v, 0) & 0xFFFF_FFFFL;
        long extentStart = GuestArgs.u64(v, 8);
        FrameTable frames = v.domain().host().frames();
        long chunks = (frames.machphysFrames() + 511) / 512;
        long i = 0;
        for (; i < max && i < chunks; i++) {
            GuestArgs.put64(v, 64, frames.machphysBase() + 512 * i);
            if (!GuestArgs.out(v, 64, extentStart + 8 * i, 8)) {
                return -EFAULT;
            }
        }
        GuestArgs.put32(v, 16, (int) i);
        return GuestArgs.out(v, 16, arg + 16, 4) ? 0 : -EFAULT;
    }

    private static long machphysMapping(Vcpu v, long arg) {
        GuestArgs.put64(v, 0, PageTables.M2P_VIRT_START);
        GuestArgs.put64(v, 8, PageTables.M2P_VIRT_END);
        GuestArgs.put64(v, 16, v.domain().host().frames().frameCount() - 1);
        return GuestArgs.out(v, 0, arg, 24) ? 0 : -EFAULT;
    }
}
