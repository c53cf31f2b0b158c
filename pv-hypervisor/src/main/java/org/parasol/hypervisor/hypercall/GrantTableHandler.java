package org.parasol.hypervisor.hypercall;

import static org.parasol.hypercall.Errno.EFAULT;
import static org.parasol.hypercall.Errno.EINVAL;
import static org.parasol.hypercall.Errno.ENOSYS;
import static org.parasol.hypercall.Errno.EPERM;
import static org.parasol.hypercall.Errno.ESRCH;

import java.lang.foreign.MemorySegment;

import org.parasol.hypercall.DomId;
import org.parasol.hypercall.abi.Gntcopy;
import org.parasol.hypercall.abi.Gntmap;
import org.parasol.hypercall.abi.Gntst;
import org.parasol.hypercall.abi.GnttabOp;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.struct.GnttabCopy;
import org.parasol.hypercall.struct.GnttabGetStatusFrames;
import org.parasol.hypercall.struct.GnttabGetVersion;
import org.parasol.hypercall.struct.GnttabMapGrantRef;
import org.parasol.hypercall.struct.GnttabQuerySize;
import org.parasol.hypercall.struct.GnttabSetVersion;
import org.parasol.hypercall.struct.GnttabSetupTable;
import org.parasol.hypercall.struct.GnttabUnmapAndReplace;
import org.parasol.hypercall.struct.GnttabUnmapGrantRef;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.Vcpu;
import org.parasol.hypervisor.grant.GrantTable;
import org.parasol.hypervisor.grant.Maptrack;
import org.parasol.hypervisor.mm.FrameTable;
import org.parasol.hypervisor.mm.MachineMemory;
import org.parasol.hypervisor.mm.PageTableEntry;
import org.parasol.hypervisor.mm.PageTables;

/**
 * grant_table_op (hypercall 20): {@code (cmd, args, count)}, grant tables version 1, in
 * {@code do_grant_table_op}'s order.
 *
 * <p>{@code count} is an unsigned int; one that is negative as a signed int is -EINVAL, and so
 * is a {@code cmd} with bits above its low 12 (Xen keeps its continuation argument there). The
 * batched commands (map, unmap, unmap_and_replace, copy) first check that the whole array
 * passes Xen's {@code access_ok} (-EFAULT), then copy each element in, decode it with its
 * flyweight and put its outcome in the element's {@code status} ({@code GNTST_*}); the
 * hypercall answers 0, or -EFAULT when an element cannot be read or its status written back.
 *
 * <ul>
 *   <li>setup_table (2) {@code gnttab_setup_table}, count 1 only: an unwritable frame list
 *       (by {@code access_ok}) -EFAULT; then, in {@code status}: unknown domain
 *       {@code bad_domain}, another domain without privilege {@code permission_denied},
 *       beyond the maximum or out of memory {@code general_error}; the table grows to
 *       {@code nr_frames} and each frame's MFN goes to {@code frame_list[i]}, the first that
 *       cannot be written ending it with {@code bad_virt_addr}. Only {@code status} is copied
 *       back.</li>
 *   <li>query_size (6), count 1 only: the same domain rules; the whole structure back.</li>
 *   <li>copy (5): see {@link #copyOne}.</li>
 *   <li>set_version (8) {@code {u32 version}}: 1 is accepted; 2 answers -ENOSYS (Parasol
 *       behaves as a Xen limited to {@code gnttab=max-ver:1}); anything else -EINVAL. The
 *       version in force is written back either way.</li>
 *   <li>get_version (10): unknown domain -ESRCH, then another domain without privilege
 *       -EPERM; {@code version} back.</li>
 *   <li>get_status_frames (9), count 1: an unwritable frame list -EFAULT; the domain rules;
 *       then a v1 table has no status frames, so asking for more than 0 is
 *       {@code general_error}.</li>
 *   <li>map_grant_ref, unmap_grant_ref, unmap_and_replace: see {@link #mapOne} and
 *       {@link #unmapGrantRefs}.</li>
 *   <li>dump_table, transfer, swap_grant_ref, cache_flush: -ENOSYS (Xen no longer implements
 *       dump_table; page transfer and the v2-era operations are not implemented, see
 *       docs/deviations.md).</li>
 * </ul>
 */
