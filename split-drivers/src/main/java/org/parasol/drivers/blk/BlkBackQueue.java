package org.parasol.drivers.blk;

import java.io.IOException;
import java.nio.channels.FileChannel;

import org.parasol.drivers.ring.BackRing;
import org.parasol.drivers.ring.RingOverflowException;
import org.parasol.guest.event.EventDispatcher.BoundPort;
import org.parasol.guest.grant.GrantMapException;
import org.parasol.guest.grant.GrantMapping;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.kernel.SecondaryVcpu;
import org.parasol.guest.sched.RunLoop;
import org.parasol.guest.mm.PageRun;
import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GrantRef;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.GuestMemoryBuffer;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.abi.Blkif;
import org.parasol.hypercall.abi.Gntcopy;
import org.parasol.hypercall.abi.GnttabOp;
import org.parasol.hypercall.abi.Gntst;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.io.BlkifRequestSegment;
import org.parasol.hypercall.struct.GnttabCopy;

/**
 * One queue of a block back end: a ring and its event channel, served on the back end's run
 * loop. Each request is checked in full on a private copy before any byte moves; one that is
 * wrong gets {@code BLKIF_RSP_ERROR} (or {@code BLKIF_RSP_EOPNOTSUPP} for an operation the
 * disk does not offer), and only a ring the front end broke ends the device.
 *
 * <p>The data path, per segment:
 * <pre>
 *  persistent grants   map the front end's page once (writable), keep it; the file is read
 *                      into, or written from, the mapped page directly (GuestMemory.readFile)
 *  grant I/O           the file read straight into the front end's granted frames, or written
 *                      from them (GuestMemory.readFileToGrants: a Parasol extension; the default
 *                      for segments that are not persistently mapped): the run's reads and
 *                      writes gathered into batches of up to 64 KiB, each one call
 *                      (GuestMemory.grantIoBatch: the hypervisor's io_uring), then answered
 *  grant copy          read:  file -&gt; dom0's bounce page (directly) -&gt; GNTTABOP_copy -&gt; front
 *                      write: front -&gt; GNTTABOP_copy -&gt; bounce page -&gt; file
 *                      (Linux's blkback; with xen_blkback.grant_io=0 on dom0's command line)
 * </pre>
 * A request's copies are one {@code GNTTABOP_copy} hypercall per batch of up to
 * {@value #BATCH} segments. Indirect segment pages are copied into a private page first
 * ({@code GuestMemory.readGrant} with grant I/O, {@code GNTTABOP_copy} without) or, with
 * persistent grants, mapped read-only once and kept, as Linux's blkback does; and each
 * descriptor is read once into private arrays, so the front end cannot change a descriptor
 * after it was checked.
 *
 * <p>Work per event is bounded ({@value #REQUESTS_PER_TURN} requests); more waits for the next
 * turn of the run loop, so one busy front end cannot starve the other devices or the store.
 *
 * <p>Where a queue runs (Linux's blkback runs a kernel thread per ring, {@code xen_blkif_schedule}):
 * on dom0's boot vCPU, beside the store and every other back end, or on a secondary vCPU of its
 * own ({@link SecondaryVcpu}), whose run loop, event channel dispatcher and {@code Cpu} it then
 * uses for everything it does after construction. Such a queue has its own channel on the image
 * (a scattering read uses the channel's position) and never maps persistent grants (dom0's grant
 * mapper belongs to the boot vCPU). Its construction, and the unmapping after it stopped, happen
 * on the boot vCPU; everything between on its own vCPU; its reports to the device
 * ({@link BlkBack#broken}, I/O errors) are posted to the boot vCPU.
 */
final class BlkBackQueue {
    /** Segments moved per GNTTABOP_copy hypercall; also the bounce pages per queue. */
    static final int BATCH = 32;
    /** Requests answered before yielding the run loop. */
    static final int REQUESTS_PER_TURN = 64;
    /**
     * Responses written and pushed together within a run. One, as Linux's {@code make_response}:
     * four (tried) saved a little dom0 CPU at 4 KiB QD32, but put the persistent-grant boot's
     * 64 KiB reads at QD8 in lock-step (dom0 and the guest each blocking every second I/O,
     * 0.45x of direct fell to 0.16x; docs/results.md, issue 13).
     */
    static final int RESPONSES_PER_PUSH = 1;
    /**
     * The most requests, and bytes, of a run moved by one grant I/O batch before their responses
     * go out, by default ({@code xen_blkback.grant_io_batch}, {@code xen_blkback.grant_io_batch_bytes}
     * on dom0's command line, for measuring other cuts). A batch is answered only when its slowest request is done, so it is cut at
     * 64 KiB: a 64 KiB request goes alone (one {@code preadv}, as before batches: gathering eight
     * of them at QD8 kept the front end waiting for the whole run and put both ends in
     * lock-step), while 16 requests of 4 KiB share one call (docs/results.md, issue 13).
     */
    static final int BATCH_REQUESTS = GuestMemory.GRANT_IO_BATCH;
    static final int BATCH_BYTES = 65536;
    /**
     * The smallest read, alone in its batch, that goes by asynchronous grant I/O
     * ({@code xen_blkback.grant_io_async_bytes=N}; 0, the default: never): submitted to the
     * hypervisor's io_uring and answered when a later turn reaps it, so the kernel's io-wq workers
     * make the copy on another core while dom0 takes more requests. Off by default: on this 2-core
     * host it took the copy off dom0's vCPU thread but cost dom0 (with its io-wq workers) more CPU
     * per 64 KiB read than the copy it moved, and the throughput was not better
     * (docs/results.md, issue 13, "asynchronous grant I/O"); 32768 sends 64 KiB reads that way.
     * Smaller requests keep the synchronous batches either way (4 KiB at QD32 gains from them).
     */
    static final int ASYNC_BYTES = 0;
    /** This queue's asynchronous cut ({@link #ASYNC_BYTES} unless dom0's command line says otherwise; 0: off). */
    private final int asyncBytes;
    /**
     * The reads in flight by asynchronous grant I/O, by tag (an index here): the request's id and
     * operation for its response, and its pieces for the zeroes past the end of the file.
     */
    private final boolean[] asyncUsed;
    private final long[] asyncId;
    private final int[] asyncOp;
    private final long[] asyncTotal;
    private final int[] asyncPieces;
    private final int[] asyncRef;
    private final int[] asyncOffset;
    private final int[] asyncLen;
    private final long[] asyncPos;
    private int asyncCount;
    private final long[] reapTags;
    private final long[] reapResults;
    private final BlkResponse[] asyncResponse = {new BlkResponse()};
    /** This queue's cuts ({@link #BATCH_REQUESTS}, {@link #BATCH_BYTES} unless dom0's command line says otherwise). */
    private final int batchRequestsMax;
    private final int batchBytesMax;

