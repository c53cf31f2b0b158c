package org.parasol.hypercall.guest;

import java.util.Objects;
import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GrantRef;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.Mfn;
import org.parasol.hypercall.SharedBuffer;
import org.parasol.hypercall.abi.Gntcopy;
import org.parasol.hypercall.abi.GnttabOp;
import org.parasol.hypercall.struct.GnttabCopy;
import org.parasol.hypercall.struct.GnttabDumpTable;
import org.parasol.hypercall.struct.GnttabGetStatusFrames;
import org.parasol.hypercall.struct.GnttabGetVersion;
import org.parasol.hypercall.struct.GnttabMapGrantRef;
import org.parasol.hypercall.struct.GnttabQuerySize;
import org.parasol.hypercall.struct.GnttabSetVersion;
import org.parasol.hypercall.struct.GnttabSetupTable;
import org.parasol.hypercall.struct.GnttabTransfer;
import org.parasol.hypercall.struct.GnttabUnmapAndReplace;
import org.parasol.hypercall.struct.GnttabUnmapGrantRef;
import org.parasol.hypercall.struct.Layouts;

/**
 * {@code HYPERVISOR_grant_table_op(cmd, args, count)} (hypercall 20), one method per
 * {@code GNTTABOP_*} command, as Mini-OS's {@code gnttab.c} and Linux's grant helpers call it.
 *
 * <p>Xen takes an array of {@code count} per-command structures and reports each element's
 * outcome in its {@code status} field ({@code GNTST_*}, 0 or negative); the hypercall's own
 * result is 0 unless the call itself is malformed: {@code -EFAULT} for a bad pointer,
 * {@code -EINVAL} for a bad count, {@code -ENOSYS} for an unknown command. The single-op
 * methods return both, in a small record. Batches prepared by the caller in guest memory go
 * through the {@code ...s(long va, int count)} forms; small batches built in a heap segment
 * go through {@link #batch}.
 */
public final class GrantTableCalls {
    private final Cpu cpu;
    private final ArgumentPage page;
    private final GnttabMapGrantRef map = new GnttabMapGrantRef();
    private final GnttabUnmapGrantRef unmap = new GnttabUnmapGrantRef();
    private final GnttabUnmapAndReplace unmapAndReplace = new GnttabUnmapAndReplace();
    private final GnttabSetupTable setupTable = new GnttabSetupTable();
    private final GnttabDumpTable dumpTable = new GnttabDumpTable();
    private final GnttabTransfer transfer = new GnttabTransfer();
    private final GnttabCopy copy = new GnttabCopy();
    private final GnttabQuerySize querySize = new GnttabQuerySize();
    private final GnttabSetVersion setVersion = new GnttabSetVersion();
    private final GnttabGetVersion getVersion = new GnttabGetVersion();
    private final GnttabGetStatusFrames getStatusFrames = new GnttabGetStatusFrames();

    /** Wrappers for {@code cpu}, marshalling through {@code page} (the same vCPU's). */
    public GrantTableCalls(Cpu cpu, ArgumentPage page) {
        this.cpu = Objects.requireNonNull(cpu, "cpu");
        this.page = Objects.requireNonNull(page, "page");
    }

    /**
     * {@code GNTTABOP_map_grant_ref}: maps grant {@code ref} of domain {@code dom} at
     * {@code hostAddr}. {@code flags} ({@code GNTMAP_*}) must include host_map and/or
     * device_map.
     *
     * @return the outcome; {@code status} is {@code GNTST_okay} with a valid {@code handle},
     *     or {@code GNTST_bad_gntref} (neither map flag, ref out of range),
     *     {@code GNTST_bad_domain}, {@code GNTST_general_error} (entry not
     *     {@code GTF_permit_access} for this domain, or a write map of a read-only grant),
     *     {@code GNTST_no_space} (no maptrack handle), {@code GNTST_permission_denied}
     */
    public MapResult mapGrantRef(long hostAddr, int flags, GrantRef ref, DomId dom) {
        long off = page.push(GnttabMapGrantRef.SIZE);
        try {
            map.wrap(page.buffer(), off).hostAddr(hostAddr).flags(flags).ref(ref.value()).dom(dom.value());
            long rc = call(GnttabOp.MAP_GRANT_REF, off, GnttabMapGrantRef.SIZE);
            if (rc < 0) {
                return new MapResult(rc, 0, 0, 0);
            }
            GnttabMapGrantRef m = map.wrap(page.buffer(), off);
            return new MapResult(rc, m.status(), m.handle(), m.devBusAddr());
        } finally {
            page.pop(off);
        }
    }

