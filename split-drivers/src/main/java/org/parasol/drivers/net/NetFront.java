package org.parasol.drivers.net;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import org.parasol.drivers.blk.Vbd;
import org.parasol.drivers.ring.FrontRing;
import org.parasol.drivers.ring.RingOverflowException;
import org.parasol.guest.event.EventDispatcher.BoundPort;
import org.parasol.guest.grant.GrantedPage;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.mm.PageRun;
import org.parasol.guest.sched.Promise;
import org.parasol.guest.xenbus.Xenbus;
import org.parasol.guest.xenbus.XenbusTransaction;
import org.parasol.guest.xenbus.XenbusWatch;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.GuestMemoryBuffer;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.abi.Netif;
import org.parasol.hypercall.abi.XenbusState;
import org.parasol.hypercall.io.SringEntries;

/**
 * A virtual network interface, seen from a guest: Xen's netfront on the kernel's promises,
 * with {@code request-rx-copy} (the back end copies received frames into buffers posted here),
 * scatter-gather both ways ({@code feature-sg}, declinable: frames up to
 * {@value Vif#MAX_SG_FRAME} bytes, else at most one page), one or more queues ({@code multi-queue-num-queues}, up to what
 * the back end offers in {@code multi-queue-max-queues}), split event channels when the back
 * end offers {@code feature-split-event-channels}, and TCP/IPv4 GSO ({@code feature-gso-tcpv4}):
 * {@link #transmitGso} when the back end offers it, GSO frames received whole when asked for.
 *
 * <pre>
 *  NetFront.connect(k, devid, receiver)          the XenbusState handshake, one queue; RX buffers
 *  NetFront.connect(k, devid, queues, receiver)  posted ahead; up to {@code queues} queues
 *  nic.transmit(frame, length)            one Ethernet frame, copied into half-page TX
 *                                         fragments (pages granted once), one slot per
 *                                         fragment (feature-sg: a frame over 2 KiB takes two,
 *                                         one over a page a whole page per slot),
 *                                         on the queue its flow hashes to; false when that
 *                                         queue has too few free fragments
 *  receiver.frame(nic, bytes, length)     each frame received (over several RX buffers put
 *                                         back together), from the run loop; the bytes
 *                                         are valid during the call only
 *  nic.mac(), nic.queues(), nic.close()
 * </pre>
 *
 * <p>With one queue the rings' keys are flat ({@code tx-ring-ref}, ...); with several each
 * queue's go under {@code queue-N/}. The {@value #RX_BUFFERS} RX buffers and {@value #TX_SLOTS}
 * TX slots are shared out between the queues (a guest has 512 grant entries; an interface made
 * when fewer are free, such as a second one hot-plugged, takes half, a quarter... of them). RX buffers are
 * reposted as soon as a frame is taken out of them, so the back end always finds buffers unless
 * the guest stops running its loop. An impossible response or a back end that goes away closes
 * the interface. Not thread-safe: one vCPU's run loop owns it.
 */
public final class NetFront {
    /** Posted receive buffers, over all queues: a full RX ring, so a stream finds one while the guest is descheduled. */
    public static final int RX_BUFFERS = 256;
    /**
     * Transmit slots (pages), over all queues: half the TX ring, so that with the RX buffers and
     * the rings one interface takes under 400 of the 512 grant entries of a guest's one grant frame.
     */
    public static final int TX_SLOTS = 128;
    /** The most queues this front end asks for. */
    public static final int MAX_QUEUES = 4;

    /** Where received frames go. */
    public interface Receiver {
        /**
         * One frame for {@code nic}: {@code length} bytes of {@code bytes}, valid during this call
         * only. None comes before the connect promise's value has been taken by a callback of the
         * application's ({@link Promise#whenTaken}): frames that arrive earlier wait in the RX ring.
         */
        void frame(NetFront nic, MemorySegment bytes, int length);
    }

    private final Kernel k;
    private final Xenbus xb;
    private final GuestMemory mem;
    private final int devid;
    private final String dir;
    private final Receiver receiver;
    private final Promise<NetFront> connected;
    private final int wantQueues;
    /** Whether this front end takes RX frames with blank checksums (else it writes feature-no-csum-offload = 1). */
    private final boolean csumOffload;
    /** Whether this front end offers scatter-gather (feature-sg = 1: RX frames over several buffers, TX over several slots). */
    private final boolean wantSg;
    /** Scatter-gather agreed: both ends offer feature-sg. */
    private boolean sg;
    /** Whether this front end takes TCP/IPv4 GSO frames whole (writes feature-gso-tcpv4 = 1, with feature-sg). */
    private boolean wantGso;
    /** The back end offers feature-gso-tcpv4 (and scatter-gather is agreed): {@link #transmitGso} may send. */
    private boolean txGso;
    /** The MSS of the frame being handed to the receiver (0: no GSO extra). */
    private int rxFrameGso;
    private long gsoSent;
    private long gsoReceived;
    private long gsoDropped;
    private long blankReceived;
    private DomId backId;
    private String backendPath;
    private XenbusWatch otherEnd;
    private long mac;
    private Queue[] queues;
    private boolean split;
    /** Where a received frame is put together from its RX slots. */
    private final MemorySegment frame = MemorySegment.ofArray(new byte[Vif.MAX_SG_FRAME]);
    private boolean up;
    /** Frames go to the receiver only once the caller has the interface (a callback took the connect promise's value). */
    private boolean delivering;
    /** RX responses that waited in the rings for the application to take the interface. */
    private int heldAtStart = -1;
    /** {@link #stopReceiving}: RX responses are left on the ring and no buffer is posted again. */
    private boolean deaf;
    /** Events taken on the queues' ports: {@link #events}. */
    private long events;
    private boolean closing;
    private Promise<Void> closed;
    private long sent;
    private long received;
    private long txFull;
    private long notifications;
    private Runnable txSpace;

    private NetFront(Kernel k, int devid, int queues, boolean csumOffload, boolean wantSg, Receiver receiver) {
        this.k = k;
        this.xb = k.xenbus();
        this.mem = k.cpu().memory();
        this.devid = devid;
        this.dir = "device/" + Vif.KIND + "/" + devid;
        this.receiver = receiver;
        this.wantQueues = queues;
        this.csumOffload = csumOffload;
        this.wantSg = wantSg;
        this.connected = k.loop().promise();
    }