final class GrantTableHandler implements HypercallHandler {
    /** Xen's {@code GNTTABOP_CONTINUATION_ARG_SHIFT}: {@code cmd} bits above it are not a command. */
    private static final int CONTINUATION_ARG_SHIFT = 12;
    /** How long an unmap waits for the mapper's vCPUs to acknowledge a shootdown. */
    private static final long SHOOTDOWN_TIMEOUT_NANOS = 1_000_000_000L;
    private static final System.Logger LOG = System.getLogger("org.parasol.hypervisor.grant");

    @Override
    public long call(Vcpu v, long cmd, long uop, long count, long a4, long a5) {
        if ((int) count < 0) {
            return -EINVAL;
        }
        int c = (int) cmd;
        if ((c >>> CONTINUATION_ARG_SHIFT) != 0 && (c & ((1 << CONTINUATION_ARG_SHIFT) - 1)) != GnttabOp.CACHE_FLUSH) {
            return -EINVAL;
        }
        int n = (int) count;
        return switch (c) {
            case GnttabOp.MAP_GRANT_REF -> mapGrantRefs(v, uop, n);
            case GnttabOp.UNMAP_GRANT_REF -> unmapGrantRefs(v, uop, n, false);
            case GnttabOp.UNMAP_AND_REPLACE -> unmapGrantRefs(v, uop, n, true);
            case GnttabOp.COPY -> copy(v, uop, n);
            case GnttabOp.SETUP_TABLE -> n != 1 ? -EINVAL : setupTable(v, uop);
            case GnttabOp.QUERY_SIZE -> n != 1 ? -EINVAL : querySize(v, uop);
            case GnttabOp.SET_VERSION -> setVersion(v, uop);
            case GnttabOp.GET_VERSION -> getVersion(v, uop);
            case GnttabOp.GET_STATUS_FRAMES -> n != 1 ? -EINVAL : getStatusFrames(v, uop);
            default -> -ENOSYS;
        };
    }

    /** {@code bad_domain}, {@code permission_denied}, or {@code okay} for a table op on {@code d} (by any id). */
    private static int access(Vcpu v, Domain d) {
        if (d == null) {
            return Gntst.BAD_DOMAIN;
        }
        return DomainArgs.mayControl(v, d) ? Gntst.OKAY : Gntst.PERMISSION_DENIED;
    }

    // ---------------------------------------------------------------- table size

    private static long setupTable(Vcpu v, long uop) {
        GuestArgs a = GuestArgs.of(v);
        if (!a.in(v, uop, GnttabSetupTable.SIZE)) {
            return -EFAULT;
        }
        GnttabSetupTable op = a.setupTable;
        long nr = op.nrFrames();
        long list = op.frameList();
        if (!GuestArgs.arrayOk(list, nr, Long.BYTES)) {
            return -EFAULT;
        }
        Domain d = DomainArgs.byAnyId(v, op.dom());
        int status = access(v, d);
        if (status == Gntst.OKAY) {
            GrantTable gt = d.grants();
            status = nr > gt.maxFrames() ? Gntst.GENERAL_ERROR : gt.grow((int) nr);
            for (int i = 0; status == Gntst.OKAY && i < nr; i++) {
                if (!a.outU64Element(v, list, i, gt.frameMfn(i))) {
                    status = Gntst.BAD_VIRT_ADDR;
                }
            }
        }
        op.status(status);
        return a.outField(v, uop, GnttabSetupTable.STATUS_OFFSET, Short.BYTES) ? 0 : -EFAULT;
    }

    private static long querySize(Vcpu v, long uop) {
        GuestArgs a = GuestArgs.of(v);
        if (!a.in(v, uop, GnttabQuerySize.SIZE)) {
            return -EFAULT;
        }
        GnttabQuerySize op = a.querySize;
        Domain d = DomainArgs.byAnyId(v, op.dom());
        int status = access(v, d);
        if (status == Gntst.OKAY) {
            op.nrFrames(d.grants().nrFrames()).maxNrFrames(d.grants().maxFrames());
        }
        op.status(status);
        return a.out(v, uop, GnttabQuerySize.SIZE) ? 0 : -EFAULT;
    }

