package org.parasol.hypervisor.domain;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;

import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.abi.Gntst;
import org.parasol.hypervisor.grant.GrantTable;
import org.parasol.hypervisor.mm.HostFileChannel;
import org.parasol.hypervisor.mm.IoUring;
import org.parasol.hypervisor.mm.MachineByteViews;
import org.parasol.hypervisor.mm.MachineMemory;

/**
 * Grant I/O for one vCPU of a privileged domain ({@link org.parasol.hypercall.GuestMemory#readFileToGrants}):
 * a host file read straight into, or written straight from, frames another domain granted to
 * this one. Each reference is checked and pinned as {@code GNTTABOP_copy} pins its side
 * ({@link GrantTable#acquire}: a host pin, writable when the file is read into it), all of them
 * before any byte moves; the pieces, merged where their frames lie next to each other in machine
 * memory, go to one scattering read or gathering write; every pin is dropped after it, whatever
 * happened. The pins hold frame references, so a granter that dies or ends its grant meanwhile
 * cannot have the frame freed and reused under the I/O (as with a copy in flight).
 *
 * <p>A file the hypervisor opened ({@link HostFileChannel}) is read or written with one
 * {@code preadv}/{@code pwritev} on the hypervisor's own descriptor, its iovecs pointing at the
 * pinned frames in machine memory (each checked to lie inside it), instead of through the JDK
 * channel's buffers: no per-call work of the channel, no seek for several pieces. The iovecs
 * live in machine memory's arena, so machine memory stays mapped until the call returns.
 *
 * <p>Owned by one vCPU and used on its thread only: the arrays are reused from call to call.
 */
final class GrantFileIo {
    /** The most pieces one call takes (the MMU checks callers against it too). */
    static final int MAX_PIECES = 256;

    private final Host host;
    private final Domain self;
    private final long[] mfns = new long[MAX_PIECES];
    private final ByteBuffer[] buffers = new ByteBuffer[MAX_PIECES];
    /** The reused views of machine memory the buffers are (none made per call). */
    private final MachineByteViews views;
    /** Entries of {@link #buffers} set by the call in progress. */
    private int used;
    /** The iovecs of a raw call, and its errno, made on the first call to a host file channel. */
    private MemorySegment iov;
    private MemorySegment errno;

    GrantFileIo(Host host, Domain self) {
        this.host = host;
        this.self = self;
        this.views = new MachineByteViews(host.frames().memory().segment(), MAX_PIECES);
    }

    /** See {@link org.parasol.hypervisor.mm.MmuContext#grantFileIo}. */
    long move(FileChannel file, long position, int domid, int[] refs, int[] offsets, int[] lengths, int count,
            boolean toGuest) throws IOException {
        long total = 0;
        for (int i = 0; i < count; i++) {
            int off = offsets[i];
            int len = lengths[i];
            if (off < 0 || len < 0 || off > MachineMemory.PAGE_SIZE - len) {
                return Gntst.BAD_COPY_ARG;
            }
            total += len;
        }
        if (total == 0) {
            return 0;
        }
        Domain granter = domid == DomId.DOMID_SELF || domid == self.domid() ? self : host.lookup(domid);
        if (granter == null) {
            return Gntst.BAD_DOMAIN;
        }
        GrantTable grants = granter.grants();
        int me = self.domid();
        boolean readonly = !toGuest;
        // Every pin under one taking of the granter's lock; all or nothing.
        int rc = grants.acquireAll(refs, lengths, count, me, readonly, mfns);
        if (rc != Gntst.OKAY) {
            return rc;
        }
        try {
            return io(file, position, offsets, lengths, count, total, toGuest);
        } finally {
            grants.releaseAll(refs, count, readonly, mfns);
            Arrays.fill(buffers, 0, used, null); // the call's buffers are not kept past their pins
            used = 0;
        }
    }

    /** The most requests, and pieces in all, of one batch (the MMU checks callers against them). */
    static final int MAX_BATCH = GuestMemory.GRANT_IO_BATCH;
    static final int MAX_BATCH_PIECES = GuestMemory.GRANT_IO_BATCH_PIECES;
    /** A batch's pins, indexed as its pieces; and which requests hold theirs. */
    private long[] batchMfns;
    private boolean[] pinned;
    /** The wave in flight: its requests (by index in the batch) and what the host file needs of each. */
    private int[] waveReq;
    private int[] waveIovFirst;
    private int[] waveIovCount;
    private long[] waveTotal;
    private long[] wavePos;
    private boolean[] waveWrite;
    private long[] waveResult;
    private int wave;
    private int waveIovs;
    /** The batch's iovecs and io_uring_enter's argument, in machine memory's arena (see {@link #raw}). */
    private MemorySegment batchIov;
    private MemorySegment enterArg;
    /** One request's pieces, for the JDK channel's path (no host file). */
    private int[] oneRefs;
    private int[] oneOffsets;
    private int[] oneLengths;

