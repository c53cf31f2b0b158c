package org.parasol.drivers.net;

import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import org.parasol.hypercall.GuestMemory;

/**
 * A learning Ethernet switch, as Linux's bridge is for Xen's {@code xenbr0}: ports (vifs of
 * several domains), a MAC table filled from source addresses and aged out, unicast to the port
 * a destination was learned on, flooding of broadcast, multicast and unknown destinations.
 * Frames are bytes in the owning domain's memory ({@code va}, {@code length}, up to
 * {@value Vif#MAX_SG_FRAME} bytes; or a page it mapped from another domain's grant, which
 * {@link #frameGrantDomid} names while the frame is switched), handed to each output port
 * synchronously; nothing is queued here, so a port that cannot take a frame drops
 * it and counts it, and never stalls the others.
 *
 * <p>The table is bounded ({@value #MAX_ENTRIES} entries; past it nothing new is learned, and
 * unknown destinations are flooded), so a front end forging source addresses cannot grow it.
 *
 * <p>A TCP/IPv4 GSO frame ({@link #inputGso}) goes whole, with its MSS, to each port that takes
 * GSO ({@link Port#acceptsGso}); for the others it is cut once into TCP segments ({@link Gso})
 * in the bridge's segment scratch, and each segment goes to each of them.
 *
 * <p>Lanes: the bridge is shared by dom0's vCPUs. Each vCPU that switches frames does so through
 * its own {@link Lane} (its memory, clock, segment scratch, per-frame state and counters); the
 * boot vCPU's lane is made with the bridge and serves the methods of the bridge itself. The MAC
 * table is read under a sequence lock (a reader retries a bounded number of times, then floods)
 * and written only by a writer that wins a try-lock (learning is skipped, never waited for, when
 * another vCPU is writing; an entry's age is refreshed at most once a second, as Linux's bridge
 * refreshes {@code fdb->updated} per jiffy). A port that takes frames on any lane
 * ({@link Port#anyLane}: netback, whose queues are spread over the vCPUs and hand frames over
 * themselves) is called on the lane that switched the frame; any other port is served on the boot
 * lane only, and a frame for it switched on another lane is copied into its inbox
 * ({@link HandOff}) and the boot vCPU kicked ({@link #crossLanes}).
 */
public final class Bridge {
    /** Linux's default ageing time. */
    public static final long AGEING_NS = 300_000_000_000L;
    /** MAC table bound. */
    public static final int MAX_ENTRIES = 4096;

    /**
     * One port of the bridge: where frames come from and go to. A port may take a frame
     * without copying it at once and copy a batch of them on {@link #flush} (netback gathers
     * a batch's RX copies into one {@code GNTTABOP_copy}), so whoever hands frames to
     * {@link Bridge#input} calls {@link Bridge#flush} before it reuses their bytes.
     */
    public interface Port {
        /**
         * Takes a frame for the domain behind the port: copies it out before returning, or
         * before the next {@link #flush}; false if dropped.
         */
        boolean deliver(long va, int length);

        /**
         * {@link #deliver(long, int)} with the frame's checksum state as netif's RX flags:
         * {@code NETRXF_csum_blank} (its transport checksum is left to be filled in: only for a
         * port whose {@link #acceptsBlankChecksums} is true) and {@code NETRXF_data_validated}.
         * A port that keeps no such state takes the frame as {@link #deliver(long, int)} does.
         */
        default boolean deliver(long va, int length, int rxFlags) {
            return deliver(va, length);
        }

        /**
         * Whether the domain behind the port takes frames whose checksum is blank (a front end
         * that did not write {@code feature-no-csum-offload} = 1). False: the bridge completes
         * a blank checksum before the frame goes to this port (the host's TAP, a front end that
         * declined).
         */
        default boolean acceptsBlankChecksums() {
            return false;
        }

        /** Copies out every frame {@link #deliver} took and has not copied yet. */
        default void flush() {
        }

        /**
         * Whether the domain behind the port takes a TCP/IPv4 GSO frame whole, with its MSS (a
         * front end that wrote {@code feature-gso-tcpv4} = 1). False: the bridge cuts such a
         * frame into segments first ({@link Gso}).
         */
        default boolean acceptsGso() {
            return false;
        }

        /**
         * {@link #deliver(long, int, int)} of a TCP/IPv4 GSO frame whole, with its MSS
         * ({@code gsoSize}); called only where {@link #acceptsGso} is true.
         */
        default boolean deliverGso(long va, int length, int rxFlags, int gsoSize) {
            return false;
        }