    private static long setVersion(Vcpu v, long uop) {
        GuestArgs a = GuestArgs.of(v);
        if (!a.in(v, uop, GnttabSetVersion.SIZE)) {
            return -EFAULT;
        }
        long version = a.setVersion.version();
        long rc = version == 1 ? 0 : version == 2 ? -ENOSYS : -EINVAL;
        a.setVersion.version(1);
        return a.out(v, uop, GnttabSetVersion.SIZE) ? rc : -EFAULT;
    }

    private static long getVersion(Vcpu v, long uop) {
        GuestArgs a = GuestArgs.of(v);
        if (!a.in(v, uop, GnttabGetVersion.SIZE)) {
            return -EFAULT;
        }
        Domain d = DomainArgs.byAnyId(v, a.getVersion.dom());
        if (d == null) {
            return -ESRCH;
        }
        if (!DomainArgs.mayControl(v, d)) {
            return -EPERM;
        }
        a.getVersion.version(1);
        return a.outField(v, uop, GnttabGetVersion.VERSION_OFFSET, Integer.BYTES) ? 0 : -EFAULT;
    }

    private static long getStatusFrames(Vcpu v, long uop) {
        GuestArgs a = GuestArgs.of(v);
        if (!a.in(v, uop, GnttabGetStatusFrames.SIZE)) {
            return -EFAULT;
        }
        GnttabGetStatusFrames op = a.getStatusFrames;
        long nr = op.nrFrames();
        if (!GuestArgs.arrayOk(op.frameList(), nr, Long.BYTES)) {
            return -EFAULT;
        }
        int status = access(v, DomainArgs.byAnyId(v, op.dom()));
        if (status == Gntst.OKAY && nr > 0) {
            status = Gntst.GENERAL_ERROR; // a version-1 table has no status frames
        }
        op.status(status);
        return a.outField(v, uop, GnttabGetStatusFrames.STATUS_OFFSET, Short.BYTES) ? 0 : -EFAULT;
    }

    // ---------------------------------------------------------------- map and unmap

    private static long mapGrantRefs(Vcpu v, long uop, int count) {
        if (!GuestArgs.arrayOk(uop, count, GnttabMapGrantRef.SIZE)) {
            return -EFAULT;
        }
        GuestArgs a = GuestArgs.of(v);
        GnttabMapGrantRef op = a.map;
        for (int i = 0; i < count; i++) {
            long element = uop + (long) i * GnttabMapGrantRef.SIZE;
            if (!a.in(v, element, GnttabMapGrantRef.SIZE)) {
                return -EFAULT;
            }
            op.handle(0).devBusAddr(0);
            op.status(mapOne(v, op));
            if (org.parasol.hypervisor.jfr.JfrSwitch.grantMap) {
                org.parasol.hypervisor.jfr.GrantMapEvent.emit(v.domid(), "map", op.dom(), op.ref(), op.status());
            }
            // status, handle and dev_bus_addr: the OUT fields, which end the structure
            if (!a.outField(v, element, GnttabMapGrantRef.STATUS_OFFSET,
                    GnttabMapGrantRef.SIZE - GnttabMapGrantRef.STATUS_OFFSET)) {
                return -EFAULT;
            }
        }
        return 0;
    }

