package org.parasol.drivers.net;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import org.parasol.drivers.backend.BackendStore;
import org.parasol.drivers.blk.Vbd;
import org.parasol.drivers.ring.BackRing;
import org.parasol.drivers.ring.RingOverflowException;
import org.parasol.guest.event.EventDispatcher.BoundPort;
import org.parasol.guest.grant.GrantMapping;
import org.parasol.guest.event.EventDispatcher;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.kernel.SecondaryVcpu;
import org.parasol.guest.sched.RunLoop;
import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestMemory;
import org.parasol.guest.mm.PageRun;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GrantRef;
import org.parasol.hypercall.GuestMemoryBuffer;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.Port;
import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.abi.Gntcopy;
import org.parasol.hypercall.abi.Gntmap;
import org.parasol.hypercall.abi.GnttabOp;
import org.parasol.hypercall.abi.Gntst;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.abi.Netif;
import org.parasol.hypercall.abi.XenbusState;
import org.parasol.hypercall.io.SringEntries;
import org.parasol.hypercall.struct.GnttabCopy;
import org.parasol.hypercall.struct.GnttabMapGrantRef;
import org.parasol.hypercall.struct.GnttabUnmapGrantRef;

/**
 * One vif served by a net back end: Linux netback's {@code xenvif}, with up to
 * {@value #MAX_QUEUES} queues ({@code multi-queue-max-queues}; each queue a TX and an RX ring),
 * split event channels ({@code feature-split-event-channels}), {@code feature-rx-copy} (the
 * back end grant-copies received frames into buffers the front end posted), TX by grant copy
 * (or by grant map: {@code xen_netback.tx_map=1}), and {@code feature-sg} both ways: a TX frame
 * over up to {@code XEN_NETIF_NR_SLOTS_MIN} slots, up to {@value Vif#MAX_SG_FRAME} bytes, put
 * together in dom0's staging pages; an RX frame over as many posted buffers as it fills
 * ({@code NETRXF_more_data}) for a front end that wrote {@code feature-sg} = 1, and at most one
 * buffer (dropped and counted past it) for one that did not; {@code feature-gso-tcpv4}: a TX
 * frame's GSO extra checked ({@link Gso}) and the frame handed to the bridge with its MSS, and
 * a GSO frame given whole, with a GSO extra after its first RX response, to a front end that
 * wrote {@code feature-gso-tcpv4} = 1 (the bridge segments it for the others).
 *
 * <pre>
 *  found       read frontend, frontend-id, mac, bridge; publish features -&gt; InitWait
 *  front Connected (or Initialised)
 *              read multi-queue-num-queues (absent: 1; 0 or over the maximum: refused), then per
 *              queue tx-ring-ref, rx-ring-ref and event-channel, or event-channel-tx and
 *              event-channel-rx (flat keys for one queue, queue-N/... for several);
 *              request-rx-copy; map the rings, bind the ports; join the bridge -&gt; Connected
 *  TX          per queue, on its (TX) event: a batch of frames checked, copied out with one
 *              GNTTABOP_copy, handed to the bridge; the bridge's ports flush their RX copies;
 *              every slot answered
 *  RX          a frame for this vif goes to the queue its flow hashes to and takes that queue's
 *              next posted RX buffer (or is dropped and counted: a front end that stops posting
 *              stalls only itself); its copy waits for the batch's flush
 *  front Closing/Closed or gone, or a broken ring on any queue
 *              leave the bridge, unmap, unbind every queue -&gt; Closed
 * </pre>
 * Hostile TX frames (a bad reference, bytes outside a page, shorter than an Ethernet header,
 * slots that disagree with the size, more than {@code XEN_NETIF_NR_SLOTS_MIN} slots, a GSO
 * extra that cannot stand) are answered {@code NETIF_RSP_ERROR} and counted; a missing slot, an unknown extra
 * type or an impossible ring index ends the vif.
 *
 * <p>Queues and vCPUs: when the back end has secondary vCPUs ({@link NetBackend#addVcpu}), each
 * queue goes to the next of them in turn (over every queue of every vif), as Linux's netback
 * serves each queue with its own NAPI instance and kthread: its event channels are bound there
 * ({@code EVTCHNOP_bind_vcpu}), its TX and RX run on that vCPU's run loop, and it switches its TX
 * frames through that vCPU's lane of the bridge ({@link Bridge.Lane}). A frame switched on another
 * lane for this vif's queue is copied into the queue's hand-off ({@link HandOff}) and the queue's
 * vCPU kicked with an event; there it goes into the queue's RX queue and on to the front end's
 * buffers. Closing stops each queue on its own vCPU (its ports closed, its hand-off dropped)
 * before the boot vCPU unmaps its rings and frees its pages. With one vCPU, and with TX by grant
 * map, every queue is served on the boot vCPU's run loop, beside the store.
 */
final class NetBack implements Bridge.Port {
    /** Queues a front end may ask for ({@code multi-queue-max-queues}); Linux offers dom0's CPU count. */
    static final int MAX_QUEUES = 4;
    /** TX requests taken per turn of the run loop, per queue. */
    static final int TX_PER_TURN = 64;
    /** TX requests whose copies go into one GNTTABOP_copy. */
    static final int TX_BATCH = 32;
    /** RX frames whose copies go into one GNTTABOP_copy (a TX batch flooded to a port fits). */
    static final int RX_BATCH = 64;
    /**
     * Copy ops of one TX batch at most (page 0): a batch takes no new frame once fewer than a
     * whole frame's ops are left (a slot's copy is cut in two where it crosses a staging page).
     */
    private static final int TX_OPS = (int) (Mmu.PAGE_SIZE / GnttabCopy.SIZE);
    /** Map ops of one TX batch at most (TX by map): a window's pages, one op a slot. */
    private static final int TX_MAP_OPS = NetBackend.TX_MAP_SLOTS;
    /** Copy ops of one RX batch at most (page 1): each RX slot takes one, or two where its bytes cross a dom0 page. */
    private static final int RX_OPS_MAX = (int) (Mmu.PAGE_SIZE / GnttabCopy.SIZE);
    /** Pages of a queue before its staging pages: TX ops, RX ops, unmap ops. */
    private static final int OPS_PAGES = 3;
    /** Where the RX ops start: page 1 of a queue's pages (page 0 holds a TX batch's). */
    private static final long RX_OPS = Mmu.PAGE_SIZE;
    /** Where a TX batch's unmap ops start (TX by map): page 2. */
    private static final long UNMAP_OPS = 2L * Mmu.PAGE_SIZE;
    /**
     * dom0 pages of one queue's RX queue ({@link RxQueue}): 128 KiB, where frames for a front
     * end that has not posted enough RX buffers wait. Linux bounds its queue at
     * {@code XENVIF_RX_QUEUE_BYTES} (half an RX ring of pages: 512 KiB); dom0 here has 16 MiB
     * for every queue of every vif, so a quarter of that. Taken when a frame first has to wait,
     * given back when the vif goes.
     */
    static final int RX_QUEUE_PAGES = 32;
    /**
     * Bytes of one queue's hand-off from other vCPUs ({@link HandOff}, with more than one dom0
     * vCPU): twice what its RX queue holds (256 KiB, of the JVM heap, not dom0 pages), so frames
     * switched while the queue's vCPU waits for a pCPU are not dropped at once; half Linux's
     * 512 KiB RX queue.
     */
    static final int HAND_OFF_BYTES = 2 * RX_QUEUE_PAGES * (int) Mmu.PAGE_SIZE;
    /** Frames one queue's RX queue holds at most (an RX ring's worth). */
    static final int RX_QUEUE_FRAMES = SringEntries.NETIF_RX_ONE_PAGE.size();
    /** An RX slot that is a GSO extra (in a queue's per-slot flags). */
    private static final int RX_EXTRA_GSO = -1;
    /** Extra-info slots a TX frame may carry: one of each type. */
    private static final int MAX_EXTRAS = Netif.EXTRA_TYPE_MAX - 1;

    private final Kernel k;
    private final BackendStore store;
    private final NetBackend backend;
    private final Consumer<String> log;
    private final String dir;
    private final DomId front;
    private final int devid;
    private String frontendPath;
    private String bridgeName;
    private Bridge bridge;
    private Runnable unwatchFront;
    private Runnable unwatchOnline;
    /** The queues the front end connected (null until then, and again once disconnected); read by every lane. */
    private volatile Queue[] queues;
    private boolean split;
    /** The front end takes RX frames with blank checksums (it did not write feature-no-csum-offload = 1). */
    private volatile boolean csumOffload;
    /** Read by the lanes of every vCPU that switches frames to this vif. */
    private volatile boolean connected;
    /** Queues still stopping on their vCPUs after a disconnect: no reconnect until 0 (boot vCPU). */
    private int closing;
    /** The front end's state changed while queues were stopping. */
    private boolean missedChange;
    /** RX frames dropped before a queue was picked (the vif not connected, over what it takes), on any lane. */
    private final AtomicLong rxDroppedAnyLane = new AtomicLong();
    private final AtomicLong rxTooBigAnyLane = new AtomicLong();
    /** The toolstack removed the vif's directory: nothing is written there any more. */
    private boolean removed;
    private final GnttabCopy copy = new GnttabCopy();
    private final GnttabMapGrantRef map = new GnttabMapGrantRef();
    private final GnttabUnmapGrantRef unmap = new GnttabUnmapGrantRef();
    /** The front end wrote feature-sg = 1: it takes RX frames over several buffers. */
    private volatile boolean rxSg;
    /** The front end wrote feature-gso-tcpv4 = 1 (and feature-sg = 1): it takes TCP/IPv4 GSO frames whole. */
    private volatile boolean rxGso;
    /*
     * The counters below are the sums of the queues that closed ({@link Queue#release}); each live
     * queue keeps its own, written on its vCPU.
     */
    /** The queues' counters ({@link QueueStats}); {@code rxOffered} here also counts what the bridge gave on other lanes. */
    private final QueueStats stats = new QueueStats();
    /** The RX queues of queues gone: frames queued, refused for want of room, expired, dropped on disconnect, the most bytes one held. */
    private long rxqQueued;
    private long rxqFull;
    private long rxqExpired;
    private long rxqCleared;
    private int rxqPeak;
    /** dom0 pages the RX queues took and gave back. */
    private long rxqPagesTaken;
    private long rxqPagesGiven;
    /** Frames refused by a full hand-off, dropped in one on disconnect. */
    private long handOffFull;
    private long handOffCleared;
    /** Frames sent and received per queue, of the connection closing (for its closing line). */
    private final StringBuilder perQueue = new StringBuilder();