    private final Kernel k;
    /** The vCPU serving this queue, or null for the boot vCPU. */
    private final SecondaryVcpu vcpu;
    /** The serving vCPU's: its hypercalls, run loop. */
    private final Cpu cpu;
    private final RunLoop loop;
    /** The channel this queue reads and writes the image through. */
    private final FileChannel channel;
    private final BlkBack device;
    private final int index;
    private final DomId front;
    private final DiskImage disk;
    private final boolean persistent;
    /** Segments not persistently mapped go by grant I/O (else by grant copy through bounce pages). */
    private final boolean grantIo;
    private final int maxIndirectSegments;
    /** The serving vCPU's memory, and what is made over it: set on that vCPU ({@link #attachMemory}). */
    private GuestMemory mem;
    private final BlkResponse response = new BlkResponse();
    /** The run of requests taken from the ring at once, and their responses, by position in the run. */
    private BlkRequest[] requestRun;
    private BlkResponse[] responseRun;
    private final GrantMapping[] ringPages;
    private BackRing<BlkRequest, BlkResponse> ring;
    private BoundPort port;
    /** The disk's persistent grants, shared by its queues (one front end grants one pool), by reference. */
    private final GrantRefTable<GrantMapping> persistentGrants;
    /** The disk's indirect pages mapped read-only (persistent grants only), shared by its queues. */
    private final GrantRefTable<GrantMapping> indirectGrants;
    /** Bounce pages for the copy path, then one private page for indirect descriptors, then the copy ops. */
    private final PageRun bounce;
    /** Machine frames of the bounce pages and of the indirect page, looked up once (the P2M is the boot vCPU's). */
    private final long[] bounceMfn;
    private final long indirectMfn;
    private final long indirectVa;
    private final long opsVa;
    private GuestMemoryBuffer ops;
    private final int opsPages;
    private final GnttabCopy copy = new GnttabCopy();
    /** Segments of the request being served (direct or read from indirect pages). */
    private final int[] segGref;
    private final int[] segFirst;
    private final int[] segLast;
    /** Where each segment's bytes are in dom0, for one scattering call. */
    private final long[] pieceVa;
    private final int[] pieceLen;
    /** Where each segment's bytes start in its granted page, for grant I/O. */
    private final int[] pieceOffset;
    private final int[] pieceRef;
    /**
     * The grant I/O batch being gathered from the run (grant I/O queues only): reads and writes
     * whose checks passed, moved together by one {@code GuestMemory.grantIoBatch} before their
     * responses go out, and before any request that must follow them (a flush, a barrier, a
     * discard). Its requests by position in the run; their pieces end to end.
     */
    private final boolean batching;
    private final int[] batchRun;
    private final boolean[] batchWrite;
    private final long[] batchPos;
    private final long[] batchTotal;
    private final int[] batchEnds;
    private final long[] batchResult;
    private final int[] batchRef;
    private final int[] batchOffset;
    private final int[] batchLen;
    private int batchCount;
    private int batchPieces;
    private long batchBytes;
    private boolean scheduled;
    private boolean closed;
    /** Read by the boot vCPU for the device's counters. */
    private volatile long requests;
    private long notifications;
    /**
     * {@link VbdStatistics}' counters of this queue: written by its vCPU, read by the boot
     * vCPU for the device's statistics (a reading may lag the queue by a request or two).
     */
    private final long[] stats = new long[VbdStatistics.COUNTERS];

    /**
     * A queue over {@code ringPages}, served on {@code vcpu} (null: the boot vCPU) and reading
     * the image through {@code channel}. Made on the boot vCPU.
     */
    BlkBackQueue(Kernel k, SecondaryVcpu vcpu, FileChannel channel, BlkBack device, int index, DomId front,
            DiskImage disk, boolean persistent, boolean grantIo, int maxIndirectSegments, int batchRequests,
            int batchBytes, int asyncBytes, GrantMapping[] ringPages) {
        if (vcpu != null && persistent) {
            throw new IllegalArgumentException("a queue with persistent grants runs on the boot vCPU");
        }
        this.k = k;
        this.vcpu = vcpu;
        this.cpu = vcpu == null ? k.cpu() : vcpu.cpu();
        this.loop = vcpu == null ? k.loop() : vcpu.loop();
        this.channel = channel;
        this.device = device;
        this.index = index;
        this.front = front;
        this.disk = disk;
        this.persistent = persistent;
        this.grantIo = grantIo;
        this.maxIndirectSegments = maxIndirectSegments;
        this.persistentGrants = device.persistentGrants();
        this.indirectGrants = device.indirectGrants();
        this.ringPages = ringPages;
        int maxSegs = Math.max(Blkif.MAX_SEGMENTS_PER_REQUEST, maxIndirectSegments);
        this.segGref = new int[maxSegs];
        this.segFirst = new int[maxSegs];
        this.segLast = new int[maxSegs];
        this.pieceVa = new long[maxSegs];
        this.pieceLen = new int[maxSegs];
        this.pieceOffset = new int[maxSegs];
        this.pieceRef = new int[maxSegs];
        this.batching = grantIo && !persistent;
        this.batchRequestsMax = Math.max(1, Math.min(GuestMemory.GRANT_IO_BATCH, batchRequests));
        this.batchBytesMax = Math.max(1, batchBytes);
        int batchMax = batching ? GuestMemory.GRANT_IO_BATCH : 0;
        int piecesMax = batching ? GuestMemory.GRANT_IO_BATCH_PIECES : 0;
        this.batchRun = new int[batchMax];
        this.batchWrite = new boolean[batchMax];
        this.batchPos = new long[batchMax];
        this.batchTotal = new long[batchMax];
        this.batchEnds = new int[batchMax];
        this.batchResult = new long[batchMax];
        this.batchRef = new int[piecesMax];
        this.batchOffset = new int[piecesMax];
        this.batchLen = new int[piecesMax];
        this.asyncBytes = batching ? asyncBytes : 0;
        int asyncMax = this.asyncBytes > 0 ? GuestMemory.GRANT_IO_IN_FLIGHT : 0;
        int asyncPiecesMax = asyncMax * GuestMemory.GRANT_IO_ASYNC_PIECES;
        this.asyncUsed = new boolean[asyncMax];
        this.asyncId = new long[asyncMax];
        this.asyncOp = new int[asyncMax];
        this.asyncTotal = new long[asyncMax];
        this.asyncPieces = new int[asyncMax];
        this.asyncPos = new long[asyncMax];
        this.asyncRef = new int[asyncPiecesMax];
        this.asyncOffset = new int[asyncPiecesMax];
        this.asyncLen = new int[asyncPiecesMax];
        this.reapTags = new long[asyncMax];
        this.reapResults = new long[asyncMax];
        // BATCH bounce pages, one page for indirect descriptors, pages for BATCH copy ops.
        this.opsPages = (int) ((BATCH * GnttabCopy.SIZE + Mmu.PAGE_SIZE - 1) / Mmu.PAGE_SIZE);
        this.bounce = k.memory().allocatePages(BATCH + 1 + opsPages);
        this.indirectVa = bounce.va() + (long) BATCH * Mmu.PAGE_SIZE;
        this.bounceMfn = new long[BATCH];
        for (int j = 0; j < BATCH; j++) {
            bounceMfn[j] = k.memory().mfn(bounce.pfn() + j).value();
        }
        this.indirectMfn = k.memory().mfn(pfn(indirectVa)).value();
        this.opsVa = indirectVa + Mmu.PAGE_SIZE;
        if (vcpu == null) {
            attachMemory();
        }
    }

