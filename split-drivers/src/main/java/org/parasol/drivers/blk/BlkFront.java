package org.parasol.drivers.blk;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.parasol.drivers.ring.FrontRing;
import org.parasol.drivers.ring.RingOverflowException;
import org.parasol.guest.event.EventDispatcher.BoundPort;
import org.parasol.guest.grant.GrantedPage;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.mm.Memory;
import org.parasol.guest.mm.PageRun;
import org.parasol.guest.sched.Promise;
import org.parasol.guest.xenbus.Xenbus;
import org.parasol.guest.xenbus.XenbusTransaction;
import org.parasol.guest.xenbus.XenbusWatch;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.GuestMemoryBuffer;
import org.parasol.hypercall.abi.Blkif;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.abi.XenbusState;
import org.parasol.hypercall.io.BlkifRequestSegment;
import org.parasol.hypercall.io.RingGeometry;

/**
 * A virtual disk, seen from a guest: Xen's blkfront on the kernel's promises. Applications
 * read and write 512-byte sectors between the disk and their own memory, asynchronously.
 *
 * <pre>
 *  BlkFront.connect(k, devid, options)     the XenbusState handshake with the back end
 *  disk.read(sector, va, bytes)            into memory at va (the kernel's direct map, e.g.
 *  disk.write(sector, va, bytes)             k.memory().allocatePages(n).va()); 512-aligned
 *  disk.flush(), disk.discard(s, n)        flush-diskcache (or a barrier), discard
 *  disk.sectors(), readOnly(), ...         what the back end published
 *  disk.close()                            Closing, then Closed once the back end let go
 * </pre>
 *
 * <p>The handshake ({@code io/blkif.h}): wait for the back end's InitWait; take what it offers
 * and the options ask for (queues, ring page order, persistent grants, indirect segments:
 * each may be declined, and a back end offering none still works); set up each queue's ring
 * (SHARED_RING_INIT before the grant), grant it, allocate its port; write ring-ref(s),
 * event-channel, protocol and the chosen features in one transaction; Initialised; on the
 * back end's Connected, read sectors, info and sector-size; Connected.
 *
 * <p>A large I/O is cut into requests of up to {@value Blkif#MAX_SEGMENTS_PER_REQUEST}
 * segments (one per page touched), or up to the back end's indirect limit with indirect
 * descriptors; requests stay on one queue until it has a quarter of its ring in flight, then
 * go to the queue with the fewest in flight (deviation 51), while the rings have room; the rest wait
 * in order. What one turn of the run loop submits is pushed together, once per queue, by a task
 * queued behind it ({@code enqueue}); an I/O of 32 KiB or more is pushed at once. Without persistent grants each page of the caller's buffer is granted for one
 * request (zero copy here; the back end grant-copies); with them, the data is copied through
 * pages granted once and kept, which the back end maps once (Linux's trade).
 *
 * <p>A back end that closes or goes away fails every I/O in flight or waiting with
 * {@link BlkException}; so does an impossible response (the device is then closed). Not
 * thread-safe: one vCPU's run loop owns it.
 */
public final class BlkFront implements org.parasol.guest.blk.BlockDevice {
    /** What the front end asks for; the back end's offer caps each. */
    public record Options(int queues, int ringPageOrder, boolean persistent, boolean indirect) {
        public Options {
            if (queues < 1 || queues > Vbd.MAX_QUEUES) {
                throw new IllegalArgumentException("queues must be 1.." + Vbd.MAX_QUEUES + ": " + queues);
            }
            if (ringPageOrder < 0 || ringPageOrder > Vbd.MAX_RING_PAGE_ORDER_VALUE) {
                throw new IllegalArgumentException("ring page order must be 0.." + Vbd.MAX_RING_PAGE_ORDER_VALUE
                        + ": " + ringPageOrder);
            }
        }

        /** One queue, one ring page, no persistent grants, no indirect descriptors: the plainest front end. */
        public static Options plain() {
            return new Options(1, 0, false, false);
        }

        /** Everything the back end offers, with {@code queues} queues. */
        public static Options all(int queues) {
            return new Options(queues, 2, true, true);
        }
    }

    /** An I/O the back end failed, or that could not be done. */
    public static final class BlkException extends RuntimeException {
        private final int status;

        public BlkException(String message, int status) {
            super(message);
            this.status = status;
        }

        /** The {@code BLKIF_RSP_*} status, or 0 when the device failed instead. */
        public int status() {
            return status;
        }
    }

    /**
     * Persistent pages one device keeps granted, at most: enough for one queue's stream of eight
     * 64 KiB I/Os (16 pages each) or 32 of 4 KiB in flight, the pool grown as requests need pages
     * (Linux's blkfront grants a ring's worth up front). 512 KiB of the guest's memory and 128 of
     * its grant references at most; it stops growing short of {@link #GRANT_RESERVE} free
     * references once it holds {@link #MIN_PERSISTENT_PAGES}. A stream that needs more waits for
     * responses to free pool pages.
     */
    static final int MAX_PERSISTENT_PAGES = 128;
    /** The pool grows to this many pages whatever other grants the guest holds (the pool of old). */
    static final int MIN_PERSISTENT_PAGES = 32;
    /** Grant references left free for the rest of the kernel when granting request pages. */
    static final int GRANT_RESERVE = 32;
    /** The largest indirect request asked for. */
    static final int MAX_INDIRECT = 256;