    /**
     * One {@code gnttab_map_grant_ref} element ({@code map_grant_ref}), in Xen's order:
     * <ol>
     *   <li>{@code flags} must ask for a host and/or a device mapping: else {@code bad_gntref};</li>
     *   <li>the granting domain must exist, named by its id ({@code rcu_lock_domain_by_id}:
     *       the caller's own id is a domain, {@code DOMID_SELF} is not): else
     *       {@code bad_domain};</li>
     *   <li>a maptrack handle: else {@code no_space};</li>
     *   <li>the pins through the granter's table ({@link GrantTable#acquire}: {@code bad_gntref}
     *       beyond the table, {@code general_error} for a wrong domid, a non-permit type, a
     *       writable map of a read-only grant or an entry pinned by another domain,
     *       {@code bad_page} for a frame the granter does not own);</li>
     *   <li>for a host map, the PTE: at {@code host_addr} in the caller's current address
     *       space, or at the machine address {@code host_addr} with {@code GNTMAP_contains_pte};
     *       it must be an entry of one of the caller's validated L1 tables not already holding
     *       a grant: else {@code general_error}. The entry maps the frame present, accessed,
     *       dirty, user (as Xen's {@code adjust_guest_l1e} makes every 64-bit PV mapping),
     *       non-executable, writable unless {@code GNTMAP_readonly}, with
     *       {@code _PAGE_GNTTAB} and the guest-available bits from {@code flags >> 16};</li>
     *   <li>a device map reports the frame's machine address in {@code dev_bus_addr} (no IOMMU:
     *       the bus address is the machine address).</li>
     * </ol>
     * Any failure undoes what the element took.
     */
    private static int mapOne(Vcpu v, GnttabMapGrantRef op) {
        long hostAddr = op.hostAddr();
        int flags = (int) op.flags();
        // A ref of 2^31 or more becomes negative: the granter's table answers bad_gntref.
        int ref = (int) op.ref();
        int dom = op.dom();
        boolean host = (flags & Gntmap.HOST_MAP) != 0;
        boolean device = (flags & Gntmap.DEVICE_MAP) != 0;
        boolean readonly = (flags & Gntmap.READONLY) != 0;
        if (!host && !device) {
            return Gntst.BAD_GNTREF;
        }
        Domain rd = DomainArgs.byId(v, dom);
        if (rd == null) {
            return Gntst.BAD_DOMAIN;
        }
        Domain ld = v.domain();
        Maptrack mt = ld.maptrack();
        int handle = mt.allocate();
        if (handle < 0) {
            return Gntst.NO_SPACE;
        }
        GrantTable gt = rd.grants();
        int me = ld.domid();
        long mfn = -1;
        if (host) {
            mfn = gt.acquire(ref, me, readonly, false);
            if (mfn < 0) {
                mt.free(handle);
                return (int) mfn;
            }
        }
        if (device) {
            long dmfn = gt.acquire(ref, me, readonly, true);
            if (dmfn < 0) {
                if (host) {
                    gt.release(ref, readonly, false);
                }
                mt.free(handle);
                return (int) dmfn;
            }
            mfn = dmfn;
        }
        long pteMaddr = -1;
        if (host) {
            PageTables pt = ld.host().pageTables();
            pteMaddr = (flags & Gntmap.CONTAINS_PTE) != 0 ? hostAddr : pt.l1EntryAddress(me, v.baseMfn(), hostAddr);
            long pte = PageTableEntry.make(mfn, PageTableEntry.PRESENT | PageTableEntry.ACCESSED
                    | PageTableEntry.DIRTY | PageTableEntry.USER | PageTableEntry.NX | PageTableEntry.GNTTAB
                    | (readonly ? 0 : PageTableEntry.RW)
                    | (((long) flags >>> Gntmap.GUEST_AVAIL0) & 7L) << 9);
            if (pteMaddr < 0 || pt.createGrantMapping(ld.pages(), pteMaddr, pte, v.mmu().deferred()) != 0) {
                v.releaseDeferredPuts();
                if (device) {
                    gt.release(ref, readonly, true);
                }
                gt.release(ref, readonly, false);
                mt.free(handle);
                return Gntst.GENERAL_ERROR;
            }
            v.releaseDeferredPuts();
            if ((flags & Gntmap.CONTAINS_PTE) == 0 && v.onOwnThread()) {
                v.mmu().invlpg(hostAddr); // whatever this address translated to before is gone
            }
        }
        mt.install(handle, gt, ref, flags & (Gntmap.HOST_MAP | Gntmap.DEVICE_MAP | Gntmap.READONLY
                | Gntmap.CONTAINS_PTE | Gntmap.APPLICATION_MAP), mfn);
        op.handle(handle);
        if (device) {
            op.devBusAddr(MachineMemory.maddr(mfn));
        }
        return Gntst.OKAY;
    }