    /**
     * The serving vCPU's memory and the views over it: the ring, the copy ops. On that vCPU's
     * thread ({@code Cpu.memory()} is its own thread's only).
     */
    private void attachMemory() {
        mem = cpu.memory();
        ops = new GuestMemoryBuffer(mem, opsVa, (long) opsPages * Mmu.PAGE_SIZE);
        // mapRun put the pages at consecutive addresses: one buffer over the whole ring.
        GuestMemoryBuffer pages = new GuestMemoryBuffer(mem, ringPages[0].va(), (long) ringPages.length * Mmu.PAGE_SIZE);
        ring = new BackRing<>(pages, org.parasol.hypercall.io.RingGeometry.of(
                (long) ringPages.length * Mmu.PAGE_SIZE, Blkif.RING_ENTRY_SIZE),
                new BlkifCodec.Requests(), new BlkifCodec.Responses(), this::notifyFront).attach(0);
        int runLength = Math.min(ring.size(), REQUESTS_PER_TURN);
        requestRun = new BlkRequest[runLength];
        responseRun = new BlkResponse[runLength];
        for (int i = 0; i < runLength; i++) {
            requestRun[i] = new BlkRequest();
            responseRun[i] = new BlkResponse();
        }
    }

    /**
     * Binds the front end's port; the bind leaves it pending, so requests queued before are seen.
     * On the boot vCPU now (a refusal throws); on the queue's own vCPU as its first task there,
     * which then looks at the ring once (a refusal breaks the device, from the boot vCPU).
     */
    void bind(int remotePort) {
        if (vcpu == null) {
            port = k.events().bindInterdomain(front, org.parasol.hypercall.Port.of(remotePort),
                    loop.deferred(p -> schedule()));
            return;
        }
        k.post(vcpu, () -> {
            if (closed) {
                return;
            }
            try {
                attachMemory();
                port = vcpu.events().bindInterdomain(front, org.parasol.hypercall.Port.of(remotePort),
                        loop.deferred(p -> schedule()));
            } catch (RuntimeException e) {
                stop("queue " + index + ": the front end's event channel: " + e.getMessage());
                return;
            }
            schedule(); // an event raised before the port was routed here went to the boot vCPU
        });
    }

    /** This queue's number among its disk's ({@code queue-N} in the store). */
    int index() {
        return index;
    }

    /** The vCPU serving this queue (0: the boot vCPU). */
    int vcpuId() {
        return vcpu == null ? 0 : vcpu.id();
    }

    /**
     * This queue stops serving and the device is told, on the boot vCPU (directly when this is
     * it): the device then disconnects, which closes every queue.
     */
    private void stop(String why) {
        if (vcpu == null) {
            device.broken(this, why);
            return;
        }
        closed = true; // nothing more is served here; close() still lets go of the port
        vcpu.postToBoot(() -> device.broken(this, why));
    }

    private void ioError(IOException e) {
        if (vcpu == null) {
            device.ioError(e);
        } else {
            vcpu.postToBoot(() -> device.ioError(e));
        }
    }

    long requests() {
        return requests;
    }

    long notifications() {
        return notifications;
    }

    /** Adds this queue's {@link VbdStatistics} counters to {@code into}. */
    void addStatistics(long[] into) {
        for (int i = 0; i < stats.length; i++) {
            into[i] += stats[i];
        }
    }

    int persistentGrants() {
        return persistentGrants.size();
    }

    private void notifyFront() {
        notifications++;
        port.notifyRemote();
    }

    private void schedule() {
        if (!scheduled && !closed) {
            scheduled = true;
            loop.execute(this::service);
        }
    }

