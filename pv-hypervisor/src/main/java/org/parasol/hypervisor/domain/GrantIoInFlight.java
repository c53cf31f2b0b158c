package org.parasol.hypervisor.domain;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;

import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.abi.Gntst;
import org.parasol.hypervisor.grant.GrantTable;
import org.parasol.hypervisor.mm.HostFileChannel;
import org.parasol.hypervisor.mm.IoUring;
import org.parasol.hypervisor.mm.MachineMemory;

/**
 * The in-flight table of one privileged vCPU's asynchronous grant I/O
 * ({@link GuestMemory#grantIoSubmit}): requests checked and pinned as {@link GrantFileIo#move}
 * pins them, handed to an io_uring of the table's own (the kernel's io-wq workers copy on
 * another core), and answered when the caller reaps them.
 *
 * <pre>
 *  slot:  FREE --submit--&gt; IN_FLIGHT --CQE--&gt; DONE --reap--&gt; FREE
 *                 (pins taken,            (pins dropped,
 *                  descriptor held)        descriptor let go)
 *  user_data of a request's SQE = generation &lt;&lt; 32 | slot   (a cancel's: CANCEL_TAG)
 * </pre>
 *
 * <p>The hypervisor holds the pins of every request while the kernel has it: they are dropped
 * only when the kernel's completion for it is taken from the ring, never before, so a granter
 * that dies, a back end that closes its file, or a caller that never reaps cannot have a frame
 * freed or reused under the kernel's copy (the pins' frame references keep it), and the
 * granter's grants read as in use ({@code GTF_reading}/{@code GTF_writing}) meanwhile. The table
 * is bounded ({@link GuestMemory#GRANT_IO_IN_FLIGHT}); a full table answers
 * {@link GuestMemory#GRANT_IO_BUSY}. The caller's tags are only ever handed back to the vCPU
 * that submitted them: the ring is this vCPU's, and a completion whose generation does not
 * match its slot is dropped.
 *
 * <p>Owned by one vCPU and used on its thread only; nothing allocated after the first use.
 */
final class GrantIoInFlight implements AutoCloseable {
    static final int SLOTS = GuestMemory.GRANT_IO_IN_FLIGHT;
    static final int MAX_PIECES = GuestMemory.GRANT_IO_ASYNC_PIECES;
    /** Submission slots: every request and one cancel for each. */
    private static final int RING_ENTRIES = 2 * SLOTS;
    /** A cancel's own completion, skipped. */
    private static final long CANCEL_TAG = -1L;
    private static final int FREE = 0;
    private static final int IN_FLIGHT = 1;
    private static final int DONE = 2;
    /** One wait of {@link #reap} with {@code wait}, and of {@link #cancel}'s loop: 2 ms. */
    private static final long WAIT_NANOS = 2_000_000L;
    /** How long {@link #cancel} and {@link #close} wait for the kernel in all: 5 s. */
    private static final long CANCEL_NANOS = 5_000_000_000L;
    /** How long a cancel waits before it asks the kernel again for what is still in flight. */
    private static final long CANCEL_RETRY_NANOS = 100_000_000L;

    private final Host host;
    private final Domain self;
    private IoUring ring;
    private boolean ringFailed;
    private final int[] state = new int[SLOTS];
    private final int[] generation = new int[SLOTS];
    private final long[] tag = new long[SLOTS];
    private final long[] result = new long[SLOTS];
    private final HostFileChannel[] file = new HostFileChannel[SLOTS];
    private final GrantTable[] grants = new GrantTable[SLOTS];
    private final boolean[] write = new boolean[SLOTS];
    private final long[] position = new long[SLOTS];
    private final long[] total = new long[SLOTS];
    private final int[] pieces = new int[SLOTS];
    private final int[] iovCount = new int[SLOTS];
    /** Per slot, its pieces' references and pinned frames, {@link #MAX_PIECES} each. */
    private final int[] refs = new int[SLOTS * MAX_PIECES];
    private final int[] lengths = new int[SLOTS * MAX_PIECES];
    private final long[] mfns = new long[SLOTS * MAX_PIECES];
    /** Per slot, its iovecs, in machine memory's arena (they stay mapped while the kernel reads them). */
    private MemorySegment iov;
    private MemorySegment errno;
    /** io_uring_enter's argument with a {@link #WAIT_NANOS} timeout. */
    private MemorySegment waitArg;
    private final long[] cqUserData = new long[RING_ENTRIES];
    private final int[] cqRes = new int[RING_ENTRIES];
    private int inFlight;
    private int done;
    /** Slots prepared on the ring and not yet submitted, in the order of their SQEs. */
    private final int[] unsubmitted = new int[SLOTS];
    private int unsubmittedCount;