    /** Connects to vif {@code devid} ({@code device/vif/<devid>}) with one queue. */
    public static Promise<NetFront> connect(Kernel k, int devid, Receiver receiver) {
        return connect(k, devid, 1, receiver);
    }

    /**
     * Connects to vif {@code devid} with up to {@code queues} queues (1..{@value #MAX_QUEUES}):
     * as many as the back end offers, at most that many.
     */
    public static Promise<NetFront> connect(Kernel k, int devid, int queues, Receiver receiver) {
        return connect(k, devid, queues, true, receiver);
    }

    /**
     * {@link #connect(Kernel, int, int, Receiver)}, taking received frames with blank checksums
     * ({@code NETRXF_csum_blank}) or not ({@code checksumOffload} false: {@code
     * feature-no-csum-offload} = 1, and the back end fills them in first).
     */
    public static Promise<NetFront> connect(Kernel k, int devid, int queues, boolean checksumOffload, Receiver receiver) {
        return connect(k, devid, queues, checksumOffload, true, receiver);
    }

    /**
     * {@link #connect(Kernel, int, int, boolean, Receiver)}, offering scatter-gather or declining
     * it ({@code scatterGather} false: no {@code feature-sg}; every frame then fits one page, one
     * TX slot and one RX buffer, and the back end drops larger frames for this interface).
     */
    public static Promise<NetFront> connect(Kernel k, int devid, int queues, boolean checksumOffload,
            boolean scatterGather, Receiver receiver) {
        return connect(k, devid, queues, checksumOffload, scatterGather, false, receiver);
    }

    /**
     * {@link #connect(Kernel, int, int, boolean, boolean, Receiver)}, taking TCP/IPv4 GSO frames
     * whole or not: with {@code gso} (and scatter-gather agreed) it writes
     * {@code feature-gso-tcpv4} = 1, and a frame may come whole, up to 64 KiB, with its MSS
     * ({@link #gsoSize()} during the receiver's call); without it, dom0 cuts such frames into
     * segments first. Sending GSO frames ({@link #transmitGso}) depends only on the back end's
     * offer ({@link #gso()}).
     */
    public static Promise<NetFront> connect(Kernel k, int devid, int queues, boolean checksumOffload,
            boolean scatterGather, boolean gso, Receiver receiver) {
        if (queues < 1 || queues > MAX_QUEUES) {
            throw new IllegalArgumentException("queues: 1.." + MAX_QUEUES + ", not " + queues);
        }
        NetFront f = new NetFront(k, devid, queues, checksumOffload, scatterGather, receiver);
        f.wantGso = gso;
        f.start();
        return f.connected;
    }

    /** The interfaces the toolstack gave this domain. */
    public static Promise<List<Integer>> list(Kernel k) {
        Xenbus xb = k.xenbus();
        String root = "device/" + Vif.KIND;
        return xb.readOptional(XenbusTransaction.NONE, root).then(o -> o.isEmpty()
                ? k.loop().<List<String>>completed(List.of()) : xb.directory(root)).map(names -> {
                    List<Integer> ids = new ArrayList<>();
                    for (String n : names) {
                        ids.add((int) Vbd.number("devid", n, 0, Integer.MAX_VALUE));
                    }
                    return ids;
                });
    }

    /**
     * Hot-plug: calls {@code added} (from the run loop) with each vif that appears under
     * {@code device/vif} and is not in {@code known}, once its directory names its back end,
     * as Linux's xenbus probes a device the toolstack adds ({@code xl network-attach}). A vif
     * that goes and comes back is reported again. Unwatch the returned watch to stop.
     */
    public static XenbusWatch watchInterfaces(Kernel k, List<Integer> known, java.util.function.IntConsumer added) {
        Xenbus xb = k.xenbus();
        List<Integer> seen = new ArrayList<>(known);
        return xb.watch("device/" + Vif.KIND, changed -> list(k).whenDone((ids, e) -> {
            if (e != null) {
                return;
            }
            seen.retainAll(ids);
            for (int id : ids) {
                if (!seen.contains(id)) {
                    // The toolstack writes a vif's directory in one transaction: backend there means all there.
                    xb.readOptional(XenbusTransaction.NONE, "device/" + Vif.KIND + "/" + id + "/backend").whenDone((b, e2) -> {
                        if (e2 == null && b.isPresent() && !seen.contains(id)) {
                            seen.add(id);
                            added.accept(id);
                        }
                    });
                }
            }
        }));
    }

    /** The interface's MAC address (48 bits), as the toolstack gave it. */
    public long mac() {
        return mac;
    }

    /** The queues connected (0 before the handshake). */
    public int queues() {
        return queues == null ? 0 : queues.length;
    }

    /** Whether each queue has an event channel per ring ({@code feature-split-event-channels}). */
    public boolean splitEventChannels() {
        return split;
    }

    /** Whether received frames may have blank checksums (this front end did not decline checksum offload). */
    public boolean checksumOffload() {
        return csumOffload;
    }

    /** Whether this interface may send TCP/IPv4 GSO frames: the back end offers {@code feature-gso-tcpv4} and scatter-gather is agreed. */
    public boolean gso() {
        return txGso;
    }

    /** Whether this front end asked for GSO frames whole ({@code feature-gso-tcpv4} = 1 written). */
    public boolean rxGso() {
        return wantGso && sg;
    }

    /** During the receiver's call: the MSS of a frame that came whole with a GSO extra, else 0. */
    public int gsoSize() {
        return rxFrameGso;
    }

    /** GSO frames sent; GSO frames received whole; frames dropped for a GSO extra that cannot stand (zero size, unknown type). */
    public long gsoSent() {
        return gsoSent;
    }

    public long gsoReceived() {
        return gsoReceived;
    }

    public long gsoDropped() {
        return gsoDropped;
    }

    /** Whether scatter-gather was agreed (both ends offer {@code feature-sg}). */
    public boolean scatterGather() {
        return sg;
    }

    /**
     * The largest frame this interface sends and takes: {@value Vif#MAX_SG_FRAME} bytes with
     * scatter-gather, else one page ({@value Vif#MAX_FRAME}).
     */
    public int maxFrame() {
        return sg ? Vif.MAX_SG_FRAME : Vif.MAX_FRAME;
    }

    /** Frames received over several RX slots ({@code NETRXF_more_data}). */
    public long framesReceivedMultiSlot() {
        return rxMultiSlot;
    }