    /** ring.h's back-end loop, bounded per turn. */
    private void service() {
        scheduled = false;
        if (closed) {
            return;
        }
        try {
            if (asyncCount > 0) {
                reapAsync(false);
            }
            int served = 0;
            do {
                int n;
                // Every request published when req_prod is read, taken in one pass (ring.h's
                // RING_COPY_REQUEST over the run), each then checked and served from its private copy.
                while (served < REQUESTS_PER_TURN
                        && (n = ring.consumeRequests(requestRun, REQUESTS_PER_TURN - served)) > 0) {
                    for (int i = 0; i < n; i++) {
                        BlkResponse r = serve(requestRun[i], i);
                        responseRun[i].set(r.id, r.operation, r.status);
                        // Responses go out as they are made, not at the run's end: a front end
                        // waiting for its first answers need not wait for the whole run, so it
                        // refills the ring while this side works. It is notified only if it asked.
                        // A request gathered into the batch is answered when the batch is done.
                        if (r.status != PENDING) {
                            respond(i);
                        } else if (batchCount == batchRequestsMax || batchBytes >= batchBytesMax) {
                            flushBatch();
                        }
                    }
                    flushBatch();
                    served += n;
                    requests += n;
                    if (asyncCount > 0) {
                        reapAsync(false);
                    }
                }
                if (served >= REQUESTS_PER_TURN) {
                    schedule();
                    return;
                }
            } while (ring.finalCheckForRequests());
            if (asyncCount > 0) {
                // Reads in flight: with nothing else to do here, wait for one in the host kernel
                // (an I/O's own time, bounded; never anything a guest holds); then look again.
                if (loop.readyTasks() == 0) {
                    reapAsync(true);
                }
                schedule();
            }
        } catch (RingOverflowException e) {
            batchCount = 0;
            batchBytes = 0;
            stop("queue " + index + ": the front end broke the ring: " + e.getMessage());
        } catch (RuntimeException e) {
            batchCount = 0;
            batchBytes = 0;
            // Whatever this device's requests did, it ends this device, not dom0.
            stop("queue " + index + ": " + e);
        }
    }

    /** Response status of a request gathered into the batch, not yet answered. */
    private static final int PENDING = Integer.MIN_VALUE;

    /** Writes and pushes the response at {@code i} of the run (one push per response, as Linux's make_response). */
    private void respond(int i) {
        ring.produceResponses(responseRun, i, RESPONSES_PER_PUSH);
        ring.pushResponsesAndCheckNotify();
    }

    /**
     * One request, checked and carried out; its response. A read or write by grant I/O on a
     * batching queue is only checked and gathered ({@link #PENDING}); anything that must come
     * after the I/O before it (a flush, a barrier, a discard) moves the batch first.
     */
    private BlkResponse serve(BlkRequest r, int at) {
        int op = r.operation;
        if (disk.failed()) {
            return response.set(r.id, op, Blkif.RSP_ERROR); // durability is no longer known
        }
        if (batchCount > 0 && op != Blkif.OP_READ && op != Blkif.OP_WRITE && op != Blkif.OP_INDIRECT) {
            flushBatch();
        }
        if (asyncCount > 0 && op != Blkif.OP_READ && op != Blkif.OP_WRITE && op != Blkif.OP_INDIRECT) {
            drainAsync(); // a flush, a barrier, a discard: after every read in flight
        }
        runAt = at;
        try {
            return switch (op) {
                case Blkif.OP_READ, Blkif.OP_WRITE, Blkif.OP_WRITE_BARRIER -> {
                    int n = direct(r);
                    if (n < 0) {
                        yield response.set(r.id, op, Blkif.RSP_ERROR);
                    }
                    if (op == Blkif.OP_WRITE_BARRIER) {
                        stats[VbdStatistics.F_REQ]++;
                        // Ordered after every earlier write (they are done: one at a time), and stable.
                        disk.flush(channel);
                        if (n == 0) {
                            yield response.set(r.id, op, Blkif.RSP_OKAY);
                        }
                    }
                    int st = transfer(r.sectorNumber, n, op != Blkif.OP_READ, op != Blkif.OP_WRITE_BARRIER);
                    if (st == Blkif.RSP_OKAY && op == Blkif.OP_WRITE_BARRIER) {
                        disk.flush(channel);
                    }
                    yield response.set(r.id, op, st);
                }
                case Blkif.OP_FLUSH_DISKCACHE -> {
                    int n = direct(r);
                    if (n < 0) {
                        yield response.set(r.id, op, Blkif.RSP_ERROR);
                    }
                    int st = n == 0 ? Blkif.RSP_OKAY : transfer(r.sectorNumber, n, true, false);
                    if (st == Blkif.RSP_OKAY) {
                        stats[VbdStatistics.F_REQ]++;
                        disk.flush(channel);
                    }
                    yield response.set(r.id, op, st);
                }
                case Blkif.OP_DISCARD -> response.set(r.id, op, discard(r));
                case Blkif.OP_INDIRECT -> {
                    int inner = r.indirectOp;
                    int n = maxIndirectSegments == 0 ? -1 : indirect(r);
                    if (n <= 0) {
                        yield response.set(r.id, op, maxIndirectSegments == 0 ? Blkif.RSP_EOPNOTSUPP : Blkif.RSP_ERROR);
                    }
                    yield response.set(r.id, op, transfer(r.sectorNumber, n, inner == Blkif.OP_WRITE, true));
                }
                default -> response.set(r.id, op, Blkif.RSP_EOPNOTSUPP);
            };
        } catch (IOException e) {
            ioError(e);
            return response.set(r.id, op, Blkif.RSP_ERROR);
        }
    }

    /** Copies a direct request's segments out; their count, or -1 when it is malformed. */
    private int direct(BlkRequest r) {
        int n = r.nrSegments;
        if (n < 0 || n > Blkif.MAX_SEGMENTS_PER_REQUEST || n == 0 && r.operation != Blkif.OP_FLUSH_DISKCACHE
                && r.operation != Blkif.OP_WRITE_BARRIER) {
            return -1;
        }
        for (int i = 0; i < n; i++) {
            segGref[i] = r.gref[i];
            segFirst[i] = r.firstSect[i];
            segLast[i] = r.lastSect[i];
        }
        return n;
    }