    /** This vif's counters, as the guest sees them (xentop's NETTX and NETRX). dom0's boot vCPU. */
    VifStatistics statistics() {
        long queueDrops = rxqFull + rxqExpired + rxqCleared + handOffFull + handOffCleared;
        long tb = stats.txBytes;
        long tf = stats.txFrames;
        long te = stats.txErrors;
        long rb = stats.rxBytes;
        long rf = stats.rxFrames;
        long rd = stats.rxDropped + stats.rxTooBig + stats.rxNoQueueMemory + rxDroppedAnyLane.get() + rxTooBigAnyLane.get();
        Queue[] qs = queues;
        if (qs != null) {
            for (Queue q : qs) {
                if (q != null) {
                    // A queue on another vCPU: a reading that may lag it by a frame or two.
                    queueDrops += q.pending.full() + q.pending.expired() + q.pending.cleared();
                    if (q.handOff != null) {
                        queueDrops += q.handOff.refused() + q.handOff.cleared();
                    }
                    tb += q.stats.txBytes;
                    tf += q.stats.txFrames;
                    te += q.stats.txErrors;
                    rb += q.stats.rxBytes;
                    rf += q.stats.rxFrames;
                    rd += q.stats.rxDropped + q.stats.rxTooBig + q.stats.rxNoQueueMemory;
                }
            }
        }
        return new VifStatistics(front.value(), devid, tb, tf, te, rb, rf, rd + queueDrops);
    }

    NetBack(Kernel k, BackendStore store, NetBackend backend, Consumer<String> log, String dir, int front, int devid) {
        this.k = k;
        this.store = store;
        this.backend = backend;
        this.log = log;
        this.dir = dir;
        this.front = DomId.of(front);
        this.devid = devid;
    }

    private String who() {
        return "netback: vif" + front.value() + "." + devid;
    }

    void start() {
        try {
            String fid = store.read(dir + "/frontend-id");
            if (Vbd.number("frontend-id", fid, 0, DomId.DOMID_FIRST_RESERVED - 1) != front.value()) {
                throw new IllegalArgumentException("frontend-id " + fid + " is not d" + front.value());
            }
            frontendPath = store.read(dir + "/frontend");
            if (frontendPath == null || !frontendPath.startsWith("/local/domain/" + front.value() + "/")) {
                throw new IllegalArgumentException("frontend is not in d" + front.value() + "'s directory");
            }
            String b = store.read(dir + "/" + Vif.BRIDGE);
            bridgeName = b == null || b.isEmpty() ? NetBackend.DEFAULT_BRIDGE : b;
        } catch (RuntimeException e) {
            log.accept(who() + ": cannot serve: " + e.getMessage());
            write("state", Integer.toString(XenbusState.CLOSED.wire()));
            return;
        }
        write(Vif.FEATURE_RX_COPY, "1");
        write(Vif.FEATURE_RX_FLIP, "0");
        write(Vif.FEATURE_SG, "1");
        write(Vif.FEATURE_GSO_TCPV4, "1");
        write(Vif.MULTI_QUEUE_MAX_QUEUES, Integer.toString(MAX_QUEUES));
        write(Vif.FEATURE_SPLIT_EVENT_CHANNELS, "1");
        write("state", Integer.toString(XenbusState.INIT_WAIT.wire()));
        unwatchFront = store.watch(frontendPath + "/state", p -> frontEndChanged());
        unwatchOnline = store.watch(dir + "/online", p -> onlineChanged());
    }

    private void frontEndChanged() {
        String raw = store.read(frontendPath + "/state");
        int s;
        try {
            s = raw == null ? 0 : (int) Vbd.number("state", raw, 0, 8);
        } catch (IllegalArgumentException e) {
            s = 0;
        }
        if (closing > 0) {
            missedChange = true; // looked at again once every queue has stopped
            return;
        }
        if ((s == XenbusState.INITIALISED.wire() || s == XenbusState.CONNECTED.wire()) && !connected && queues == null) {
            connect();
        } else if (s == XenbusState.CLOSING.wire() || s == XenbusState.CLOSED.wire() || s == 0) {
            if (connected || queues != null) {
                disconnect(raw == null ? "the front end is gone" : "the front end is closing");
            } else if (s == XenbusState.CLOSING.wire()) {
                write("state", Integer.toString(XenbusState.CLOSED.wire()));
            }
        }
    }

    /**
     * The toolstack takes the vif away ({@code xl network-detach}: {@code online} 0, our state
     * Closing): a connected vif waits for its front end to close, as Linux's netback does; one
     * whose front end never connected has nothing to wait for and is Closed at once.
     */
    private void onlineChanged() {
        if ("0".equals(store.read(dir + "/online")) && !connected && queues == null && closing == 0 && !removed) {
            write("state", Integer.toString(XenbusState.CLOSED.wire()));
        }
    }

    /**
     * The front end's choices, read as Linux's {@code connect} and {@code connect_data_rings}
     * read them: {@code multi-queue-num-queues} (1 when absent; 0 or more than we offered is a
     * fatal error), then each queue's rings and event channels, under the front end's directory
     * for one queue and under {@code queue-N} for several. {@code event-channel-tx} without
     * {@code event-channel-rx} is refused; without either, {@code event-channel} serves both rings.
     */
    private void connect() {
        int n;
        try {
            String raw = store.read(frontendPath + "/" + Vif.MULTI_QUEUE_NUM_QUEUES);
            n = raw == null ? 1 : (int) Vbd.number(Vif.MULTI_QUEUE_NUM_QUEUES, raw, 0, Integer.MAX_VALUE);
            if (n < 1 || n > MAX_QUEUES) {
                throw new IllegalArgumentException("the front end asked for " + n + " queues, not 1.." + MAX_QUEUES);
            }
            String copyMode = store.read(frontendPath + "/" + Vif.REQUEST_RX_COPY);
            if (!"1".equals(copyMode)) {
                throw new IllegalArgumentException("the front end did not ask for request-rx-copy (page flipping is not served)");
            }
            String sg = store.read(frontendPath + "/" + Vif.FEATURE_SG);
            rxSg = sg != null && Vbd.number(Vif.FEATURE_SG, sg, 0, 1) == 1;
            String noCsum = store.read(frontendPath + "/" + Vif.FEATURE_NO_CSUM_OFFLOAD);
            csumOffload = noCsum == null || Vbd.number(Vif.FEATURE_NO_CSUM_OFFLOAD, noCsum, 0, 1) == 0;
            String gso = store.read(frontendPath + "/" + Vif.FEATURE_GSO_TCPV4);
            // RX GSO needs RX scatter-gather (a 64 KiB frame over many buffers), as Linux's netback
            // drops NETIF_F_TSO when the front end has no feature-sg.
            rxGso = rxSg && gso != null && Vbd.number(Vif.FEATURE_GSO_TCPV4, gso, 0, 1) == 1;
        } catch (IllegalArgumentException e) {
            queues = new Queue[0];
            disconnect(e.getMessage());
            return;
        }
        bridge = backend.bridge(bridgeName);
        Queue[] qs = new Queue[n];
        queues = qs;
        boolean spread = backend.hasVcpus() && !backend.options().txMap();
        try {
            for (int q = 0; q < n; q++) {
                qs[q] = new Queue(q, spread ? backend.nextVcpu() : null);
                qs[q].connect(n == 1 ? frontendPath : frontendPath + "/" + Vif.queueDir(q));
            }
        } catch (RuntimeException e) {
            disconnect("the front end's rings: " + e.getMessage());
            return;
        }
        connected = true;
        bridge.attach(this);
        for (Queue q : qs) {
            q.start(); // on its own vCPU: its ports bound there, then a first look at its rings
        }
        write("state", Integer.toString(XenbusState.CONNECTED.wire()));
        StringBuilder on = new StringBuilder();
        for (Queue q : qs) {
            on.append(on.isEmpty() ? "" : ",").append(q.vcpuId);
        }
        log.accept(who() + ": on bridge " + bridgeName + "; Connected (" + n + (n == 1 ? " queue" : " queues")
                + (spread ? (n == 1 ? " on vCPU " : " on vCPUs ") + on : "")
                + (queues[0].mapWindow >= 0 ? ", TX by grant map" : "")
                + (split ? ", split event channels" : ", one event channel")
                + (csumOffload ? ", checksum offload" : ", no checksum offload")
                + (rxSg ? ", RX scatter-gather" : ", no RX scatter-gather") + (rxGso ? ", RX GSO)" : ")"));
    }

    /**
     * {@code queue}'s vCPU found its ring broken (or could not bind its ports): this vif
     * disconnects, on the boot vCPU; a report from a queue of an earlier connection is dropped.
     */
    private void broken(Queue queue, String why) {
        Queue[] qs = queues;
        if (qs != null) {
            for (Queue q : qs) {
                if (q == queue) {
                    disconnect(why);
                    return;
                }
            }
        }
    }

    /**
     * RX: a frame from the bridge goes to the queue its flow hashes to ({@link Vif#flowHash}),
     * as Linux's netback picks a queue by the packet's hash, so one flow keeps its order.
     */
    @Override
    public boolean deliver(long va, int length) {
        return deliver(va, length, 0);
    }

    /** Frames reach netback on the lane of whichever vCPU switched them: {@link #deliverOn}. */
    @Override
    public boolean anyLane() {
        return true;
    }

    @Override
    public boolean acceptsBlankChecksums() {
        return csumOffload;
    }

    @Override
    public boolean acceptsGso() {
        return rxGso && connected;
    }

    /**
     * RX GSO: a TCP/IPv4 GSO frame whole, for a front end that wrote {@code feature-gso-tcpv4} = 1:
     * its first RX response is flagged {@code NETRXF_extra_info} and the next slot is a GSO extra
     * with the MSS, as Linux's netback gives it.
     */
    @Override
    public boolean deliverGso(long va, int length, int rxFlags, int gsoSize) {
        Bridge b = bridge;
        if (b == null) {
            rxDroppedAnyLane.incrementAndGet();
            return false;
        }
        return deliverOn(b.bootLane(), va, length, rxFlags, gsoSize);
    }