    /** RX slot chains refused (an error or impossible slot, too long, too many slots): their frames dropped. */
    public long chainsDropped() {
        long n = 0;
        if (queues != null) {
            for (Queue q : queues) {
                n += q.chain.dropped();
            }
        }
        return n;
    }

    private long rxMultiSlot;

    /**
     * RX responses (slots) that had come before the application took this interface from the
     * connect promise and waited in the rings for it; -1 until then.
     */
    public int rxHeldAtStart() {
        return heldAtStart;
    }

    /** The RX responses waiting in every queue's ring (a broken ring counts none: its queue closes when read). */
    private int unconsumedRx() {
        int n = 0;
        for (Queue q : queues) {
            try {
                n += q.rx.unconsumedResponses();
            } catch (org.parasol.drivers.ring.RingOverflowException e) {
                // takeRx finds it and closes the interface
            }
        }
        return n;
    }

    /** Frames received flagged {@code NETRXF_csum_blank}. */
    public long checksumBlankReceived() {
        return blankReceived;
    }

    /**
     * From now on, this front end reads no RX response and posts no RX buffer again, as a guest
     * whose network stack hangs: the buffers posted run out and dom0 must queue, then drop,
     * what comes for it (a test's hostile front end: netping's {@code role=deaf}). TX goes on.
     */
    public void stopReceiving() {
        deaf = true;
    }

    public long framesSent() {
        return sent;
    }

    public long framesReceived() {
        return received;
    }

    /** Frames not sent because every TX slot was busy. */
    public long transmitFull() {
        return txFull;
    }

    public long notifications() {
        return notifications;
    }

    /**
     * Events taken on its ports (each run of a port's handler; a burst of events before it runs
     * is one): what waking this domain for the network cost.
     */
    public long events() {
        return events;
    }

    private void start() {
        xb.read(dir + "/backend-id").then(id -> {
            backId = DomId.of((int) Vbd.number("backend-id", id, 0, DomId.DOMID_FIRST_RESERVED - 1));
            return xb.read(dir + "/" + Vif.MAC);
        }).then(m -> {
            mac = Vif.parseMac(m);
            return xb.read(dir + "/backend");
        }).whenDone((path, e) -> {
            if (e != null) {
                fail("cannot read " + dir + ": " + e.getMessage());
                return;
            }
            if (!path.startsWith("/local/domain/" + backId.value() + "/")) {
                fail("backend '" + path + "' is not in d" + backId.value() + "'s directory");
                return;
            }
            backendPath = path;
            String backState = path + "/state";
            otherEnd = xb.watch(backState, changed -> xb.readState(backState).whenDone((s, e2) ->
                    backEndChanged(e2 != null ? XenbusState.UNKNOWN : s)));
        });
    }

    private boolean published;

    private void backEndChanged(XenbusState s) {
        if (!published && (s == XenbusState.INIT_WAIT || s == XenbusState.CONNECTED)) {
            published = true;
            // What the back end offers: as many queues as both allow, split channels if it can.
            xb.readOptional(XenbusTransaction.NONE, backendPath + "/" + Vif.MULTI_QUEUE_MAX_QUEUES).then(maxq -> {
                int offered = 1;
                if (maxq.isPresent()) {
                    offered = (int) Math.max(1, Vbd.number(Vif.MULTI_QUEUE_MAX_QUEUES, maxq.get(), 0, Integer.MAX_VALUE));
                }
                int n = Math.min(offered, wantQueues);
                return xb.readOptional(XenbusTransaction.NONE, backendPath + "/" + Vif.FEATURE_SPLIT_EVENT_CHANNELS)
                        .then(sp -> {
                            split = sp.isPresent() && "1".equals(sp.get());
                            return xb.readOptional(XenbusTransaction.NONE, backendPath + "/" + Vif.FEATURE_SG);
                        }).then(sg -> {
                            // Without feature-sg (either end's) every frame must fit one slot: whole-page fragments.
                            NetFront.this.sg = wantSg && sg.isPresent() && "1".equals(sg.get());
                            txFragment = NetFront.this.sg ? TX_FRAGMENT : Mmu.PAGE_SIZE;
                            return xb.readOptional(XenbusTransaction.NONE, backendPath + "/" + Vif.FEATURE_GSO_TCPV4);
                        }).map(g -> {
                            txGso = NetFront.this.sg && g.isPresent() && "1".equals(g.get());
                            return n;
                        });
            }).whenDone((n, e) -> {
                if (e != null) {
                    fail("cannot read the back end's features: " + e.getMessage());
                    return;
                }
                try {
                    setUp(n);
                } catch (RuntimeException e2) {
                    fail("cannot set up the rings: " + e2.getMessage());
                    return;
                }
                publish();
            });
        } else if (published && queues != null && !up && !closing && s == XenbusState.CONNECTED) {
            up = true;
            xb.switchState(dir + "/state", XenbusState.CONNECTED).whenDone((v, e) -> {
                if (e != null) {
                    fail("cannot switch Connected: " + e.getMessage());
                } else {
                    // Nothing reaches the receiver before the application holds this interface: frames
                    // wait in the RX ring (its bound; dom0 queues and drops past it) until a callback
                    // took connect's value, then are taken in the tasks after that callback.
                    connected.whenTaken(() -> {
                        heldAtStart = queues == null ? 0 : unconsumedRx();
                        delivering = true;
                        for (Queue q : queues) {
                            k.loop().execute(q::onRx);
                        }
                    });
                    connected.complete(this);
                }
            });
        } else if (s == XenbusState.CLOSING || s == XenbusState.CLOSED || s == XenbusState.UNKNOWN) {
            if (closing) {
                if (s != XenbusState.CLOSING) {
                    finishClose();
                }
            } else if (up) {
                close();
            } else if (published || s != XenbusState.UNKNOWN) {
                fail("the back end went " + s + " before Connected");
            }
        }
    }

    /**
     * The queues' rings, slots and buffers. A guest has one grant frame (512 entries), so an
     * interface made when another already holds most of them (a vif hot-plugged beside the boot
     * one) halves its TX slots and RX buffers until they fit, leaving {@value #GRANT_RESERVE}
     * references for the rest of the guest; at least 4 TX slots and 8 RX buffers a queue.
     */
    private void setUp(int n) {
        int room = k.grants().freeReferences() - 2 * n - GRANT_RESERVE;
        int txTotal = TX_SLOTS;
        int rxTotal = RX_BUFFERS;
        while (txTotal + rxTotal > room && txTotal / 2 >= 4 * n) {
            txTotal /= 2;
            rxTotal /= 2;
        }
        if (txTotal + rxTotal > room) {
            throw new IllegalStateException("grant table full: " + k.grants().freeReferences() + " references free");
        }
        queues = new Queue[n];
        for (int i = 0; i < n; i++) {
            queues[i] = new Queue(i, txTotal / n, rxTotal / n);
            queues[i].setUp();
        }
    }