    /** {@code GNTTABOP_map_grant_ref} over {@code count} structures the caller prepared at {@code opsVa}. */
    public long mapGrantRefs(long opsVa, int count) {
        return cpu.hypercall(Hypercall.GRANT_TABLE_OP, GnttabOp.MAP_GRANT_REF, opsVa, count);
    }

    /**
     * {@code GNTTABOP_unmap_grant_ref}: removes the mapping named by {@code handle}. After the
     * call returns no stale TLB entry for it remains.
     *
     * @return the outcome; {@code status} is {@code GNTST_okay}, or {@code GNTST_bad_handle}
     *     for an unused handle, {@code GNTST_bad_dev_addr} for a mismatching device address,
     *     {@code GNTST_general_error} if {@code hostAddr} does not map the granted frame
     */
    public Status unmapGrantRef(long hostAddr, long devBusAddr, long handle) {
        long off = page.push(GnttabUnmapGrantRef.SIZE);
        try {
            unmap.wrap(page.buffer(), off).hostAddr(hostAddr).devBusAddr(devBusAddr).handle(handle);
            long rc = call(GnttabOp.UNMAP_GRANT_REF, off, GnttabUnmapGrantRef.SIZE);
            return rc < 0 ? new Status(rc, 0) : new Status(rc, unmap.wrap(page.buffer(), off).status());
        } finally {
            page.pop(off);
        }
    }

    /** {@code GNTTABOP_unmap_grant_ref} over {@code count} structures the caller prepared at {@code opsVa}. */
    public long unmapGrantRefs(long opsVa, int count) {
        return cpu.hypercall(Hypercall.GRANT_TABLE_OP, GnttabOp.UNMAP_GRANT_REF, opsVa, count);
    }

    /**
     * {@code GNTTABOP_unmap_and_replace}: replaces the grant mapping at {@code hostAddr} with
     * the mapping at {@code newAddr}, which is zapped.
     *
     * @return the outcome, with the statuses of {@link #unmapGrantRef}
     */
    public Status unmapAndReplace(long hostAddr, long newAddr, long handle) {
        long off = page.push(GnttabUnmapAndReplace.SIZE);
        try {
            unmapAndReplace.wrap(page.buffer(), off).hostAddr(hostAddr).newAddr(newAddr).handle(handle);
            long rc = call(GnttabOp.UNMAP_AND_REPLACE, off, GnttabUnmapAndReplace.SIZE);
            return rc < 0 ? new Status(rc, 0) : new Status(rc, unmapAndReplace.wrap(page.buffer(), off).status());
        } finally {
            page.pop(off);
        }
    }

    /**
     * {@code GNTTABOP_setup_table}: grows {@code dom}'s table to {@code nrFrames} frames and
     * writes their frame numbers to the {@code u64} array at {@code frameListVa}. Only
     * {@code DOMID_SELF} unless privileged.
     *
     * @return the outcome; {@code status} is {@code GNTST_okay}, or
     *     {@code GNTST_general_error} beyond the maximum table size,
     *     {@code GNTST_permission_denied} for another domain, {@code GNTST_bad_domain}
     */
    public Status setupTable(DomId dom, int nrFrames, long frameListVa) {
        long off = page.push(GnttabSetupTable.SIZE);
        try {
            setupTable.wrap(page.buffer(), off).dom(dom.value()).nrFrames(nrFrames).frameList(frameListVa);
            long rc = call(GnttabOp.SETUP_TABLE, off, GnttabSetupTable.SIZE);
            return rc < 0 ? new Status(rc, 0) : new Status(rc, setupTable.wrap(page.buffer(), off).status());
        } finally {
            page.pop(off);
        }
    }