        /**
         * Whether the port takes frames on any lane, through {@link #deliverOn} and
         * {@link #flushOn} (netback: each queue is served on one of dom0's vCPUs, and the port
         * hands frames between them itself). False: only on the boot lane; frames switched on
         * other lanes reach it through its inbox.
         */
        default boolean anyLane() {
            return false;
        }

        /**
         * A frame switched on {@code lane} (its vCPU's thread), for a port whose {@link #anyLane}
         * is true: as {@link #deliver(long, int, int)}, or {@link #deliverGso} when {@code gsoSize}
         * is not 0.
         */
        default boolean deliverOn(Lane lane, long va, int length, int rxFlags, int gsoSize) {
            return false;
        }

        /** {@link #flush} of what the port took on {@code lane}, on that lane's vCPU. */
        default void flushOn(Lane lane) {
        }
    }


    /**
     * Sends the event that wakes a vCPU, from the vCPU of the lane that calls it (its own
     * {@code EVTCHNOP_send}); allocates nothing.
     */
    @FunctionalInterface
    public interface Kick {
        void send(org.parasol.hypercall.Port port);
    }

    /** A port as attached: its inbox for frames switched on other lanes (boot-lane ports only, once lanes cross). */
    static final class Attached {
        final Port port;
        /** Written on the boot vCPU before the lane that may use it is published. */
        HandOff inbox;
        volatile boolean live = true;

        Attached(Port port) {
            this.port = port;
        }
    }

    /** Bytes of a boot-lane port's inbox: a largest frame and some. */
    static final int INBOX_BYTES = 128 * 1024;

    /**
     * One vCPU's way into the bridge: the memory and clock of that vCPU, the per-frame state of
     * the frame being switched, its segment scratch and its counters. Used only on its vCPU.
     */
    public final class Lane {
        private final int vcpu;
        /** Set on the lane's own vCPU ({@link #attach}; a GuestMemory is its vCPU's thread's only). */
        private GuestMemory mem;
        private final LongSupplier clock;
        private Kick kick;
        private final java.lang.foreign.MemorySegment headScratch = java.lang.foreign.MemorySegment.ofArray(new byte[128]);
        /** The frame being switched lies in a page this domain mapped from {@link #frameGrantDomid}'s grant; -1: in its own memory. */
        private int frameGrantDomid = -1;
        private int frameGrantRef;
        private boolean blank;
        private boolean validated;
        private int gso;
        private final List<Attached> segmentTo = new ArrayList<>();
        private final Gso segmenter = new Gso();
        private long scratchVa;
        private int scratchBytes;
        private int scratchAt;
        private int segmentFlags;
        private final Gso.Sink segmentSink = this::deliverSegment;
        private final Gso.HeaderSink headerSink = this::deliverSegmentFrom;
        /** The frame being cut, in this domain's memory, while its segments are put together ({@link #deliverSegmentFrom}). */
        private long frameVa;
        /** A lookup's result: the entry's port and when it was last heard, valid when found. */
        private Attached foundWhere;
        private long foundSeen;
        private long forwarded;
        private long flooded;
        private long dropped;
        private long gsoWhole;
        private long gsoSegmented;
        private long checksumsCompleted;
        private long handedOver;
        /** dom0 pages whose machine frames callers on this lane may ask for ({@link #mfn}): first addresses, frame lists. */
        private long[] knownVa = new long[8];
        private long[][] knownMfn = new long[8][];
        private int known;

        private Lane(int vcpu, GuestMemory mem, LongSupplier clock, Kick kick) {
            this.vcpu = vcpu;
            this.mem = mem;
            this.clock = clock;
            this.kick = kick;
        }

        /** The lane's vCPU's memory, given on that vCPU before the lane switches a frame. */
        public void attach(GuestMemory laneMem) {
            this.mem = java.util.Objects.requireNonNull(laneMem, "laneMem");
        }

        /** Scratch of 128 bytes for a port to read a frame's head into, on this lane's vCPU. */
        public java.lang.foreign.MemorySegment headScratch() {
            return headScratch;
        }

        /** The vCPU this lane switches on. */
        public int vcpu() {
            return vcpu;
        }

        /** This lane's vCPU's memory. */
        public GuestMemory memory() {
            return mem;
        }

        /** The time on this lane's vCPU. */
        public long now() {
            return clock.getAsLong();
        }

        /** Sends {@code port}'s event from this lane's vCPU. */
        public void kick(org.parasol.hypercall.Port port) {
            kick.send(port);
        }

        /** While a port's delivery runs: the domain whose grant holds the frame's page, or -1 for a frame in this domain's memory. */
        public int frameGrantDomid() {
            return frameGrantDomid;
        }