    /**
     * See {@link org.parasol.hypervisor.mm.MmuContext#grantFileIoBatch}: each request checked and
     * pinned on its own (a refusal is that request's result), the pinned ones moved in waves (a
     * request whose file range overlaps a write of the wave, or a write overlapping any of it,
     * starts the next wave), each wave one {@link HostFileChannel#vectors} call; every pin dropped
     * at the end, whatever happened.
     */
    void moveBatch(FileChannel file, int domid, int count, boolean[] writes, long[] positions, int[] pieceEnds,
            int[] refs, int[] offsets, int[] lengths, long[] results) throws IOException {
        if (!(file instanceof HostFileChannel host)) {
            oneByOne(file, domid, count, writes, positions, pieceEnds, refs, offsets, lengths, results);
            return;
        }
        if (batchMfns == null) {
            batchMfns = new long[MAX_BATCH_PIECES];
            pinned = new boolean[MAX_BATCH];
            waveReq = new int[MAX_BATCH];
            waveIovFirst = new int[MAX_BATCH];
            waveIovCount = new int[MAX_BATCH];
            waveTotal = new long[MAX_BATCH];
            wavePos = new long[MAX_BATCH];
            waveWrite = new boolean[MAX_BATCH];
            waveResult = new long[MAX_BATCH];
            MachineMemory memory = this.host.frames().memory();
            batchIov = memory.allocateScratch((long) MAX_BATCH_PIECES * HostFileChannel.IOVEC_BYTES);
            enterArg = memory.allocateScratch(IoUring.GETEVENTS_ARG_BYTES);
            if (errno == null) {
                errno = memory.allocateScratch(64);
            }
        }
        Domain granter = domid == DomId.DOMID_SELF || domid == self.domid() ? self : this.host.lookup(domid);
        if (granter == null) {
            java.util.Arrays.fill(results, 0, count, Gntst.BAD_DOMAIN);
            return;
        }
        GrantTable grants = granter.grants();
        int me = self.domid();
        wave = 0;
        waveIovs = 0;
        try {
            int start = 0;
            for (int r = 0; r < count; r++) {
                int end = pieceEnds[r];
                int from = start;
                start = end;
                pinned[r] = false;
                long total = 0;
                boolean bad = false;
                for (int i = from; i < end; i++) {
                    int off = offsets[i];
                    int len = lengths[i];
                    if (off < 0 || len < 0 || off > MachineMemory.PAGE_SIZE - len) {
                        bad = true;
                        break;
                    }
                    total += len;
                }
                if (bad) {
                    results[r] = Gntst.BAD_COPY_ARG;
                    continue;
                }
                if (total == 0) {
                    results[r] = 0;
                    continue;
                }
                boolean toGuest = !writes[r];
                int rc = grants.acquireAll(refs, lengths, from, end - from, me, !toGuest, batchMfns);
                if (rc != Gntst.OKAY) {
                    results[r] = rc;
                    continue;
                }
                pinned[r] = true;
                if (conflicts(positions[r], total, writes[r])) {
                    runWave(host, results);
                }
                int first = waveIovs;
                int n = iovecs(offsets, lengths, from, end);
                if (n < 0) {
                    waveIovs = first;
                    results[r] = Gntst.BAD_PAGE; // not machine memory: never handed to the kernel
                    continue;
                }
                waveReq[wave] = r;
                waveIovFirst[wave] = first;
                waveIovCount[wave] = n;
                waveTotal[wave] = total;
                wavePos[wave] = positions[r];
                waveWrite[wave] = writes[r];
                wave++;
            }
            runWave(host, results);
        } finally {
            wave = 0;
            waveIovs = 0;
            int start = 0;
            for (int r = 0; r < count; r++) {
                int end = pieceEnds[r];
                if (pinned[r]) {
                    pinned[r] = false;
                    grants.releaseAll(refs, start, end - start, writes[r], batchMfns);
                }
                start = end;
            }
        }
    }

    /** Whether a request at {@code [position, position + total)} must wait for the wave in flight. */
    private boolean conflicts(long position, long total, boolean write) {
        for (int k = 0; k < wave; k++) {
            if ((write || waveWrite[k]) && position < wavePos[k] + waveTotal[k] && wavePos[k] < position + total) {
                return true;
            }
        }
        return false;
    }