    /** Where a frame's MSS rides in netback's RX flags word (its RX queue keeps one int per frame): bits 16..31. */
    private static final int GSO_SHIFT = 16;

    /** RX slots a frame takes: one per page of it, and one for the GSO extra of a frame with an MSS in its flags word. */
    private static int rxSlotsFor(int length, int flagsWord) {
        return RxChain.slotsFor(length) + (flagsWord >>> GSO_SHIFT != 0 ? 1 : 0);
    }

    @Override
    public boolean deliver(long va, int length, int rxFlags) {
        Bridge b = bridge;
        if (b == null) {
            rxDroppedAnyLane.incrementAndGet();
            return false;
        }
        return deliverOn(b.bootLane(), va, length, rxFlags, 0);
    }

    /**
     * A frame switched on {@code lane}: to the queue its flow hashes to, directly when that queue
     * is served on the lane's vCPU, else through the queue's hand-off and a kick to its vCPU.
     */
    @Override
    public boolean deliverOn(Bridge.Lane lane, long va, int length, int rxFlags, int gsoSize) {
        Queue[] qs = queues;
        if (!connected || qs == null || qs.length == 0
                || gsoSize != 0 && (!rxGso || gsoSize < 0 || gsoSize > 0xFFFF)) {
            rxDroppedAnyLane.incrementAndGet();
            return false;
        }
        if (length > (rxSg ? Vif.MAX_SG_FRAME : Vif.MAX_FRAME)) {
            rxTooBigAnyLane.incrementAndGet(); // over one buffer for a front end without feature-sg, as netback drops what it cannot slot
            return false;
        }
        int flagsWord = rxFlags | gsoSize << GSO_SHIFT;
        Queue q = qs.length == 1 ? qs[0] : qs[Integer.remainderUnsigned(flowHash(lane, va, length), qs.length)];
        if (q.vcpuId == lane.vcpu() && q.rx != null && !q.stopped) {
            return q.deliver(va, length, flagsWord);
        }
        // Another vCPU's queue; or this vCPU's, not started here yet (its rings are attached by a
        // task still queued on this loop): the hand-off, which it drains once started.
        return q.handOver(lane, va, length, flagsWord);
    }

    /**
     * The bytes {@link Vif#flowHash} may read: an Ethernet header, an IPv4 header of up to 60
     * bytes and a transport header's two ports.
     */
    private static final int HASH_BYTES = Vif.ETH_HEADER + 60 + 4;
    /**
     * {@link Vif#flowHash} of the frame at {@code va}: the same number as for its bytes, read
     * with one copy of its head (into the lane's own scratch) instead of a translated load per byte.
     */
    private static int flowHash(Bridge.Lane lane, long va, int length) {
        int n = Math.min(length, HASH_BYTES);
        java.lang.foreign.MemorySegment head = lane.headScratch();
        lane.memory().copyToSegment(va, head, 0, n);
        return Vif.flowHash(head, length); // reads none of its bytes past the frame's first n
    }

    /** Every boot-vCPU queue's RX frames taken since the last flush. */
    @Override
    public void flush() {
        Bridge b = bridge;
        if (b != null) {
            flushOn(b.bootLane());
        }
    }

    /** The RX frames taken since the last flush by the queues served on {@code lane}'s vCPU. */
    @Override
    public void flushOn(Bridge.Lane lane) {
        Queue[] qs = queues;
        if (qs == null) {
            return;
        }
        int v = lane.vcpu();
        for (int i = 0; i < qs.length && connected; i++) {
            if (qs[i].vcpuId == v) {
                qs[i].flush();
            }
        }
    }

    /** One queue: its TX and RX rings, its event channel (or two), its copy ops and staging pages. */
    private final class Queue {
        private final int id;
        /** The vCPU serving this queue, null for the boot vCPU; its id (0 for the boot vCPU). */
        private final SecondaryVcpu vcpu;
        final int vcpuId;
        /** The serving vCPU's hypercalls, memory, run loop and event channels; its lane of the bridge. */
        private final Cpu cpu;
        private GuestMemory mem;
        private final RunLoop loop;
        private final EventDispatcher events;
        private Bridge.Lane lane;
        /** Frames switched on other vCPUs' lanes for this queue (null with one vCPU), and the port that kicks this vCPU for them. */
        private final HandOff handOff;
        private volatile Port kickPort;
        private BoundPort kick;
        private final Runnable drainHandOff = this::drainHandOff;
        /** A secondary vCPU's queue stopped serving (its ring broke; the boot vCPU is told). */
        private boolean stopped;
        /** This queue's counters (as the vif's, {@link NetBack#statistics}), written on its vCPU. */
        private final QueueStats stats = new QueueStats();
        /** A TX frame's first {@value Gso#MAX_HEADERS} bytes, copied out of dom0's memory in one copy to be checked for GSO. */
        private final java.lang.foreign.MemorySegment gsoHead = java.lang.foreign.MemorySegment.ofArray(new byte[Gso.MAX_HEADERS]);
        private GrantMapping txPage;
        private GrantMapping rxPage;
        private BackRing<NetifCodec.Tx, NetifCodec.TxRsp> tx;
        private BackRing<NetifCodec.Rx, NetifCodec.RxRsp> rx;
        /** The TX ring's port, and the RX ring's (the same one without split event channels). */
        private BoundPort txPort;
        private BoundPort rxPort;
        private boolean scheduled;
        /** Frames this queue took from the front end and handed to the bridge, and copied to it. */
        private long queueTx;
        private long queueRx;
        /**
         * TX requests taken from the ring by runs ({@link BackRing#consumeRequests}: one reading of
         * {@code req_prod}, one copy of the run's slots) and not parsed yet: {@code txRun[txHead..txLen)},
         * in ring order. A batch that ends mid-run leaves the rest for the next batch (taken,
         * unanswered, as a request being served is); the queue does not go idle while any is left.
         */
        private final NetifCodec.Tx[] txRun = holders(new NetifCodec.Tx[SringEntries.NETIF_TX_ONE_PAGE.size()], NetifCodec.Tx::new);
        private int txHead;
        private int txLen;
        /** A TX batch's answers, one per slot in ring order, written by one run ({@link BackRing#produceResponses}). */
        private final NetifCodec.TxRsp[] txRsps = holders(new NetifCodec.TxRsp[SringEntries.NETIF_TX_ONE_PAGE.size()], NetifCodec.TxRsp::new);
        /**
         * RX buffers the front end posted, taken from the ring by runs and not used yet: a circle of
         * their ids and grant references, {@code postedCount} of them from {@code postedHead}.
         * At most a ring's worth: the ring holds no more taken and unanswered.
         */
        private final NetifCodec.Rx[] rxRun = holders(new NetifCodec.Rx[SringEntries.NETIF_RX_ONE_PAGE.size()], NetifCodec.Rx::new);
        private final int[] postedId = new int[SringEntries.NETIF_RX_ONE_PAGE.size()];
        private final int[] postedRef = new int[SringEntries.NETIF_RX_ONE_PAGE.size()];
        private int postedHead;
        private int postedCount;
        /** An RX flush's responses, one per slot, written by one run. */
        private final NetifCodec.RxRsp[] rxRsps = holders(new NetifCodec.RxRsp[RX_OPS_MAX], NetifCodec.RxRsp::new);
        /**
         * Page 0: a TX batch's copy ops; page 1: an RX batch's; page 2: a TX batch's unmap ops;
         * pages 3..{@value #TX_BATCH}+2: the frames of a TX batch, copied in from the front end, two
         * to a page where they fit half a page ({@link #stage}; a frame over several slots is put
         * together in its place).
         */
        private PageRun pages;
        private GuestMemoryBuffer ops;
        /**
         * dom0's private mirror of {@link #ops}: each batch's ops are written here and copied into
         * the ops pages with one bulk write before the hypercall, and read back with one bulk read
         * after it, instead of a translated store per field and a translated load per status.
         */
        private final SegmentBuffer mirror = SegmentBuffer.allocate((long) OPS_PAGES * Mmu.PAGE_SIZE);
        /** The machine frames of {@link #pages}, {@link #bigStaging} and {@link #rxStore}, read from the P2M once. */
        private long[] pagesMfn;
        private long[] bigStagingMfn;
        private long[] rxStoreMfn;
        /** Per frame of a TX batch: its length, its first copy op and how many (0 when refused without a copy). */
        private final int[] batchSize = new int[TX_BATCH];
        /** Per frame of a TX batch: its first slot's checksum flags (NETTXF_csum_blank, NETTXF_data_validated). */
        private final int[] batchCsum = new int[TX_BATCH];
        /** Per frame of a TX batch: its GSO extra's MSS, 0 for a frame without one. */
        private final int[] batchGso = new int[TX_BATCH];
        private final int[] batchOp = new int[TX_BATCH];
        private final int[] batchOps = new int[TX_BATCH];
        /** Per frame of a TX batch: its first slot's grant and offset (TX by map: a one-slot frame is switched where it is mapped). */
        private final int[] batchRef = new int[TX_BATCH];
        private final int[] batchOff = new int[TX_BATCH];
        /** Per frame of a TX batch: where dom0 puts it together ({@link #stage}); the half pages of staging taken so far. */
        private final long[] batchStage = new long[TX_BATCH];
        private int stageHalves;
        /** TX by map: this queue's window ({@link NetBackend#takeTxMapWindow}), -1 for TX by copy; op i maps at page i of it. */
        private long mapWindow = -1;
        /** Per map op of a TX batch: the slot's offset and length in its page. */
        private final int[] opOff = new int[TX_MAP_OPS];
        private final int[] opLen = new int[TX_MAP_OPS];
        /** Where a TX frame over a page is put together (one per batch: a batch ends with it). */
        private PageRun bigStaging;
        private boolean bigUsed;
        /** Map ops of the batch that succeeded and are not unmapped yet. */
        private int mappedNow;
        private final boolean[] batchOk = new boolean[TX_BATCH];
        private int opCount;
        /**
         * Per TX slot taken in the batch, in ring order: the request's id and its frame's index in
         * the batch, or -1 for an extra-info slot (answered {@code NETIF_RSP_NULL}, as netback does).
         * A batch takes at most a ring's worth of slots: the ring holds no more unanswered.
         */
        private final int[] slotId = new int[SringEntries.NETIF_TX_ONE_PAGE.size()];
        private final int[] slotFrame = new int[SringEntries.NETIF_TX_ONE_PAGE.size()];
        private int slotCount;
        /** The further slots of one frame: reference, offset, size. */
        private final int[] fragRef = new int[Netif.NR_SLOTS_MIN];
        private final int[] fragOff = new int[Netif.NR_SLOTS_MIN];
        private final int[] fragSize = new int[Netif.NR_SLOTS_MIN];
        /** RX frames taken and not copied yet: each one's RX request id and length; their ops at {@link #RX_OPS}. */
        /** Per RX slot taken and not copied yet: its request id, bytes, flags and copy ops (at {@link #RX_OPS}). */
        private final int[] rxId = new int[RX_OPS_MAX];
        private final int[] rxLen = new int[RX_OPS_MAX];
        private final int[] rxFlag = new int[RX_OPS_MAX];
        private final int[] rxSlotOps = new int[RX_OPS_MAX];
        private int rxSlots;
        private int rxOps;
        /** RX frames taken and not copied yet. */
        private int rxQueued;
        /** Frames waiting for RX buffers ({@link RxQueue}); their bytes in {@link #rxStore}. */
        private final RxQueue pending = new RxQueue(RX_QUEUE_PAGES * (int) Mmu.PAGE_SIZE, RX_QUEUE_FRAMES);
        /** The RX queue's dom0 pages: taken when a frame first waits, given back on {@link #close}. */
        private PageRun rxStore;
        /** Fires when the oldest waiting frame has waited out the drain timeout. */
        private org.parasol.guest.sched.Timer drainTimer;
        private final Runnable drainTimerFired = this::drainTimerFired;
        private final Runnable serviceRx = this::serviceRx;
        /** {@link #service} as a task, made once: a turn of TX is scheduled without allocating. */
        private final Runnable serviceTx = this::service;
        private boolean rxScheduled;