    /** Fetches an indirect request's descriptors into private memory; their count, or -1. */
    private int indirect(BlkRequest r) {
        int op = r.indirectOp;
        int n = r.nrSegments;
        if (op != Blkif.OP_READ && op != Blkif.OP_WRITE || n < 1 || n > maxIndirectSegments) {
            return -1;
        }
        int pages = (n + Blkif.SEGS_PER_INDIRECT_FRAME - 1) / Blkif.SEGS_PER_INDIRECT_FRAME;
        int got = 0;
        for (int p = 0; p < pages; p++) {
            // Only the descriptors in use are read: 16 segments are 128 bytes, not the page.
            int inPage = Math.min(Blkif.SEGS_PER_INDIRECT_FRAME, n - got);
            int ref = r.indirectGrefs[p];
            GrantMapping m = persistent ? indirectMapping(ref) : null;
            long va;
            if (m != null) {
                // Mapped once, read in place: the front end may change the page meanwhile, but
                // each descriptor is read once, into the private arrays the checks then use.
                va = m.va();
            } else if (grantIo) {
                // Grant I/O's memory form: the descriptors in use into the private page, the
                // grant checked and pinned as GNTTABOP_copy would, without the hypercall.
                if (mem.readGrant(front.value(), ref, 0, indirectVa, (int) (inPage * BlkifRequestSegment.SIZE))
                        != Gntst.OKAY) {
                    return -1;
                }
                va = indirectVa;
            } else {
                copy.wrap(ops, 0).clear().sourceRef(ref & 0xFFFF_FFFFL).sourceDomid(front.value())
                        .sourceOffset(0).destGmfn(indirectMfn).destDomid(DomId.DOMID_SELF)
                        .destOffset(0).len((int) (inPage * BlkifRequestSegment.SIZE)).flags(Gntcopy.SOURCE_GREF);
                long rc = cpu.hypercall(Hypercall.GRANT_TABLE_OP, GnttabOp.COPY, opsVa, 1);
                if (rc < 0 || copy.wrap(ops, 0).status() != Gntst.OKAY) {
                    return -1;
                }
                va = indirectVa;
            }
            for (int i = 0; i < inPage; i++) {
                // One 8-byte read per descriptor (gref, first_sect, last_sect, padding; little-endian).
                long d = mem.getLong(va + (long) i * BlkifRequestSegment.SIZE);
                segGref[got] = (int) d;
                segFirst[got] = (int) (d >>> SEG_FIRST_SHIFT) & 0xFF;
                segLast[got] = (int) (d >>> SEG_LAST_SHIFT) & 0xFF;
                got++;
            }
        }
        return got;
    }

    /** Where first_sect and last_sect sit in a descriptor read as one little-endian long. */
    private static final int SEG_FIRST_SHIFT = (int) BlkifRequestSegment.FIRST_SECT_OFFSET * 8;
    private static final int SEG_LAST_SHIFT = (int) BlkifRequestSegment.LAST_SECT_OFFSET * 8;

    /**
     * The read-only mapping of indirect page {@code gref}, mapped now if new and there is room;
     * null to copy it instead (no room, or a reference the front end did not grant dom0: the
     * copy then fails it). Persistent grants only: the front end agreed that dom0 may keep its
     * grants mapped.
     */
    private GrantMapping indirectMapping(int gref) {
        GrantMapping m = indirectGrants.get(gref);
        if (m != null || indirectGrants.full() || !device.mayMapLongLived()) {
            return m;
        }
        try {
            m = k.grantMapper().map(front, GrantRef.of(gref), true);
        } catch (GrantMapException | IllegalStateException | IllegalArgumentException e) {
            return null;
        }
        indirectGrants.put(gref, m);
        device.mappedLongLived();
        return m;
    }

    /**
     * Checks then moves {@code n} segments starting at {@code sector}: to the disk if
     * {@code write}, else from it. Nothing moves unless every segment and the whole range are
     * good.
     */
    private int transfer(long sector, int n, boolean write, boolean mayGather) throws IOException {
        if (write && disk.readOnly()) {
            return Blkif.RSP_ERROR;
        }
        long total = 0;
        for (int i = 0; i < n; i++) {
            int first = segFirst[i];
            int last = segLast[i];
            if (first < 0 || last >= Blkif.SECTORS_PER_PAGE || first > last) {
                return Blkif.RSP_ERROR;
            }
            total += last - first + 1;
        }
        if (sector < 0 || sector > disk.sectors() || total > disk.sectors() - sector) {
            return Blkif.RSP_ERROR;
        }
        stats[write ? VbdStatistics.WR_REQ : VbdStatistics.RD_REQ]++;
        stats[write ? VbdStatistics.WR_SECT : VbdStatistics.RD_SECT] += total;
        long pos = sector * Blkif.SECTOR_SIZE;
        if (persistent && n > 1 && allPersistent(n)) {
            // Every segment is mapped: one seek and one scattering read or gathering write (for
            // one segment, one positional call is cheaper: below).
            if (write) {
                mem.writeFileGathered(channel, pos, pieceVa, pieceLen, n);
            } else {
                long got = mem.readFileScattered(channel, pos, pieceVa, pieceLen, n);
                zeroPast(got, n);
            }
            return Blkif.RSP_OKAY;
        }
        if (grantIo && !persistent) {
            return batching && mayGather ? gather(n, pos, write, total * Blkif.SECTOR_SIZE) : grantIo(0, n, pos, write);
        }
        int i = 0;
        while (i < n) {
            if (persistent) {
                GrantMapping m = persistentMapping(segGref[i]);
                int len = (segLast[i] - segFirst[i] + 1) * Blkif.SECTOR_SIZE;
                if (m != null) {
                    long va = m.va() + (long) segFirst[i] * Blkif.SECTOR_SIZE;
                    if (write) {
                        mem.writeFile(channel, pos, va, len);
                    } else {
                        fillRead(pos, va, len);
                    }
                } else {
                    // No room for another persistent grant (or it cannot be mapped): copy this one.
                    int st = grantIo ? grantIo(i, 1, pos, write) : copyBatch(i, 1, pos, write);
                    if (st != Blkif.RSP_OKAY) {
                        return st;
                    }
                }
                pos += len;
                i++;
                continue;
            }
            int batch = Math.min(BATCH, n - i);
            int st = copyBatch(i, batch, pos, write);
            if (st != Blkif.RSP_OKAY) {
                return st;
            }
            for (int j = 0; j < batch; j++) {
                pos += (long) (segLast[i + j] - segFirst[i + j] + 1) * Blkif.SECTOR_SIZE;
            }
            i += batch;
        }
        return Blkif.RSP_OKAY;
    }

