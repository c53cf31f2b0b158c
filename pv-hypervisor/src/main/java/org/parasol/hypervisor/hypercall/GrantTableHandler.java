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
import org.parasol.hypercall.struct.GnttabCopy;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.Vcpu;
import org.parasol.hypervisor.grant.GrantTable;
import org.parasol.hypervisor.mm.FrameTable;
import org.parasol.hypervisor.mm.MachineMemory;

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
 *   <li>map_grant_ref, unmap_grant_ref, unmap_and_replace, transfer, swap_grant_ref,
 *       cache_flush: -ENOSYS for now (mapping comes with the PV MMU).</li>
 * </ul>
 */
final class GrantTableHandler implements HypercallHandler {
    private static final int FRAME_LIST_SCRATCH = 1024;
    private static final System.Logger LOG = System.getLogger("org.parasol.hypervisor.grant");

    @Override
    public long call(Vcpu v, long cmd, long uop, long count, long a4, long a5) {
        if ((int) count < 0) {
            return -EINVAL;
        }
        int n = (int) count;
        return switch ((int) cmd) {
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
        return d.hypervisor().domain(dom).orElse(null);
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
        FrameTable frames = v.domain().hypervisor().frames();
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