    /** {@link Queue#transmit}'s word for a frame without a GSO extra. */
    private static final int NO_GSO = -1;

    /** A TX fragment where the back end offers feature-sg: half a page; a frame takes one slot per fragment it fills. */
    static final int TX_FRAGMENT = Mmu.PAGE_SIZE / 2;
    /** This interface's TX fragment: {@link #TX_FRAGMENT}, or a whole page if the back end has no feature-sg. */
    private int txFragment = Mmu.PAGE_SIZE;

    /** TX slots produced before the ring's requests are pushed at once (else at the end of the run loop's turn). */
    static final int TX_PUSH_BATCH = 16;

    /** Frames sent over more than one slot. */
    public long framesSentMultiSlot() {
        return multiSlot;
    }

    private long multiSlot;

    /** Grant references an interface leaves free for the rest of the guest. */
    private static final int GRANT_RESERVE = 16;

    private void publish() {
        Queue[] qs = queues;
        xb.transaction(t -> {
            Promise<Void> p;
            if (qs.length == 1) {
                p = qs[0].publish(t, dir);
            } else {
                p = xb.write(t, dir + "/" + Vif.MULTI_QUEUE_NUM_QUEUES, Integer.toString(qs.length));
                for (Queue q : qs) {
                    p = p.then(v -> q.publish(t, dir + "/" + Vif.queueDir(q.id)));
                }
            }
            if (!csumOffload) {
                p = p.then(v -> xb.write(t, dir + "/" + Vif.FEATURE_NO_CSUM_OFFLOAD, "1"));
            }
            if (wantSg) {
                p = p.then(v -> xb.write(t, dir + "/" + Vif.FEATURE_SG, "1"));
            }
            if (wantGso && sg) {
                p = p.then(v -> xb.write(t, dir + "/" + Vif.FEATURE_GSO_TCPV4, "1"));
            }
            return p.then(v -> xb.write(t, dir + "/" + Vif.REQUEST_RX_COPY, "1"))
                    .then(v -> xb.write(t, dir + "/" + Vif.FEATURE_RX_NOTIFY, "1"));
        }).then(v -> xb.switchState(dir + "/state", XenbusState.INITIALISED)).whenDone((v, e) -> {
            if (e != null) {
                fail("cannot publish the rings: " + e.getMessage());
            }
        });
    }

    /**
     * Sends one Ethernet frame: {@code length} bytes of {@code bytes} (at least a header, at
     * most {@link #maxFrame()}), on the queue its flow hashes to ({@link Vif#flowHash}).
     *
     * @return false if it was not sent: every TX slot of that queue is busy, or the interface is not up
     * @throws IllegalArgumentException for a frame shorter than a header or longer than {@link #maxFrame()}
     *                                  (once up; {@value Vif#MAX_SG_FRAME} before)
     */
    public boolean transmit(MemorySegment bytes, int length) {
        return transmit(bytes, length, false);
    }

    /**
     * {@link #transmit(MemorySegment, int)} of a frame whose transport checksum is left for the
     * back end to fill in when {@code checksumBlank} ({@code NETTXF_csum_blank}): it must be a
     * whole IPv4 TCP or UDP packet, or the back end refuses it.
     */
    public boolean transmit(MemorySegment bytes, int length, boolean checksumBlank) {
        int max = up ? maxFrame() : Vif.MAX_SG_FRAME;
        if (length < Vif.ETH_HEADER || length > max) {
            throw new IllegalArgumentException("a frame is " + Vif.ETH_HEADER + ".." + max + " bytes"
                    + (max == Vif.MAX_FRAME ? " without scatter-gather" : "") + ": " + length);
        }
        if (!up || closing) {
            return false;
        }
        Queue[] qs = queues;
        Queue q = qs.length == 1 ? qs[0] : qs[Integer.remainderUnsigned(Vif.flowHash(bytes, length), qs.length)];
        return q.transmit(bytes, length, checksumBlank ? Netif.NETTXF_CSUM_BLANK : 0, NO_GSO);
    }

    /**
     * Sends one TCP/IPv4 GSO frame: a whole IPv4 TCP packet of up to {@link #maxFrame()} bytes
     * whose payload the back end (or whoever takes it whole) cuts into segments of {@code mss}
     * bytes; its first TX slot is flagged {@code NETTXF_extra_info} and followed by a GSO extra
     * ({@code XEN_NETIF_GSO_TYPE_TCPV4}, {@code size} = {@code mss}), as Linux's netfront sends
     * a TSO packet. The IPv4 and TCP headers are those of the first segment; the back end
     * refuses a frame that is no whole IPv4 TCP packet or an MSS under {@value Gso#MIN_SIZE}.
     *
     * @return false if it was not sent (TX slots busy, the interface not up)
     * @throws IllegalStateException    where the back end does not offer {@code feature-gso-tcpv4} ({@link #gso()})
     * @throws IllegalArgumentException for a frame shorter than a header or longer than {@link #maxFrame()}, or an MSS over 65535
     */
    public boolean transmitGso(MemorySegment bytes, int length, int mss, boolean checksumBlank) {
        if (mss < 1) {
            throw new IllegalArgumentException("an MSS is 1..65535: " + mss);
        }
        return transmitGso(bytes, length, Netif.GSO_TYPE_TCPV4, mss, checksumBlank);
    }