    /**
     * The pinned pieces {@code [from, end)} as iovecs from {@link #waveIovs} on, merged where
     * machine-adjacent; how many, or -1 for a piece outside machine memory.
     */
    private int iovecs(int[] offsets, int[] lengths, int from, int end) {
        int n = writeIovecs(batchIov, waveIovs, batchMfns, offsets, lengths, from, end);
        if (n < 0) {
            return -1;
        }
        int count = n - waveIovs;
        waveIovs = n;
        return count;
    }

    /** The wave in flight, to the host file at once; each request's result. */
    private void runWave(HostFileChannel file, long[] results) throws IOException {
        if (wave == 0) {
            return;
        }
        int n = wave;
        wave = 0;
        waveIovs = 0;
        file.vectors(batchIov, waveIovFirst, waveIovCount, waveTotal, wavePos, waveWrite, n, waveResult, errno,
                enterArg);
        for (int k = 0; k < n; k++) {
            long r = waveResult[k];
            results[waveReq[k]] = r >= 0 ? r : GuestMemory.GRANT_IO_HOST_ERROR + r; // r is -errno
        }
    }

    /** A batch on a JDK channel (no host file of the hypervisor's): each request as {@link #move}, in order. */
    private void oneByOne(FileChannel file, int domid, int count, boolean[] writes, long[] positions,
            int[] pieceEnds, int[] refs, int[] offsets, int[] lengths, long[] results) throws IOException {
        if (oneRefs == null) {
            oneRefs = new int[MAX_PIECES];
            oneOffsets = new int[MAX_PIECES];
            oneLengths = new int[MAX_PIECES];
        }
        int start = 0;
        for (int r = 0; r < count; r++) {
            int end = pieceEnds[r];
            int n = end - start;
            System.arraycopy(refs, start, oneRefs, 0, n);
            System.arraycopy(offsets, start, oneOffsets, 0, n);
            System.arraycopy(lengths, start, oneLengths, 0, n);
            start = end;
            try {
                results[r] = move(file, positions[r], domid, oneRefs, oneOffsets, oneLengths, n, !writes[r]);
            } catch (java.nio.channels.ClosedChannelException | java.nio.channels.NonWritableChannelException e) {
                throw e;
            } catch (IOException e) {
                results[r] = GuestMemory.GRANT_IO_HOST_ERROR - 5; // EIO: the JDK does not say which
            }
        }
    }

    /** Asynchronous grant I/O's in-flight table, made at the first submission. */
    private GrantIoInFlight async;

    /** See {@link GuestMemory#grantIoSubmit}. */
    long submit(FileChannel file, int domid, boolean write, long position, int[] refs, int[] offsets, int[] lengths,
            int count, long tag) throws IOException {
        GrantIoInFlight a = async;
        if (a == null) {
            a = async = new GrantIoInFlight(host, self);
        }
        return a.submit(file, domid, write, position, refs, offsets, lengths, count, tag);
    }

    /** See {@link GuestMemory#grantIoReap}. */
    int reap(long[] tags, long[] results, int max, boolean wait) throws IOException {
        GrantIoInFlight a = async;
        return a == null ? 0 : a.reap(tags, results, max, wait);
    }

    /** See {@link GuestMemory#grantIoCancel}. */
    int cancel(FileChannel file) throws IOException {
        GrantIoInFlight a = async;
        return a == null ? 0 : a.cancel(file);
    }

    /** See {@link GuestMemory#grantIoInFlight}. */
    int inFlight() {
        GrantIoInFlight a = async;
        return a == null ? 0 : a.inFlight();
    }

    /** The vCPU is going: see {@link GrantIoInFlight#close}. */
    void close() {
        GrantIoInFlight a = async;
        if (a != null) {
            a.close();
        }
    }

    /** See {@link org.parasol.hypervisor.mm.MmuContext#grantRead}. */
    int read(int domid, int ref, int offset, long ma, int length) {
        if (offset < 0 || length < 0 || offset > MachineMemory.PAGE_SIZE - length) {
            return Gntst.BAD_COPY_ARG;
        }
        if (length == 0) {
            return Gntst.OKAY; // as GNTTABOP_copy: nothing is looked at
        }
        Domain granter = domid == DomId.DOMID_SELF || domid == self.domid() ? self : host.lookup(domid);
        if (granter == null) {
            return Gntst.BAD_DOMAIN;
        }
        GrantTable grants = granter.grants();
        long mfn = grants.acquire(ref, self.domid(), true);
        if (mfn < 0) {
            return (int) mfn;
        }
        try {
            host.frames().ensureP2mWritten(mfn); // a granted page of a P2M list: written before it is read
            MemorySegment m = host.frames().memory().segment();
            MemorySegment.copy(m, MachineMemory.maddr(mfn) + offset, m, ma, length);
        } finally {
            grants.release(ref, true);
        }
        return Gntst.OKAY;
    }

