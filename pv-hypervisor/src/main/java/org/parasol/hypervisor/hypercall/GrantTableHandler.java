package org.parasol.hypervisor.hypercall;

import static org.parasol.hypercall.Errno.EFAULT;
import static org.parasol.hypercall.Errno.EINVAL;
import static org.parasol.hypercall.Errno.ENOSYS;
import static org.parasol.hypercall.Errno.EPERM;
import static org.parasol.hypercall.Errno.ESRCH;

import java.lang.foreign.MemorySegment;

import org.parasol.hypercall.DomId;
import org.parasol.hypercall.abi.Gntcopy;
import org.parasol.hypercall.abi.GnttabOp;
import org.parasol.hypercall.abi.Gntst;
import org.parasol.hypercall.abi.Gntmap;
import org.parasol.hypercall.struct.GnttabCopy;
import org.parasol.hypercall.struct.GnttabMapGrantRef;
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
 * grant_table_op (hypercall 20): {@code (cmd, args, count)}, grant tables version 1.
 *
 * <p>{@code count} is an unsigned int; one that is negative as a signed int is -EINVAL, as
 * in Xen. Per-element outcomes go in each element's {@code status} ({@code GNTST_*}); the
 * hypercall answers 0, or -EFAULT when an element cannot be read or its status written back.
 *
 * <ul>
 *   <li>setup_table (2) {@code {u16 dom; u32 nr_frames; s16 status OUT; u64 frame_list}},
 *       count 1 only: grows the table to {@code nr_frames} and writes the frames' MFNs to
 *       {@code frame_list}. Unknown domain {@code bad_domain}; another domain without
 *       privilege {@code permission_denied}; beyond the maximum or out of memory
 *       {@code general_error}; an unwritable list {@code bad_virt_addr}.</li>
 *   <li>query_size (6) {@code {u16 dom; u32 nr_frames OUT; u32 max_nr_frames OUT; s16
 *       status OUT}}, count 1 only; the same domain rules.</li>
 *   <li>dump_table (3) {@code {u16 dom; s16 status OUT}}: logs the entries in use.</li>
 *   <li>copy (5): see {@link #copyOne}.</li>
 *   <li>set_version (8) {@code {u32 version}}: 1 is accepted; 2 answers -ENOSYS (Parasol
 *       behaves as a Xen limited to {@code gnttab=max-ver:1}); anything else -EINVAL. The
 *       version in force is written back either way.</li>
 *   <li>get_version (10) {@code {u16 dom; u16 pad; u32 version OUT}}: 1; another domain
 *       without privilege -EPERM, unknown -ESRCH.</li>
 *   <li>get_status_frames (9): count 1; {@code general_error}, a v1 table has none.</li>
 *   <li>map_grant_ref, unmap_grant_ref, unmap_and_replace: see {@link #mapOne} and
 *       {@link #unmapGrantRefs}.</li>
 *   <li>transfer, swap_grant_ref, cache_flush: -ENOSYS (page transfer and the v2-era
 *       operations are not implemented; see docs/deviations.md).</li>
 * </ul>
 */
final class GrantTableHandler implements HypercallHandler {
    private static final int FRAME_LIST_SCRATCH = 1024;
    /** Where an unmap batch keeps the handles waiting for its TLB shootdown: [4 KiB, 8 KiB). */
    private static final int ZAPPED_SCRATCH = 4096;
    /** Handles per shootdown: an unmap batch flushes at least every this many elements. */
    private static final int ZAPPED_MAX = 512;
    /** unmap_grant_ref and unmap_and_replace elements are both 24 bytes. */
    private static final long UNMAP_SIZE = GnttabUnmapGrantRef.SIZE;
    /** How long an unmap waits for the mapper's vCPUs to acknowledge a shootdown. */
    private static final long SHOOTDOWN_TIMEOUT_NANOS = 1_000_000_000L;
    private static final System.Logger LOG = System.getLogger("org.parasol.hypervisor.grant");

    @Override
    public long call(Vcpu v, long cmd, long uop, long count, long a4, long a5) {
        if ((int) count < 0) {
            return -EINVAL;
        }
        int n = (int) count;
        return switch ((int) cmd) {
            case GnttabOp.MAP_GRANT_REF -> mapGrantRefs(v, uop, n);
            case GnttabOp.UNMAP_GRANT_REF -> unmapGrantRefs(v, uop, n, false);
            case GnttabOp.UNMAP_AND_REPLACE -> unmapGrantRefs(v, uop, n, true);
            case GnttabOp.COPY -> copy(v, uop, n);
            case GnttabOp.SETUP_TABLE -> n != 1 ? -EINVAL : setupTable(v, uop);
            case GnttabOp.QUERY_SIZE -> n != 1 ? -EINVAL : querySize(v, uop);
            case GnttabOp.DUMP_TABLE -> n != 1 ? -EINVAL : dumpTable(v, uop);
            case GnttabOp.SET_VERSION -> setVersion(v, uop);
            case GnttabOp.GET_VERSION -> getVersion(v, uop);
            case GnttabOp.GET_STATUS_FRAMES -> n != 1 ? -EINVAL : getStatusFrames(v, uop);
            default -> -ENOSYS;
        };
    }

    /** The caller for DOMID_SELF or its own id, else another live domain, else null. */
    private static Domain resolve(Vcpu v, int dom) {
        Domain d = v.domain();
        if (dom == DomId.DOMID_SELF || dom == d.domid()) {
            return d;
        }
        return d.host().lookup(dom);
    }

    /** bad_domain, permission_denied, or okay for a table op on {@code d}. */
    private static int access(Vcpu v, Domain d) {
        if (d == null) {
            return Gntst.BAD_DOMAIN;
        }
        if (d != v.domain() && !v.domain().privileged()) {
            return Gntst.PERMISSION_DENIED;
        }
        return Gntst.OKAY;
    }

    // ---------------------------------------------------------------- table size

    private static long setupTable(Vcpu v, long uop) {
        if (!GuestArgs.in(v, uop, 0, 24)) {
            return -EFAULT;
        }
        int dom = GuestArgs.u16(v, 0);
        long nr = Integer.toUnsignedLong(GuestArgs.u32(v, 4));
        long list = GuestArgs.u64(v, 16);
        Domain d = resolve(v, dom);
        int status = access(v, d);
        if (status == Gntst.OKAY) {
            GrantTable gt = d.grants();
            status = nr > gt.maxFrames() ? Gntst.GENERAL_ERROR : gt.grow((int) nr);
            if (status == Gntst.OKAY && nr > 0) {
                for (int i = 0; i < nr; i++) {
                    GuestArgs.put64(v, FRAME_LIST_SCRATCH + 8L * i, gt.frameMfn(i));
                }
                if (!GuestArgs.out(v, FRAME_LIST_SCRATCH, list, nr * 8)) {
                    status = Gntst.BAD_VIRT_ADDR;
                }
            }
        }
        GuestArgs.put16(v, 8, status);
        return GuestArgs.out(v, 8, uop + 8, 2) ? 0 : -EFAULT;
    }

    private static long querySize(Vcpu v, long uop) {
        if (!GuestArgs.in(v, uop, 0, 16)) {
            return -EFAULT;
        }
        Domain d = resolve(v, GuestArgs.u16(v, 0));
        int status = access(v, d);
        if (status == Gntst.OKAY) {
            GuestArgs.put32(v, 4, d.grants().nrFrames());
            GuestArgs.put32(v, 8, d.grants().maxFrames());
        }
        GuestArgs.put16(v, 12, status);
        return GuestArgs.out(v, 4, uop + 4, 10) ? 0 : -EFAULT;
    }

    private static long dumpTable(Vcpu v, long uop) {
        if (!GuestArgs.in(v, uop, 0, 4)) {
            return -EFAULT;
        }
        Domain d = resolve(v, GuestArgs.u16(v, 0));
        int status = access(v, d);
        if (status == Gntst.OKAY) {
            GrantTable gt = d.grants();
            StringBuilder sb = new StringBuilder("grant table of d" + d.domid() + ": " + gt.nrFrames()
                    + " frames (max " + gt.maxFrames() + ")");
            for (int ref = 0; ref < gt.nrEntries(); ref++) {
                int h = gt.header(ref);
                int pin = gt.pinOf(ref);
                if (h != 0 || pin != 0) {
                    sb.append(String.format("%n  [%5d] flags %#06x domid %5d frame %#x pin %#010x",
                            ref, h & 0xFFFF, h >>> 16, gt.frame(ref), pin));
                }
            }
            LOG.log(System.Logger.Level.INFO, sb.toString());
        }
        GuestArgs.put16(v, 2, status);
        return GuestArgs.out(v, 2, uop + 2, 2) ? 0 : -EFAULT;
    }

    private static long setVersion(Vcpu v, long uop) {
        if (!GuestArgs.in(v, uop, 0, 4)) {
            return -EFAULT;
        }
        int version = GuestArgs.u32(v, 0);
        long rc = version == 1 ? 0 : version == 2 ? -ENOSYS : -EINVAL;
        GuestArgs.put32(v, 0, 1);
        return GuestArgs.out(v, 0, uop, 4) ? rc : -EFAULT;
    }

    private static long getVersion(Vcpu v, long uop) {
        if (!GuestArgs.in(v, uop, 0, 8)) {
            return -EFAULT;
        }
        Domain d = resolve(v, GuestArgs.u16(v, 0));
        if (d != v.domain() && !v.domain().privileged()) {
            return -EPERM;
        }
        if (d == null) {
            return -ESRCH;
        }
        GuestArgs.put32(v, 4, 1);
        return GuestArgs.out(v, 4, uop + 4, 4) ? 0 : -EFAULT;
    }

    private static long getStatusFrames(Vcpu v, long uop) {
        if (!GuestArgs.in(v, uop, 0, 16)) {
            return -EFAULT;
        }
        Domain d = resolve(v, GuestArgs.u16(v, 4));
        int status = access(v, d);
        if (status == Gntst.OKAY) {
            status = Gntst.GENERAL_ERROR; // only a version-2 table has status frames
        }
        GuestArgs.put16(v, 6, status);
        return GuestArgs.out(v, 6, uop + 6, 2) ? 0 : -EFAULT;
    }

    // ---------------------------------------------------------------- map and unmap

    private static long mapGrantRefs(Vcpu v, long uop, int count) {
        for (int i = 0; i < count; i++) {
            long op = uop + (long) i * GnttabMapGrantRef.SIZE;
            if (!GuestArgs.in(v, op, 0, GnttabMapGrantRef.SIZE)) {
                return -EFAULT;
            }
            GuestArgs.put32(v, GnttabMapGrantRef.HANDLE_OFFSET, 0);
            GuestArgs.put64(v, GnttabMapGrantRef.DEV_BUS_ADDR_OFFSET, 0);
            GuestArgs.put16(v, GnttabMapGrantRef.STATUS_OFFSET, mapOne(v));
            long outLen = GnttabMapGrantRef.SIZE - GnttabMapGrantRef.STATUS_OFFSET;
            if (!GuestArgs.out(v, GnttabMapGrantRef.STATUS_OFFSET, op + GnttabMapGrantRef.STATUS_OFFSET, outLen)) {
                return -EFAULT;
            }
        }
        return 0;
    }

    /**
     * One {@code gnttab_map_grant_ref} element ({@code map_grant_ref}), in Xen's order:
     * <ol>
     *   <li>{@code flags} must ask for a host and/or a device mapping: else {@code bad_gntref};</li>
     *   <li>the granting domain must exist ({@code DOMID_SELF} and the caller's own id are
     *       allowed): else {@code bad_domain};</li>
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
    private static int mapOne(Vcpu v) {
        long hostAddr = GuestArgs.u64(v, GnttabMapGrantRef.HOST_ADDR_OFFSET);
        int flags = GuestArgs.u32(v, GnttabMapGrantRef.FLAGS_OFFSET);
        long ref = Integer.toUnsignedLong(GuestArgs.u32(v, GnttabMapGrantRef.REF_OFFSET));
        int dom = GuestArgs.u16(v, GnttabMapGrantRef.DOM_OFFSET);
        boolean host = (flags & Gntmap.HOST_MAP) != 0;
        boolean device = (flags & Gntmap.DEVICE_MAP) != 0;
        boolean readonly = (flags & Gntmap.READONLY) != 0;
        if (!host && !device) {
            return Gntst.BAD_GNTREF;
        }
        Domain rd = resolve(v, dom);
        if (rd == null) {
            return Gntst.BAD_DOMAIN;
        }
        if (ref >= Integer.MAX_VALUE) {
            return Gntst.BAD_GNTREF;
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
            mfn = gt.acquire((int) ref, me, readonly, false);
            if (mfn < 0) {
                mt.free(handle);
                return (int) mfn;
            }
        }
        if (device) {
            long dmfn = gt.acquire((int) ref, me, readonly, true);
            if (dmfn < 0) {
                if (host) {
                    gt.release((int) ref, readonly, false);
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
                    gt.release((int) ref, readonly, true);
                }
                gt.release((int) ref, readonly, false);
                mt.free(handle);
                return Gntst.GENERAL_ERROR;
            }
            v.releaseDeferredPuts();
            if ((flags & Gntmap.CONTAINS_PTE) == 0 && v.onOwnThread()) {
                v.mmu().invlpg(hostAddr); // whatever this address translated to before is gone
            }
        }
        mt.install(handle, gt, (int) ref, flags & (Gntmap.HOST_MAP | Gntmap.DEVICE_MAP | Gntmap.READONLY
                | Gntmap.CONTAINS_PTE | Gntmap.APPLICATION_MAP), mfn);
        GuestArgs.put32(v, GnttabMapGrantRef.HANDLE_OFFSET, handle);
        if (device) {
            GuestArgs.put64(v, GnttabMapGrantRef.DEV_BUS_ADDR_OFFSET, MachineMemory.maddr(mfn));
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
        int zapped = 0;
        long rc = 0;
        for (int i = 0; i < count; i++) {
            long op = uop + (long) i * UNMAP_SIZE;
            if (!GuestArgs.in(v, op, 0, UNMAP_SIZE)) {
                rc = -EFAULT;
                break;
            }
            int status = unmapOne(v, replace, zapped);
            if (status > 0) {
                zapped++;
                status = Gntst.OKAY;
            }
            GuestArgs.put16(v, replace ? GnttabUnmapAndReplace.STATUS_OFFSET : GnttabUnmapGrantRef.STATUS_OFFSET, status);
            long so = replace ? GnttabUnmapAndReplace.STATUS_OFFSET : GnttabUnmapGrantRef.STATUS_OFFSET;
            if (!GuestArgs.out(v, so, op + so, 2)) {
                rc = -EFAULT;
                break;
            }
            if (zapped == ZAPPED_MAX) {
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
    private static int unmapOne(Vcpu v, boolean replace, int slot) {
        long hostAddr = GuestArgs.u64(v, replace ? GnttabUnmapAndReplace.HOST_ADDR_OFFSET : GnttabUnmapGrantRef.HOST_ADDR_OFFSET);
        long second = GuestArgs.u64(v, replace ? GnttabUnmapAndReplace.NEW_ADDR_OFFSET : GnttabUnmapGrantRef.DEV_BUS_ADDR_OFFSET);
        long handle = Integer.toUnsignedLong(GuestArgs.u32(v,
                replace ? GnttabUnmapAndReplace.HANDLE_OFFSET : GnttabUnmapGrantRef.HANDLE_OFFSET));
        long devBusAddr = replace ? 0 : second;
        long newAddr = replace ? second : 0;
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
        GuestArgs.put32(v, ZAPPED_SCRATCH + 8L * slot, h);
        GuestArgs.put32(v, ZAPPED_SCRATCH + 8L * slot + 4, parts);
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
        for (int i = 0; i < zapped; i++) {
            mt.complete(GuestArgs.u32(v, ZAPPED_SCRATCH + 8L * i), GuestArgs.u32(v, ZAPPED_SCRATCH + 8L * i + 4));
        }
    }

    // ---------------------------------------------------------------- copy

    private static long copy(Vcpu v, long uop, int count) {
        for (int i = 0; i < count; i++) {
            long op = uop + (long) i * GnttabCopy.SIZE;
            if (!GuestArgs.in(v, op, 0, GnttabCopy.SIZE)) {
                return -EFAULT;
            }
            GuestArgs.put16(v, GnttabCopy.STATUS_OFFSET, copyOne(v));
            if (!GuestArgs.out(v, GnttabCopy.STATUS_OFFSET, op + GnttabCopy.STATUS_OFFSET, 2)) {
                return -EFAULT;
            }
        }
        return 0;
    }

    /**
     * One {@code gnttab_copy} element, in Xen's order ({@code gnttab_copy_one}):
     * <ol>
     *   <li>Each side's domain: a frame side (no {@code GNTCOPY_*_gref} flag) must name
     *       {@code DOMID_SELF} ({@code permission_denied}); a grant side names the granter,
     *       which must exist ({@code bad_domain}).</li>
     *   <li>Each side is claimed, source first: a grant through the granter's table like a
     *       transient map ({@link GrantTable#acquire}: {@code bad_gntref}, {@code general_error}
     *       for a wrong domid, a non-permit type or a read-only destination, {@code bad_page}
     *       for a frame the granter does not own); a frame must be the caller's own
     *       ({@code bad_page}) and, as a destination, writable ({@code general_error}).</li>
     *   <li>{@code offset + len} beyond 4096 on either side: {@code bad_copy_arg}.</li>
     *   <li>The bytes are copied ({@code len} 0 copies nothing and succeeds), and both sides
     *       released, which clears GTF_reading/GTF_writing again.</li>
     * </ol>
     */
    private static int copyOne(Vcpu v) {
        int flags = GuestArgs.u16(v, GnttabCopy.FLAGS_OFFSET);
        boolean srcGref = (flags & Gntcopy.SOURCE_GREF) != 0;
        boolean dstGref = (flags & Gntcopy.DEST_GREF) != 0;
        int srcDom = GuestArgs.u16(v, GnttabCopy.SOURCE_DOMID_OFFSET);
        int dstDom = GuestArgs.u16(v, GnttabCopy.DEST_DOMID_OFFSET);
        int srcOff = GuestArgs.u16(v, GnttabCopy.SOURCE_OFFSET_OFFSET);
        int dstOff = GuestArgs.u16(v, GnttabCopy.DEST_OFFSET_OFFSET);
        int len = GuestArgs.u16(v, GnttabCopy.LEN_OFFSET);
        long src = srcGref ? Integer.toUnsignedLong(GuestArgs.u32(v, GnttabCopy.SOURCE_REF_OFFSET))
                : GuestArgs.u64(v, GnttabCopy.SOURCE_GMFN_OFFSET);
        long dst = dstGref ? Integer.toUnsignedLong(GuestArgs.u32(v, GnttabCopy.DEST_REF_OFFSET))
                : GuestArgs.u64(v, GnttabCopy.DEST_GMFN_OFFSET);

        if (!srcGref && srcDom != DomId.DOMID_SELF) {
            return Gntst.PERMISSION_DENIED;
        }
        Domain sd = resolve(v, srcDom);
        if (sd == null) {
            return Gntst.BAD_DOMAIN;
        }
        if (!dstGref && dstDom != DomId.DOMID_SELF) {
            return Gntst.PERMISSION_DENIED;
        }
        Domain dd = resolve(v, dstDom);
        if (dd == null) {
            return Gntst.BAD_DOMAIN;
        }
        FrameTable frames = v.domain().host().frames();
        int me = v.domain().domid();

        long smfn = claim(frames, sd, srcGref, src, me, true);
        if (smfn < 0) {
            return (int) smfn;
        }
        long dmfn = claim(frames, dd, dstGref, dst, me, false);
        if (dmfn < 0) {
            unclaim(frames, sd, srcGref, src, smfn, true);
            return (int) dmfn;
        }
        int status = Gntst.OKAY;
        if (srcOff + len > MachineMemory.PAGE_SIZE || dstOff + len > MachineMemory.PAGE_SIZE) {
            status = Gntst.BAD_COPY_ARG;
        } else if (len > 0) {
            MemorySegment m = frames.memory().segment();
            MemorySegment.copy(m, MachineMemory.maddr(smfn) + srcOff, m, MachineMemory.maddr(dmfn) + dstOff, len);
        }
        unclaim(frames, dd, dstGref, dst, dmfn, false);
        unclaim(frames, sd, srcGref, src, smfn, true);
        return status;
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