    /**
     * {@link #setupTable(DomId, int, long)} with the frame list on the argument page:
     * asks for {@code frames.length} frames and fills {@code frames} on success.
     */
    public Status setupTable(DomId dom, long[] frames) {
        long list = page.push((long) frames.length * Long.BYTES);
        try {
            Status s = setupTable(dom, frames.length, page.address(list));
            if (s.ok()) {
                readFrames(list, frames);
            }
            return s;
        } finally {
            page.pop(list);
        }
    }

    /**
     * {@code GNTTABOP_dump_table}: has the hypervisor print {@code dom}'s table on its console.
     *
     * @return the outcome; {@code status} is {@code GNTST_okay} or {@code GNTST_bad_domain}
     */
    public Status dumpTable(DomId dom) {
        long off = page.push(GnttabDumpTable.SIZE);
        try {
            dumpTable.wrap(page.buffer(), off).dom(dom.value());
            long rc = call(GnttabOp.DUMP_TABLE, off, GnttabDumpTable.SIZE);
            return rc < 0 ? new Status(rc, 0) : new Status(rc, dumpTable.wrap(page.buffer(), off).status());
        } finally {
            page.pop(off);
        }
    }

    /**
     * {@code GNTTABOP_transfer}: gives frame {@code mfn} to {@code domid} through its
     * accept-transfer grant {@code ref}. Even on failure the page is lost to the caller
     * unless the status is {@code GNTST_bad_page}.
     *
     * @return the outcome; {@code status} is {@code GNTST_okay}, or {@code GNTST_bad_page},
     *     {@code GNTST_bad_domain}, {@code GNTST_bad_gntref} (entry not
     *     {@code GTF_accept_transfer} for this domain)
     */
    public Status transfer(Mfn mfn, DomId domid, GrantRef ref) {
        long off = page.push(GnttabTransfer.SIZE);
        try {
            transfer.wrap(page.buffer(), off).mfn(mfn.value()).domid(domid.value()).ref(ref.value());
            long rc = call(GnttabOp.TRANSFER, off, GnttabTransfer.SIZE);
            return rc < 0 ? new Status(rc, 0) : new Status(rc, transfer.wrap(page.buffer(), off).status());
        } finally {
            page.pop(off);
        }
    }

    /**
     * {@code GNTTABOP_copy} of one segment: copies {@code len} bytes from
     * ({@code source}, {@code sourceOffset}) to ({@code dest}, {@code destOffset}). With
     * {@code GNTCOPY_source_gref} in {@code flags}, {@code source} is a grant reference of
     * {@code sourceDomid}; otherwise it is a frame of this domain and {@code sourceDomid}
     * must be {@code DOMID_SELF}. Likewise for the destination with {@code GNTCOPY_dest_gref}.
     *
     * @return the outcome; {@code status} is {@code GNTST_okay} ({@code len == 0} is a
     *     no-op), or {@code GNTST_bad_copy_arg} if {@code offset + len > 4096} on either side,
     *     {@code GNTST_permission_denied} for a frame side naming another domain,
     *     {@code GNTST_general_error} for a read-only destination grant,
     *     {@code GNTST_bad_gntref}, {@code GNTST_bad_domain}
     */
    public Status copy(int flags, long source, DomId sourceDomid, int sourceOffset,
            long dest, DomId destDomid, int destOffset, int len) {
        long off = page.push(GnttabCopy.SIZE);
        try {
            GnttabCopy c = copy.wrap(page.buffer(), off);
            if ((flags & Gntcopy.SOURCE_GREF) != 0) {
                c.sourceRef(source);
            } else {
                c.sourceGmfn(source);
            }
            if ((flags & Gntcopy.DEST_GREF) != 0) {
                c.destRef(dest);
            } else {
                c.destGmfn(dest);
            }
            c.sourceDomid(sourceDomid.value()).sourceOffset(sourceOffset)
                    .destDomid(destDomid.value()).destOffset(destOffset).len(len).flags(flags);
            long rc = call(GnttabOp.COPY, off, GnttabCopy.SIZE);
            return rc < 0 ? new Status(rc, 0) : new Status(rc, copy.wrap(page.buffer(), off).status());
        } finally {
            page.pop(off);
        }
    }