    GrantIoInFlight(Host host, Domain self) {
        this.host = host;
        this.self = self;
    }

    /** Requests submitted and not yet reaped. */
    int inFlight() {
        return inFlight + done;
    }

    /** The ring, made at the first request; null when the host cannot make one. */
    private IoUring ring() {
        if (ring == null && !ringFailed) {
            if (!HostFileChannel.uringEnabled()) {
                ringFailed = true;
                return null;
            }
            try {
                ring = IoUring.open(RING_ENTRIES);
                MachineMemory memory = host.frames().memory();
                iov = memory.allocateScratch((long) SLOTS * MAX_PIECES * HostFileChannel.IOVEC_BYTES);
                errno = memory.allocateScratch(64);
                waitArg = memory.allocateScratch(IoUring.GETEVENTS_ARG_BYTES + 16);
                MemorySegment ts = waitArg.asSlice(IoUring.GETEVENTS_ARG_BYTES, 16);
                ts.set(ValueLayout.JAVA_LONG, 0, 0L);
                ts.set(ValueLayout.JAVA_LONG, 8, WAIT_NANOS);
                waitArg.set(ValueLayout.JAVA_LONG, IoUring.GETEVENTS_ARG_TS, ts.address());
            } catch (IOException | RuntimeException e) {
                ringFailed = true;
                if (ring != null) {
                    ring.close();
                    ring = null;
                }
            }
        }
        return ring;
    }

    /** See {@link GuestMemory#grantIoSubmit}. */
    long submit(FileChannel f, int domid, boolean toFile, long pos, int[] r, int[] offsets, int[] lens, int count,
            long callerTag) throws IOException {
        if (!(f instanceof HostFileChannel hf) || count > MAX_PIECES || inFlight + done == SLOTS) {
            return GuestMemory.GRANT_IO_BUSY;
        }
        if (toFile && !hf.isWritableFile()) {
            throw new java.nio.channels.NonWritableChannelException();
        }
        long bytes = 0;
        for (int i = 0; i < count; i++) {
            int off = offsets[i];
            int len = lens[i];
            if (off < 0 || len < 0 || off > MachineMemory.PAGE_SIZE - len) {
                return Gntst.BAD_COPY_ARG;
            }
            bytes += len;
        }
        if (bytes == 0) {
            return GuestMemory.GRANT_IO_BUSY; // nothing to move: the synchronous path answers at once
        }
        IoUring u = ring();
        if (u == null) {
            return GuestMemory.GRANT_IO_BUSY;
        }
        int s = 0;
        while (state[s] != FREE) {
            s++;
        }
        Domain granter = domid == DomId.DOMID_SELF || domid == self.domid() ? self : host.lookup(domid);
        if (granter == null) {
            return Gntst.BAD_DOMAIN;
        }
        GrantTable gt = granter.grants();
        int base = s * MAX_PIECES;
        System.arraycopy(r, 0, refs, base, count);
        System.arraycopy(lens, 0, lengths, base, count);
        boolean readonly = toFile;
        int rc = gt.acquireAll(refs, lengths, base, count, self.domid(), readonly, mfns);
        if (rc != Gntst.OKAY) {
            return rc;
        }
        int n = writeIovecs(s, offsets, count);
        if (n < 0) {
            gt.releaseAll(refs, base, count, readonly, mfns);
            return Gntst.BAD_PAGE; // not machine memory: never handed to the kernel
        }
        long iovAt = iov.address() + (long) base * HostFileChannel.IOVEC_BYTES;
        long userData = (long) generation[s] << 32 | s;
        if (!hf.prepareAsync(u, iovAt, n, bytes, pos, toFile, userData)) {
            gt.releaseAll(refs, base, count, readonly, mfns);
            throw new ClosedChannelException();
        }
        // Submitted with the next reap's (or cancel's) io_uring_enter: one system call for the
        // requests of a run and the look for completions.
        unsubmitted[unsubmittedCount++] = s;
        state[s] = IN_FLIGHT;
        tag[s] = callerTag;
        file[s] = hf;
        grants[s] = gt;
        write[s] = toFile;
        position[s] = pos;
        total[s] = bytes;
        pieces[s] = count;
        iovCount[s] = n;
        inFlight++;
        return 0;
    }