    /**
     * unmap_grant_ref (24-byte elements {@code {u64 host_addr; u64 dev_bus_addr; u32 handle;
     * s16 status}}) and unmap_and_replace ({@code {u64 host_addr; u64 new_addr; u32 handle;
     * s16 status}}), in two phases as Xen's {@code gnttab_unmap_grant_ref} batches them:
     * <ol>
     *   <li>per element: the handle must name a live mapping of the caller ({@code bad_handle});
     *       a non-zero {@code dev_bus_addr} must be the mapping's ({@code bad_dev_addr}) and
     *       removes its device part; a non-zero {@code host_addr} removes the host part: the
     *       PTE there (looked up like map_grant_ref did) must still be this grant mapping, same
     *       frame and same writability ({@code general_error} otherwise, the mapping left as
     *       it was), and is cleared — or, for unmap_and_replace with a non-zero
     *       {@code new_addr}, replaced by the entry at {@code new_addr}, which is zapped;</li>
     *   <li>then one TLB shootdown of every vCPU of the caller, and only after it the pins go
     *       (GTF_writing/GTF_reading cleared as the counts reach zero) with the frame
     *       references: no TLB can reach a frame that is given back.</li>
     * </ol>
     * A shootdown that times out (a vCPU never reached a safe point) leaves those mappings'
     * pins held until the caller's death, so nothing is freed under a stale TLB.
     */
    private static long unmapGrantRefs(Vcpu v, long uop, int count, boolean replace) {
        long size = replace ? GnttabUnmapAndReplace.SIZE : GnttabUnmapGrantRef.SIZE;
        long statusOffset = replace ? GnttabUnmapAndReplace.STATUS_OFFSET : GnttabUnmapGrantRef.STATUS_OFFSET;
        if (!GuestArgs.arrayOk(uop, count, size)) {
            return -EFAULT;
        }
        GuestArgs a = GuestArgs.of(v);
        int zapped = 0;
        long rc = 0;
        for (int i = 0; i < count; i++) {
            long element = uop + i * size;
            if (!a.in(v, element, size)) {
                rc = -EFAULT;
                break;
            }
            int status = replace
                    ? unmapOne(v, a.unmapAndReplace.hostAddr(), 0, a.unmapAndReplace.newAddr(),
                            a.unmapAndReplace.handle(), zapped)
                    : unmapOne(v, a.unmap.hostAddr(), a.unmap.devBusAddr(), 0, a.unmap.handle(), zapped);
            if (status > 0) {
                zapped++;
                status = Gntst.OKAY;
            }
            if (replace) {
                a.unmapAndReplace.status(status);
            } else {
                a.unmap.status(status);
            }
            if (!a.outField(v, element, statusOffset, Short.BYTES)) {
                rc = -EFAULT;
                break;
            }
            if (zapped == GuestArgs.ZAPPED_MAX) {
                completeUnmaps(v, zapped);
                zapped = 0;
            }
        }
        completeUnmaps(v, zapped);
        return rc;
    }

    /**
     * Phase one of one unmap element. Returns a negative {@code GNTST_*} refusal, 0 when
     * nothing was claimed, or 1 when the handle (and the parts claimed) was recorded at
     * {@code slot} of the zapped list for phase two.
     */
    private static int unmapOne(Vcpu v, long hostAddr, long devBusAddr, long newAddr, long handle, int slot) {
        int status = unmapOneQuiet(v, hostAddr, devBusAddr, newAddr, handle, slot);
        if (org.parasol.hypervisor.jfr.JfrSwitch.grantMap) {
            org.parasol.hypervisor.jfr.GrantMapEvent.emit(v.domid(), "unmap", -1, handle, status);
        }
        return status;
    }

