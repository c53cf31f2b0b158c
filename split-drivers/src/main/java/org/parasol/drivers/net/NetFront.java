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
 * A virtual network interface, seen from a guest: Xen's netfront for one queue on the
 * kernel's promises, with {@code request-rx-copy} (the back end copies received frames into
 * buffers posted here) and frames of at most one page (no scatter-gather).
 *
 * <pre>
 *  NetFront.connect(k, devid, receiver)   the XenbusState handshake; RX buffers posted ahead
 *  nic.transmit(frame, length)            one Ethernet frame (copied into a TX page granted
 *                                         once per slot); false when every TX slot is busy
 *  receiver.frame(nic, bytes, length)     each frame received, from the run loop; the bytes
 *                                         are valid during the call only
 *  nic.mac(), nic.close()
 * </pre>
 *
 * <p>RX buffers ({@value #RX_BUFFERS} pages, granted to the back end once) are reposted as
 * soon as a frame is taken out of them, so the back end always finds buffers unless the guest
 * stops running its loop. An impossible response or a back end that goes away closes the
 * interface. Not thread-safe: one vCPU's run loop owns it.
 */
public final class NetFront {
    /** Posted receive buffers: a full RX ring, so a stream finds one while the guest is descheduled. */
    public static final int RX_BUFFERS = 256;
    /**
     * Transmit slots (pages): half the TX ring, so that with the RX buffers and the two rings
     * one interface takes 386 of the 512 grant entries of a guest's one grant frame.
     */
    public static final int TX_SLOTS = 128;

    /** Where received frames go. */
    public interface Receiver {
        /**
         * One frame for {@code nic}: {@code length} bytes of {@code bytes}, valid during this call
         * only. It may come before the connect promise's callbacks have run.
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
    private DomId backId;
    private String backendPath;
    private XenbusWatch otherEnd;
    private long mac;
    private PageRun ringPages;
    private GrantedPage txRingGrant;
    private GrantedPage rxRingGrant;
    private FrontRing<NetifCodec.Tx, NetifCodec.TxRsp> tx;
    private FrontRing<NetifCodec.Rx, NetifCodec.RxRsp> rx;
    private BoundPort port;
    private PageRun txPages;
    private final GrantedPage[] txGrants = new GrantedPage[TX_SLOTS];
    /** Free TX slots: a stack of slot numbers ({@code txFreeCount} of them), and which slots are in flight. */
    private final int[] txFree = new int[TX_SLOTS];
    private int txFreeCount;
    private final boolean[] txBusy = new boolean[TX_SLOTS];
    private PageRun rxPages;
    private final GrantedPage[] rxGrants = new GrantedPage[RX_BUFFERS];
    private final NetifCodec.Tx txReq = new NetifCodec.Tx();
    private final NetifCodec.TxRsp txRsp = new NetifCodec.TxRsp();
    private final NetifCodec.Rx rxReq = new NetifCodec.Rx();
    private final NetifCodec.RxRsp rxRsp = new NetifCodec.RxRsp();
    private final MemorySegment frame = MemorySegment.ofArray(new byte[Vif.MAX_FRAME]);
    private boolean up;
    /** Frames go to the receiver only once the caller has the interface (the connect promise completed). */
    private boolean delivering;
    private boolean closing;
    private Promise<Void> closed;
    private long sent;
    private long received;
    private long txFull;
    private long notifications;

    private NetFront(Kernel k, int devid, Receiver receiver) {
        this.k = k;
        this.xb = k.xenbus();
        this.mem = k.cpu().memory();
        this.devid = devid;
        this.dir = "device/" + Vif.KIND + "/" + devid;
        this.receiver = receiver;
        this.connected = k.loop().promise();
    }

    /** Connects to vif {@code devid} ({@code device/vif/<devid>}). */
    public static Promise<NetFront> connect(Kernel k, int devid, Receiver receiver) {
        NetFront f = new NetFront(k, devid, receiver);
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

    /** The interface's MAC address (48 bits), as the toolstack gave it. */
    public long mac() {
        return mac;
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
            try {
                setUp();
            } catch (RuntimeException e) {
                fail("cannot set up the rings: " + e.getMessage());
                return;
            }
            publish();
        } else if (published && !up && !closing && s == XenbusState.CONNECTED) {
            up = true;
            xb.switchState(dir + "/state", XenbusState.CONNECTED).whenDone((v, e) -> {
                if (e != null) {
                    fail("cannot switch Connected: " + e.getMessage());
                } else {
                    connected.complete(this);
                    delivering = true;
                    // Frames that came while the handshake finished wait in the ring: take them now.
                    k.loop().execute(this::onEvent);
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

    private void setUp() {
        ringPages = k.memory().allocatePages(2);
        tx = new FrontRing<>(new GuestMemoryBuffer(mem, ringPages.va(), Mmu.PAGE_SIZE), SringEntries.NETIF_TX_ONE_PAGE,
                new NetifCodec.TxCodec(), new NetifCodec.TxRspCodec(), this::notifyBack).init();
        rx = new FrontRing<>(new GuestMemoryBuffer(mem, ringPages.va() + Mmu.PAGE_SIZE, Mmu.PAGE_SIZE),
                SringEntries.NETIF_RX_ONE_PAGE, new NetifCodec.RxCodec(), new NetifCodec.RxRspCodec(), this::notifyBack)
                .init();
        txRingGrant = k.grants().grantAccess(backId, k.memory().mfn(ringPages.pfn()), false);
        rxRingGrant = k.grants().grantAccess(backId, k.memory().mfn(ringPages.pfn() + 1), false);
        txPages = k.memory().allocatePages(TX_SLOTS);
        for (int i = 0; i < TX_SLOTS; i++) {
            txGrants[i] = k.grants().grantAccess(backId, k.memory().mfn(txPages.pfn() + i), true);
            txFree[txFreeCount++] = i;
        }
        rxPages = k.memory().allocatePages(RX_BUFFERS);
        for (int i = 0; i < RX_BUFFERS; i++) {
            rxGrants[i] = k.grants().grantAccess(backId, k.memory().mfn(rxPages.pfn() + i), false);
            rx.produceRequest(rxReq.set(i, rxGrants[i].ref().value()));
        }
        rx.pushRequests();
        port = k.events().allocUnbound(backId, k.loop().deferred(p -> onEvent()));
    }

    private void publish() {
        xb.transaction(tx2 -> xb.write(tx2, dir + "/" + Vif.TX_RING_REF, Integer.toString(txRingGrant.ref().value()))
                .then(v -> xb.write(tx2, dir + "/" + Vif.RX_RING_REF, Integer.toString(rxRingGrant.ref().value())))
                .then(v -> xb.write(tx2, dir + "/" + Vif.EVENT_CHANNEL, Integer.toString(port.port().value())))
                .then(v -> xb.write(tx2, dir + "/" + Vif.REQUEST_RX_COPY, "1"))
                .then(v -> xb.write(tx2, dir + "/" + Vif.FEATURE_RX_NOTIFY, "1")))
                .then(v -> xb.switchState(dir + "/state", XenbusState.INITIALISED)).whenDone((v, e) -> {
                    if (e != null) {
                        fail("cannot publish the rings: " + e.getMessage());
                    }
                });
    }

    private void notifyBack() {
        notifications++;
        port.notifyRemote();
    }

    /**
     * Sends one Ethernet frame: {@code length} bytes of {@code bytes} (at least a header, at
     * most one page).
     *
     * @return false if it was not sent: every TX slot is busy, or the interface is not up
     */
    public boolean transmit(MemorySegment bytes, int length) {
        if (length < Vif.ETH_HEADER || length > Vif.MAX_FRAME) {
            throw new IllegalArgumentException("a frame is " + Vif.ETH_HEADER + ".." + Vif.MAX_FRAME + " bytes: " + length);
        }
        if (!up || closing) {
            return false;
        }
        reapTx();
        if (txFreeCount == 0 || tx.full()) {
            txFull++;
            return false;
        }
        int slot = txFree[--txFreeCount];
        txBusy[slot] = true;
        mem.copyFromSegment(bytes, 0, txPages.va() + (long) slot * Mmu.PAGE_SIZE, length);
        tx.produceRequest(txReq.set(txGrants[slot].ref().value(), 0, 0, slot, length));
        tx.pushRequestsAndCheckNotify();
        sent++;
        return true;
    }

    private Runnable txSpace;

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
            reapTx();
        }
    }

    /** Takes TX responses: their slots are free again. */
    private void reapTx() {
        try {
            do {
                while (tx.consumeResponse(txRsp)) {
                    int id = txRsp.id;
                    if (id < 0 || id >= TX_SLOTS || !txBusy[id]) { // a slot not in flight: the back end lies
                        close();
                        return;
                    }
                    txBusy[id] = false;
                    txFree[txFreeCount++] = id;
                    if (txSpace != null) {
                        Runnable r = txSpace;
                        txSpace = null;
                        k.loop().execute(r);
                    }
                }
            } while (tx.finalCheckForResponses());
        } catch (RingOverflowException e) {
            close();
        }
    }

    private void onEvent() {
        if (!up || closing || !delivering) {
            return;
        }
        reapTx();
        try {
            boolean reposted = false;
            do {
                while (rx.consumeResponse(rxRsp)) {
                    int id = rxRsp.id;
                    if (id < 0 || id >= RX_BUFFERS) {
                        close();
                        return;
                    }
                    int len = rxRsp.status;
                    int off = rxRsp.offset;
                    if (len > 0 && off >= 0 && off + len <= Mmu.PAGE_SIZE && (rxRsp.flags & Netif.NETRXF_MORE_DATA) == 0) {
                        mem.copyToSegment(rxPages.va() + (long) id * Mmu.PAGE_SIZE + off, frame, 0, len);
                        received++;
                        receiver.frame(this, frame, len);
                    }
                    // The buffer goes back at once, under the same grant: the back end copies into it.
                    rx.produceRequest(rxReq.set(id, rxGrants[id].ref().value()));
                    reposted = true;
                    if (closing) {
                        return;
                    }
                }
            } while (rx.finalCheckForResponses());
            if (reposted) {
                rx.pushRequestsAndCheckNotify();
            }
        } catch (RingOverflowException e) {
            close();
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
        if (port != null) {
            port.close();
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
            rxRingGrant.close();
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
}