    /**
     * Maps every segment persistently if it can; then {@link #pieceVa} and {@link #pieceLen}
     * hold where each segment's bytes are in dom0.
     */
    private boolean allPersistent(int n) {
        for (int i = 0; i < n; i++) {
            GrantMapping m = persistentMapping(segGref[i]);
            if (m == null) {
                return false;
            }
            pieceVa[i] = m.va() + (long) segFirst[i] * Blkif.SECTOR_SIZE;
            pieceLen[i] = (segLast[i] - segFirst[i] + 1) * Blkif.SECTOR_SIZE;
        }
        return true;
    }

    /** After a short scattering read (the file shrank under us): zeroes for the rest. */
    private void zeroPast(long got, int n) {
        long seen = 0;
        for (int i = 0; i < n; i++) {
            long end = seen + pieceLen[i];
            if (end > got) {
                long from = Math.max(0, got - seen);
                mem.fill(pieceVa[i] + from, pieceLen[i] - from, (byte) 0);
            }
            seen = end;
        }
    }

    /** Reads into guest memory, zero-filling what lies past the end of the file (it may have shrunk). */
    private void fillRead(long pos, long va, int len) throws IOException {
        long got = mem.readFile(channel, pos, va, len);
        if (got < len) {
            mem.fill(va + got, len - got, (byte) 0);
        }
    }

    private boolean persistentFull() {
        return persistentGrants.full();
    }

    /** The persistent mapping of {@code gref}, mapped now if new and there is room; null to copy instead. */
    private GrantMapping persistentMapping(int gref) {
        GrantMapping m = persistentGrants.get(gref);
        if (m != null || persistentFull() || !device.mayMapLongLived()) {
            return m;
        }
        try {
            m = k.grantMapper().map(front, GrantRef.of(gref), false);
        } catch (GrantMapException | IllegalStateException | IllegalArgumentException e) {
            return null; // a bad or read-only reference: the copy path decides (and fails it)
        }
        persistentGrants.put(gref, m);
        device.mappedLongLived();
        return m;
    }

    /** Position in the run of the request being served (where its response will be). */
    private int runAt;

    /**
     * Gathers the checked request's {@code n} segments into the batch (moving the batch first
     * when it has no room for them); {@link #PENDING}.
     */
    private int gather(int n, long pos, boolean write, long total) {
        if (write && asyncCount > 0 && overlapsAsync(pos, total)) {
            flushBatch();
            drainAsync(); // a write after a read of its range that is still in flight
        }
        if (batchCount == batchRun.length || batchPieces + n > batchRef.length) {
            flushBatch();
        }
        int at = batchPieces;
        for (int i = 0; i < n; i++) {
            batchOffset[at + i] = segFirst[i] * Blkif.SECTOR_SIZE;
            batchLen[at + i] = (segLast[i] - segFirst[i] + 1) * Blkif.SECTOR_SIZE;
            batchRef[at + i] = segGref[i];
        }
        batchPieces = at + n;
        batchBytes += total;
        int b = batchCount++;
        batchRun[b] = runAt;
        batchWrite[b] = write;
        batchPos[b] = pos;
        batchTotal[b] = total;
        batchEnds[b] = batchPieces;
        return PENDING;
    }

    /**
     * Moves the gathered batch with one grant I/O call (every request complete when it returns),
     * then answers each of its requests, in the order they were taken.
     */
    private void flushBatch() {
        int count = batchCount;
        if (count == 0) {
            return;
        }
        batchCount = 0;
        batchPieces = 0;
        batchBytes = 0;
        IOException failed = null;
        try {
            if (count == 1 && !batchWrite[0] && asyncBytes > 0 && batchTotal[0] >= asyncBytes
                    && batchEnds[0] <= GuestMemory.GRANT_IO_ASYNC_PIECES && asyncCount < asyncUsed.length
                    && submitAsync()) {
                return; // in flight: answered when a later turn reaps it
            }
            if (count == 1) {
                // One request (a 64 KiB one, or QD1): the one call it always was, nothing around it.
                int n = batchEnds[0];
                batchResult[0] = batchWrite[0]
                        ? mem.writeFileFromGrants(channel, batchPos[0], front.value(), batchRef, batchOffset, batchLen, n)
                        : mem.readFileToGrants(channel, batchPos[0], front.value(), batchRef, batchOffset, batchLen, n);
            } else {
                mem.grantIoBatch(channel, front.value(), count, batchWrite, batchPos, batchEnds, batchRef,
                        batchOffset, batchLen, batchResult);
            }
        } catch (IOException e) {
            failed = e;
        }
        for (int b = 0; b < count; b++) {
            int st;
            long got = batchResult[b];
            if (failed != null) {
                st = Blkif.RSP_ERROR;
            } else if (got <= GuestMemory.GRANT_IO_HOST_ERROR) {
                st = Blkif.RSP_ERROR;
                if (failed == null) {
                    failed = new IOException((batchWrite[b] ? "pwritev" : "preadv") + " at " + batchPos[b]
                            + " failed, errno " + (GuestMemory.GRANT_IO_HOST_ERROR - got));
                }
            } else if (got < 0) {
                st = Blkif.RSP_ERROR; // a reference the front end did not grant as it should
            } else if (!batchWrite[b] && got < batchTotal[b]) {
                // Past the end of the file: the rest reads as zeroes.
                int from = b == 0 ? 0 : batchEnds[b - 1];
                int n = batchEnds[b] - from;
                System.arraycopy(batchRef, from, pieceRef, 0, n);
                System.arraycopy(batchOffset, from, pieceOffset, 0, n);
                System.arraycopy(batchLen, from, pieceLen, 0, n);
                st = zeroGrantsPast(got, n);
            } else {
                st = Blkif.RSP_OKAY;
            }
            int i = batchRun[b];
            responseRun[i].status = st;
            respond(i);
        }
        if (failed != null) {
            ioError(failed);
        }
    }