    /** {@code GNTTABOP_copy} over {@code count} structures the caller prepared at {@code opsVa}. */
    public long copies(long opsVa, int count) {
        return cpu.hypercall(Hypercall.GRANT_TABLE_OP, GnttabOp.COPY, opsVa, count);
    }

    /**
     * {@code GNTTABOP_query_size}: the current and maximum table size of {@code dom}.
     *
     * @return the outcome; {@code status} is {@code GNTST_okay}, or {@code GNTST_bad_domain},
     *     {@code GNTST_permission_denied} for another domain without privilege
     */
    public QuerySize querySize(DomId dom) {
        long off = page.push(GnttabQuerySize.SIZE);
        try {
            querySize.wrap(page.buffer(), off).dom(dom.value());
            long rc = call(GnttabOp.QUERY_SIZE, off, GnttabQuerySize.SIZE);
            if (rc < 0) {
                return new QuerySize(rc, 0, 0, 0);
            }
            GnttabQuerySize q = querySize.wrap(page.buffer(), off);
            return new QuerySize(rc, q.status(), q.nrFrames(), q.maxNrFrames());
        } finally {
            page.pop(off);
        }
    }

    /**
     * {@code GNTTABOP_set_version}: switches this domain's table to version 1 or 2, legal only
     * while no entry beyond the reserved ones is in use.
     *
     * @return the version in force, or {@code -EINVAL} for a version other than 1 or 2,
     *     {@code -EBUSY} while grants are in use
     */
    public long setVersion(int version) {
        long off = page.push(GnttabSetVersion.SIZE);
        try {
            setVersion.wrap(page.buffer(), off).version(version);
            long rc = call(GnttabOp.SET_VERSION, off, GnttabSetVersion.SIZE);
            return rc < 0 ? rc : setVersion.wrap(page.buffer(), off).version();
        } finally {
            page.pop(off);
        }
    }

    /**
     * {@code GNTTABOP_get_version}: the table version of {@code dom}.
     *
     * @return 1 or 2, or {@code -ESRCH} for an unknown domain, {@code -EPERM} for another
     *     domain without privilege
     */
    public long getVersion(DomId dom) {
        long off = page.push(GnttabGetVersion.SIZE);
        try {
            getVersion.wrap(page.buffer(), off).dom(dom.value());
            long rc = call(GnttabOp.GET_VERSION, off, GnttabGetVersion.SIZE);
            return rc < 0 ? rc : getVersion.wrap(page.buffer(), off).version();
        } finally {
            page.pop(off);
        }
    }

    /**
     * {@code GNTTABOP_get_status_frames}: the frames of {@code dom}'s version-2 status array,
     * written to the {@code u64} array at {@code frameListVa}.
     *
     * @return the outcome; {@code status} is {@code GNTST_okay}, or
     *     {@code GNTST_general_error} under version 1 or for too many frames,
     *     {@code GNTST_bad_domain}, {@code GNTST_permission_denied}
     */
    public Status getStatusFrames(DomId dom, int nrFrames, long frameListVa) {
        long off = page.push(GnttabGetStatusFrames.SIZE);
        try {
            getStatusFrames.wrap(page.buffer(), off).nrFrames(nrFrames).dom(dom.value()).frameList(frameListVa);
            long rc = call(GnttabOp.GET_STATUS_FRAMES, off, GnttabGetStatusFrames.SIZE);
            return rc < 0 ? new Status(rc, 0) : new Status(rc, getStatusFrames.wrap(page.buffer(), off).status());
        } finally {
            page.pop(off);
        }
    }