        Queue(int id, SecondaryVcpu vcpu) {
            this.id = id;
            this.vcpu = vcpu;
            this.vcpuId = vcpu == null ? 0 : vcpu.id();
            this.cpu = vcpu == null ? k.cpu() : vcpu.cpu();
            this.loop = vcpu == null ? k.loop() : vcpu.loop();
            this.events = vcpu == null ? k.events() : vcpu.events();
            this.handOff = backend.severalVcpus() ? new HandOff(HAND_OFF_BYTES) : null;
        }

        private long now() {
            return vcpu == null ? k.now() : vcpu.now();
        }

        /** {@link Gso#headerLength} of the frame at {@code va}: -1 for what is no whole IPv4 TCP packet. */
        private int gsoHeaderLength(long va, int length) {
            mem.copyToSegment(va, gsoHead, 0, Math.min(length, Gso.MAX_HEADERS));
            return Gso.headerLength(gsoHead, length);
        }

        /**
         * This queue stops serving and the vif disconnects: at once on the boot vCPU; from a
         * secondary vCPU, told to the boot vCPU (nothing more is served here meanwhile).
         */
        private void fail(String why) {
            if (vcpu == null) {
                disconnect(why);
                return;
            }
            stopped = true;
            vcpu.postToBoot(() -> broken(this, why));
        }

        /** The front end's rings and ports, read and taken on the boot vCPU; bound on the queue's vCPU by {@link #start}. */
        private int txChannel;
        private int rxChannel;

        private void connect(String path) {
            int txRef = (int) Vbd.number(Vif.TX_RING_REF, need(path, Vif.TX_RING_REF), 0, Integer.MAX_VALUE);
            int rxRef = (int) Vbd.number(Vif.RX_RING_REF, need(path, Vif.RX_RING_REF), 0, Integer.MAX_VALUE);
            String txEvt = store.read(path + "/" + Vif.EVENT_CHANNEL_TX);
            if (txEvt != null) {
                txChannel = (int) Vbd.number(Vif.EVENT_CHANNEL_TX, txEvt, 1, (1 << 17) - 1);
                rxChannel = (int) Vbd.number(Vif.EVENT_CHANNEL_RX, need(path, Vif.EVENT_CHANNEL_RX), 1, (1 << 17) - 1);
                if (rxChannel == txChannel) {
                    throw new IllegalArgumentException("event-channel-tx and event-channel-rx are both port " + txChannel);
                }
                if (id > 0 && !split) {
                    throw new IllegalArgumentException("queue " + id + " splits its event channels and queue 0 did not");
                }
                split = true;
            } else {
                if (split) {
                    throw new IllegalArgumentException("queue " + id + " has one event channel and queue 0 split them");
                }
                txChannel = (int) Vbd.number(Vif.EVENT_CHANNEL, need(path, Vif.EVENT_CHANNEL), 1, (1 << 17) - 1);
                rxChannel = txChannel;
            }
            txPage = k.grantMapper().map(front, GrantRef.of(txRef), false);
            rxPage = k.grantMapper().map(front, GrantRef.of(rxRef), false);
            pages = k.memory().allocatePages(OPS_PAGES + TX_BATCH);
            bigStaging = k.memory().allocatePages(Vif.MAX_RX_SLOTS);
            if (backend.options().txMap()) {
                mapWindow = backend.takeTxMapWindow();
                if (mapWindow < 0) {
                    log.accept(who() + ": no TX map window left" + where() + ": TX by grant copy");
                }
            }
            pagesMfn = mfns(pages);
            bigStagingMfn = mfns(bigStaging);
            lane = bridge.lane(vcpuId);
            if (vcpu == null) {
                attachMemory();
                bindPorts();
                return;
            }
            // A queue on a secondary vCPU cannot take dom0 pages there (the page allocator is the boot
            // vCPU's): its RX queue's pages are taken now, for the frames other vCPUs hand it.
            takeRxStore();
        }

        /** The rings and the ops pages over the serving vCPU's memory (on that vCPU: a GuestMemory is its thread's). */
        private void attachMemory() {
            mem = cpu.memory();
            tx = new BackRing<>(new GuestMemoryBuffer(mem, txPage.va(), Mmu.PAGE_SIZE),
                    SringEntries.NETIF_TX_ONE_PAGE, new NetifCodec.TxCodec(), new NetifCodec.TxRspCodec(),
                    () -> txPort.notifyRemote()).attach(0);
            rx = new BackRing<>(new GuestMemoryBuffer(mem, rxPage.va(), Mmu.PAGE_SIZE),
                    SringEntries.NETIF_RX_ONE_PAGE, new NetifCodec.RxCodec(), new NetifCodec.RxRspCodec(),
                    () -> rxPort.notifyRemote()).attach(0);
            ops = new GuestMemoryBuffer(mem, pages.va(), (long) OPS_PAGES * Mmu.PAGE_SIZE);
        }

        /**
         * The front end's ports, bound on the serving vCPU ({@code EVTCHNOP_bind_vcpu} for a
         * secondary), and with a hand-off, the port other vCPUs kick this one with.
         */
        private void bindPorts() {
            txPort = events.bindInterdomain(front, Port.of(txChannel), loop.deferred(p -> schedule()));
            if (split) {
                // The RX event says buffers were posted: frames waiting in the RX queue take them.
                rxPort = events.bindInterdomain(front, Port.of(rxChannel), loop.deferred(p -> scheduleRx()));
            } else {
                rxPort = txPort;
            }
            if (handOff != null) {
                kick = events.bindIpi(vcpuId, loop.deferred(p -> drainHandOff()));
                kickPort = kick.port();
            }
        }

        /**
         * Starts serving on the queue's vCPU (the boot vCPU's queue is serving already): its
         * memory, its ports bound there; then a first look at both rings and the hand-off, since an
         * event raised before the ports were routed went to the boot vCPU.
         */
        void start() {
            if (vcpu == null) {
                return;
            }
            k.post(vcpu, () -> {
                if (stopped || !connected) {
                    return;
                }
                try {
                    attachMemory();
                    lane.knowPages(pages.va(), pagesMfn);
                    lane.knowPages(bigStaging.va(), bigStagingMfn);
                    bindPorts();
                } catch (RuntimeException e) {
                    fail("binding queue " + id + " on vCPU " + vcpuId + ": " + e.getMessage());
                    return;
                }
                schedule();
                scheduleRx();
                drainHandOff();
            });
        }

        /** The RX queue's dom0 pages, taken on the boot vCPU; false (said once, counted) when dom0 has none. */
        private boolean takeRxStore() {
            try {
                rxStore = k.memory().allocatePages(RX_QUEUE_PAGES);
                rxStoreMfn = mfns(rxStore);
                backend.rxQueuePages(RX_QUEUE_PAGES);
                rxqPagesTaken += RX_QUEUE_PAGES;
                return true;
            } catch (org.parasol.guest.mm.GuestOutOfMemoryException e) {
                if (stats.rxNoQueueMemory++ == 0) {
                    log.accept(who() + ": no dom0 pages for an RX queue" + where() + ": " + e.getMessage()
                            + "; frames without buffers are dropped");
                }
                return false;
            }
        }

        /**
         * A frame switched on another vCPU's {@code from} lane: copied into this queue's hand-off
         * (refused and counted when it is full), and this queue's vCPU kicked if it waits for one.
         * On {@code from}'s vCPU.
         */
        boolean handOver(Bridge.Lane from, long va, int length, int flagsWord) {
            HandOff h = handOff;
            if (h == null) {
                rxDroppedAnyLane.incrementAndGet();
                return false;
            }
            if (!h.offer(from.memory(), va, length, flagsWord)) {
                return false; // counted by the hand-off
            }
            if (h.needsKick()) {
                Port p = kickPort;
                if (p != null) {
                    from.kick(p);
                } // else: the queue's first look, after it binds the port, takes it
            }
            return true;
        }

        /** Frames the hand-off gives per turn before the queue's vCPU turns to other work. */
        private static final int HAND_OFF_PER_TURN = 128;