    private static int unmapOneQuiet(Vcpu v, long hostAddr, long devBusAddr, long newAddr, long handle, int slot) {
        Domain ld = v.domain();
        Maptrack mt = ld.maptrack();
        int want = (hostAddr != 0 ? Gntmap.HOST_MAP : 0) | (devBusAddr != 0 ? Gntmap.DEVICE_MAP : 0);
        int parts = mt.claim(handle, want);
        if (parts < 0) {
            return Gntst.BAD_HANDLE;
        }
        int h = (int) handle;
        long mfn = mt.mfn(h);
        int flags = mt.flags(h) | parts;
        if (devBusAddr != 0 && ((parts & Gntmap.DEVICE_MAP) == 0 || devBusAddr != MachineMemory.maddr(mfn))) {
            mt.unclaim(h, parts);
            return (flags & Gntmap.DEVICE_MAP) == 0 ? Gntst.BAD_HANDLE : Gntst.BAD_DEV_ADDR;
        }
        if (hostAddr != 0) {
            if ((parts & Gntmap.HOST_MAP) == 0) {
                mt.unclaim(h, parts);
                return Gntst.BAD_HANDLE;
            }
            PageTables pt = ld.host().pageTables();
            boolean containsPte = (flags & Gntmap.CONTAINS_PTE) != 0;
            if (containsPte && newAddr != 0) {
                mt.unclaim(h, parts); // replace is not available in this addressing mode
                return Gntst.GENERAL_ERROR;
            }
            long pteMaddr = containsPte ? hostAddr : pt.l1EntryAddress(ld.domid(), v.baseMfn(), hostAddr);
            long stolen = 0;
            if (newAddr != 0) {
                long from = pt.l1EntryAddress(ld.domid(), v.baseMfn(), newAddr);
                stolen = from < 0 ? 0 : pt.stealL1Entry(ld.pages(), from);
                if (stolen == 0) {
                    mt.unclaim(h, parts);
                    return Gntst.GENERAL_ERROR;
                }
            }
            if (pteMaddr < 0 || pt.replaceGrantMapping(ld.pages(), pteMaddr, mfn, (flags & Gntmap.READONLY) == 0,
                    stolen) != 0) {
                if (stolen != 0) {
                    pt.putStolenEntry(ld.pages(), stolen, v.mmu().deferred());
                    v.releaseDeferredPuts();
                }
                mt.unclaim(h, parts);
                return Gntst.GENERAL_ERROR;
            }
        }
        if (parts == 0) {
            return Gntst.OKAY;
        }
        GuestArgs.of(v).zappedHandles[slot] = h;
        GuestArgs.of(v).zappedParts[slot] = parts;
        return 1;
    }

    /** Phase two: one shootdown, then the pins of every zapped handle go. */
    private static void completeUnmaps(Vcpu v, int zapped) {
        if (zapped == 0) {
            return;
        }
        Domain ld = v.domain();
        if (!ld.flushTlbs(SHOOTDOWN_TIMEOUT_NANOS)) {
            LOG.log(System.Logger.Level.WARNING, "d" + ld.domid() + ": TLB shootdown timed out after unmap_grant_ref; "
                    + zapped + " grant pins stay held until the domain dies");
            return;
        }
        Maptrack mt = ld.maptrack();
        GuestArgs a = GuestArgs.of(v);
        for (int i = 0; i < zapped; i++) {
            mt.complete(a.zappedHandles[i], a.zappedParts[i]);
        }
    }

    // ---------------------------------------------------------------- copy