    /** {@link #getStatusFrames(DomId, int, long)} with the frame list on the argument page. */
    public Status getStatusFrames(DomId dom, long[] frames) {
        long list = page.push((long) frames.length * Long.BYTES);
        try {
            Status s = getStatusFrames(dom, frames.length, page.address(list));
            if (s.ok()) {
                readFrames(list, frames);
            }
            return s;
        } finally {
            page.pop(list);
        }
    }

    /**
     * A small batch through the argument page: copies {@code count} structures of command
     * {@code cmd} (map, unmap, unmap_and_replace, transfer or copy) from {@code ops} at
     * {@code opsOffset} into guest memory, issues the call, and copies them back so each
     * element's OUT fields ({@code status}, {@code handle}...) can be read from {@code ops}.
     *
     * @return the hypercall's result (0, or {@code -errno} for a malformed call)
     * @throws IllegalArgumentException for a command without per-element structures
     * @throws IllegalStateException if the batch does not fit the free part of the page
     */
    public long batch(int cmd, SharedBuffer ops, long opsOffset, int count) {
        long elementSize = switch (cmd) {
            case GnttabOp.MAP_GRANT_REF -> GnttabMapGrantRef.SIZE;
            case GnttabOp.UNMAP_GRANT_REF -> GnttabUnmapGrantRef.SIZE;
            case GnttabOp.UNMAP_AND_REPLACE -> GnttabUnmapAndReplace.SIZE;
            case GnttabOp.TRANSFER -> GnttabTransfer.SIZE;
            case GnttabOp.COPY -> GnttabCopy.SIZE;
            default -> throw new IllegalArgumentException("not a batched grant-table command: " + cmd);
        };
        if (count < 0) {
            throw new IllegalArgumentException("negative count: " + count);
        }
        long bytes = elementSize * count;
        ops.checkBounds(opsOffset, bytes);
        long off = page.push(bytes);
        try {
            ops.getBytes(opsOffset, page.scratch(), off, bytes);
            long rc = call(cmd, off, bytes, count);
            if (rc >= 0) {
                ops.putBytes(opsOffset, page.scratch(), off, bytes);
            }
            return rc;
        } finally {
            page.pop(off);
        }
    }

    private void readFrames(long listOffset, long[] frames) {
        page.copyOut(cpu.memory(), listOffset, (long) frames.length * Long.BYTES);
        for (int i = 0; i < frames.length; i++) {
            frames[i] = page.scratch().get(Layouts.U64, listOffset + (long) i * Long.BYTES);
        }
    }

    private long call(int cmd, long off, long size) {
        return call(cmd, off, size, 1);
    }

    private long call(int cmd, long off, long size, int count) {
        GuestMemory memory = cpu.memory();
        page.copyIn(memory, off, size);
        long rc = cpu.hypercall(Hypercall.GRANT_TABLE_OP, cmd, page.address(off), count);
        if (rc >= 0) {
            page.copyOut(memory, off, size);
        }
        return rc;
    }

    /**
     * The outcome of one grant operation.
     *
     * @param result the hypercall's result: 0, or {@code -errno} if the call itself was refused
     * @param status the element's {@code GNTST_*} code (0 when {@code result < 0})
     */
    public record Status(long result, int status) {
        /** Whether both the call and the element succeeded. */
        public boolean ok() {
            return result == 0 && status == 0;
        }
    }

    /**
     * The outcome of {@link #mapGrantRef}.
     *
     * @param result the hypercall's result
     * @param status the {@code GNTST_*} code
     * @param handle the maptrack handle for unmap, valid when {@code status == GNTST_okay}
     * @param devBusAddr the bus address of a device mapping
     */
    public record MapResult(long result, int status, long handle, long devBusAddr) {
        /** Whether both the call and the map succeeded. */
        public boolean ok() {
            return result == 0 && status == 0;
        }
    }

    /**
     * The outcome of {@link #querySize}.
     *
     * @param result the hypercall's result
     * @param status the {@code GNTST_*} code
     * @param nrFrames frames in the table now
     * @param maxNrFrames frames the table may grow to
     */
    public record QuerySize(long result, int status, long nrFrames, long maxNrFrames) {
    }
}