    private final Kernel k;
    private final Xenbus xb;
    private final GuestMemory mem;
    private final int devid;
    private final String dir;
    private final Options options;
    private final Promise<BlkFront> connected;
    private DomId backId;
    private String backendPath;
    private XenbusWatch otherEnd;
    private final List<Queue> queues = new ArrayList<>();
    private final ArrayDeque<Io> waiting = new ArrayDeque<>();
    private int nextQueue;
    /** The queue the last request went to ({@link #freeQueue}). */
    private Queue lastQueue;
    /** Requests in flight on a queue before the next request may go to another: a quarter ring. */
    private int spreadAt = 1;
    private boolean persistent;
    private int maxSegments = Blkif.MAX_SEGMENTS_PER_REQUEST;
    private boolean indirect;
    private long sectors;
    private int sectorSize = Blkif.SECTOR_SIZE;
    private boolean readOnly;
    private boolean flushCache;
    private boolean barrier;
    private boolean discard;
    private State state = State.WAIT_BACK_END;
    private Promise<Void> closing;
    private String failure;
    /**
     * Persistent pages: granted once, reused, the last given back first (a stack, as Linux's
     * blkfront puts a freed grant at the head of its list): a stream that needs fewer pages than
     * the pool holds keeps copying through the same, cache-warm ones.
     */
    private final ArrayDeque<PoolPage> pool = new ArrayDeque<>();
    /** Buffers whose pages stay granted to the back end ({@link #register}). */
    private final List<Registration> registrations = new ArrayList<>();
    /** The registration that served the last lookup: buffers are used again and again. */
    private Registration lastRegistration;
    private int poolPages;
    /** The indirect descriptor flyweight, reused for every indirect request. */
    /**
     * An indirect request's descriptors, built here (in the JVM's heap, private to this vCPU) and
     * written into the slot's indirect page with one bulk write: one bounds check and one
     * translation per page instead of three field writes per segment.
     */
    private final java.lang.foreign.MemorySegment descriptors = java.lang.foreign.MemorySegment.ofArray(
            new long[Blkif.SEGS_PER_INDIRECT_FRAME]);
    /** Which queues {@link #pump} produced on, reused (sized once the queues exist). */
    private boolean[] produced = new boolean[0];
    private long requests;
    private long notifications;
    private long pushes;

    private enum State { WAIT_BACK_END, WAIT_CONNECTED, CONNECTED, CLOSING, CLOSED }

    private record PoolPage(PageRun page, GrantedPage grant) {
    }

    /** One I/O of the caller, cut into requests as ring slots free up. */
    private static final class Io {
        final int op;
        final Promise<Void> done;
        long sector;
        long va;
        long remaining;
        int outstanding;
        int failedStatus = 1;

        Io(int op, long sector, long va, long length, Promise<Void> done) {
            this.op = op;
            this.sector = sector;
            this.va = va;
            this.remaining = length;
            this.done = done;
        }
    }

    /** One ring slot's request in flight: what to release and where data goes when it is answered. */
    private final class Slot {
        final int id;
        Io io;
        int op;
        int nsegs;
        final long[] dataVa;
        final int[] first;
        final int[] last;
        final GrantedPage[] grants;
        final PoolPage[] pooled;
        /** The registration a segment's page belongs to (its grant is kept), or null. */
        final Registration[] registered;
        final int[] registeredRef;
        /** Indirect descriptor pages, granted read-only once and kept, and a view of them. */
        PageRun indirectPages;
        GrantedPage[] indirectGrants;
        GuestMemoryBuffer indirectBuffer;

        Slot(int id, int segs) {
            this.id = id;
            this.dataVa = new long[segs];
            this.first = new int[segs];
            this.last = new int[segs];
            this.grants = new GrantedPage[segs];
            this.pooled = new PoolPage[segs];
            this.registered = new Registration[segs];
            this.registeredRef = new int[segs];
        }
    }

    private final class Queue {
        final int index;
        final PageRun ringPages;
        final GrantedPage[] ringGrants;
        final FrontRing<BlkRequest, BlkResponse> ring;
        final BoundPort port;
        final Slot[] slots;
        final ArrayDeque<Slot> free = new ArrayDeque<>();
        final BlkRequest request = new BlkRequest();
        /** The run of responses taken from the ring at once (one per slot at most). */
        final BlkResponse[] responses;

        Queue(int index, int order) {
            this.index = index;
            int pages = 1 << order;
            this.ringPages = k.memory().allocatePages(pages);
            this.ring = new FrontRing<>(new GuestMemoryBuffer(mem, ringPages.va(), pages * Mmu.PAGE_SIZE),
                    RingGeometry.of(pages * Mmu.PAGE_SIZE, Blkif.RING_ENTRY_SIZE), new BlkifCodec.Requests(),
                    new BlkifCodec.Responses(), this::notifyBack).init();
            this.ringGrants = new GrantedPage[pages];
            for (int p = 0; p < pages; p++) {
                ringGrants[p] = k.grants().grantAccess(backId, k.memory().mfn(ringPages.pfn() + p), false);
            }
            this.slots = new Slot[ring.size()];
            this.responses = new BlkResponse[ring.size()];
            for (int i = 0; i < responses.length; i++) {
                responses[i] = new BlkResponse();
            }
            for (int i = 0; i < slots.length; i++) {
                slots[i] = new Slot(i, Math.max(Blkif.MAX_SEGMENTS_PER_REQUEST, maxSegments));
                free.add(slots[i]);
            }
            this.port = k.events().allocUnbound(backId, k.loop().deferred(p -> onEvent(this)));
        }

        private void notifyBack() {
            notifications++;
            port.notifyRemote();
        }
    }

    private BlkFront(Kernel k, int devid, Options options) {
        this.k = k;
        this.xb = k.xenbus();
        this.mem = k.cpu().memory();
        this.devid = devid;
        this.dir = "device/" + Vbd.KIND + "/" + devid;
        this.options = options;
        this.connected = k.loop().promise();
    }