    /**
     * The batch's one read to the hypervisor's io_uring ({@code GuestMemory.grantIoSubmit}),
     * tagged with a free index of the in-flight arrays; whether it is in flight or answered (a
     * refused grant). False: the hypervisor took nothing (a full table, no io_uring), and the
     * read goes the synchronous way.
     */
    private boolean submitAsync() throws IOException {
        int t = 0;
        while (asyncUsed[t]) {
            t++;
        }
        int n = batchEnds[0];
        long rc = mem.grantIoSubmit(channel, front.value(), false, batchPos[0], batchRef, batchOffset, batchLen, n, t);
        if (rc == GuestMemory.GRANT_IO_BUSY) {
            return false;
        }
        int i = batchRun[0];
        if (rc < 0) {
            responseRun[i].status = Blkif.RSP_ERROR; // a reference the front end did not grant as it should
            respond(i);
            return true;
        }
        asyncUsed[t] = true;
        asyncCount++;
        asyncId[t] = responseRun[i].id;
        asyncOp[t] = responseRun[i].operation;
        asyncTotal[t] = batchTotal[0];
        asyncPos[t] = batchPos[0];
        asyncPieces[t] = n;
        int at = t * GuestMemory.GRANT_IO_ASYNC_PIECES;
        System.arraycopy(batchRef, 0, asyncRef, at, n);
        System.arraycopy(batchOffset, 0, asyncOffset, at, n);
        System.arraycopy(batchLen, 0, asyncLen, at, n);
        return true;
    }

    /** Whether a write of {@code [pos, pos + total)} overlaps a read in flight. */
    private boolean overlapsAsync(long pos, long total) {
        for (int t = 0; t < asyncUsed.length; t++) {
            if (asyncUsed[t] && pos < asyncPos[t] + asyncTotal[t] && asyncPos[t] < pos + total) {
                return true;
            }
        }
        return false;
    }

    /** Answers every read in flight, waiting for the kernel where it must (a request that must follow them). */
    private void drainAsync() {
        while (asyncCount > 0 && reapAsync(true)) {
            // each turn waits in the host kernel, 2 ms at most
        }
    }

    /**
     * Takes the completions of this queue's reads in flight ({@code GuestMemory.grantIoReap};
     * with {@code wait}, waiting in the host kernel for one when none is there yet) and answers
     * each, as {@link #flushBatch} answers its requests; false when the reap itself failed.
     */
    private boolean reapAsync(boolean wait) {
        int got;
        try {
            got = mem.grantIoReap(reapTags, reapResults, reapTags.length, wait);
        } catch (IOException e) {
            ioError(e);
            return false;
        }
        IOException failed = null;
        for (int c = 0; c < got; c++) {
            int t = (int) reapTags[c];
            long r = reapResults[c];
            int st;
            if (r <= GuestMemory.GRANT_IO_HOST_ERROR) {
                st = Blkif.RSP_ERROR;
                if (failed == null) {
                    failed = new IOException("preadv at " + asyncPos[t] + " failed, errno "
                            + (GuestMemory.GRANT_IO_HOST_ERROR - r));
                }
            } else if (r < 0) {
                st = Blkif.RSP_ERROR;
            } else if (r < asyncTotal[t]) {
                // Past the end of the file: the rest reads as zeroes.
                int n = asyncPieces[t];
                int at = t * GuestMemory.GRANT_IO_ASYNC_PIECES;
                System.arraycopy(asyncRef, at, pieceRef, 0, n);
                System.arraycopy(asyncOffset, at, pieceOffset, 0, n);
                System.arraycopy(asyncLen, at, pieceLen, 0, n);
                st = zeroGrantsPast(r, n);
            } else {
                st = Blkif.RSP_OKAY;
            }
            asyncUsed[t] = false;
            asyncCount--;
            asyncResponse[0].set(asyncId[t], asyncOp[t], st);
            ring.produceResponses(asyncResponse, 0, RESPONSES_PER_PUSH);
            ring.pushResponsesAndCheckNotify();
        }
        if (failed != null) {
            ioError(failed);
        }
        return true;
    }

    /**
     * The queue closes with reads in flight: each cancelled and waited for in the hypervisor
     * (bounded), and dropped unanswered (the ring is going; the front end fails what it had
     * outstanding when the device goes).
     */
    private void cancelAsync() {
        if (asyncCount == 0) {
            return;
        }
        try {
            mem.grantIoCancel(channel);
            int got;
            do {
                got = mem.grantIoReap(reapTags, reapResults, reapTags.length, false);
                for (int c = 0; c < got; c++) {
                    asyncUsed[(int) reapTags[c]] = false;
                    asyncCount--;
                }
            } while (got > 0);
        } catch (IOException | RuntimeException e) {
            // what the hypervisor still has keeps its pins there; nothing more to do here
        }
    }

    /**
     * Segments {@code [from, from + count)} by grant I/O: the file read straight into the front
     * end's granted frames (or written from them) with one call, each grant checked and pinned
     * for it as a copy would. A short read (the file shrank under us) reads as zeroes.
     */
    private int grantIo(int from, int count, long pos, boolean write) throws IOException {
        long total = 0;
        for (int j = 0; j < count; j++) {
            int i = from + j;
            pieceOffset[j] = segFirst[i] * Blkif.SECTOR_SIZE;
            pieceLen[j] = (segLast[i] - segFirst[i] + 1) * Blkif.SECTOR_SIZE;
            total += pieceLen[j];
            pieceRef[j] = segGref[i];
        }
        int fv = front.value();
        long got = write ? mem.writeFileFromGrants(channel, pos, fv, pieceRef, pieceOffset, pieceLen, count)
                : mem.readFileToGrants(channel, pos, fv, pieceRef, pieceOffset, pieceLen, count);
        if (got < 0) {
            return Blkif.RSP_ERROR; // a reference the front end did not grant as it should
        }
        if (!write && got < total) {
            // Past the end of the file: the rest reads as zeroes, through a copy from a zeroed bounce page.
            return zeroGrantsPast(got, count);
        }
        return Blkif.RSP_OKAY;
    }