    /** The slot's pinned pieces as its iovecs, merged where machine-adjacent; how many, or -1. */
    private int writeIovecs(int s, int[] offsets, int count) {
        MemorySegment machine = host.frames().memory().segment();
        long mBase = machine.address();
        long size = machine.byteSize();
        int base = s * MAX_PIECES;
        long v = (long) base * HostFileChannel.IOVEC_BYTES;
        int n = 0;
        long runStart = -1;
        long runLen = 0;
        for (int i = 0; i < count; i++) {
            int len = lengths[base + i];
            if (len == 0) {
                continue;
            }
            long mfn = mfns[base + i];
            host.frames().ensureP2mWritten(mfn); // a granted page of a P2M list: written before the I/O
            long ma = MachineMemory.maddr(mfn) + offsets[i];
            if (ma < 0 || ma > size - len) {
                return -1;
            }
            if (runStart >= 0 && runStart + runLen == ma) {
                runLen += len;
                continue;
            }
            if (runStart >= 0) {
                putIovec(v + (long) n++ * HostFileChannel.IOVEC_BYTES, mBase + runStart, runLen);
            }
            runStart = ma;
            runLen = len;
        }
        putIovec(v + (long) n++ * HostFileChannel.IOVEC_BYTES, mBase + runStart, runLen);
        return n;
    }

    private void putIovec(long at, long address, long length) {
        iov.set(ValueLayout.JAVA_LONG, at, address);
        iov.set(ValueLayout.JAVA_LONG, at + 8, length);
    }

    /**
     * Every completion the kernel has posted: each request's end (a short transfer finished
     * synchronously), its pins dropped, its descriptor let go; the slot {@link #DONE}.
     */
    private void drain() {
        IoUring u = ring;
        if (u == null || inFlight == 0) {
            return;
        }
        int got;
        while ((got = u.reap(cqUserData, cqRes, cqUserData.length)) > 0) {
            for (int c = 0; c < got; c++) {
                long ud = cqUserData[c];
                if (ud == CANCEL_TAG) {
                    continue;
                }
                int s = (int) ud;
                if (s < 0 || s >= SLOTS || state[s] != IN_FLIGHT || generation[s] != (int) (ud >>> 32)) {
                    continue; // not a request of ours in flight: nothing to hand back
                }
                finish(s, cqRes[c]);
            }
        }
    }

    private void finish(int s, int res) {
        int base = s * MAX_PIECES;
        long r = file[s].completeAsync(res, iov, base, iovCount[s], total[s], position[s], write[s], errno);
        grants[s].releaseAll(refs, base, pieces[s], write[s], mfns);
        result[s] = r >= 0 ? r : GuestMemory.GRANT_IO_HOST_ERROR + r; // r is -errno
        file[s] = null;
        grants[s] = null;
        state[s] = DONE;
        inFlight--;
        done++;
    }