        /** The grant reference of the frame's page while {@link #frameGrantDomid} is not -1. */
        public int frameGrantRef() {
            return frameGrantRef;
        }

        /**
         * Gives this lane {@code bytes} (at least {@value Vif#MAX_SG_FRAME}) of this domain's
         * memory at {@code va} to cut GSO frames into.
         */
        public void segmentScratch(long va, int bytes) {
            if (bytes < Vif.MAX_SG_FRAME) {
                throw new IllegalArgumentException("segment scratch of " + bytes + " bytes: a segment may be " + Vif.MAX_SG_FRAME);
            }
            scratchVa = va;
            scratchBytes = bytes;
        }

        /**
         * Pages at {@code va} whose machine frames are {@code mfns}: a port served on this lane may
         * look them up ({@link #mfn}) for a frame switched from there. On this lane's vCPU.
         */
        public void knowPages(long va, long[] mfns) {
            if (known == knownVa.length) {
                knownVa = java.util.Arrays.copyOf(knownVa, known * 2);
                knownMfn = java.util.Arrays.copyOf(knownMfn, known * 2);
            }
            knownVa[known] = va;
            knownMfn[known++] = mfns;
        }

        /** Forgets pages {@link #knowPages} was told of. On this lane's vCPU. */
        public void forgetPages(long va) {
            for (int i = 0; i < known; i++) {
                if (knownVa[i] == va) {
                    knownVa[i] = knownVa[--known];
                    knownMfn[i] = knownMfn[known];
                    knownMfn[known] = null;
                    return;
                }
            }
        }

        /** The machine frame of this domain's {@code va}, if it lies in pages this lane was told of; else -1. */
        public long mfn(long va) {
            for (int i = 0; i < known; i++) {
                long page = (va - knownVa[i]) >> org.parasol.hypercall.abi.Mmu.PAGE_SHIFT;
                if (va >= knownVa[i] && page < knownMfn[i].length) {
                    return knownMfn[i][(int) page];
                }
            }
            return -1;
        }

        /** {@link Bridge#input(Port, long, int, long, int, int, int)} on this lane. */
        public void input(Port from, long va, int length, long now, int txFlags, int grantDomid, int grantRef) {
            frameGrantDomid = grantDomid;
            frameGrantRef = grantRef;
            try {
                switchFrame(this, from, va, length, now, txFlags);
            } finally {
                frameGrantDomid = -1;
            }
        }

        /** {@link Bridge#input(Port, long, int, long, int)} on this lane. */
        public void input(Port from, long va, int length, long now, int txFlags) {
            input(from, va, length, now, txFlags, -1, 0);
        }

        /** {@link Bridge#inputGso} on this lane. */
        public void inputGso(Port from, long va, int length, long now, int txFlags, int gsoSize) {
            gso = gsoSize;
            try {
                switchFrame(this, from, va, length, now, txFlags);
                if (!segmentTo.isEmpty()) {
                    segmentFrame(va, length);
                }
            } finally {
                gso = 0;
                segmentTo.clear();
            }
        }

        /** Every port copies out the frames it took on this lane: their bytes may be reused after this. */
        public void flush() {
            scratchAt = 0;
            Attached[] ps = ports;
            for (Attached a : ps) {
                Port p = a.port;
                if (p.anyLane()) {
                    p.flushOn(this);
                } else if (this == boot) {
                    p.flush();
                }
            }
        }

        private void segmentFrame(long va, int length) {
            if (scratchBytes == 0) {
                dropped += segmentTo.size();
                return;
            }
            frameGrantDomid = -1; // the segments lie in this domain's scratch
            gsoSegmented++;
            // A frame sent with its checksum blank goes on blank if every port taking its segments
            // takes blank checksums: no TCP checksum is computed for them (Linux's software GSO
            // leaves it to a device with checksum offload); else each segment's is computed.
            boolean fill = !blank;
            for (int i = 0; i < segmentTo.size() && !fill; i++) {
                fill = !segmentTo.get(i).port.acceptsBlankChecksums();
            }
            segmentFlags = fill ? org.parasol.hypercall.abi.Netif.NETRXF_DATA_VALIDATED
                    : org.parasol.hypercall.abi.Netif.NETRXF_CSUM_BLANK | org.parasol.hypercall.abi.Netif.NETRXF_DATA_VALIDATED;
            if (fill) {
                mem.copyToSegment(va, segmenter.in(), 0, length);
                segmenter.segment(length, gso, true, segmentSink);
            } else {
                // No checksum to compute over the payload: only the headers are read out, and each
                // segment's payload is copied once, from the frame into the scratch.
                mem.copyToSegment(va, segmenter.in(), 0, Math.min(length, Gso.MAX_HEADERS));
                frameVa = va;
                segmenter.segmentHeaders(length, gso, headerSink);
            }
        }