    /**
     * Connects to virtual disk {@code devid} ({@code device/vbd/<devid>}); the promise
     * completes once both ends are Connected, or fails with the reason.
     */
    public static Promise<BlkFront> connect(Kernel k, int devid, Options options) {
        BlkFront f = new BlkFront(k, devid, options);
        f.start();
        return f.connected;
    }

    /** The disks the toolstack gave this domain: the device ids under {@code device/vbd}. */
    public static Promise<List<Integer>> list(Kernel k) {
        Xenbus xb = k.xenbus();
        String root = "device/" + Vbd.KIND;
        return xb.readOptional(XenbusTransaction.NONE, root).then(o -> o.isEmpty()
                ? k.loop().<List<String>>completed(List.of()) : xb.directory(root)).map(names -> {
                    List<Integer> ids = new ArrayList<>();
                    for (String n : names) {
                        ids.add((int) Vbd.number("devid", n, 0, Integer.MAX_VALUE));
                    }
                    return ids;
                });
    }

    @Override
    public String name() {
        return Vbd.name(devid);
    }

    /** Queues, ring slots, grants and segments: how this disk is driven. */
    @Override
    public String describe() {
        return queues() + " queue(s) of " + ringSize() + " slots, " + (persistent ? "persistent grants" : "a grant per page")
                + ", up to " + maxSegments + " segments a request";
    }

    @Override
    public int devid() {
        return devid;
    }

    /** Size in 512-byte sectors. */
    @Override
    public long sectors() {
        return sectors;
    }