    /**
     * {@link #transmitGso(MemorySegment, int, int, boolean)} with the GSO extra's {@code type}
     * ({@code XEN_NETIF_GSO_TYPE_*}, 0..255) and {@code size} (0..65535) as given: the back end
     * checks them, and refuses a frame whose extra it cannot take (a test of a hostile front end
     * sends such).
     */
    public boolean transmitGso(MemorySegment bytes, int length, int gsoType, int mss, boolean checksumBlank) {
        if (length < Vif.ETH_HEADER || length > Vif.MAX_SG_FRAME || mss < 0 || mss > 0xFFFF || gsoType < 0 || gsoType > 0xFF) {
            throw new IllegalArgumentException("a GSO frame is " + Vif.ETH_HEADER + ".." + Vif.MAX_SG_FRAME
                    + " bytes with a size of 0..65535 and a type of 0..255: " + length + ", " + mss + ", " + gsoType);
        }
        if (!up || closing) {
            return false;
        }
        if (!txGso) {
            throw new IllegalStateException("vif " + devid + ": the back end does not offer feature-gso-tcpv4");
        }
        Queue[] qs = queues;
        Queue q = qs.length == 1 ? qs[0] : qs[Integer.remainderUnsigned(Vif.flowHash(bytes, length), qs.length)];
        boolean ok = q.transmit(bytes, length, checksumBlank ? Netif.NETTXF_CSUM_BLANK : 0, gsoType << 16 | mss);
        if (ok) {
            gsoSent++;
        }
        return ok;
    }

    /**
     * Runs {@code r} once, from the run loop, the next time TX responses free slots (after
     * {@link #transmit} answered false): a sender waits for room without spinning. One at a
     * time; a later call replaces an earlier one.
     */
    public void whenTxSpace(Runnable r) {
        txSpace = r;
        k.loop().execute(this::reapAndWake); // responses that came meanwhile, without an event
    }

    private void reapAndWake() {
        if (up && !closing) {
            for (Queue q : queues) {
                q.reapTx();
                if (closing) {
                    return;
                }
            }
        }
    }

    /** One queue: its two rings, their grants and port(s), its TX slots and RX buffers. */
    private final class Queue {
        private final int id;
        private final int txSlots;
        private final int rxBuffers;
        private PageRun ringPages;
        private GrantedPage txRingGrant;
        private GrantedPage rxRingGrant;
        private FrontRing<NetifCodec.Tx, NetifCodec.TxRsp> tx;
        private FrontRing<NetifCodec.Rx, NetifCodec.RxRsp> rx;
        /** The TX ring's port, and the RX ring's (the same one without split event channels). */
        private BoundPort txPort;
        private BoundPort rxPort;
        private PageRun txPages;
        private final GrantedPage[] txGrants;
        /**
         * Free TX fragments (half pages, {@value #TX_FRAGMENT} bytes, two per granted page): a
         * stack of fragment numbers ({@code txFreeCount} of them), and which are in flight. A
         * frame takes one fragment per {@value #TX_FRAGMENT} bytes, one slot each.
         */
        private final int[] txFree;
        private int txFreeCount;
        private final boolean[] txBusy;
        private PageRun rxPages;
        private final GrantedPage[] rxGrants;
        /**
         * TX requests staged for the next push ({@link #unpushed} of them, from index 0), written
         * into the ring as one run ({@link FrontRing#produceRequests}); one holder per ring slot.
         */
        private final NetifCodec.Tx[] txReqs = txRequestHolders(SringEntries.NETIF_TX_ONE_PAGE.size());
        /** Each TX page's grant reference, and each RX buffer's: read on the per-frame paths. */
        private final int[] txRefs;
        private final int[] rxRefs;
        /** RX requests reposting a run of buffers, one holder per ring slot. */
        private final NetifCodec.Rx[] rxReqs = rxRequestHolders(SringEntries.NETIF_RX_ONE_PAGE.size());
        /** TX responses taken from the ring by runs (RING_COPY_RESPONSE over a run), one holder per slot. */
        private final NetifCodec.TxRsp[] txRsps = txResponseHolders(SringEntries.NETIF_TX_ONE_PAGE.size());
        private final NetifCodec.Rx rxReq = new NetifCodec.Rx();
        /** RX responses taken from the ring by runs, one holder per slot. */
        private final NetifCodec.RxRsp[] rxRsps = rxResponseHolders(SringEntries.NETIF_RX_ONE_PAGE.size());
        /** Fragments sent as a whole page (the first of the page's two, for a frame over a page). */
        private final boolean[] txWhole;
        /** The pages a frame over a page takes. */
        private final int[] pick = new int[Vif.MAX_RX_SLOTS];
        /** The RX slots of the frame being put together. */
        private final RxChain chain;
        /** TX slots staged in {@link #txReqs} and not pushed yet ({@link #pushSoon}); whether a push is queued on the run loop. */
        private int unpushed;
        private boolean pushQueued;
        private final Runnable pushTask = this::pushTx;
        /** The first slot's flags of the frame being put together (its checksum flags). */
        private int chainFlags;
        /**
         * The id of the RX buffer posted at each ring index (masked): an extra-info response has no
         * id, so the buffer it took is the one posted where it lies (Linux's netfront finds every
         * response's buffer by its index).
         */
        private final int[] rxShadow = new int[SringEntries.NETIF_RX_ONE_PAGE.size()];
        /** The next RX responses are extra-info slots of the frame being put together. */
        private boolean inExtras;
        /** The frame's data slots are all in; it goes to the receiver once its extras are read. */
        private boolean doneAwaitingExtras;
        /** The frame's GSO extra's MSS (0: none), and whether an extra of it cannot stand. */
        private int frameGso;
        private boolean frameExtraBad;

        /**
         * One extra-info slot of the frame being put together: a GSO extra must say
         * {@code XEN_NETIF_GSO_TYPE_TCPV4} and a size over zero, and an extra's type must be
         * known, or the frame is dropped, as Linux's netfront drops it ({@code xennet_set_skb_gso},
         * {@code xennet_get_extras}).
         */
        private void takeExtra(NetifCodec.RxRsp x) {
            if (x.extraType == Netif.EXTRA_TYPE_GSO) {
                if (x.gsoType == Netif.GSO_TYPE_TCPV4 && x.gsoSize > 0) {
                    frameGso = x.gsoSize;
                } else {
                    frameExtraBad = true;
                }
            } else if (x.extraType <= Netif.EXTRA_TYPE_NONE || x.extraType >= Netif.EXTRA_TYPE_MAX) {
                frameExtraBad = true;
            }
            if ((x.extraFlags & Netif.EXTRA_FLAG_MORE) == 0) {
                inExtras = false;
                if (doneAwaitingExtras) {
                    doneAwaitingExtras = false;
                    frameDone();
                }
            }
        }