    /**
     * {@code GNTTABOP_copy}: the elements are copied in by runs ({@link GuestArgs#inRun}: one
     * translation and one bulk copy per page of the array, where Xen's {@code gnttab_copy} copies
     * in one element at a time) and each is decoded from that private copy, then carried out and
     * its {@code status} written back ({@link GuestArgs#outStatus}: one store, the page's
     * translation kept for the call), in order. A run that cannot be read whole is read again
     * one element at a time, so the elements before an unreadable one are carried out and the
     * call answers -EFAULT at it, as in Xen. An element whose copy writes over elements of its
     * run not yet carried out (the op array inside a destination frame) ends the run: the next
     * run is read from the element after it, so each element is carried out as it stands after
     * the elements before it, as Xen's reading each one just before doing it gives. What still
     * differs (deviation 55): another vCPU's or domain's write to the array during the call is
     * seen at the next run, not the next element.
     */
    private static long copy(Vcpu v, long uop, int count) {
        if (!GuestArgs.arrayOk(uop, count, GnttabCopy.SIZE)) {
            return -EFAULT;
        }
        GuestArgs a = GuestArgs.of(v);
        FrameTable frames = v.domain().host().frames();
        CopyBuf src = a.copySource;
        CopyBuf dst = a.copyDest;
        a.forgetStatusPage();
        try {
            // After a copy over the run, the next element alone is read again: a caller that
            // copies over its array at every element costs no more than Xen's one at a time.
            boolean overwritten = false;
            for (int i = 0; i < count; ) {
                int run = overwritten ? 1 : Math.min(count - i, GuestArgs.COPY_RUN);
                overwritten = false;
                long first = uop + (long) i * GnttabCopy.SIZE;
                long end = first + (long) run * GnttabCopy.SIZE;
                // A run that cannot be read whole is read one element at a time, into element 0's place.
                boolean whole = a.inRun(v, first, GnttabCopy.SIZE, run) && a.mapRun(v, first, end - first);
                for (int k = 0; k < run; k++) {
                    long element = first + (long) k * GnttabCopy.SIZE;
                    if (!whole && !a.in(v, element, GnttabCopy.SIZE)) {
                        return -EFAULT;
                    }
                    GnttabCopy op = a.copyRun[whole ? k : 0];
                    int status = copyOne(v, op, src, dst);
                    if (status != Gntst.OKAY) {
                        src.release(frames); // as Xen: a failed element keeps nothing claimed
                        dst.release(frames);
                    }
                    if (!a.outStatus(v, element + GnttabCopy.STATUS_OFFSET, (short) status)) {
                        return -EFAULT;
                    }
                    i++;
                    if (whole && status == Gntst.OKAY && k + 1 < run && !dst.empty() && op.len() != 0
                            && a.runOverlaps(element + GnttabCopy.SIZE, end,
                                    MachineMemory.maddr(dst.mfn()) + op.destOffset(), op.len())) {
                        overwritten = true;
                        break; // it wrote over elements read but not yet done: read them again
                    }
                }
            }
            return 0;
        } finally {
            src.release(frames); // nothing stays claimed past the call, whichever way it ends
            dst.release(frames);
        }
    }

    /**
     * One side (source or destination) of the elements of one {@code GNTTABOP_copy} call, kept
     * claimed from one element to the next while they name the same grant reference (of the
     * same granter) or the same frame, as Xen's {@code gnttab_copy_buf}: a batch whose
     * consecutive elements copy from or into one page claims it once ({@code
     * gnttab_copy_buf_valid}), and holds its pin, its {@code GTF_reading}/{@code GTF_writing}
     * and its frame references until an element names another, an element fails, or the call
     * ends. Per vCPU, in {@link GuestArgs}: never held between hypercalls.
     */
    static final class CopyBuf {
        private final boolean readonly;
        /** The granter, or the caller for a frame; null: nothing held. */
        private Domain domain;
        private boolean gref;
        /** The grant reference or the frame named. */
        private long ptr;
        private long mfn;

        CopyBuf(boolean readonly) {
            this.readonly = readonly;
        }

        /** Whether what is held is exactly what an element names ({@code gnttab_copy_buf_valid}). */
        boolean holds(Domain d, boolean isGref, long u) {
            return domain == d && gref == isGref && ptr == u;
        }

        void hold(Domain d, boolean isGref, long u, long claimed) {
            domain = d;
            gref = isGref;
            ptr = u;
            mfn = claimed;
        }

        /**
         * The machine frame an element's side names: what is held if it names that
         * ({@code gnttab_copy_buf_valid}), else what was held released and this side claimed and
         * held ({@code gnttab_copy_claim_buf}); a negative {@code GNTST_*} if the claim fails.
         */
        long acquire(FrameTable frames, Domain d, boolean isGref, long u, int me) {
            if (holds(d, isGref, u)) {
                return mfn;
            }
            release(frames);
            long claimed = claim(frames, d, isGref, u, me, readonly);
            if (claimed >= 0) {
                hold(d, isGref, u, claimed);
            }
            return claimed;
        }

        /** Drops what is held, if anything ({@code gnttab_copy_release_buf}). */
        void release(FrameTable frames) {
            Domain d = domain;
            if (d != null) {
                domain = null;
                unclaim(frames, d, gref, ptr, mfn, readonly);
            }
        }

        /** The frame held (when not {@link #empty}). */
        long mfn() {
            return mfn;
        }

        /** Whether nothing is held. */
        boolean empty() {
            return domain == null;
        }
    }