        /**
         * On this queue's vCPU: the frames other vCPUs handed over, each into the RX queue (its
         * bytes copied into the RX queue's pages, in the order they were handed over) and on to
         * the buffers the front end posted; then the hand-off waits for the next kick.
         */
        private void drainHandOff() {
            HandOff h = handOff;
            if (h == null || stopped || !connected || tx == null) {
                return;
            }
            try {
                int n = 0;
                do {
                    for (int at = h.peek(); at >= 0; at = h.peek()) {
                        if (n++ == HAND_OFF_PER_TURN) {
                            loop.execute(drainHandOff); // the rest next turn, without waiting for a kick
                            drainPending();
                            flush();
                            return;
                        }
                        int len = h.length(at);
                        int flags = h.flags(at);
                        stats.handedIn++;
                        if (!pending.noneWaiting()) {
                            drainPending(); // room for this one, if buffers were posted
                        }
                        if (rxStore == null) {
                            stats.rxNoQueueMemory++;
                        } else {
                            long now = now();
                            pending.expire(now - backend.options().rxDrainTimeoutMillis() * 1_000_000L);
                            int to = pending.offer(len, flags, now);
                            if (to >= 0) { // else counted by the RX queue (full)
                                mem.copyFromSegment(h.bytes(), at + (long) HandOff.HEADER, rxStore.va() + to, len);
                            }
                        }
                        h.pop(at);
                    }
                } while (!h.arm());
                drainPending();
                flush();
                if (!pending.noneWaiting()) {
                    rx.finalCheckForRequests(); // req_event: the front end kicks when it posts a buffer
                    armDrainTimer();
                }
            } catch (RingOverflowException e) {
                fail("the front end broke its RX ring" + where() + ": " + e.getMessage());
            }
        }

        /** The machine frame of each page of {@code run}, read from the P2M once (dom0's own pages stay put). */
        private long[] mfns(PageRun run) {
            long[] m = new long[run.count()];
            for (int i = 0; i < m.length; i++) {
                m[i] = k.memory().mfn(run.pfn() + i).value();
            }
            return m;
        }

        /** The machine frame of dom0's {@code va}: one of this queue's own pages, or asked of the P2M. */
        private long dom0Mfn(long va) {
            long m = frameIn(pages, pagesMfn, va);
            if (m < 0) {
                m = frameIn(bigStaging, bigStagingMfn, va);
            }
            if (m < 0) {
                m = frameIn(rxStore, rxStoreMfn, va);
            }
            if (m >= 0) {
                return m;
            }
            // Another queue's staging or the lane's scratch: a secondary vCPU knows its lane's pages
            // (the P2M is the boot vCPU's to read).
            return vcpu == null ? k.memory().mfnValue(org.parasol.guest.mm.Memory.pfn(va)) : lane.mfn(va);
        }

        private static long frameIn(PageRun run, long[] mfn, long va) {
            if (run == null || mfn == null) {
                return -1;
            }
            long page = (va - run.va()) >> Mmu.PAGE_SHIFT;
            return va >= run.va() && page < mfn.length ? mfn[(int) page] : -1;
        }

        /**
         * One grant-table hypercall over {@code count} ops of {@code size} bytes at {@code at} of
         * the ops pages: the ops written there from {@link #mirror} in one bulk copy, and read back
         * (their statuses, handles) in another.
         */
        private long grantCall(int cmd, long at, int count, long size) {
            long bytes = count * size;
            ops.putBytes(at, mirror.segment(), at, bytes);
            long rc = cpu.hypercall(Hypercall.GRANT_TABLE_OP, cmd, ops.va() + at, count);
            ops.getBytes(at, mirror.segment(), at, bytes);
            return rc;
        }

        private String need(String path, String key) {
            String v = store.read(path + "/" + key);
            if (v == null) {
                throw new IllegalArgumentException("no " + (path.equals(frontendPath) ? "" : path.substring(
                        frontendPath.length() + 1) + "/") + key);
            }
            return v;
        }

        private void schedule() {
            if (!scheduled && connected && !stopped) {
                scheduled = true;
                loop.execute(serviceTx);
            }
        }

        /**
         * TX: frames from the front end to the bridge, bounded per turn. Requests are taken in
         * batches of up to {@value #TX_BATCH}: every good one's copy goes into one
         * {@code GNTTABOP_copy} call (as Linux's netback gathers a batch of copy operations per
         * hypercall), then each frame goes to the bridge and is answered, in ring order.
         */
        private void service() {
            scheduled = false;
            if (!connected || stopped || tx == null) {
                return;
            }
            if (!split && !pending.noneWaiting()) {
                serviceRx(); // one event channel: the event may say RX buffers were posted
                if (!connected) {
                    return;
                }
            }
            try {
                int n = 0;
                do {
                    int b;
                    while (n < TX_PER_TURN && (b = takeBatch(Math.min(TX_BATCH, TX_PER_TURN - n))) > 0) {
                        n += b;
                        if (!finishBatch(b)) {
                            return;
                        }
                    }
                    tx.pushResponsesAndCheckNotify();
                    if (n >= TX_PER_TURN) {
                        schedule();
                        return;
                    }
                } while (txHead < txLen || tx.finalCheckForRequests());
            } catch (RingOverflowException e) {
                fail("the front end broke its TX ring" + where() + ": " + e.getMessage());
            } catch (BadFrame e) {
                fail("the front end broke the TX protocol" + where() + ": " + e.getMessage());
            } catch (RuntimeException e) {
                fail("serving TX" + where() + ": " + e);
            }
        }

        private String where() {
            return queues != null && queues.length > 1 ? " (queue " + id + ")" : "";
        }

        /**
         * Takes up to {@code max} TX frames, each of one or more slots (XEN_NETTXF_more_data), with
         * its extra-info slots (XEN_NETTXF_extra_info); checks each and writes its copy ops; how
         * many frames were taken. A frame is refused (answered {@code NETIF_RSP_ERROR}, counted,
         * never copied) when a slot's grant or bytes are bad, it is shorter than an Ethernet
         * header, its further slots carry more than
         * its size says (or its first slot more than its page), it takes more than
         * {@code XEN_NETIF_NR_SLOTS_MIN} slots, or it carries a GSO extra whose type or size
         * cannot stand ({@link Gso#check}; a GSO frame that is no whole IPv4 TCP packet is
         * refused once its bytes are in, {@link #switchFrame}). A missing slot or an unknown extra type ends the vif, as netback's
         * {@code xenvif_fatal_tx_err}.
         */
        private int takeBatch(int max) throws RingOverflowException, BadFrame {
            int b = 0;
            opCount = 0;
            slotCount = 0;
            bigUsed = false;
            stageHalves = 0;
            int opRoom = mapWindow >= 0 ? TX_MAP_OPS - Netif.NR_SLOTS_MIN : TX_OPS - 2 * Netif.NR_SLOTS_MIN;
            NetifCodec.Tx r;
            while (b < max && opCount <= opRoom && !bigUsed && (r = nextTx()) != null) {
                // r's holder may be refilled by the next nextTx(): what is needed of it is read now.
                slotId[slotCount] = r.id;
                slotFrame[slotCount++] = b;
                int total = r.size;
                int firstRef = r.gref;
                int firstOff = r.offset;
                int firstFlags = r.flags;
                boolean bad = false;
                int gsoSize = 0;
                if ((firstFlags & Netif.NETTXF_EXTRA_INFO) != 0) {
                    int extras = 0;
                    NetifCodec.Tx more;
                    do {
                        if ((more = nextTx()) == null) {
                            throw new BadFrame("an extra-info slot is missing");
                        }
                        slotId[slotCount] = more.id;
                        slotFrame[slotCount++] = -1;
                        if (more.extraType <= Netif.EXTRA_TYPE_NONE || more.extraType >= Netif.EXTRA_TYPE_MAX
                                || ++extras > MAX_EXTRAS) {
                            throw new BadFrame("extra-info type " + more.extraType + " (slot " + extras + ")");
                        }
                        if (more.extraType == Netif.EXTRA_TYPE_GSO) {
                            // Linux's netback ends the vif for a size of zero or an unknown type; here the frame
                            // is refused and counted, the vif goes on (deviation 56).
                            if (Gso.check(more.gsoType, more.gsoSize) == Gso.OK) {
                                gsoSize = more.gsoSize;
                            } else {
                                bad = true;
                                stats.gsoRefused++;
                            }
                        }
                    } while ((more.extraFlags & Netif.EXTRA_FLAG_MORE) != 0);
                }
                int slots = 1;
                int rest = 0;
                int flags = firstFlags;
                while ((flags & Netif.NETTXF_MORE_DATA) != 0) {
                    NetifCodec.Tx more = nextTx();
                    if (more == null) {
                        throw new BadFrame("slot " + (slots + 1) + " of a frame is missing");
                    }
                    slotId[slotCount] = more.id;
                    slotFrame[slotCount++] = b;
                    flags = more.flags;
                    if (slots < Netif.NR_SLOTS_MIN) {
                        fragRef[slots] = more.gref;
                        fragOff[slots] = more.offset;
                        fragSize[slots] = more.size;
                    }
                    slots++;
                    rest += more.size;
                    if (more.offset + more.size > Mmu.PAGE_SIZE || rest > total) {
                        bad = true; // outside its page, or the slots carry more than the frame's size
                    }
                }
                int firstLen = total - rest;
                if (slots > Netif.NR_SLOTS_MIN) {
                    bad = true;
                    stats.tooManySlots++;
                }
                if (bad || total < Vif.ETH_HEADER || total > Vif.MAX_SG_FRAME || firstLen < 0
                        || firstOff + firstLen > Mmu.PAGE_SIZE) {
                    batchOps[b] = 0; // refused without a copy
                    batchOk[b] = false;
                } else {
                    batchSize[b] = total;
                    batchOp[b] = opCount;
                    batchRef[b] = firstRef;
                    batchOff[b] = firstOff;
                    bigUsed = total > Mmu.PAGE_SIZE; // put together in the big staging run; the batch ends with it
                    long va = stage(b, total);
                    slotIn(firstRef, firstOff, va, firstLen);
                    int at = firstLen;
                    for (int i = 1; i < slots; i++) {
                        slotIn(fragRef[i], fragOff[i], va + at, fragSize[i]);
                        at += fragSize[i];
                    }
                    batchOps[b] = opCount - batchOp[b];
                    batchOk[b] = true;
                }
                batchSize[b] = total;
                batchCsum[b] = firstFlags & (Netif.NETTXF_CSUM_BLANK | Netif.NETTXF_DATA_VALIDATED);
                batchGso[b] = gsoSize;
                b++;
            }
            return b;
        }

        /**
         * The next TX request in ring order, or null when the front end has published none: from
         * the run taken last, else from a new run (every request published, up to a ring's worth).
         * The holder is reused once the run is used up.
         */
        private NetifCodec.Tx nextTx() throws RingOverflowException {
            if (txHead == txLen) {
                txHead = 0;
                txLen = tx.consumeRequests(txRun, txRun.length);
                if (txLen == 0) {
                    return null;
                }
            }
            return txRun[txHead++];
        }