        /** The frame put together in {@link #frame} is whole: to the receiver, unless an extra of it could not stand. */
        private void frameDone() {
            if (frameExtraBad || frameGso != 0 && !rxGso()) {
                gsoDropped++; // a GSO frame this front end did not ask for, or a nonsense extra
                return;
            }
            received++;
            if (chain.length() > Mmu.PAGE_SIZE) {
                rxMultiSlot++;
            }
            if ((chainFlags & Netif.NETRXF_CSUM_BLANK) != 0) {
                blankReceived++;
            }
            if (frameGso != 0) {
                gsoReceived++;
            }
            rxFrameGso = frameGso;
            try {
                receiver.frame(NetFront.this, frame, chain.length());
            } finally {
                rxFrameGso = 0;
            }
        }

        Queue(int id, int txSlots, int rxBuffers) {
            this.id = id;
            this.txSlots = txSlots;
            this.rxBuffers = rxBuffers;
            this.txGrants = new GrantedPage[txSlots];
            this.txFree = new int[txSlots * (Mmu.PAGE_SIZE / txFragment)];
            this.txBusy = new boolean[txFree.length];
            this.txWhole = new boolean[txFree.length];
            this.rxGrants = new GrantedPage[rxBuffers];
            this.txRefs = new int[txSlots];
            this.rxRefs = new int[rxBuffers];
            this.chain = new RxChain(maxFrame());
        }

        private void setUp() {
            ringPages = k.memory().allocatePages(2);
            tx = new FrontRing<>(new GuestMemoryBuffer(mem, ringPages.va(), Mmu.PAGE_SIZE), SringEntries.NETIF_TX_ONE_PAGE,
                    new NetifCodec.TxCodec(), new NetifCodec.TxRspCodec(), this::notifyTx).init();
            rx = new FrontRing<>(new GuestMemoryBuffer(mem, ringPages.va() + Mmu.PAGE_SIZE, Mmu.PAGE_SIZE),
                    SringEntries.NETIF_RX_ONE_PAGE, new NetifCodec.RxCodec(), new NetifCodec.RxRspCodec(), this::notifyRx)
                    .init();
            txRingGrant = k.grants().grantAccess(backId, k.memory().mfn(ringPages.pfn()), false);
            rxRingGrant = k.grants().grantAccess(backId, k.memory().mfn(ringPages.pfn() + 1), false);
            txPages = k.memory().allocatePages(txSlots);
            for (int i = 0; i < txSlots; i++) {
                txGrants[i] = k.grants().grantAccess(backId, k.memory().mfn(txPages.pfn() + i), true);
                txRefs[i] = txGrants[i].ref().value();
            }
            for (int f = txFree.length - 1; f >= 0; f--) {
                txFree[txFreeCount++] = f;
            }
            rxPages = k.memory().allocatePages(rxBuffers);
            for (int i = 0; i < rxBuffers; i++) {
                rxGrants[i] = k.grants().grantAccess(backId, k.memory().mfn(rxPages.pfn() + i), false);
                rxRefs[i] = rxGrants[i].ref().value();
                rxShadow[rx.reqProdPvt() & (rxShadow.length - 1)] = i;
                rx.produceRequest(rxReq.set(i, rxRefs[i]));
            }
            rx.pushRequests();
            if (split) {
                txPort = k.events().allocUnbound(backId, k.loop().deferred(p -> onTx()));
                rxPort = k.events().allocUnbound(backId, k.loop().deferred(p -> onRx()));
            } else {
                txPort = k.events().allocUnbound(backId, k.loop().deferred(p -> onEvent()));
                rxPort = txPort;
            }
        }

        /** This queue's keys under {@code path} (the vif's own directory for one queue). */
        private Promise<Void> publish(XenbusTransaction t, String path) {
            Promise<Void> p = xb.write(t, path + "/" + Vif.TX_RING_REF, Integer.toString(txRingGrant.ref().value()))
                    .then(v -> xb.write(t, path + "/" + Vif.RX_RING_REF, Integer.toString(rxRingGrant.ref().value())));
            if (split) {
                return p.then(v -> xb.write(t, path + "/" + Vif.EVENT_CHANNEL_TX, Integer.toString(txPort.port().value())))
                        .then(v -> xb.write(t, path + "/" + Vif.EVENT_CHANNEL_RX, Integer.toString(rxPort.port().value())));
            }
            return p.then(v -> xb.write(t, path + "/" + Vif.EVENT_CHANNEL, Integer.toString(txPort.port().value())));
        }

        private void notifyTx() {
            notifications++;
            txPort.notifyRemote();
        }

        private void notifyRx() {
            notifications++;
            rxPort.notifyRemote();
        }

        /** {@code gso}: {@link #NO_GSO}, or a GSO extra's type (bits 16..23) and size (bits 0..15). */
        private boolean transmit(MemorySegment bytes, int length, int flags, int gso) {
            if (length > Mmu.PAGE_SIZE) {
                reapTx();
                return transmitPages(bytes, length, flags, gso);
            }
            int fragment = txFragment;
            int perPage = Mmu.PAGE_SIZE / fragment;
            int need = (length + fragment - 1) / fragment;
            int extra = gso != NO_GSO ? 1 : 0; // a GSO extra takes the ring slot after the first
            if (txFreeCount < need || tx.freeRequests() - unpushed < need + extra) {
                reapTx(); // short of slots: every response there, and rsp_event set for the next
            }
            // With slots to spare, responses are taken once per push (pushTx), not per frame.
            if (txFreeCount < need || tx.freeRequests() - unpushed < need + extra || closing) {
                txFull++;
                return false;
            }
            // feature-sg: a frame over one fragment goes over several slots, the first carrying
            // the frame's size and NETTXF_more_data, each further one its own part.
            for (int at = 0, i = 0; i < need; i++, at += fragment) {
                int frag = txFree[--txFreeCount];
                txBusy[frag] = true;
                int part = Math.min(fragment, length - at);
                int page = frag / perPage;
                int offset = (frag % perPage) * fragment;
                mem.copyFromSegment(bytes, at, txPages.va() + (long) page * Mmu.PAGE_SIZE + offset, part);
                int fl = (i == 0 ? flags : 0) | (i < need - 1 ? Netif.NETTXF_MORE_DATA : 0);
                txReqs[unpushed + i + (i > 0 ? extra : 0)].set(txRefs[page], offset, fl, frag, i == 0 ? length : part);
            }
            if (extra != 0) {
                addGsoExtra(gso);
            }
            if (need > 1) {
                multiSlot++;
            }
            pushSoon(need + extra);
            sent++;
            return true;
        }