    /** The disk's logical sector size (I/O must be aligned to it). */
    @Override
    public int sectorSize() {
        return sectorSize;
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    /** Whether the back end offers a flush (flush-diskcache or barrier). */
    @Override
    public boolean canFlush() {
        return flushCache || barrier;
    }

    @Override
    public boolean canDiscard() {
        return discard;
    }

    /** Queues in use. */
    public int queues() {
        return queues.size();
    }

    /** Whether persistent grants are in use. */
    public boolean persistent() {
        return persistent;
    }

    /** Segments per request: 11, or the indirect limit. */
    public int maxSegments() {
        return maxSegments;
    }

    /** Ring slots per queue. */
    public int ringSize() {
        return queues.isEmpty() ? 0 : queues.get(0).ring.size();
    }

    /** Requests sent so far. */
    @Override
    public long requests() {
        return requests;
    }

    /** Notifications (event sends) to the back end so far. */
    @Override
    public long notifications() {
        return notifications;
    }

    /**
     * Pushes of requests so far ({@code RING_PUSH_REQUESTS_AND_CHECK_NOTIFY}, each publishing one
     * or more requests of one queue): the I/O one turn of the run loop submits share one.
     */
    public long pushes() {
        return pushes;
    }

    // ---------------------------------------------------------------- handshake

    private void start() {
        xb.read(dir + "/" + Vbd.BACKEND_ID).then(id -> {
            backId = DomId.of((int) Vbd.number(Vbd.BACKEND_ID, id, 0, DomId.DOMID_FIRST_RESERVED - 1));
            return xb.read(dir + "/" + Vbd.BACKEND);
        }).whenDone((path, e) -> {
            if (e != null) {
                fail("cannot read " + dir + ": " + e.getMessage());
                return;
            }
            if (!path.startsWith("/local/domain/" + backId.value() + "/")) {
                fail(Vbd.BACKEND + " '" + Vbd.shorten(path) + "' is not in d" + backId.value() + "'s directory");
                return;
            }
            backendPath = path;
            String backState = backendPath + "/" + Vbd.STATE;
            otherEnd = xb.watch(backState, changed -> xb.readState(backState).whenDone((s, e2) -> {
                if (e2 != null) {
                    backEndChanged(XenbusState.UNKNOWN);
                } else {
                    backEndChanged(s);
                }
            }));
        });
    }

    private void backEndChanged(XenbusState s) {
        switch (state) {
            case WAIT_BACK_END -> {
                if (s == XenbusState.INIT_WAIT || s == XenbusState.INITIALISED || s == XenbusState.CONNECTED) {
                    state = State.WAIT_CONNECTED;
                    readFeatures();
                } else if (s == XenbusState.CLOSING || s == XenbusState.CLOSED) {
                    fail("the back end is " + s + " before the handshake");
                }
            }
            case WAIT_CONNECTED -> {
                if (s == XenbusState.CONNECTED) {
                    readDisk();
                } else if (s == XenbusState.CLOSING || s == XenbusState.CLOSED || s == XenbusState.UNKNOWN) {
                    fail("the back end went " + s + " instead of Connected");
                }
            }
            case CONNECTED -> {
                if (s != XenbusState.CONNECTED) {
                    lost("the back end went " + s);
                }
            }
            case CLOSING -> {
                if (s == XenbusState.CLOSED || s == XenbusState.UNKNOWN) {
                    closed();
                }
            }
            case CLOSED -> {
            }
        }
    }

    private Promise<Long> readNumber(String key, long otherwise) {
        return xb.readOptional(XenbusTransaction.NONE, backendPath + "/" + key).map(o -> parse(key, o, otherwise));
    }

    private static long parse(String key, Optional<String> o, long otherwise) {
        if (o.isEmpty()) {
            return otherwise;
        }
        try {
            return Vbd.number(key, o.get(), 0, Long.MAX_VALUE);
        } catch (IllegalArgumentException e) {
            return otherwise; // a feature the back end wrote wrongly is a feature not offered
        }
    }

    /** The back end's offer, capped by the options; then the queues, published in one transaction. */
    private void readFeatures() {
        long[] f = new long[4];
        readNumber(Vbd.MULTI_QUEUE_MAX_QUEUES, 1).then(q -> {
            f[0] = q;
            return readNumber(Vbd.MAX_RING_PAGE_ORDER, 0);
        }).then(o -> {
            f[1] = o;
            return readNumber(Vbd.FEATURE_PERSISTENT, 0);
        }).then(p -> {
            f[2] = p;
            return readNumber(Vbd.FEATURE_MAX_INDIRECT_SEGMENTS, 0);
        }).whenDone((ind, e) -> {
            if (e != null) {
                fail("cannot read the back end's features: " + e.getMessage());
                return;
            }
            int nq = (int) Math.max(1, Math.min(options.queues(), f[0]));
            int order = (int) Math.min(options.ringPageOrder(), f[1]);
            persistent = options.persistent() && f[2] == 1;
            indirect = options.indirect() && ind > Blkif.MAX_SEGMENTS_PER_REQUEST;
            maxSegments = indirect ? (int) Math.min(MAX_INDIRECT, ind) : Blkif.MAX_SEGMENTS_PER_REQUEST;
            try {
                for (int q = 0; q < nq; q++) {
                    Queue queue = new Queue(q, order);
                    queues.add(queue);
                    if (indirect) {
                        int pages = (maxSegments + Blkif.SEGS_PER_INDIRECT_FRAME - 1) / Blkif.SEGS_PER_INDIRECT_FRAME;
                        for (Slot s : queue.slots) {
                            s.indirectPages = k.memory().allocatePages(pages);
                            s.indirectBuffer = new GuestMemoryBuffer(mem, s.indirectPages.va(),
                                    pages * Mmu.PAGE_SIZE);
                            s.indirectGrants = new GrantedPage[pages];
                            for (int p = 0; p < pages; p++) {
                                s.indirectGrants[p] = k.grants().grantAccess(backId,
                                        k.memory().mfn(s.indirectPages.pfn() + p), true);
                            }
                        }
                    }
                }
            } catch (RuntimeException ex) {
                fail("cannot set up the rings: " + ex.getMessage());
                return;
            }
            produced = new boolean[nq];
            spreadAt = Math.max(1, queues.get(0).ring.size() / 4);
            publish(nq, order);
        });
    }

    private void publish(int nq, int order) {
        xb.transaction(tx -> {
            Promise<Void> p = k.loop().completed(null);
            for (Queue q : queues) {
                String qdir = nq == 1 ? dir : dir + "/" + Vbd.QUEUE_PREFIX + q.index;
                for (int i = 0; i < q.ringGrants.length; i++) {
                    String key = order == 0 ? Vbd.RING_REF : Vbd.RING_REF + i;
                    String ref = Integer.toString(q.ringGrants[i].ref().value());
                    p = p.then(v -> xb.write(tx, qdir + "/" + key, ref));
                }
                String port = Integer.toString(q.port.port().value());
                p = p.then(v -> xb.write(tx, qdir + "/" + Vbd.EVENT_CHANNEL, port));
            }
            if (order > 0) {
                p = p.then(v -> xb.write(tx, dir + "/" + Vbd.RING_PAGE_ORDER, Integer.toString(order)));
            }
            if (nq > 1) {
                p = p.then(v -> xb.write(tx, dir + "/" + Vbd.MULTI_QUEUE_NUM_QUEUES, Integer.toString(nq)));
            }
            return p.then(v -> xb.write(tx, dir + "/" + Vbd.PROTOCOL, Vbd.PROTOCOL_X86_64))
                    .then(v -> xb.write(tx, dir + "/" + Vbd.FEATURE_PERSISTENT, persistent ? "1" : "0"));
        }).then(v -> xb.switchState(dir + "/" + Vbd.STATE, XenbusState.INITIALISED)).whenDone((v, e) -> {
            if (e != null) {
                fail("cannot publish the rings: " + e.getMessage());
            }
        });
    }

    /** The back end is Connected: what the disk is. */
    private void readDisk() {
        long[] f = new long[6];
        readNumber(Vbd.SECTORS, -1).then(s -> {
            f[0] = s;
            return readNumber(Vbd.INFO, 0);
        }).then(i -> {
            f[1] = i;
            return readNumber(Vbd.SECTOR_SIZE, Blkif.SECTOR_SIZE);
        }).then(ss -> {
            f[2] = ss;
            return readNumber(Vbd.FEATURE_FLUSH_CACHE, 0);
        }).then(fc -> {
            f[3] = fc;
            return readNumber(Vbd.FEATURE_BARRIER, 0);
        }).then(b -> {
            f[4] = b;
            return readNumber(Vbd.FEATURE_DISCARD, 0);
        }).whenDone((d, e) -> {
            if (e != null) {
                fail("cannot read the disk's properties: " + e.getMessage());
                return;
            }
            if (f[0] < 0 || f[2] < Blkif.SECTOR_SIZE || f[2] > Mmu.PAGE_SIZE || Long.bitCount(f[2]) != 1) {
                fail("the back end published no usable sectors/sector-size (" + f[0] + ", " + f[2] + ")");
                return;
            }
            sectors = f[0];
            readOnly = (f[1] & Blkif.VDISK_READONLY) != 0;
            sectorSize = (int) f[2];
            flushCache = f[3] == 1;
            barrier = f[4] == 1;
            discard = d == 1;
            state = State.CONNECTED;
            xb.switchState(dir + "/" + Vbd.STATE, XenbusState.CONNECTED).whenDone((v, e2) -> {
                if (e2 != null) {
                    fail("cannot switch Connected: " + e2.getMessage());
                } else {
                    connected.complete(this);
                }
            });
        });
    }

    // ---------------------------------------------------------------- registered buffers

    /** The most pages all registrations of one device may hold (a quarter of the default grant table). */
    public static final int MAX_REGISTERED_PAGES = 128;

    /**
     * Buffer pages granted to the back end once and kept until {@link #close}: I/O into or out
     * of them grants nothing and copies nothing per request (as io_uring's registered buffers
     * do for Linux). The back end can reach these pages for as long as they are registered, not
     * only during an I/O: register only memory used for disk data.
     */
    public final class Registration implements AutoCloseable {
        private final long va;
        private final GrantedPage[] grants;
        int inFlight;

        private Registration(long va, GrantedPage[] grants) {
            this.va = va;
            this.grants = grants;
        }

        /** The first byte. */
        public long va() {
            return va;
        }

        /** The length in bytes. */
        public long length() {
            return (long) grants.length * Mmu.PAGE_SIZE;
        }

        boolean contains(long addr) {
            return addr - va >= 0 && addr - va < length();
        }

        int ref(long addr) {
            return grants[(int) ((addr - va) >>> Mmu.PAGE_SHIFT)].ref().value();
        }

        /**
         * Ends the grants (deferred by the grant table while the back end still holds one).
         *
         * @throws IllegalStateException while an I/O on the buffer is in flight
         */
        @Override
        public void close() {
            if (inFlight > 0) {
                throw new IllegalStateException(inFlight + " segments of I/O on this buffer are in flight");
            }
            end();
        }

        void end() {
            if (!registrations.remove(this)) {
                return;
            }
            if (lastRegistration == this) {
                lastRegistration = null;
            }
            registeredPages -= grants.length;
            for (GrantedPage g : grants) {
                g.close();
            }
        }
    }

    private int registeredPages;

    /**
     * Registers {@code [va, va + length)} (whole pages of this domain's memory) as an I/O
     * buffer: its pages are granted to the back end, writable, until the registration is closed.
     *
     * @throws IllegalArgumentException for a range that is not whole pages, overlaps another
     *     registration, or passes {@link #MAX_REGISTERED_PAGES} with the others
     * @throws IllegalStateException when the disk is not connected or the grant table is short
     */
    public Registration register(long va, long length) {
        if (state != State.CONNECTED) {
            throw new IllegalStateException("disk " + Vbd.name(devid) + " is not connected");
        }
        if ((va & (Mmu.PAGE_SIZE - 1)) != 0 || length < Mmu.PAGE_SIZE || (length & (Mmu.PAGE_SIZE - 1)) != 0) {
            throw new IllegalArgumentException("a registered buffer is whole pages: 0x" + Long.toHexString(va) + "+"
                    + length);
        }
        long pages = length / Mmu.PAGE_SIZE;
        if (pages > MAX_REGISTERED_PAGES - registeredPages) {
            throw new IllegalArgumentException(pages + " pages would pass the " + MAX_REGISTERED_PAGES
                    + " registered pages a disk may hold (" + registeredPages + " registered)");
        }
        for (Registration r : registrations) {
            if (va < r.va + r.length() && r.va < va + length) {
                throw new IllegalArgumentException("0x" + Long.toHexString(va) + "+" + length
                        + " overlaps a registered buffer");
            }
        }
        if (k.grants().freeReferences() < pages + GRANT_RESERVE) {
            throw new IllegalStateException("grant table short: " + k.grants().freeReferences() + " free references");
        }
        GrantedPage[] grants = new GrantedPage[(int) pages];
        for (int i = 0; i < grants.length; i++) {
            grants[i] = k.grants().grantAccess(backId, k.memory().mfn(Memory.pfn(va) + i), false);
        }
        Registration r = new Registration(va, grants);
        registrations.add(r);
        registeredPages += grants.length;
        return r;
    }

    /** The registration holding {@code va}'s page, or null. */
    private Registration registration(long va) {
        Registration last = lastRegistration;
        if (last != null && last.contains(va)) {
            return last;
        }
        for (int i = 0; i < registrations.size(); i++) {
            Registration r = registrations.get(i);
            if (r.contains(va)) {
                lastRegistration = r;
                return r;
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- I/O

    /** Reads {@code length} bytes from {@code sector} into memory at {@code va}. */
    @Override
    public Promise<Void> read(long sector, long va, long length) {
        return submit(Blkif.OP_READ, sector, va, length);
    }

    /** Writes {@code length} bytes at {@code va} to the disk from {@code sector}. */
    @Override
    public Promise<Void> write(long sector, long va, long length) {
        if (readOnly) {
            return failed(new BlkException("disk " + Vbd.name(devid) + " is read-only", Blkif.RSP_ERROR));
        }
        return submit(Blkif.OP_WRITE, sector, va, length);
    }

    /**
     * Once this completes, every write that <em>completed</em> before it was called is on
     * stable storage (the back end forces the file before answering). A write still in flight
     * is not ordered against it: with several queues it may be served after the flush, as
     * with Linux's blkfront. Wait for the writes first when that matters.
     */
    @Override
    public Promise<Void> flush() {
        if (!canFlush()) {
            return failed(new BlkException("disk " + Vbd.name(devid) + " offers no flush", Blkif.RSP_EOPNOTSUPP));
        }
        return submit(flushCache ? Blkif.OP_FLUSH_DISKCACHE : Blkif.OP_WRITE_BARRIER, 0, 0, 0);
    }

    /** Discards {@code count} sectors from {@code sector}; they read back as zeroes here. */
    @Override
    public Promise<Void> discard(long sector, long count) {
        if (!discard || readOnly) {
            return failed(new BlkException("disk " + Vbd.name(devid) + " offers no discard", Blkif.RSP_EOPNOTSUPP));
        }
        if (sector < 0 || count < 1 || sector > sectors || count > sectors - sector) {
            return failed(new IllegalArgumentException("discard of " + count + " sectors at " + sector
                    + " is outside the disk (" + sectors + " sectors)"));
        }
        Io io = new Io(Blkif.OP_DISCARD, sector, 0, count, k.loop().promise());
        return enqueue(io);
    }

    private <T> Promise<T> failed(RuntimeException e) {
        Promise<T> p = k.loop().promise();
        p.fail(e);
        return p;
    }

    private Promise<Void> submit(int op, long sector, long va, long length) {
        if (state != State.CONNECTED) {
            return failed(new BlkException("disk " + Vbd.name(devid) + " is not connected"
                    + (failure != null ? ": " + failure : ""), 0));
        }
        if (op == Blkif.OP_READ || op == Blkif.OP_WRITE) {
            if (length < 1 || length % sectorSize != 0 || va % Blkif.SECTOR_SIZE != 0) {
                return failed(new IllegalArgumentException("I/O of " + length + " bytes at 0x" + Long.toHexString(va)
                        + ": length must be a positive multiple of " + sectorSize + ", the buffer 512-aligned"));
            }
            long n = length / Blkif.SECTOR_SIZE;
            if (sector < 0 || sector > sectors || n > sectors - sector
                    || sector % (sectorSize / Blkif.SECTOR_SIZE) != 0) {
                return failed(new IllegalArgumentException("sectors " + sector + "+" + n + " are outside the disk ("
                        + sectors + " sectors) or not aligned to " + sectorSize));
            }
        }
        return enqueue(new Io(op, sector, va, length, k.loop().promise()));
    }

    /**
     * Queues {@code io} and, unless one is pending, a {@link #pumpTask} behind the tasks already
     * ready: the I/O a turn of the run loop submits (the completions of one event each issuing the
     * next I/O) is pushed together, one push and at most one notification per queue for them all,
     * as ring.h's batching intends, instead of one push per I/O.
     */
    private Promise<Void> enqueue(Io io) {
        waiting.add(io);
        if ((io.op == Blkif.OP_READ || io.op == Blkif.OP_WRITE) && io.remaining >= PUSH_AT_ONCE_BYTES) {
            pump(); // a large I/O goes at once, with whatever waits before it
            return io.done;
        }
        if (!pumpPending) {
            pumpPending = true;
            k.loop().execute(pumpTask);
        }
        return io.done;
    }

    /**
     * An I/O of this many bytes or more is pushed at once rather than with the rest of its turn:
     * the back end's copy of it takes microseconds, and at 64 KiB QD8 pushing each read as its
     * completion issued it kept the back end fed better than pushing a turn's reads together
     * (docs/results.md, issue 13, branch blkcpu); small I/O gains from sharing a push.
     */
    static final long PUSH_AT_ONCE_BYTES = 32 * 1024;

    /** Whether {@link #pumpTask} is queued on the run loop. */
    private boolean pumpPending;
    /** The deferred {@link #pump} of what {@link #enqueue} queued (made once: submitting allocates no task). */
    private final Runnable pumpTask = () -> {
        pumpPending = false;
        if (state == State.CONNECTED || state == State.CLOSING) {
            pump();
        }
    };

    /** Fills free ring slots from the waiting I/O, in order; one push (and at most one notify) per queue. */
    private void pump() {
        boolean[] produced = this.produced;
        java.util.Arrays.fill(produced, false);
        while (!waiting.isEmpty()) {
            Queue q = freeQueue();
            if (q == null) {
                break;
            }
            Io io = waiting.peek();
            if (!fill(q, io)) {
                break; // no persistent page free: wait for a response
            }
            produced[q.index] = true;
            if (io.remaining == 0) {
                waiting.poll();
            }
        }
        for (Queue q : queues) {
            if (produced[q.index]) {
                pushes++;
                q.ring.pushRequestsAndCheckNotify();
            }
        }
    }

    /**
     * The queue for the next request: the one used last while it has room and fewer than
     * {@link #spreadAt} requests in flight, else the one with room and the fewest in flight (the
     * next in turn among equals). A single submitter thus keeps one back-end queue busy until it
     * is a quarter full before it wakes another (deviation 51): Linux's blk-mq maps a CPU to one
     * hardware queue, so a one-vCPU guest's I/O goes to one ring whatever the queue count.
     */
    private Queue freeQueue() {
        Queue last = lastQueue;
        if (last != null && hasRoom(last) && inFlight(last) < spreadAt) {
            return last;
        }
        Queue best = null;
        for (int i = 0; i < queues.size(); i++) {
            Queue q = queues.get((nextQueue + i) % queues.size());
            if (hasRoom(q) && (best == null || inFlight(q) < inFlight(best))) {
                best = q;
            }
        }
        if (best != null) {
            nextQueue = (best.index + 1) % queues.size();
            lastQueue = best;
        }
        return best;
    }

    private static boolean hasRoom(Queue q) {
        return !q.free.isEmpty() && !q.ring.full();
    }

    private static int inFlight(Queue q) {
        return q.slots.length - q.free.size();
    }

    /** The next request of {@code io} into a slot of {@code q}; false if it must wait for a pool page. */
    private boolean fill(Queue q, Io io) {
        Slot s = q.free.peek();
        BlkRequest r = q.request;
        s.nsegs = 0;
        if (io.op == Blkif.OP_DISCARD) {
            r.operation = Blkif.OP_DISCARD;
            r.discardFlag = 0;
            r.handle = 0;
            r.id = s.id;
            r.sectorNumber = io.sector;
            r.nrSectors = io.remaining;
            r.nrSegments = 0;
            io.remaining = 0;
        } else if (io.remaining == 0) {
            r.direct(io.op, s.id, 0); // a flush or a barrier with no data
        } else {
            int segs = 0;
            long va = io.va;
            long left = io.remaining;
            while (left > 0 && segs < maxSegments) {
                long inPage = va & (Mmu.PAGE_SIZE - 1);
                long len = Math.min(left, Mmu.PAGE_SIZE - inPage);
                int first = (int) (inPage / Blkif.SECTOR_SIZE);
                int last = (int) ((inPage + len) / Blkif.SECTOR_SIZE) - 1;
                Registration reg = registration(va);
                if (reg != null) {
                    // A registered buffer: its page is granted already, nothing to copy or grant.
                    s.pooled[segs] = null;
                    s.grants[segs] = null;
                    s.registered[segs] = reg;
                    s.registeredRef[segs] = reg.ref(va);
                    reg.inFlight++;
                } else if (persistent) {
                    s.registered[segs] = null;
                    PoolPage pp = poolPage();
                    if (pp == null) {
                        if (segs == 0) {
                            return false;
                        }
                        break;
                    }
                    s.pooled[segs] = pp;
                    s.grants[segs] = null;
                    if (io.op == Blkif.OP_WRITE) {
                        mem.copy(va, pp.page().va() + inPage, len);
                    }
                } else {
                    if (k.grants().freeReferences() <= GRANT_RESERVE) {
                        // The grant table is the limit: wait for responses to end some grants.
                        if (segs == 0) {
                            return false;
                        }
                        break;
                    }
                    s.pooled[segs] = null;
                    s.registered[segs] = null;
                    s.grants[segs] = k.grants().grantAccess(backId, k.memory().mfn(Memory.pfn(va)),
                            io.op == Blkif.OP_WRITE);
                }
                s.dataVa[segs] = va;
                s.first[segs] = first;
                s.last[segs] = last;
                segs++;
                va += len;
                left -= len;
            }
            s.nsegs = segs;
            long bytes = io.remaining - left;
            if (segs > Blkif.MAX_SEGMENTS_PER_REQUEST) {
                r.operation = Blkif.OP_INDIRECT;
                r.indirectOp = io.op;
                r.nrSegments = segs;
                r.handle = 0;
                r.id = s.id;
                r.sectorNumber = io.sector;
                GuestMemoryBuffer pages = s.indirectBuffer;
                for (int done = 0; done < segs; done += Blkif.SEGS_PER_INDIRECT_FRAME) {
                    int n = Math.min(Blkif.SEGS_PER_INDIRECT_FRAME, segs - done);
                    for (int i = 0; i < n; i++) {
                        descriptors.setAtIndex(DESCRIPTOR, i, descriptor(ref(s, done + i), s.first[done + i],
                                s.last[done + i]));
                    }
                    pages.putBytes((long) done * BlkifRequestSegment.SIZE, descriptors, 0,
                            (long) n * BlkifRequestSegment.SIZE);
                }
                for (int p = 0; p < s.indirectGrants.length; p++) {
                    r.indirectGrefs[p] = s.indirectGrants[p].ref().value();
                }
            } else {
                r.direct(io.op, s.id, io.sector);
                for (int i = 0; i < segs; i++) {
                    r.segment(ref(s, i), s.first[i], s.last[i]);
                }
            }
            io.va += bytes;
            io.sector += bytes / Blkif.SECTOR_SIZE;
            io.remaining = left;
        }
        q.free.poll();
        s.io = io;
        s.op = io.op;
        io.outstanding++;
        q.ring.produceRequest(r);
        requests++;
        return true;
    }

    /** A descriptor as one little-endian word: {@code blkif_request_segment}'s gref, first_sect, last_sect, padding 0. */
    private static final java.lang.foreign.ValueLayout.OfLong DESCRIPTOR = java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED
            .withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    static long descriptor(int gref, int first, int last) {
        return Integer.toUnsignedLong(gref) | (long) (first & 0xFF) << (BlkifRequestSegment.FIRST_SECT_OFFSET * 8)
                | (long) (last & 0xFF) << (BlkifRequestSegment.LAST_SECT_OFFSET * 8);
    }

    private int ref(Slot s, int i) {
        if (s.registered[i] != null) {
            return s.registeredRef[i];
        }
        return s.pooled[i] != null ? s.pooled[i].grant().ref().value() : s.grants[i].ref().value();
    }

    private PoolPage poolPage() {
        PoolPage p = pool.pollFirst();
        if (p == null && poolPages < MAX_PERSISTENT_PAGES
                && (poolPages < MIN_PERSISTENT_PAGES || k.grants().freeReferences() > GRANT_RESERVE)) {
            PageRun page = k.memory().allocatePages(1);
            p = new PoolPage(page, k.grants().grantAccess(backId, k.memory().mfn(page.pfn()), false));
            poolPages++;
        }
        return p;
    }

    private void onEvent(Queue q) {
        if (state != State.CONNECTED && state != State.CLOSING) {
            return;
        }
        try {
            do {
                int n;
                // Every response published when rsp_prod is read, taken in one pass (RING_COPY_RESPONSE over the run).
                while ((n = q.ring.consumeResponses(q.responses, q.responses.length)) > 0) {
                    for (int i = 0; i < n; i++) {
                        if (!complete(q, q.responses[i])) {
                            return;
                        }
                    }
                }
            } while (q.ring.finalCheckForResponsesBatched());
        } catch (RingOverflowException e) {
            lost("the back end broke ring " + q.index + ": " + e.getMessage());
            return;
        }
        pump();
    }

    /** One response: release the slot, move data, finish the I/O when its last request is answered. */
    private boolean complete(Queue q, BlkResponse rsp) {
        long id = rsp.id;
        Slot s = id >= 0 && id < q.slots.length ? q.slots[(int) id] : null;
        if (s == null || s.io == null) {
            if (state == State.CONNECTED) {
                lost("the back end answered a request never made (id " + id + ")");
                return false;
            }
            return true; // an answer to a request already failed while closing
        }
        Io io = s.io;
        s.io = null;
        for (int i = 0; i < s.nsegs; i++) {
            if (s.pooled[i] != null) {
                if (io.op == Blkif.OP_READ && rsp.status == Blkif.RSP_OKAY) {
                    long inPage = (long) s.first[i] * Blkif.SECTOR_SIZE;
                    long len = (long) (s.last[i] - s.first[i] + 1) * Blkif.SECTOR_SIZE;
                    mem.copy(s.pooled[i].page().va() + inPage, s.dataVa[i], len);
                }
                pool.addFirst(s.pooled[i]);
                s.pooled[i] = null;
            } else if (s.grants[i] != null) {
                s.grants[i].close();
                s.grants[i] = null;
            } else if (s.registered[i] != null) {
                s.registered[i].inFlight--;
                s.registered[i] = null;
            }
        }
        q.free.add(s);
        io.outstanding--;
        if (rsp.status != Blkif.RSP_OKAY && io.failedStatus == 1) {
            io.failedStatus = rsp.status;
        }
        if (io.outstanding == 0 && (io.remaining == 0 || io.failedStatus != 1)) {
            waiting.remove(io);
            if (io.failedStatus == 1) {
                io.done.complete(null);
            } else {
                io.done.fail(new BlkException(opName(io.op) + " failed: status " + io.failedStatus, io.failedStatus));
            }
        }
        return true;
    }

    private static String opName(int op) {
        return switch (op) {
            case Blkif.OP_READ -> "read";
            case Blkif.OP_WRITE -> "write";
            case Blkif.OP_FLUSH_DISKCACHE -> "flush";
            case Blkif.OP_WRITE_BARRIER -> "barrier";
            case Blkif.OP_DISCARD -> "discard";
            default -> "op " + op;
        };
    }

    // ---------------------------------------------------------------- closing

    /**
     * Closes the device: Closing; once the back end is Closed, every grant ended, the rings and
     * ports let go; Closed. I/O still in flight fails.
     */
    @Override
    public Promise<Void> close() {
        if (closing != null) {
            return closing;
        }
        closing = k.loop().promise();
        if (state == State.CLOSED) {
            closing.complete(null);
            return closing;
        }
        state = State.CLOSING;
        xb.switchState(dir + "/" + Vbd.STATE, XenbusState.CLOSING).whenDone((v, e) -> {
            if (e != null) {
                closed();
            }
        });
        return closing;
    }

    /** The back end is gone or misbehaved: fail everything, let go, and close. */
    private void lost(String why) {
        failure = why;
        failAll(why);
        if (state == State.CONNECTED) {
            close();
        }
    }

    private void failAll(String why) {
        List<Io> failed = new ArrayList<>(waiting);
        waiting.clear();
        for (Queue q : queues) {
            for (Slot s : q.slots) {
                if (s.io != null && !failed.contains(s.io)) {
                    failed.add(s.io);
                }
                s.io = null;
            }
        }
        for (Io io : failed) {
            io.done.fail(new BlkException("disk " + Vbd.name(devid) + ": " + why, 0));
        }
    }

    private void closed() {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        failAll(failure != null ? failure : "closed");
        letGo();
        if (otherEnd != null) {
            otherEnd.unwatch();
        }
        xb.switchState(dir + "/" + Vbd.STATE, XenbusState.CLOSED).whenDone((v, e) -> {
            if (closing != null) {
                closing.complete(null);
            }
        });
    }

    /** Ends every grant (deferred by the grant table while the back end still holds one), frees pages, closes ports. */
    private void letGo() {
        for (Queue q : queues) {
            q.port.close();
            for (Slot s : q.slots) {
                for (int i = 0; i < s.nsegs; i++) {
                    if (s.grants[i] != null) {
                        s.grants[i].close();
                        s.grants[i] = null;
                    }
                    if (s.pooled[i] != null) {
                        pool.addFirst(s.pooled[i]);
                        s.pooled[i] = null;
                    }
                    s.registered[i] = null;
                }
                if (s.indirectGrants != null) {
                    for (GrantedPage g : s.indirectGrants) {
                        g.close();
                    }
                }
            }
            for (GrantedPage g : q.ringGrants) {
                g.close();
            }
        }
        for (PoolPage p : pool) {
            p.grant().close();
        }
        pool.clear();
        for (Registration r : List.copyOf(registrations)) {
            r.end();
        }
        // Pages whose grant end was deferred stay allocated: freeing a page the back end may
        // still map would hand it to the next allocation while shared.
        queues.clear();
        lastQueue = null;
    }

    private void fail(String why) {
        failure = why;
        state = State.CLOSED;
        if (otherEnd != null) {
            otherEnd.unwatch();
        }
        failAll(why);
        letGo();
        xb.switchState(dir + "/" + Vbd.STATE, XenbusState.CLOSED);
        connected.fail(new BlkException("disk " + Vbd.name(devid) + ": " + why, 0));
    }
}