        /**
         * Whether {@code slots} posted RX buffers are at hand, taking a new run of them from the
         * ring when fewer are; with {@code ask}, when still too few, {@code req_event} is set
         * ({@link BackRing#finalCheckForRequests}) and the ring looked at once more, so the front
         * end's next post notifies.
         */
        private boolean posted(int slots, boolean ask) throws RingOverflowException {
            if (postedCount >= slots) {
                return true;
            }
            takePosted();
            if (postedCount >= slots || !ask) {
                return postedCount >= slots;
            }
            if (rx.finalCheckForRequests()) {
                takePosted();
            }
            return postedCount >= slots;
        }

        /** Takes every RX buffer posted and not taken yet, in one run, onto the end of the circle. */
        private void takePosted() throws RingOverflowException {
            int room = postedId.length - postedCount;
            int n = rx.consumeRequests(rxRun, room);
            int mask = postedId.length - 1;
            for (int i = 0; i < n; i++) {
                int at = (postedHead + postedCount + i) & mask;
                postedId[at] = rxRun[i].id;
                postedRef[at] = rxRun[i].gref;
            }
            postedCount += n;
        }

        /**
         * One slot of a frame: by grant copy, its bytes into dom0's {@code va}; by grant map, a
         * read-only map of its page at page {@code opCount} of the queue's window.
         */
        private void slotIn(int gref, int offset, long va, int len) {
            if (mapWindow >= 0) {
                map.wrap(mirror, (long) opCount * GnttabMapGrantRef.SIZE).clear();
                map.hostAddr(mapWindow + (long) opCount * Mmu.PAGE_SIZE).flags(Gntmap.HOST_MAP | Gntmap.READONLY)
                        .ref(gref & 0xFFFF_FFFFL).dom(front.value()).status(Gntst.GENERAL_ERROR); // until the hypervisor says

                opOff[opCount] = offset;
                opLen[opCount] = len;
                opCount++;
                return;
            }
            // A copy's destination lies in one page: a slot crossing a staging page takes two ops.
            int first = (int) Math.min(len, Mmu.PAGE_SIZE - (va & (Mmu.PAGE_SIZE - 1)));
            copyIn(gref, offset, va, first);
            if (first < len) {
                copyIn(gref, offset + first, va + first, len - first);
            }
        }

        /** One copy op: {@code len} bytes of the front end's {@code gref} at {@code offset} into dom0's {@code va}. */
        private void copyIn(int gref, int offset, long va, int len) {
            copy.wrap(mirror, (long) opCount * GnttabCopy.SIZE).clear();
            copy.sourceRef(gref & 0xFFFF_FFFFL).sourceDomid(front.value()).sourceOffset(offset)
                    .destGmfn(dom0Mfn(va)).destDomid(DomId.DOMID_SELF)
                    .destOffset((int) (va & (Mmu.PAGE_SIZE - 1))).flags(Gntcopy.SOURCE_GREF).len(len);
            opCount++;
        }

        /**
         * One hypercall for the batch's copies; then each good frame to the bridge; then every
         * slot's answer in ring order (a frame's status on each of its slots, {@code NETIF_RSP_NULL}
         * on an extra). False: the vif went.
         */
        private boolean finishBatch(int b) {
            if (mapWindow >= 0) {
                try {
                    return finishMappedBatch(b);
                } finally {
                    unmapBatch(); // on every path: the frames were switched, dropped, or the vif went
                }
            }
            long rc = opCount == 0 ? 0 : grantCall(GnttabOp.COPY, 0, opCount, GnttabCopy.SIZE);
            long now = lane.now();
            Bridge.Lane b0 = lane;
            for (int j = 0; j < b; j++) {
                boolean ok = batchOk[j] && rc >= 0;
                for (int o = 0; ok && o < batchOps[j]; o++) {
                    ok = copy.wrap(mirror, (long) (batchOp[j] + o) * GnttabCopy.SIZE).status() == Gntst.OKAY;
                }
                if (!switchFrame(b0, j, ok, now, false)) {
                    return false;
                }
            }
            b0.flush(); // every port's RX copies of this batch, before the next batch reuses the staging pages
            answerBatch();
            return true;
        }

        /**
         * Frame {@code j} of the batch, its bytes in place ({@code ok}): checked, handed to the
         * bridge (from its mapped page when {@code inPlace}, else from its staging page) or
         * refused. False: the vif went (the bridge's ports have flushed).
         */
        private boolean switchFrame(Bridge.Lane b0, int j, boolean ok, long now, boolean inPlace) {
            if (ok && (batchCsum[j] & Netif.NETTXF_CSUM_BLANK) != 0
                    && FrameChecksum.fieldOffset(mem, stagingVa(j), batchSize[j]) < 0) {
                ok = false; // a checksum to fill in on what has none we can fill in, as skb_checksum_setup refuses
                stats.csumRefused++;
            }
            if (ok && batchGso[j] != 0 && gsoHeaderLength(stagingVa(j), batchSize[j]) < 0) {
                ok = false; // a GSO extra on what is no whole IPv4 TCP packet: nothing to segment
                stats.gsoRefused++;
            }
            batchOk[j] = ok;
            if (ok) {
                stats.txFrames++;
                stats.txBytes += batchSize[j];
                queueTx++;
                if (batchGso[j] != 0) {
                    stats.txGsoFrames++;
                    b0.inputGso(NetBack.this, stagingVa(j), batchSize[j], now, batchCsum[j], batchGso[j]);
                } else if (inPlace) {
                    stats.txInPlace++;
                    b0.input(NetBack.this, mapWindow + (long) batchOp[j] * Mmu.PAGE_SIZE + batchOff[j], batchSize[j], now,
                            batchCsum[j], front.value(), batchRef[j]);
                } else {
                    b0.input(NetBack.this, stagingVa(j), batchSize[j], now, batchCsum[j], -1, 0);
                }
            } else {
                stats.txErrors++;
            }
            if (!connected || stopped) {
                b0.flush(); // the other ports copy out what they took before the staging pages go
                return false;
            }
            return true;
        }

        /**
         * TX by grant map: one {@code GNTTABOP_map_grant_ref} for every slot of the batch's good
         * frames (read-only, each at its page of the queue's window), as Linux's netback maps a
         * batch with one {@code gnttab_map_refs}. A one-slot frame whose checksum is not blank is
         * switched where it is mapped, and the ports that take it copy from its grant; a frame
         * over several slots, or one whose checksum dom0 may have to fill in, is put together in
         * its staging page by dom0 first. The caller unmaps.
         */
        private boolean finishMappedBatch(int b) {
            long rc = opCount == 0 ? 0 : grantCall(GnttabOp.MAP_GRANT_REF, 0, opCount, GnttabMapGrantRef.SIZE);
            if (opCount > 0) {
                stats.mapCalls++;
            }
            // Each op's status is GNTST_general_error until the hypervisor writes it, so an op it never
            // reached (a call that failed part way) reads as not mapped, and one it mapped is undone.
            mappedNow = opCount;
            for (int o = 0; o < opCount; o++) {
                if (map.wrap(mirror, (long) o * GnttabMapGrantRef.SIZE).status() == Gntst.OKAY) {
                    stats.txMapped++;
                }
            }
            long now = lane.now();
            Bridge.Lane b0 = lane;
            for (int j = 0; j < b; j++) {
                boolean good = batchOk[j];
                for (int o = 0; good && o < batchOps[j]; o++) {
                    good = map.wrap(mirror, (long) (batchOp[j] + o) * GnttabMapGrantRef.SIZE).status() == Gntst.OKAY;
                }
                boolean inPlace = good && batchOps[j] == 1 && (batchCsum[j] & Netif.NETTXF_CSUM_BLANK) == 0 && batchGso[j] == 0;
                if (good && !inPlace) {
                    long at = stagingVa(j);
                    for (int o = batchOp[j]; o < batchOp[j] + batchOps[j]; o++) {
                        mem.copy(mapWindow + (long) o * Mmu.PAGE_SIZE + opOff[o], at, opLen[o]);
                        at += opLen[o];
                    }
                }
                if (!switchFrame(b0, j, good, now, inPlace)) {
                    return false;
                }
            }
            b0.flush(); // every port's RX copies of this batch, before the pages are unmapped
            answerBatch();
            return true;
        }

        /**
         * Undoes the batch's maps that succeeded with one {@code GNTTABOP_unmap_grant_ref}, as
         * Linux's netback unmaps a batch of released pages with one {@code gnttab_unmap_refs}.
         */
        private void unmapBatch() {
            int n = 0;
            for (int o = 0; o < mappedNow; o++) {
                map.wrap(mirror, (long) o * GnttabMapGrantRef.SIZE);
                if (map.status() != Gntst.OKAY) {
                    continue;
                }
                long handle = map.handle();
                unmap.wrap(mirror, UNMAP_OPS + (long) n * GnttabUnmapGrantRef.SIZE).clear();
                unmap.hostAddr(mapWindow + (long) o * Mmu.PAGE_SIZE).handle(handle).status(Gntst.GENERAL_ERROR);
                n++;
            }
            mappedNow = 0;
            if (n == 0) {
                return;
            }
            long rc = grantCall(GnttabOp.UNMAP_GRANT_REF, UNMAP_OPS, n, GnttabUnmapGrantRef.SIZE);
            stats.unmapCalls++;
            for (int i = 0; i < n; i++) {
                if (unmap.wrap(mirror, UNMAP_OPS + (long) i * GnttabUnmapGrantRef.SIZE).status() == Gntst.OKAY) {
                    stats.txUnmapped++;
                }
            }
            if (stats.txUnmapped != stats.txMapped) {
                // Never seen: dom0's own maps, by their handles, in its own window. Say so rather than
                // go on with a window that still holds maps.
                log.accept(who() + ": unmapping a TX batch" + where() + " failed (" + rc + "): " + (stats.txMapped - stats.txUnmapped)
                        + " maps left; TX by grant copy from now on");
                mapWindow = -2; // not returned: it may still hold maps
            }
        }