    /**
     * Submits the prepared requests, waiting in the same system call for a completion when
     * {@code min} is 1. A request the kernel would not take is done synchronously now (its
     * completion as if the kernel had answered {@code EAGAIN}).
     */
    private void submitPrepared(int min) throws IOException {
        int n = unsubmittedCount;
        unsubmittedCount = 0;
        int took;
        try {
            took = ring.submitAndAwait(min, waitArg, errno);
        } catch (IOException | RuntimeException e) {
            took = 0; // withdrawn: done synchronously below
        }
        for (int i = took; i < n; i++) {
            finish(unsubmitted[i], -EAGAIN);
        }
    }

    private static final int EAGAIN = 11;

    /** See {@link GuestMemory#grantIoReap}. */
    int reap(long[] tags, long[] results, int max, boolean wait) throws IOException {
        drain();
        boolean waitNow = wait && done == 0 && max > 0;
        if (unsubmittedCount > 0) {
            submitPrepared(waitNow ? 1 : 0);
            drain();
        } else if (waitNow && inFlight > 0) {
            ring.await(1, waitArg, errno);
            drain();
        }
        int got = 0;
        for (int s = 0; s < SLOTS && got < max && done > 0; s++) {
            if (state[s] == DONE) {
                tags[got] = tag[s];
                results[got] = result[s];
                got++;
                state[s] = FREE;
                generation[s]++;
                done--;
            }
        }
        return got;
    }

    /** See {@link GuestMemory#grantIoCancel}: {@code f} null cancels every request. */
    int cancel(FileChannel f) throws IOException {
        if (unsubmittedCount > 0) {
            submitPrepared(0);
        }
        drain();
        if (inFlight == 0) {
            return 0;
        }
        IoUring u = ring;
        askCancel(u, f);
        long now = System.nanoTime();
        long deadline = now + CANCEL_NANOS;
        long again = now + CANCEL_RETRY_NANOS;
        int left;
        while ((left = pending(f)) > 0 && (now = System.nanoTime()) < deadline) {
            if (now >= again) {
                // A cancel can miss a request the kernel is just handing to a new io-wq worker
                // (it answers -ENOENT, and the request then blocks): ask again, as Linux's own
                // cancellation on exit loops until nothing of the ring is left.
                askCancel(u, f);
                again = now + CANCEL_RETRY_NANOS;
            }
            u.await(1, waitArg, errno);
            drain();
        }
        return left;
    }

    /** One {@code IORING_OP_ASYNC_CANCEL} for each request on {@code f} (null: any) still in flight, submitted. */
    private void askCancel(IoUring u, FileChannel f) throws IOException {
        for (int s = 0; s < SLOTS; s++) {
            if (state[s] == IN_FLIGHT && (f == null || file[s] == f)) {
                u.prepareCancel((long) generation[s] << 32 | s, CANCEL_TAG);
            }
        }
        u.submit(errno); // a cancel the kernel would not take: the wait is then for the I/O itself
    }

    /** Requests on {@code f} (null: any) the kernel still has. */
    private int pending(FileChannel f) {
        int n = 0;
        for (int s = 0; s < SLOTS; s++) {
            if (state[s] == IN_FLIGHT && (f == null || file[s] == f)) {
                n++;
            }
        }
        return n;
    }

    /**
     * The vCPU is going: everything in flight cancelled and waited for, completions dropped.
     * A request the kernel still has after {@link #CANCEL_NANOS} keeps its pins (so its frames
     * are never freed under it) and the ring stays open (closing it would not stop the kernel).
     */
    @Override
    public void close() {
        try {
            if (cancel(null) > 0) {
                System.getLogger("org.parasol.hypervisor.domain").log(System.Logger.Level.WARNING,
                        "d" + self.domid() + ": grant I/O still with the host kernel after "
                                + CANCEL_NANOS / 1_000_000_000L + " s; its frames stay pinned");
                return;
            }
        } catch (IOException | RuntimeException e) {
            return; // the kernel may still hold them: keep the pins
        }
        for (int s = 0; s < SLOTS; s++) {
            if (state[s] == DONE) {
                state[s] = FREE;
                generation[s]++;
            }
        }
        done = 0;
        if (ring != null) {
            ring.close();
            ring = null;
            ringFailed = true;
        }
    }
}