        /**
         * The TX requests just staged in {@link #txReqs} go to the back end with the next push: at
         * once once {@value #TX_PUSH_BATCH} slots wait, else at the end of this turn of the run loop
         * (a task queued behind the caller's), so a burst of frames is written into the ring as one
         * run, published, and the back end's {@code req_event} checked, once per batch, as ring.h's
         * {@code RING_PUSH_REQUESTS_AND_CHECK_NOTIFY} is meant to be used; a lone frame waits for
         * nothing but the caller's return to the loop.
         */
        private void pushSoon(int slots) {
            unpushed += slots;
            if (unpushed >= TX_PUSH_BATCH) {
                pushTx();
            } else if (!pushQueued) {
                pushQueued = true;
                k.loop().execute(pushTask);
            }
        }

        private void pushTx() {
            pushQueued = false;
            if (unpushed > 0 && !closing) {
                // Once per batch, what the back end has answered meanwhile, leaving rsp_event behind:
                // no event asked for while we send.
                takeTxResponses();
                if (closing) {
                    return;
                }
                tx.produceRequests(txReqs, 0, unpushed);
                unpushed = 0;
                tx.pushRequestsAndCheckNotify();
            }
        }

        /**
         * A frame over a page (scatter-gather): one slot per whole page, on pages both of whose
         * half-page fragments are free, so a {@value Vif#MAX_SG_FRAME}-byte frame takes 16 slots
         * (within {@code XEN_NETIF_NR_SLOTS_MIN}), as Linux's netfront gives a slot per page.
         */
        private boolean transmitPages(MemorySegment bytes, int length, int flags, int gso) {
            int need = (length + Mmu.PAGE_SIZE - 1) / Mmu.PAGE_SIZE;
            int extra = gso != NO_GSO ? 1 : 0;
            int found = 0;
            for (int p = 0; p < txSlots && found < need; p++) {
                if (!txBusy[2 * p] && !txBusy[2 * p + 1]) {
                    pick[found++] = p;
                }
            }
            if (found < need || tx.freeRequests() - unpushed < need + extra || closing) {
                txFull++;
                return false;
            }
            for (int i = 0; i < need; i++) {
                int p = pick[i];
                txBusy[2 * p] = true;
                txBusy[2 * p + 1] = true;
                txWhole[2 * p] = true;
            }
            int kept = 0;
            for (int i = 0; i < txFreeCount; i++) {
                if (!txBusy[txFree[i]]) {
                    txFree[kept++] = txFree[i];
                }
            }
            txFreeCount = kept;
            for (int at = 0, i = 0; i < need; i++, at += Mmu.PAGE_SIZE) {
                int p = pick[i];
                int part = Math.min(Mmu.PAGE_SIZE, length - at);
                mem.copyFromSegment(bytes, at, txPages.va() + (long) p * Mmu.PAGE_SIZE, part);
                int fl = (i == 0 ? flags : 0) | (i < need - 1 ? Netif.NETTXF_MORE_DATA : 0);
                txReqs[unpushed + i + (i > 0 ? extra : 0)].set(txRefs[p], 0, fl, 2 * p, i == 0 ? length : part);
            }
            if (extra != 0) {
                addGsoExtra(gso);
            }
            multiSlot++;
            pushSoon(need + extra);
            sent++;
            return true;
        }

        /**
         * The frame just staged at {@code txReqs[unpushed]} is a GSO frame: its first slot flagged
         * {@code NETTXF_extra_info}, and the slot after it (left free) a GSO extra with the MSS.
         */
        private void addGsoExtra(int gso) {
            txReqs[unpushed].flags |= Netif.NETTXF_EXTRA_INFO;
            txReqs[unpushed + 1].extra(Netif.EXTRA_TYPE_GSO, 0, gso & 0xFFFF, gso >>> 16);
        }

        /**
         * Whether to ask the back end for an event on TX responses ({@code rsp_event}): only when
         * that event is wanted, i.e. a sender waits for room ({@link #whenTxSpace}), or fewer than
         * half the fragments or ring slots are free. Otherwise responses are reaped at the next
         * push or RX event, and a frame sent one at a time (a round trip) costs the sender no
         * wake-up just to learn its slot is free. When it is wanted, it is asked for once half the
         * requests in flight are answered ({@link FrontRing#finalCheckForResponsesBatched}), as
         * Linux's netfront once did: a sender out of slots wakes once per half ring of answers,
         * not at each of the back end's batches (deviation 53).
         */
        private boolean txEventWanted() {
            return txSpace != null || 2 * txFreeCount < txFree.length || 2 * tx.freeRequests() < tx.size();
        }

        /**
         * Takes the TX responses the back end has pushed, without setting {@code rsp_event}: a
         * sender with slots to spare asks for no event (the back end notifies only past the
         * {@code rsp_event} of the last {@link #reapTx}). A response for no slot in flight closes
         * the interface.
         */
        private void takeTxResponses() {
            try {
                for (int n; (n = tx.consumeResponses(txRsps, txRsps.length)) > 0; ) {
                    for (int i = 0; i < n; i++) {
                        // an extra slot's answer (NETIF_RSP_NULL) frees nothing, as netfront skips it
                        if (txRsps[i].status != Netif.RSP_NULL && !freeTxSlot(txRsps[i].id)) {
                            return;
                        }
                    }
                }
            } catch (RingOverflowException e) {
                close();
            }
        }

        /** Slot {@code slot}'s response came: it is free again. False: no such slot in flight (the interface closes). */
        private boolean freeTxSlot(int slot) {
            if (slot < 0 || slot >= txBusy.length || !txBusy[slot] || (slot & 1) == 1 && txWhole[slot - 1]) {
                // a fragment not in flight, or the second half of a page sent whole: the back end lies
                close();
                return false;
            }
            txBusy[slot] = false;
            txFree[txFreeCount++] = slot;
            if (txWhole[slot]) { // a whole page: its second fragment is free too
                txWhole[slot] = false;
                txBusy[slot + 1] = false;
                txFree[txFreeCount++] = slot + 1;
            }
            if (txSpace != null) {
                Runnable r = txSpace;
                txSpace = null;
                k.loop().execute(r);
            }
            return true;
        }