    /** The pinned pieces as buffers, merged where machine-adjacent, then one call. */
    private long io(FileChannel file, long position, int[] offsets, int[] lengths, int count, long total,
            boolean toGuest) throws IOException {
        if (file instanceof HostFileChannel raw) {
            return raw(raw, position, offsets, lengths, count, total, toGuest);
        }
        int n = 0;
        long runStart = -1;
        long runLen = 0;
        for (int i = 0; i < count; i++) {
            if (lengths[i] == 0) {
                continue;
            }
            host.frames().ensureP2mWritten(mfns[i]); // a granted page of a P2M list: written before the I/O
            long ma = MachineMemory.maddr(mfns[i]) + offsets[i];
            if (runStart >= 0 && runStart + runLen == ma) {
                runLen += lengths[i];
                continue;
            }
            if (runStart >= 0) {
                buffers[n] = views.view(n, runStart, runLen);
                n++;
                used = n;
            }
            runStart = ma;
            runLen = lengths[i];
        }
        buffers[n] = views.view(n, runStart, runLen);
        n++;
        used = n;
        if (n == 1) {
            // One piece (or one machine-contiguous run): a positional call, no seek.
            ByteBuffer b = buffers[0];
            int start = b.position();
            while (b.hasRemaining()) {
                long at = position + b.position() - start;
                if (toGuest) {
                    if (file.read(b, at) < 0) {
                        break;
                    }
                } else {
                    file.write(b, at);
                }
            }
            return b.position() - start;
        }
        file.position(position);
        long moved = 0;
        while (moved < total) {
            long r = toGuest ? file.read(buffers, 0, n) : file.write(buffers, 0, n);
            if (r < 0 || r == 0 && toGuest) {
                break; // the end of the file
            }
            if (r == 0) {
                throw new IOException("a gathering write made no progress at " + (position + moved));
            }
            moved += r;
        }
        return moved;
    }

    /** The pinned pieces as iovecs over machine memory, merged where machine-adjacent, then one system call. */
    private long raw(HostFileChannel file, long position, int[] offsets, int[] lengths, int count, long total,
            boolean toGuest) throws IOException {
        MemorySegment v = iov;
        if (v == null) {
            MachineMemory memory = host.frames().memory();
            v = iov = memory.allocateScratch((long) MAX_PIECES * HostFileChannel.IOVEC_BYTES);
            errno = memory.allocateScratch(64);
        }
        int n = writeIovecs(v, 0, mfns, offsets, lengths, 0, count);
        if (n < 0) {
            return Gntst.BAD_PAGE; // not machine memory: never handed to the kernel
        }
        return file.vector(v, n, total, position, toGuest, errno);
    }

    /**
     * Writes the pinned pieces {@code [from, end)} into {@code v} as iovecs over machine memory
     * from slot {@code n} on, merging pieces that are machine-adjacent; the slot after the last
     * written, or -1 for a piece outside machine memory (then nothing of it reaches the kernel).
     */
    private int writeIovecs(MemorySegment v, int n, long[] frames, int[] offsets, int[] lengths, int from, int end) {
        MemorySegment machine = host.frames().memory().segment();
        long base = machine.address();
        long size = machine.byteSize();
        long runStart = -1;
        long runLen = 0;
        for (int i = from; i < end; i++) {
            if (lengths[i] == 0) {
                continue;
            }
            host.frames().ensureP2mWritten(frames[i]); // a granted page of a P2M list: written before the I/O
            long ma = MachineMemory.maddr(frames[i]) + offsets[i];
            if (ma < 0 || ma > size - lengths[i]) {
                return -1;
            }
            if (runStart >= 0 && runStart + runLen == ma) {
                runLen += lengths[i];
                continue;
            }
            if (runStart >= 0) {
                putIovec(v, n++, base + runStart, runLen);
            }
            runStart = ma;
            runLen = lengths[i];
        }
        putIovec(v, n++, base + runStart, runLen);
        return n;
    }

    private static void putIovec(MemorySegment v, int slot, long address, long length) {
        v.set(ValueLayout.JAVA_LONG, (long) slot * HostFileChannel.IOVEC_BYTES, address);
        v.set(ValueLayout.JAVA_LONG, (long) slot * HostFileChannel.IOVEC_BYTES + 8, length);
    }
}