    /** After a short grant-I/O read: zeroes into the rest of each piece, by GNTTABOP_copy from a zeroed page. */
    private int zeroGrantsPast(long got, int count) {
        mem.fill(bounceVa(0), Mmu.PAGE_SIZE, (byte) 0);
        long local = bounceMfn[0];
        long seen = 0;
        int n = 0;
        for (int j = 0; j < count; j++) {
            long end = seen + pieceLen[j];
            if (end > got) {
                int from = (int) Math.max(0, got - seen);
                copy.wrap(ops, (long) n * GnttabCopy.SIZE).clear().sourceGmfn(local).sourceDomid(DomId.DOMID_SELF)
                        .sourceOffset(0).destRef(pieceRef[j] & 0xFFFF_FFFFL).destDomid(front.value())
                        .destOffset(pieceOffset[j] + from).len(pieceLen[j] - from).flags(Gntcopy.DEST_GREF);
                n++;
            }
            seen = end;
            if (n == BATCH || n > 0 && j == count - 1) {
                if (!copied(n)) {
                    return Blkif.RSP_ERROR;
                }
                n = 0;
            }
        }
        return Blkif.RSP_OKAY;
    }

    /** Issues the first {@code n} copy ops; whether every one of them succeeded. */
    private boolean copied(int n) {
        if (cpu.hypercall(Hypercall.GRANT_TABLE_OP, GnttabOp.COPY, opsVa, n) < 0) {
            return false;
        }
        for (int j = 0; j < n; j++) {
            if (copy.wrap(ops, (long) j * GnttabCopy.SIZE).status() != Gntst.OKAY) {
                return false;
            }
        }
        return true;
    }

    /** Segments {@code [from, from + count)} through the bounce pages with one GNTTABOP_copy. */
    private int copyBatch(int from, int count, long pos, boolean write) throws IOException {
        // Where each segment's bytes go in the bounce pages: the file moves with one call for
        // the batch (a scattering read, a gathering write), not one per segment.
        for (int j = 0; j < count; j++) {
            pieceVa[j] = bounceVa(j) + (long) segFirst[from + j] * Blkif.SECTOR_SIZE;
            pieceLen[j] = (segLast[from + j] - segFirst[from + j] + 1) * Blkif.SECTOR_SIZE;
        }
        if (!write) {
            bounceFile(pos, count, false);
        }
        for (int j = 0; j < count; j++) {
            int off = segFirst[from + j] * Blkif.SECTOR_SIZE;
            int len = (segLast[from + j] - segFirst[from + j] + 1) * Blkif.SECTOR_SIZE;
            long local = bounceMfn[j];
            copy.wrap(ops, j * GnttabCopy.SIZE).clear();
            if (write) {
                copy.sourceRef(segGref[from + j] & 0xFFFF_FFFFL).sourceDomid(front.value()).sourceOffset(off)
                        .destGmfn(local).destDomid(DomId.DOMID_SELF).destOffset(off).flags(Gntcopy.SOURCE_GREF);
            } else {
                copy.sourceGmfn(local).sourceDomid(DomId.DOMID_SELF).sourceOffset(off)
                        .destRef(segGref[from + j] & 0xFFFF_FFFFL).destDomid(front.value()).destOffset(off)
                        .flags(Gntcopy.DEST_GREF);
            }
            copy.len(len);
        }
        long rc = cpu.hypercall(Hypercall.GRANT_TABLE_OP, GnttabOp.COPY, opsVa, count);
        if (rc < 0) {
            return Blkif.RSP_ERROR;
        }
        for (int j = 0; j < count; j++) {
            if (copy.wrap(ops, j * GnttabCopy.SIZE).status() != Gntst.OKAY) {
                return Blkif.RSP_ERROR;
            }
        }
        if (write) {
            bounceFile(pos, count, true);
        }
        return Blkif.RSP_OKAY;
    }

    /**
     * The file at {@code pos} to or from the bounce pieces {@link #pieceVa}/{@link #pieceLen}
     * {@code [0, count)}: one positional call for one piece, else one seek and one scattering
     * read (gathering write). What a read finds past the end of the file reads as zeroes.
     */
    private void bounceFile(long pos, int count, boolean write) throws IOException {
        if (count == 1) {
            if (write) {
                mem.writeFile(channel, pos, pieceVa[0], pieceLen[0]);
            } else {
                fillRead(pos, pieceVa[0], pieceLen[0]);
            }
        } else if (write) {
            mem.writeFileGathered(channel, pos, pieceVa, pieceLen, count);
        } else {
            zeroPast(mem.readFileScattered(channel, pos, pieceVa, pieceLen, count), count);
        }
    }

    private long bounceVa(int j) {
        return bounce.va() + (long) j * Mmu.PAGE_SIZE;
    }

    private static long pfn(long va) {
        return org.parasol.guest.mm.Memory.pfn(va);
    }

    private int discard(BlkRequest r) throws IOException {
        if (disk.readOnly()) {
            return Blkif.RSP_ERROR;
        }
        long sector = r.sectorNumber;
        long count = r.nrSectors;
        if (sector < 0 || count < 0 || sector > disk.sectors() || count > disk.sectors() - sector) {
            return Blkif.RSP_ERROR;
        }
        stats[VbdStatistics.DS_REQ]++;
        disk.discard(channel, sector, count);
        return Blkif.RSP_OKAY;
    }

    /**
     * Lets go of everything: the port, the ring pages, the bounce pages, its own channel; then
     * runs {@code done} on the boot vCPU. Called on the boot vCPU, once. A queue on its own vCPU
     * closes its port there first (after the turn it may be in), and only then are its ring
     * pages unmapped: never under its feet.
     */
    void close(Runnable done) {
        if (vcpu == null) {
            closed = true;
            cancelAsync();
            if (port != null) {
                port.close();
            }
            release();
            done.run();
            return;
        }
        k.post(vcpu, () -> {
            closed = true;
            cancelAsync();
            if (port != null) {
                port.close();
            }
            vcpu.postToBoot(() -> {
                release();
                done.run();
            });
        });
    }

    /** The boot vCPU's half of closing: the ring pages, the bounce pages, the channel. */
    private void release() {
        for (GrantMapping m : ringPages) {
            m.close();
        }
        k.memory().freePages(bounce);
        if (channel != disk.channel()) {
            try {
                channel.close();
            } catch (IOException e) {
                device.ioError(e);
            }
        }
    }
}