    /**
     * One {@code gnttab_copy} element, in Xen's order ({@code gnttab_copy_one}):
     * <ol>
     *   <li>{@code len} 0 copies nothing and succeeds, before anything else is looked at.</li>
     *   <li>Each side's domain: a frame side (no {@code GNTCOPY_*_gref} flag) must name
     *       {@code DOMID_SELF} ({@code permission_denied}); a grant side names the granter,
     *       which must exist ({@code bad_domain}).</li>
     *   <li>Each side is claimed, source first: a grant through the granter's table like a
     *       transient map ({@link GrantTable#acquire}: {@code bad_gntref}, {@code general_error}
     *       for a wrong domid, a non-permit type or a read-only destination, {@code bad_page}
     *       for a frame the granter does not own); a frame must be the caller's own
     *       ({@code bad_page}) and, as a destination, writable ({@code general_error}).</li>
     *   <li>{@code offset + len} beyond 4096 on either side: {@code bad_copy_arg}.</li>
     *   <li>The bytes are copied. Each side stays claimed ({@link CopyBuf}) while the next
     *       elements name the same grant or frame, as Xen's {@code gnttab_copy_buf}; it is
     *       released (clearing GTF_reading/GTF_writing again) when an element names another,
     *       when an element fails, and at the end of the call.</li>
     * </ol>
     */
    private static int copyOne(Vcpu v, GnttabCopy op, CopyBuf srcBuf, CopyBuf dstBuf) {
        int flags = op.flags();
        boolean srcGref = (flags & Gntcopy.SOURCE_GREF) != 0;
        boolean dstGref = (flags & Gntcopy.DEST_GREF) != 0;
        int srcDom = op.sourceDomid();
        int dstDom = op.destDomid();
        int srcOff = op.sourceOffset();
        int dstOff = op.destOffset();
        int len = op.len();
        long src = srcGref ? op.sourceRef() : op.sourceGmfn();
        long dst = dstGref ? op.destRef() : op.destGmfn();
        if (len == 0) {
            return Gntst.OKAY;
        }
        if (!srcGref && srcDom != DomId.DOMID_SELF) {
            return Gntst.PERMISSION_DENIED;
        }
        Domain sd = DomainArgs.byAnyId(v, srcDom);
        if (sd == null) {
            return Gntst.BAD_DOMAIN;
        }
        if (!dstGref && dstDom != DomId.DOMID_SELF) {
            return Gntst.PERMISSION_DENIED;
        }
        Domain dd = DomainArgs.byAnyId(v, dstDom);
        if (dd == null) {
            return Gntst.BAD_DOMAIN;
        }
        FrameTable frames = v.domain().host().frames();
        int me = v.domain().domid();

        long smfn = srcBuf.acquire(frames, sd, srcGref, src, me);
        if (smfn < 0) {
            return (int) smfn;
        }
        long dmfn = dstBuf.acquire(frames, dd, dstGref, dst, me);
        if (dmfn < 0) {
            return (int) dmfn; // the caller releases the source
        }
        if (srcOff + len > Mmu.PAGE_SIZE || dstOff + len > Mmu.PAGE_SIZE) {
            return Gntst.BAD_COPY_ARG; // the caller releases both
        }
        // Each side's claim (FrameTable.getPageOwned) saw its frame written if it is a page of a
        // P2M list not yet written, so a partial write here is never overwritten by the list later.
        MemorySegment m = frames.memory().segment();
        MemorySegment.copy(m, MachineMemory.maddr(smfn) + srcOff, m, MachineMemory.maddr(dmfn) + dstOff, len);
        return Gntst.OKAY;
    }

    /** Claims one side: the MFN (with its references held), or a negative GNTST code. */
    private static long claim(FrameTable frames, Domain d, boolean gref, long u, int me, boolean readonly) {
        if (gref) {
            if (u >= Integer.MAX_VALUE) {
                return Gntst.BAD_GNTREF;
            }
            return d.grants().acquire((int) u, me, readonly);
        }
        int rc = GrantTable.claimFrame(frames, u, me, readonly);
        return rc == Gntst.OKAY ? u : rc;
    }

    private static void unclaim(FrameTable frames, Domain d, boolean gref, long u, long mfn, boolean readonly) {
        if (gref) {
            d.grants().release((int) u, readonly);
        } else {
            GrantTable.unclaimFrame(frames, mfn, readonly);
        }
    }
}