        /** Every slot's answer, in ring order: a frame's status on each of its slots, NETIF_RSP_NULL on an extra. */
        private void answerBatch() {
            for (int i = 0; i < slotCount; i++) {
                int j = slotFrame[i];
                txRsps[i].set(slotId[i], j < 0 ? Netif.RSP_NULL : batchOk[j] ? Netif.RSP_OKAY : Netif.RSP_ERROR);
            }
            tx.produceResponses(txRsps, 0, slotCount);
        }

        /**
         * Where frame {@code j} of a TX batch is put together in dom0 ({@link #stage}): in the
         * staging pages of {@link #pages}, or the big staging run for a frame over a page (the
         * batch's last).
         */
        private long stagingVa(int j) {
            return batchStage[j];
        }

        /**
         * Places frame {@code j} of {@code total} bytes in the batch's staging: a frame of at most
         * half a page takes the next free half page, a larger one (up to a page) the next whole
         * page, so two consecutive small frames share a staging page, and the copies into it (TX)
         * and out of it (RX) name the same frame one after the other: the hypervisor claims it
         * once for both ({@code gnttab_copy_buf}). {@value #TX_BATCH} frames of at most a page fit
         * the {@value #TX_BATCH} staging pages whatever their sizes.
         */
        private long stage(int j, int total) {
            long va;
            if (total > Mmu.PAGE_SIZE) {
                va = bigStaging.va();
            } else {
                int half = (int) Mmu.PAGE_SIZE / 2;
                if (total > half && (stageHalves & 1) != 0) {
                    stageHalves++; // a frame over half a page starts a page: its copy stays within it
                }
                va = pages.va() + (long) OPS_PAGES * Mmu.PAGE_SIZE + (long) stageHalves * half;
                stageHalves += total > half ? 2 : 1;
            }
            batchStage[j] = va;
            return va;
        }

        /**
         * RX: a frame from the bridge takes this queue's next posted buffers; its copy is gathered
         * with the batch's others and made on {@link #flush} (as Linux's netback gathers a NAPI
         * poll's RX copies into one {@code GNTTABOP_copy}). Too few buffers posted, or frames
         * already waiting: it waits in the queue's RX queue ({@link #enqueue}), in order, as
         * Linux's {@code xenvif_rx_queue_tail} queues it; a full RX queue drops it and counts it.
         * A front end that stops posting stalls only itself.
         */
        private boolean deliver(long va, int length, int rxFlags) {
            stats.rxOffered++;
            try {
                int slots = rxSlotsFor(length, rxFlags);
                if (!pending.noneWaiting()) {
                    drainPending(); // frames that came first go first
                }
                if (pending.noneWaiting()) {
                    if (rxQueued == RX_BATCH || rxOps + 2 * slots > RX_OPS_MAX) {
                        flush();
                    }
                    if (!connected) {
                        stats.rxDropped++;
                        return false;
                    }
                    if (posted(slots, true)) {
                        int granter = lane.frameGrantDomid();
                        if (vcpu != null && granter < 0 && dom0Mfn(va) < 0) {
                            // A frame from pages of this vCPU's lane it has no frame numbers of: it waits in
                            // the RX queue (its bytes copied there) and is given at once from there.
                            boolean queued = enqueue(va, length, rxFlags);
                            drainPending();
                            return queued;
                        }
                        takeSlots(va, length, rxFlags, granter, lane.frameGrantRef());
                        return true;
                    }
                }
                if (!connected) {
                    stats.rxDropped++;
                    return false;
                }
                return enqueue(va, length, rxFlags);
            } catch (RingOverflowException e) {
                fail("the front end broke its RX ring" + where() + ": " + e.getMessage());
                stats.rxDropped++;
                return false;
            }
        }

        /**
         * A frame that must wait for RX buffers: copied into the RX queue's dom0 pages (never a
         * reference to the sender's memory kept), or dropped and counted when the queue has no room
         * for it after its expired frames are dropped. The front end is asked ({@code req_event})
         * to say when it posts buffers, and the drain timer is armed.
         */
        private boolean enqueue(long va, int length, int rxFlags) throws RingOverflowException {
            if (rxStore == null) {
                if (vcpu != null) {
                    stats.rxNoQueueMemory++; // none was free when the queue connected
                    return false;
                }
                if (!takeRxStore()) {
                    return false;
                }
            }
            long now = now();
            pending.expire(now - backend.options().rxDrainTimeoutMillis() * 1_000_000L);
            int at = pending.offer(length, rxFlags, now);
            if (at < 0) {
                return false; // counted by the queue
            }
            mem.copy(va, rxStore.va() + at, length);
            rx.finalCheckForRequests(); // req_event: the front end kicks when it posts a buffer
            armDrainTimer();
            return true;
        }

        /**
         * Frames waiting in the RX queue take the buffers the front end posted since, oldest first,
         * while it has enough for the next one whole.
         */
        private void drainPending() throws RingOverflowException {
            while (connected && !pending.noneWaiting()) {
                int len = pending.headLength();
                int slots = rxSlotsFor(len, pending.headFlags());
                if (rxQueued == RX_BATCH || rxOps + 2 * slots > RX_OPS_MAX) {
                    flush();
                    continue;
                }
                if (!posted(slots, true)) {
                    return;
                }
                takeSlots(rxStore.va() + pending.headStart(), len, pending.headFlags(), -1, 0);
                pending.take();
            }
        }

        private void scheduleRx() {
            if (!rxScheduled && connected && !stopped && !pending.noneWaiting()) {
                rxScheduled = true;
                loop.execute(serviceRx);
            }
        }

        /**
         * The RX queue's own turn (the front end posted buffers, or the drain timer fired): frames
         * that waited out {@code rx_drain_timeout_msecs} dropped and counted (Linux's
         * {@code xenvif_rx_queue_drop_expired}), the rest given to the buffers posted, copied, answered.
         */
        private void serviceRx() {
            rxScheduled = false;
            if (!connected || stopped || rx == null) {
                return;
            }
            try {
                flush();
                pending.expire(now() - backend.options().rxDrainTimeoutMillis() * 1_000_000L);
                drainPending();
                flush();
            } catch (RingOverflowException e) {
                fail("the front end broke its RX ring" + where() + ": " + e.getMessage());
            } catch (RuntimeException e) {
                fail("serving RX" + where() + ": " + e);
            }
        }

        private void armDrainTimer() {
            if (drainTimer == null && !pending.noneWaiting()) {
                drainTimer = loop.at(pending.headArrived() + backend.options().rxDrainTimeoutMillis() * 1_000_000L + 1,
                        drainTimerFired);
            }
        }

        private void drainTimerFired() {
            drainTimer = null;
            serviceRx();
            if (connected) {
                armDrainTimer();
            }
        }

        /**
         * Takes the front end's next {@code RxChain.slotsFor(length)} posted buffers for a frame at
         * {@code va} in dom0 (or in a page dom0 mapped from {@code granter}'s grant {@code grantRef})
         * and gathers its copy ops; the caller made sure they are posted and the batch has room.
         */
        private void takeSlots(long va, int length, int flagsWord, int granter, int grantRef) throws RingOverflowException {
            int gsoSize = flagsWord >>> GSO_SHIFT;
            int rxFlags = flagsWord & ((1 << GSO_SHIFT) - 1) | (gsoSize != 0 ? Netif.NETRXF_EXTRA_INFO : 0);
            int slots = RxChain.slotsFor(length);
            int mask = postedId.length - 1;
            for (int i = 0; i < slots; i++) {
                int bufId = postedId[postedHead];
                int bufRef = postedRef[postedHead];
                postedHead = (postedHead + 1) & mask;
                postedCount--;
                int part = RxChain.slotLength(length, i);
                int opsOfSlot = 0;
                for (int done = 0; done < part; ) {
                    long src = va + (long) i * Mmu.PAGE_SIZE + done;
                    int n = (int) Math.min(part - done, Mmu.PAGE_SIZE - (src & (Mmu.PAGE_SIZE - 1)));
                    copy.wrap(mirror, RX_OPS + (long) rxOps * GnttabCopy.SIZE).clear();
                    if (granter >= 0) {
                        // A frame switched where another vif mapped it (one page at most): copied from
                        // the granter's page by its reference (dom0 has no frame number of its own for
                        // it), as netback copies from a foreign page.
                        copy.sourceRef(grantRef & 0xFFFF_FFFFL).sourceDomid(granter);
                    } else {
                        copy.sourceGmfn(dom0Mfn(src))
                                .sourceDomid(DomId.DOMID_SELF);
                    }
                    copy.sourceOffset((int) (src & (Mmu.PAGE_SIZE - 1))).destRef(bufRef & 0xFFFF_FFFFL)
                            .destDomid(front.value()).destOffset(done)
                            .flags(granter >= 0 ? Gntcopy.SOURCE_GREF | Gntcopy.DEST_GREF : Gntcopy.DEST_GREF).len(n);
                    rxOps++;
                    opsOfSlot++;
                    done += n;
                }
                rxId[rxSlots] = bufId;
                rxLen[rxSlots] = part;
                rxFlag[rxSlots] = RxChain.slotFlags(slots, i, rxFlags);
                rxSlotOps[rxSlots] = opsOfSlot;
                rxSlots++;
                if (i == 0 && gsoSize != 0) {
                    // The GSO extra takes the slot after the first response, and the buffer posted there
                    // (no bytes go into it), as Linux's netback writes it.
                    rxId[rxSlots] = postedId[postedHead];
                    postedHead = (postedHead + 1) & mask;
                    postedCount--;
                    rxLen[rxSlots] = gsoSize;
                    rxFlag[rxSlots] = RX_EXTRA_GSO;
                    rxSlotOps[rxSlots] = 0;
                    rxSlots++;
                }
            }
            if (slots > 1) {
                stats.rxMultiSlot++;
            }
            if (gsoSize != 0) {
                stats.rxGsoFrames++;
            }
            rxQueued++;
        }