        /**
         * Takes TX responses: their slots are free again. Then, only where {@link #txEventWanted},
         * the final check that sets {@code rsp_event} half the requests in flight ahead, so the
         * back end notifies once that many are answered.
         */
        private void reapTx() {
            try {
                do {
                    for (int n; (n = tx.consumeResponses(txRsps, txRsps.length)) > 0; ) {
                        for (int i = 0; i < n; i++) {
                            if (txRsps[i].status != Netif.RSP_NULL && !freeTxSlot(txRsps[i].id)) {
                                return;
                            }
                        }
                    }
                } while (txEventWanted() && tx.finalCheckForResponsesBatched());
            } catch (RingOverflowException e) {
                close();
            }
        }

        /** The one port of a queue without split channels: both rings. */
        private void onEvent() {
            events++;
            takeTx();
            takeRx();
        }

        private void onTx() {
            events++;
            takeTx();
        }

        private void onRx() {
            events++;
            takeRx();
        }

        private void takeTx() {
            if (up && !closing && delivering) {
                reapTx();
            }
        }

        private void takeRx() {
            if (!up || closing || !delivering || deaf) {
                return;
            }
            try {
                boolean reposted = false;
                do {
                    int base = rx.rspCons();
                    for (int n; (n = rx.consumeResponses(rxRsps, rxRsps.length)) > 0; base += n) {
                        for (int i = 0; i < n; i++) {
                            NetifCodec.RxRsp rxRsp = rxRsps[i];
                            if (inExtras) {
                                // An extra-info slot (no id of its own): its buffer is the one posted at its ring index.
                                int rid = rxShadow[(base + i) & (rxShadow.length - 1)];
                                takeExtra(rxRsp);
                                rxReqs[i].set(rid, rxRefs[rid]);
                                if (closing) {
                                    return;
                                }
                                continue;
                            }
                            int rid = rxRsp.id;
                            if (rid < 0 || rid >= rxBuffers) {
                                close();
                                return;
                            }
                            int len = rxRsp.status;
                            int off = rxRsp.offset;
                            boolean first = !chain.pending();
                            if (first) {
                                chainFlags = rxRsp.flags; // a frame's first slot: its checksum flags
                                frameGso = 0;
                                frameExtraBad = false;
                                // NETRXF_extra_info on a first slot: extra-info slots follow it, before its further slots
                                inExtras = (rxRsp.flags & Netif.NETRXF_EXTRA_INFO) != 0;
                            }
                            int r = chain.slot(len, off, rxRsp.flags);
                            if (r == RxChain.MORE || r == RxChain.DONE) {
                                mem.copyToSegment(rxPages.va() + (long) rid * Mmu.PAGE_SIZE + off, frame, chain.at(), len);
                            }
                            if (r == RxChain.DONE) {
                                if (inExtras) {
                                    doneAwaitingExtras = true; // handed on once its extras are read
                                } else {
                                    frameDone();
                                }
                            }
                            // The buffer goes back under the same grant (the back end copies into it), with
                            // the rest of this run's: one run of RX requests per run of responses.
                            rxReqs[i].set(rid, rxRefs[rid]);
                            if (closing) {
                                return;
                            }
                        }
                        int at = rx.reqProdPvt();
                        for (int i = 0; i < n; i++) {
                            rxShadow[(at + i) & (rxShadow.length - 1)] = rxReqs[i].id;
                        }
                        rx.produceRequests(rxReqs, 0, n);
                        reposted = true;
                    }
                } while (rx.finalCheckForResponses());
                if (reposted) {
                    rx.pushRequestsAndCheckNotify();
                }
            } catch (RingOverflowException e) {
                close();
            }
        }

        private void letGo() {
            if (rxPort != null && rxPort != txPort) {
                rxPort.close();
            }
            if (txPort != null) {
                txPort.close();
            }
            for (GrantedPage g : txGrants) {
                if (g != null) {
                    g.close();
                }
            }
            for (GrantedPage g : rxGrants) {
                if (g != null) {
                    g.close();
                }
            }
            if (txRingGrant != null) {
                txRingGrant.close();
            }
            if (rxRingGrant != null) {
                rxRingGrant.close();
            }
        }
    }

    /** Closing; once the back end is Closed, every grant ended and the port closed; Closed. */
    public Promise<Void> close() {
        if (closed != null) {
            return closed;
        }
        closed = k.loop().promise();
        closing = true;
        xb.switchState(dir + "/state", XenbusState.CLOSING).whenDone((v, e) -> {
            if (e != null) {
                finishClose();
            }
        });
        return closed;
    }

    private void finishClose() {
        if (!closing || closed == null || closed.isDone()) {
            return;
        }
        up = false;
        letGo();
        if (otherEnd != null) {
            otherEnd.unwatch();
        }
        xb.switchState(dir + "/state", XenbusState.CLOSED).whenDone((v, e) -> closed.complete(null));
    }

    private void letGo() {
        if (queues != null) {
            for (Queue q : queues) {
                if (q != null) {
                    q.letGo();
                }
            }
        }
    }

    private void fail(String why) {
        closing = true;
        letGo();
        if (otherEnd != null) {
            otherEnd.unwatch();
        }
        xb.switchState(dir + "/state", XenbusState.CLOSED);
        connected.fail(new IllegalStateException("vif " + devid + ": " + why));
    }

    /** {@code n} TX request holders, made once per queue. */
    private static NetifCodec.Tx[] txRequestHolders(int n) {
        NetifCodec.Tx[] holders = new NetifCodec.Tx[n];
        for (int i = 0; i < n; i++) {
            holders[i] = new NetifCodec.Tx();
        }
        return holders;
    }

    /** {@code n} RX request holders, made once per queue. */
    private static NetifCodec.Rx[] rxRequestHolders(int n) {
        NetifCodec.Rx[] holders = new NetifCodec.Rx[n];
        for (int i = 0; i < n; i++) {
            holders[i] = new NetifCodec.Rx();
        }
        return holders;
    }

    /** {@code n} RX response holders, made once per queue. */
    private static NetifCodec.RxRsp[] rxResponseHolders(int n) {
        NetifCodec.RxRsp[] holders = new NetifCodec.RxRsp[n];
        for (int i = 0; i < n; i++) {
            holders[i] = new NetifCodec.RxRsp();
        }
        return holders;
    }

    /** {@code n} TX response holders, made once per queue. */
    private static NetifCodec.TxRsp[] txResponseHolders(int n) {
        NetifCodec.TxRsp[] holders = new NetifCodec.TxRsp[n];
        for (int i = 0; i < n; i++) {
            holders[i] = new NetifCodec.TxRsp();
        }
        return holders;
    }
}