        /**
         * One segment of the frame being cut: into the scratch (when it is full, every port copies out
         * what it took first, and it is used again from its start), then to each port that takes
         * segments.
         */
        private void deliverSegment(java.lang.foreign.MemorySegment bytes, int length, int index) {
            if (scratchAt + length > scratchBytes) {
                flush();
            }
            long at = scratchVa + scratchAt;
            scratchAt += length;
            mem.copyFromSegment(bytes, 0, at, length);
            deliverSegmentAt(at, length);
        }

        /**
         * {@link #deliverSegment} of a segment whose headers are made in {@code headers} and whose
         * payload lies in the frame being cut, at {@code payloadOffset}: both into the scratch.
         */
        private void deliverSegmentFrom(java.lang.foreign.MemorySegment headers, int headerLength, int payloadOffset,
                int payloadBytes, int index) {
            int length = headerLength + payloadBytes;
            if (scratchAt + length > scratchBytes) {
                flush();
            }
            long at = scratchVa + scratchAt;
            scratchAt += length;
            mem.copyFromSegment(headers, 0, at, headerLength);
            mem.copy(frameVa + payloadOffset, at + headerLength, payloadBytes);
            deliverSegmentAt(at, length);
        }

        /** A segment put together in the scratch at {@code at}: to each port that takes segments. */
        private void deliverSegmentAt(long at, int length) {
            for (int i = 0; i < segmentTo.size(); i++) {
                if (!deliverTo(this, segmentTo.get(i), at, length, segmentFlags, 0)) {
                    dropped++;
                }
            }
        }
    }

    /**
     * The MAC table: open addressing with linear probing over parallel arrays (a key is the
     * 48-bit address plus one, so 0 marks a free slot), sized at twice the bound so a probe
     * stays short; nothing is boxed or allocated per frame. Read under {@link #version} (even:
     * stable), written only by the holder of {@link #writing}.
     */
    private static final int CAPACITY = 2 * MAX_ENTRIES;
    /** An entry's age is refreshed when it was last refreshed longer ago than this. */
    static final long REFRESH_NS = 1_000_000_000L;
    /** Tries of a reader before it takes a destination as unknown (a writer on another vCPU held the table). */
    private static final int READ_TRIES = 16;
    private final long[] keys = new long[CAPACITY];
    private final Attached[] where = new Attached[CAPACITY];
    private final long[] seen = new long[CAPACITY];
    private int size;
    private final AtomicLong version = new AtomicLong();
    private final AtomicBoolean writing = new AtomicBoolean();
    /** Learning skipped because another vCPU held the table. */
    private final AtomicLong learningSkipped = new AtomicLong();