        /**
         * The RX frames taken since the last flush: one {@code GNTTABOP_copy} for all their
         * slots, a response for each slot in the order their buffers were taken (its own bytes as
         * status; {@code NETRXF_more_data} on all of a frame's slots but its last), then one push
         * of the responses (the front end is notified only if it asked, by {@code rsp_event}).
         */
        private void flush() {
            int n = rxSlots;
            int opsNow = rxOps;
            int framesNow = rxQueued;
            rxQueued = 0;
            rxSlots = 0;
            rxOps = 0;
            if (n == 0 || !connected || stopped) {
                stats.rxDropped += framesNow; // taken while connected, never copied: the front end went meanwhile
                pending.release();
                return;
            }
            long rc = grantCall(GnttabOp.COPY, RX_OPS, opsNow, GnttabCopy.SIZE);
            pending.release(); // the RX queue's frames taken in this batch are copied: their bytes are free
            int op = 0;
            boolean frameOk = true;
            for (int j = 0; j < n; j++) {
                if (rxFlag[j] == RX_EXTRA_GSO) {
                    rxRsps[j].extraGso(rxLen[j], Netif.GSO_TYPE_TCPV4);
                    continue;
                }
                boolean ok = rc >= 0;
                for (int o = 0; o < rxSlotOps[j]; o++, op++) {
                    ok &= copy.wrap(mirror, RX_OPS + (long) op * GnttabCopy.SIZE).status() == Gntst.OKAY;
                }
                frameOk &= ok;
                if (ok) {
                    stats.rxBytes += rxLen[j];
                }
                boolean last = (rxFlag[j] & Netif.NETRXF_MORE_DATA) == 0;
                if (last) {
                    if (frameOk) {
                        stats.rxFrames++;
                        queueRx++;
                    } else {
                        stats.rxDropped++;
                    }
                    frameOk = true;
                }
                // A failed slot keeps more_data, so the front end finds the chain's end and drops it whole.
                rxRsps[j].set(rxId[j], 0, ok ? rxFlag[j] : rxFlag[j] & Netif.NETRXF_MORE_DATA, ok ? rxLen[j] : Netif.RSP_ERROR);
            }
            rx.produceResponses(rxRsps, 0, n);
            rx.pushResponsesAndCheckNotify();
        }

        /**
         * Lets go of what {@link #connect} took, in reverse, then runs {@code done} on the boot
         * vCPU. Called on the boot vCPU. A queue on a secondary vCPU stops there first (its ports
         * closed, its hand-off and RX queue dropped, after the turn it may be in); only then does
         * the boot vCPU unmap its rings and free its pages: never under its feet.
         */
        void close(Runnable done) {
            if (vcpu == null) {
                stop();
                release();
                done.run();
                return;
            }
            backend.closingQueues().begin(this, who() + " queue " + id + " on vCPU " + vcpuId);
            k.post(vcpu, () -> {
                stop();
                vcpu.postToBoot(() -> {
                    release();
                    done.run();
                    backend.closingQueues().end(this); // after done: the last queue's closing line is out
                });
            });
        }

        /** The serving vCPU's half of closing: nothing more is served; the ports, the hand-off, the RX queue. */
        private void stop() {
            stopped = true;
            stats.rxDropped += rxQueued; // taken, never copied
            rxQueued = 0;
            if (handOff != null) {
                handOff.close(); // frames handed over and not taken: dropped, counted
            }
            if (kick != null) {
                kick.close();
                kick = null;
                kickPort = null;
            }
            if (drainTimer != null) {
                drainTimer.cancel();
                drainTimer = null;
            }
            pending.release(); // taken frames were counted above
            pending.clear();
            rxSlots = 0;
            rxOps = 0;
            if (rxPort != null && rxPort != txPort) {
                rxPort.close();
            }
            rxPort = null;
            if (txPort != null) {
                txPort.close();
                txPort = null;
            }
            if (vcpu != null && lane != null && pages != null) {
                lane.forgetPages(pages.va());
                lane.forgetPages(bigStaging.va());
            }
            if (mappedNow > 0) {
                unmapBatch(); // not reached: every batch unmaps before it returns
            }
            tx = null;
            rx = null;
        }

        /** The boot vCPU's half of closing: the pages, the map window, the rings; the counters to the vif's. */
        private void release() {
            rxqQueued += pending.queued();
            rxqFull += pending.full();
            rxqExpired += pending.expired();
            rxqCleared += pending.cleared();
            rxqPeak = Math.max(rxqPeak, pending.peak());
            // One reading of the hand-off's counts, so a frame a producer commits or is refused
            // after it is in neither the bridge's total below nor the drops.
            long handed = handOff != null ? handOff.handed() : 0;
            long refused = handOff != null ? handOff.refused() : 0;
            if (handOff != null) {
                handOffFull += refused;
                // Handed over and never taken: what close dropped, and what it could not reach
                // (close stops at a record a producer was still copying in: the records behind
                // it, and any committed after close, are still handed and never taken).
                handOffCleared += handed - handOff.taken();
            }
            stats.addTo(NetBack.this.stats);
            NetBack.this.stats.rxOffered += handed + refused; // the bridge's frames for this queue on other lanes
            if (rxStore != null) {
                k.memory().freePages(rxStore);
                rxStoreMfn = null;
                backend.rxQueuePages(-RX_QUEUE_PAGES);
                rxqPagesGiven += RX_QUEUE_PAGES;
                rxStore = null;
            }
            if (mapWindow >= 0) {
                backend.returnTxMapWindow(mapWindow);
                mapWindow = -1;
            }
            if (bigStaging != null) {
                k.memory().freePages(bigStaging);
                bigStaging = null;
            }
            if (pages != null) {
                k.memory().freePages(pages);
                pages = null;
            }
            if (rxPage != null) {
                rxPage.close();
                rxPage = null;
            }
            if (txPage != null) {
                txPage.close();
                txPage = null;
            }
            tx = null;
            rx = null;
        }
    }

    /** {@code into} filled with fresh holders: a ring run's entries, reused from run to run. */
    private static <T> T[] holders(T[] into, java.util.function.Supplier<T> make) {
        for (int i = 0; i < into.length; i++) {
            into[i] = make.get();
        }
        return into;
    }

    /** A TX frame no back end can make sense of (an extra slot or a further slot missing, an unknown extra type). */
    private static final class BadFrame extends Exception {
        BadFrame(String why) {
            super(why, null, false, false);
        }
    }

    /**
     * Leaves the bridge and closes every queue (each on its own vCPU first, then on the boot
     * vCPU); once the last has let go, Closed and the closing line ({@link #disconnected}).
     */
    private void disconnect(String why) {
        boolean was = connected;
        connected = false;
        if (bridge != null) {
            bridge.detach(this);
            bridge = null;
        }
        Queue[] qs = queues;
        queues = null;
        split = false;
        perQueue.setLength(0);
        if (qs == null || qs.length == 0) {
            disconnected(why, was);
            return;
        }
        long[] sent = new long[qs.length];
        long[] received = new long[qs.length];
        closing = qs.length;
        for (Queue q : qs) {
            if (q == null) {
                if (--closing == 0) {
                    disconnected(why, was);
                }
                continue;
            }
            q.close(() -> {
                sent[q.id] = q.queueTx;
                received[q.id] = q.queueRx;
                if (--closing == 0) {
                    if (qs.length > 1) {
                        for (int i = 0; i < qs.length; i++) {
                            perQueue.append(i == 0 ? " (frames sent/received per queue: " : ", ").append(sent[i]).append('/')
                                    .append(received[i]);
                        }
                        perQueue.append(')');
                    }
                    disconnected(why, was);
                }
            });
        }
    }

    /** Every queue has let go: Closed, the closing line; then the front end's state again if it moved meanwhile. */
    private void disconnected(String why, boolean was) {
        write("state", Integer.toString(XenbusState.CLOSED.wire()));
        log.accept(who() + ": " + stats.txFrames + " frames sent, " + stats.rxFrames + " received"
                + (stats.rxMultiSlot > 0 ? " (" + stats.rxMultiSlot + " over several slots)" : "") + ", " + (stats.rxDropped + rxDroppedAnyLane.get())
                + " dropped (no buffer), " + (stats.rxTooBig + rxTooBigAnyLane.get() > 0 ? stats.rxTooBig + rxTooBigAnyLane.get() + " dropped (over its buffer), " : "")
                + (backend.severalVcpus() ? "hand-off from other vCPUs: " + stats.handedIn + " frames, " + handOffFull + " dropped (full), "
                        + handOffCleared + " dropped on disconnect, of " + (stats.rxOffered + rxDroppedAnyLane.get() + rxTooBigAnyLane.get())
                        + " frames from the bridge; " : "")
                + (rxqQueued + rxqFull > 0 ? "RX queue: " + rxqQueued + " frames waited for buffers (at most " + rxqPeak + " of "
                        + RX_QUEUE_PAGES * Mmu.PAGE_SIZE + " bytes held), " + rxqFull + " dropped (queue full), " + rxqExpired
                        + " expired (over " + backend.options().rxDrainTimeoutMillis() + " ms), " + rxqCleared
                        + " dropped on disconnect, " + rxqPagesTaken + " dom0 pages taken and " + rxqPagesGiven + " given back; " : "")
                + (stats.rxNoQueueMemory > 0 ? stats.rxNoQueueMemory + " dropped (no dom0 pages for an RX queue), " : "") + stats.txErrors + " refused (" + stats.gsoRefused + " GSO, " + stats.tooManySlots
                + " over " + Netif.NR_SLOTS_MIN + " slots" + (stats.csumRefused > 0 ? ", " + stats.csumRefused + " blank checksum on no TCP/UDP" : "")
                + ")" + (stats.txGsoFrames + stats.rxGsoFrames > 0 ? "; GSO: " + stats.txGsoFrames + " frames sent, " + stats.rxGsoFrames + " received whole" : "")
                + (stats.mapCalls > 0 ? "; TX by map: " + stats.txMapped + " slots mapped, " + stats.txUnmapped + " unmapped, in "
                        + stats.mapCalls + " and " + stats.unmapCalls + " calls, " + stats.txInPlace + " frames switched in place" : "")
                + perQueue + "; " + why + (was ? "; Closed" : ""));
        if (missedChange && !removed) {
            missedChange = false;
            frontEndChanged(); // it moved on while the queues stopped
        }
    }

    void remove() {
        removed = true;
        if (unwatchOnline != null) {
            unwatchOnline.run();
        }
        if (unwatchFront != null) {
            unwatchFront.run();
        }
        if (connected || queues != null) {
            disconnect("removed");
        }
    }

    private void write(String key, String value) {
        if (removed) {
            return; // a write would make the removed directory again
        }
        try {
            store.write(dir + "/" + key, value);
        } catch (IllegalStateException e) {
            log.accept(who() + ": cannot write " + key + ": " + e.getMessage());
        }
    }
}