    private static int home(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 51) & (CAPACITY - 1); // the top 13 bits: CAPACITY is 8192
    }

    /** The slot of {@code mac}, or -1 (a probe bounded by the table, for a reader racing a writer). */
    private int find(long mac) {
        long key = mac + 1;
        int i = home(key);
        for (int n = 0; n < CAPACITY; n++, i = (i + 1) & (CAPACITY - 1)) {
            long k = keys[i];
            if (k == key) {
                return i;
            }
            if (k == 0) {
                return -1;
            }
        }
        return -1;
    }

    /**
     * Looks {@code mac} up under the sequence lock: true with {@code lane.foundWhere} (null: not
     * learned) and {@code lane.foundSeen}; false when writers kept the table busy for every try.
     */
    private boolean lookup(Lane lane, long mac) {
        for (int t = 0; t < READ_TRIES; t++) {
            long v = version.get();
            if ((v & 1) != 0) {
                Thread.onSpinWait();
                continue;
            }
            int i = find(mac);
            Attached w = i >= 0 ? where[i] : null;
            long s = i >= 0 ? seen[i] : 0;
            VarHandle.loadLoadFence(); // the table's reads before the second look at the version
            if (version.get() == v) {
                lane.foundWhere = w;
                lane.foundSeen = s;
                return true;
            }
        }
        return false;
    }

    /** Takes the table for writing if no other vCPU has it: false means skip (never wait). */
    private boolean tryWrite() {
        if (!writing.compareAndSet(false, true)) {
            learningSkipped.incrementAndGet();
            return false;
        }
        version.incrementAndGet(); // odd: readers retry
        VarHandle.storeStoreFence(); // the odd version before the table's writes
        return true;
    }

    /** Takes the table for writing, waiting out another vCPU's short write (the boot vCPU, on detach). */
    private void write() {
        while (!writing.compareAndSet(false, true)) {
            Thread.onSpinWait(); // a writer holds it for a few array stores, at no safe point
        }
        version.incrementAndGet();
        VarHandle.storeStoreFence();
    }

    private void written() {
        version.incrementAndGet(); // even again, after the table's writes (release)
        writing.set(false);
    }

    private void insert(long mac, Attached port, long now) {
        long key = mac + 1;
        int i = home(key);
        while (keys[i] != 0) {
            i = (i + 1) & (CAPACITY - 1);
        }
        where[i] = port;
        seen[i] = now;
        keys[i] = key;
        size++;
    }

    /** Frees slot {@code i}, moving back the entries of the probe run after it (no tombstones). */
    private void removeAt(int i) {
        int hole = i;
        for (int j = (i + 1) & (CAPACITY - 1); keys[j] != 0; j = (j + 1) & (CAPACITY - 1)) {
            int h = home(keys[j]);
            // j's entry may fill the hole if its home is not in (hole, j], cyclically
            boolean stays = hole <= j ? hole < h && h <= j : hole < h || h <= j;
            if (!stays) {
                keys[hole] = keys[j];
                where[hole] = where[j];
                seen[hole] = seen[j];
                hole = j;
            }
        }
        keys[hole] = 0;
        where[hole] = null;
        size--;
    }

    private final String name;
    private final GuestMemory mem;
    /** The ports, copied on attach and detach (boot vCPU): every lane reads the array it finds. */
    private volatile Attached[] ports = new Attached[0];
    /** Lanes by vCPU (boot vCPU writes; any reads). */
    private volatile Lane[] lanes;
    private final Lane boot;
    /** Where the boot vCPU puts a frame from an inbox to deliver it; the port that wakes it (set by {@link #crossLanes}). */
    private long inboxStagingVa;
    private int inboxStagingBytes;
    private volatile org.parasol.hypercall.Port bootKick;
    private Runnable drainAgain;

    public Bridge(String name, GuestMemory mem, LongSupplier clock) {
        this.name = name;
        this.mem = mem;
        this.boot = new Lane(0, mem, clock, p -> {
            throw new IllegalStateException("the boot lane hands nothing over");
        });
        this.lanes = new Lane[] {boot};
    }

    public String name() {
        return name;
    }

    /** The boot vCPU's lane (the one the bridge's own methods use). */
    public Lane bootLane() {
        return boot;
    }

    /**
     * A lane for vCPU {@code vcpu} (not 0): its clock, how it sends an event, its segment scratch
     * (this domain's pages at {@code scratchVa}, their machine frames). Call on the boot vCPU
     * after {@link #crossLanes}; the lane is used from then on only on {@code vcpu}, which gives
     * it its memory first ({@link Lane#attach}).
     */
    public Lane addLane(int vcpu, LongSupplier clock, Kick kick, long scratchVa, long[] scratchMfns) {
        if (vcpu <= 0 || bootKick == null) {
            throw new IllegalStateException("lane " + vcpu + ": a secondary vCPU's, after crossLanes");
        }
        Lane l = new Lane(vcpu, null, clock, kick);
        l.segmentScratch(scratchVa, scratchMfns.length * (int) org.parasol.hypercall.abi.Mmu.PAGE_SIZE);
        l.knowPages(scratchVa, scratchMfns); // before the lane is published: its vCPU reads it from then on
        Lane[] ls = lanes;
        Lane[] more = java.util.Arrays.copyOf(ls, Math.max(ls.length, vcpu + 1));
        more[vcpu] = l;
        lanes = more;
        return l;
    }

    /** vCPU {@code vcpu}'s lane, or null. */
    public Lane lane(int vcpu) {
        Lane[] ls = lanes;
        return vcpu >= 0 && vcpu < ls.length ? ls[vcpu] : null;
    }

    /**
     * Readies the bridge for lanes on other vCPUs: frames they switch for ports served on the
     * boot lane only go into those ports' inboxes, {@code kick} is the boot vCPU's port that says
     * so (its handler calls {@link #drainInboxes}), the boot vCPU stages each frame at
     * {@code stagingVa} ({@code stagingBytes}, at least a largest frame) to deliver it, and
     * {@code again} schedules {@link #drainInboxes} once more on the boot vCPU. Boot vCPU, once.
     */
    public void crossLanes(org.parasol.hypercall.Port kick, long stagingVa, int stagingBytes, Runnable again, Kick bootSend) {
        if (stagingBytes < Vif.MAX_SG_FRAME) {
            throw new IllegalArgumentException("inbox staging of " + stagingBytes + " bytes");
        }
        boot.kick = java.util.Objects.requireNonNull(bootSend, "bootSend");
        inboxStagingVa = stagingVa;
        inboxStagingBytes = stagingBytes;
        drainAgain = again;
        for (Attached a : ports) {
            if (!a.port.anyLane() && a.inbox == null) {
                a.inbox = new HandOff(INBOX_BYTES);
            }
        }
        bootKick = kick;
    }

    /** Frames an inbox takes out per turn of the boot vCPU. */
    private static final int INBOX_PER_TURN = 256;

    /**
     * The boot vCPU's turn at the inboxes: each frame other lanes handed over for a boot-lane port
     * is delivered from the staging pages, then the port flushes. Boot vCPU.
     */
    public void drainInboxes() {
        Attached[] ps = ports;
        int n = 0;
        boolean more = false;
        for (Attached a : ps) {
            HandOff in = a.inbox;
            if (in == null) {
                continue;
            }
            do {
                for (int at = in.peek(); at >= 0 && n < INBOX_PER_TURN; at = in.peek(), n++) {
                    int len = in.length(at);
                    int flags = in.flags(at);
                    if (a.live) {
                        mem.copyFromSegment(in.bytes(), at + (long) HandOff.HEADER, inboxStagingVa, len);
                    }
                    in.pop(at);
                    if (a.live) {
                        int gsoSize = flags >>> 16;
                        boolean ok = gsoSize != 0 ? a.port.deliverGso(inboxStagingVa, len, flags & 0xFFFF, gsoSize)
                                : a.port.deliver(inboxStagingVa, len, flags);
                        if (!ok) {
                            boot.dropped++;
                        }
                        a.port.flush(); // the staging page is used again for the next
                    }
                }
                if (n >= INBOX_PER_TURN) {
                    more = true;
                    break;
                }
            } while (!in.arm());
        }
        if (more && drainAgain != null) {
            drainAgain.run();
        }
    }

    public void attach(Port p) {
        Attached a = new Attached(p);
        if (!p.anyLane() && bootKick != null) {
            a.inbox = new HandOff(INBOX_BYTES);
        }
        Attached[] ps = ports;
        Attached[] more = java.util.Arrays.copyOf(ps, ps.length + 1);
        more[ps.length] = a;
        ports = more;
    }

    /** Removes a port and every address learned on it. A frame another lane is switching to it may still reach it. */
    public void detach(Port p) {
        Attached[] ps = ports;
        Attached gone = null;
        for (Attached a : ps) {
            if (a.port == p) {
                gone = a;
                break;
            }
        }
        if (gone == null) {
            return;
        }
        Attached[] fewer = new Attached[ps.length - 1];
        int j = 0;
        for (Attached a : ps) {
            if (a != gone) {
                fewer[j++] = a;
            }
        }
        ports = fewer;
        gone.live = false;
        if (gone.inbox != null) {
            gone.inbox.close();
        }
        write();
        try {
            for (int i = 0; i < CAPACITY; ) {
                if (keys[i] != 0 && where[i] == gone) {
                    removeAt(i); // another entry may have moved into slot i: look at it again
                } else {
                    i++;
                }
            }
        } finally {
            written();
        }
    }

    public int ports() {
        return ports.length;
    }

    public int learned() {
        return size;
    }

    /** Frames sent to the port their destination was learned on, over every lane (a reading). */
    public long forwarded() {
        long n = 0;
        for (Lane l : lanes) {
            n += l == null ? 0 : l.forwarded;
        }
        return n;
    }

    public long flooded() {
        long n = 0;
        for (Lane l : lanes) {
            n += l == null ? 0 : l.flooded;
        }
        return n;
    }

    /** Frames a port could not take (and inboxes refused), over every lane. */
    public long dropped() {
        long n = 0;
        for (Lane l : lanes) {
            n += l == null ? 0 : l.dropped;
        }
        return n;
    }

    /** Frames handed over to a boot-lane port's inbox from another lane. */
    public long handedOver() {
        long n = 0;
        for (Lane l : lanes) {
            n += l == null ? 0 : l.handedOver;
        }
        return n;
    }

    /** Times learning was skipped because another vCPU was writing the table. */
    public long learningSkipped() {
        return learningSkipped.get();
    }

    /**
     * A frame that came in on {@code from}: learn its source, forward or flood it. Its bytes
     * must stay as they are until the next {@link #flush}. Boot vCPU.
     */
    public void input(Port from, long va, int length) {
        input(from, va, length, boot.now());
    }

    /** {@link #input(Port, long, int)} at the time {@code now} (read once for a batch of frames). */
    public void input(Port from, long va, int length, long now) {
        input(from, va, length, now, 0);
    }

    /**
     * {@link #input(Port, long, int, long)} of a frame with netif's TX checksum flags
     * ({@code NETTXF_csum_blank}, {@code NETTXF_data_validated}). A blank checksum is completed
     * in place ({@link FrameChecksum}), once, before the frame goes to any port that does not
     * take blank checksums; ports that do are told {@code NETRXF_csum_blank} while it is
     * still blank. The caller has checked that a blank frame can be completed.
     */
    public void input(Port from, long va, int length, long now, int txFlags) {
        boot.input(from, va, length, now, txFlags, -1, 0);
    }

    /**
     * {@link #input(Port, long, int, long, int)} of a frame that lies, read-only, in a page
     * domain {@code grantDomid} granted ({@code grantRef}) and the caller mapped: ports that
     * copy by grant copy from that grant ({@link #frameGrantDomid}), as Linux's netback copies
     * from a foreign page by its grant reference. Such a frame must not have a blank checksum
     * (it could not be completed in place).
     */
    public void input(Port from, long va, int length, long now, int txFlags, int grantDomid, int grantRef) {
        boot.input(from, va, length, now, txFlags, grantDomid, grantRef);
    }

    /**
     * While a port's {@link Port#deliver} runs on the boot lane: the domain whose grant holds the
     * frame's page (mapped read-only by this domain), or -1 for a frame in this domain's own memory.
     */
    public int frameGrantDomid() {
        return boot.frameGrantDomid;
    }

    /** The grant reference of the frame's page while {@link #frameGrantDomid} is not -1. */
    public int frameGrantRef() {
        return boot.frameGrantRef;
    }

    /**
     * {@link #input(Port, long, int, long, int)} of a TCP/IPv4 GSO frame with MSS {@code gsoSize}
     * (the caller checked the extra and the frame: {@link Gso#check}, {@link Gso#headerLength}):
     * ports that take GSO get it whole; for the others it is cut into segments ({@link Gso}) in
     * this domain's segment scratch ({@link #segmentScratch}) and each segment goes to them.
     */
    public void inputGso(Port from, long va, int length, long now, int txFlags, int gsoSize) {
        boot.inputGso(from, va, length, now, txFlags, gsoSize);
    }

    /**
     * Gives the boot lane {@code bytes} (at least {@value Vif#MAX_SG_FRAME}) of this domain's memory
     * at {@code va} to cut GSO frames into; without it a GSO frame for a port that does not take
     * GSO is dropped and counted there.
     */
    public void segmentScratch(long va, int bytes) {
        boot.segmentScratch(va, bytes);
    }

    /** GSO frames handed whole to ports that take GSO, and frames cut into segments for the others. */
    public long gsoWhole() {
        long n = 0;
        for (Lane l : lanes) {
            n += l == null ? 0 : l.gsoWhole;
        }
        return n;
    }

    public long gsoSegmented() {
        long n = 0;
        for (Lane l : lanes) {
            n += l == null ? 0 : l.gsoSegmented;
        }
        return n;
    }

    /** Segments made of GSO frames. */
    public long segmentsMade() {
        long n = 0;
        for (Lane l : lanes) {
            n += l == null ? 0 : l.segmenter.segmentsMade();
        }
        return n;
    }

    /**
     * A frame for port {@code a} on {@code lane} ({@code gsoSize} 0: not a GSO frame): to a port
     * that takes frames on any lane, there; to a boot-lane port, directly on the boot lane and
     * through its inbox from another.
     */
    private boolean deliverTo(Lane lane, Attached a, long va, int length, int rxFlags, int gsoSize) {
        Port p = a.port;
        if (p.anyLane()) {
            return p.deliverOn(lane, va, length, rxFlags, gsoSize);
        }
        if (lane == boot) {
            return gsoSize != 0 ? p.deliverGso(va, length, rxFlags, gsoSize) : p.deliver(va, length, rxFlags);
        }
        HandOff in = a.inbox;
        if (in == null || lane.frameGrantDomid >= 0 || !in.offer(lane.mem, va, length, rxFlags | gsoSize << 16)) {
            return false; // (a frame in a mapped page is never switched on a secondary lane: TX by map is the boot vCPU's)
        }
        lane.handedOver++;
        if (in.needsKick()) {
            lane.kick(bootKick);
        }
        return true;
    }

    /** Frame for port {@code a}: a GSO frame whole to a port that takes GSO, else noted for segmenting; any other frame as it is. */
    private boolean send(Lane lane, Attached a, long va, int length) {
        if (lane.gso == 0) {
            return deliverTo(lane, a, va, length, rxFlags(lane, a.port, va, length), 0);
        }
        if (a.port.acceptsGso()) {
            lane.gsoWhole++;
            return deliverTo(lane, a, va, length, rxFlags(lane, a.port, va, length), lane.gso);
        }
        lane.segmentTo.add(a);
        return true;
    }

    private void switchFrame(Lane lane, Port fromPort, long va, int length, long now, int txFlags) {
        lane.blank = (txFlags & org.parasol.hypercall.abi.Netif.NETTXF_CSUM_BLANK) != 0;
        lane.validated = lane.blank || (txFlags & org.parasol.hypercall.abi.Netif.NETTXF_DATA_VALIDATED) != 0;
        if (length < Vif.ETH_HEADER) {
            lane.dropped++;
            return;
        }
        Attached[] ps = ports;
        Attached from = null;
        for (Attached a : ps) {
            if (a.port == fromPort) {
                from = a;
                break;
            }
        }
        // Both addresses with two loads (bytes 0-7 and 8-11, little-endian), not twelve: each load is a
        // translation through the MMU. An address is its six bytes in wire order, the first the highest.
        GuestMemory m = lane.mem;
        long head = Long.reverseBytes(m.getLong(va));
        long dst = head >>> 16;
        long src = (head & 0xFFFF) << 32 | Integer.reverseBytes(m.getInt(va + 8)) & 0xFFFF_FFFFL;
        boolean srcGroup = (src >>> 40 & 1) != 0;
        if (!srcGroup && from != null) {
            learn(lane, src, from, now);
        }
        boolean group = (dst >>> 40 & 1) != 0;
        Attached to = null;
        if (!group && lookup(lane, dst) && lane.foundWhere != null) {
            if (now - lane.foundSeen > AGEING_NS) {
                age(dst, now);
            } else {
                to = lane.foundWhere;
            }
        }
        if (to != null && to.live) {
            if (to.port != fromPort) {
                lane.forwarded++;
                if (!send(lane, to, va, length)) {
                    lane.dropped++;
                }
            }
            return;
        }
        lane.flooded++;
        for (Attached a : ps) {
            if (a.port != fromPort && a.live && !send(lane, a, va, length)) {
                lane.dropped++;
            }
        }
    }

    /** {@code src} heard on {@code from}: learned, moved, or its age refreshed (at most once a {@link #REFRESH_NS}). */
    private void learn(Lane lane, long src, Attached from, long now) {
        if (lookup(lane, src) && lane.foundWhere == from && now - lane.foundSeen < REFRESH_NS && now >= lane.foundSeen) {
            return; // the common case: nothing to write
        }
        if (!tryWrite()) {
            return;
        }
        try {
            int e = find(src);
            if (e >= 0) {
                where[e] = from;
                seen[e] = now;
            } else if (size < MAX_ENTRIES) {
                insert(src, from, now);
            }
        } finally {
            written();
        }
    }

    /** {@code dst} was last heard over {@link #AGEING_NS} ago: its entry goes, if no other vCPU is writing. */
    private void age(long dst, long now) {
        if (!tryWrite()) {
            return;
        }
        try {
            int at = find(dst);
            if (at >= 0 && now - seen[at] > AGEING_NS) {
                removeAt(at);
            }
        } finally {
            written();
        }
    }

    /** The RX flags of the frame for port {@code p}, completing its checksum first if {@code p} cannot take it blank. */
    private int rxFlags(Lane lane, Port p, long va, int length) {
        if (lane.blank && !p.acceptsBlankChecksums()) {
            FrameChecksum.complete(lane.mem, va, length);
            lane.blank = false;
            lane.checksumsCompleted++;
        }
        return lane.blank ? org.parasol.hypercall.abi.Netif.NETRXF_CSUM_BLANK | org.parasol.hypercall.abi.Netif.NETRXF_DATA_VALIDATED
                : lane.validated ? org.parasol.hypercall.abi.Netif.NETRXF_DATA_VALIDATED : 0;
    }

    /** Blank transport checksums the bridge filled in for ports that do not take them. */
    public long checksumsCompleted() {
        long n = 0;
        for (Lane l : lanes) {
            n += l == null ? 0 : l.checksumsCompleted;
        }
        return n;
    }

    /** Every port copies out the frames it took on the boot lane: the bytes handed to {@link #input} may be reused after this. */
    public void flush() {
        boot.flush();
    }

    /** The time the bridge ages its table by (the boot vCPU's). */
    public long now() {
        return boot.now();
    }
}
