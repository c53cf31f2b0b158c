package org.parasol.examples.netliar;

import java.util.List;

import org.parasol.drivers.net.NetifCodec;
import org.parasol.drivers.net.Vif;
import org.parasol.drivers.ring.FrontRing;
import org.parasol.drivers.ring.RingOverflowException;
import org.parasol.guest.event.EventDispatcher.BoundPort;
import org.parasol.guest.grant.GrantedPage;
import org.parasol.guest.kernel.ApplicationKernel;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.mm.PageRun;
import org.parasol.guest.sched.Promise;
import org.parasol.guest.xenbus.Xenbus;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GuestMemoryBuffer;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.abi.Netif;
import org.parasol.hypercall.abi.XenbusState;
import org.parasol.hypercall.io.SringEntries;

/**
 * net-liar: a network front end that lies to dom0's netback on purpose, and never posts a
 * receive buffer (so every frame the bridge floods to it must be dropped at its port without
 * stalling anyone). It connects its vif by hand, then sends one TX request per lie and prints
 * the answer to each frame's first slot (after every slot of it is answered):
 *
 * <pre>
 *  ok-frame         a good 60-byte broadcast frame                          expect  0
 *  bad-gref         a reference it never granted                            expect -1
 *  outside-page     offset 4000, size 200                                   expect -1
 *  runt             size 10 (shorter than an Ethernet header)               expect -1
 *  sg-frame         60 bytes over 3 slots (NETTXF_more_data, feature-sg)    expect  0
 *  slots-exceed-size  size 30, further slots of 20 + 20                     expect -1
 *  size-exceeds-slots size 5000 over 2 slots (the first would hold 4940)    expect -1
 *  too-many-slots   19 slots, one more than XEN_NETIF_NR_SLOTS_MIN          expect -1
 *  gso-zero-size    a GSO extra with size 0 (and on no TCP packet)          expect -1
 *  gso-huge-size    a GSO extra with size 65535, type 7                     expect -1
 *  csum-blank-not-ip  NETTXF_csum_blank on a frame that is no TCP/UDP packet expect -1
 *  big-sg-frame     64000 bytes over 16 slots of 4000 (over a page)         expect  0
 *  big-size-exceeds-slots  size 65535 over 16 slots of 4000 (the first would hold 5535) expect -1
 *  big-slots-exceed-size   size 20000, further slots of 5 x 4096        expect -1
 *  req-prod-far-ahead  TX req_prod 1000 past the ring: dom0 closes the vif
 * </pre>
 *
 * <p>On its last vif (the 9th), a chain that never ends: 40 slots each with
 * {@code NETTXF_more_data}, none after them: dom0 closes that vif ({@code chain-never-ends}).
 *
 * <p>Then, with one more vif each (vif 1, 2, ... in the order below, as many as the domain was
 * given), a handshake that lies about queues or event channels; each time the back end must
 * refuse to connect (go Closed) and let go of whatever it had mapped or bound:
 *
 * <pre>
 *  queues-zero          multi-queue-num-queues = 0
 *  queues-over-max      multi-queue-num-queues = 5, more than multi-queue-max-queues
 *  queue-keys-missing   2 queues, queue-1/rx-ring-ref missing (queue 0 is whole)
 *  split-rx-missing     event-channel-tx without event-channel-rx
 *  split-same-port      event-channel-tx and event-channel-rx the same port
 *  split-mixed          2 queues, queue 0 with split channels, queue 1 with one
 *  not-a-number         multi-queue-num-queues = "two"
 * </pre>
 */
public final class NetLiarKernel extends ApplicationKernel {
    private static final String TAG = "net-liar: ";

    private Kernel k;
    private Xenbus xb;
    private DomId back;
    private String backendPath;
    private FrontRing<NetifCodec.Tx, NetifCodec.TxRsp> tx;
    private PageRun rings;
    private BoundPort port;
    private final NetifCodec.TxRsp rsp = new NetifCodec.TxRsp();
    private Promise<Integer> answer;
    /** Slots of the frame in flight not answered yet, and the answer to its first. */
    private int unanswered;
    private int firstStatus;
    private boolean firstSeen;
    private Promise<Void> closed;

    /** The kernel class an image names needs a public no-argument constructor. */
    public NetLiarKernel() {
    }

    @Override
    public Promise<?> main(Kernel kernel) {
        this.k = kernel;
        this.xb = k.xenbus();
        String dir = "device/vif/0";
        PageRun data = k.memory().allocatePages(1);
        long mac = 0x00163eeeee01L;
        for (int i = 0; i < 6; i++) {
            k.cpu().memory().putByte(data.va() + i, (byte) 0xFF);
            k.cpu().memory().putByte(data.va() + 6 + i, (byte) (mac >>> (8 * (5 - i))));
        }
        return xb.read(dir + "/backend-id").then(id -> {
            back = DomId.of(Integer.parseInt(id));
            return xb.read(dir + "/backend");
        }).then(path -> {
            backendPath = path;
            closed = k.loop().promise();
            xb.watch(path + "/state", p -> xb.readState(path + "/state").whenDone((s, e) -> {
                if (e == null && s == XenbusState.CLOSED && !closed.isDone()) {
                    closed.complete(null);
                }
            }));
            rings = k.memory().allocatePages(2);
            tx = new FrontRing<>(new GuestMemoryBuffer(k.cpu().memory(), rings.va(), Mmu.PAGE_SIZE),
                    SringEntries.NETIF_TX_ONE_PAGE, new NetifCodec.TxCodec(), new NetifCodec.TxRspCodec(),
                    () -> port.notifyRemote()).init();
            // The RX ring is set up, and never given a buffer.
            new FrontRing<>(new GuestMemoryBuffer(k.cpu().memory(), rings.va() + Mmu.PAGE_SIZE, Mmu.PAGE_SIZE),
                    SringEntries.NETIF_RX_ONE_PAGE, new NetifCodec.RxCodec(), new NetifCodec.RxRspCodec(), () -> { })
                    .init();
            GrantedPage txRef = k.grants().grantAccess(back, k.memory().mfn(rings.pfn()), false);
            GrantedPage rxRef = k.grants().grantAccess(back, k.memory().mfn(rings.pfn() + 1), false);
            port = k.events().allocUnbound(back, k.loop().deferred(p -> onEvent()));
            return xb.write(dir + "/" + Vif.TX_RING_REF, Integer.toString(txRef.ref().value()))
                    .then(v -> xb.write(dir + "/" + Vif.RX_RING_REF, Integer.toString(rxRef.ref().value())))
                    .then(v -> xb.write(dir + "/" + Vif.EVENT_CHANNEL, Integer.toString(port.port().value())))
                    .then(v -> xb.write(dir + "/" + Vif.REQUEST_RX_COPY, "1"))
                    .then(v -> xb.switchState(dir + "/state", XenbusState.CONNECTED));
        }).then(v -> k.sleep(java.time.Duration.ofMillis(200))).then(v -> {
            int g = k.grants().grantAccess(back, k.memory().mfn(data.pfn()), true).ref().value();
            int more = Netif.NETTXF_MORE_DATA;
            NetifCodec.Tx[] many = new NetifCodec.Tx[Netif.NR_SLOTS_MIN + 1];
            for (int i = 0; i < many.length; i++) {
                many[i] = new NetifCodec.Tx().set(g, 0, i < many.length - 1 ? more : 0, 20 + i,
                        i == 0 ? 20 * many.length : 20);
            }
            List<Object[]> cases = List.of(
                    new Object[] {"ok-frame", new NetifCodec.Tx[] {new NetifCodec.Tx().set(g, 0, 0, 1, 60)}},
                    new Object[] {"bad-gref", new NetifCodec.Tx[] {new NetifCodec.Tx().set(400, 0, 0, 2, 60)}},
                    new Object[] {"outside-page", new NetifCodec.Tx[] {new NetifCodec.Tx().set(g, 4000, 0, 3, 200)}},
                    new Object[] {"runt", new NetifCodec.Tx[] {new NetifCodec.Tx().set(g, 0, 0, 4, 10)}},
                    new Object[] {"sg-frame", new NetifCodec.Tx[] {new NetifCodec.Tx().set(g, 0, more, 5, 60),
                        new NetifCodec.Tx().set(g, 20, more, 6, 20), new NetifCodec.Tx().set(g, 40, 0, 7, 20)}},
                    new Object[] {"slots-exceed-size", new NetifCodec.Tx[] {new NetifCodec.Tx().set(g, 0, more, 8, 30),
                        new NetifCodec.Tx().set(g, 0, more, 9, 20), new NetifCodec.Tx().set(g, 0, 0, 10, 20)}},
                    new Object[] {"size-exceeds-slots", new NetifCodec.Tx[] {new NetifCodec.Tx().set(g, 0, more, 11, 5000),
                        new NetifCodec.Tx().set(g, 0, 0, 12, 60)}},
                    new Object[] {"too-many-slots", many},
                    new Object[] {"gso-zero-size", new NetifCodec.Tx[] {
                        new NetifCodec.Tx().set(g, 0, Netif.NETTXF_EXTRA_INFO, 13, 60),
                        new NetifCodec.Tx().extra(Netif.EXTRA_TYPE_GSO, 0, 0, Netif.GSO_TYPE_TCPV4)}},
                    new Object[] {"gso-huge-size", new NetifCodec.Tx[] {
                        new NetifCodec.Tx().set(g, 0, Netif.NETTXF_EXTRA_INFO, 14, 60),
                        new NetifCodec.Tx().extra(Netif.EXTRA_TYPE_GSO, 0, 0xFFFF, 7)}},
                    new Object[] {"csum-blank-not-ip", new NetifCodec.Tx[] {
                        new NetifCodec.Tx().set(g, 0, Netif.NETTXF_CSUM_BLANK, 15, 60)}},
                    new Object[] {"big-sg-frame", chain(g, 16, 64000, 4000, 16)},
                    new Object[] {"big-size-exceeds-slots", chain(g, 16, 65535, 4000, 40)},
                    new Object[] {"big-slots-exceed-size", chain(g, 6, 20000, 4096, 60)});
            Promise<Void> chain = k.loop().completed(null);
            for (Object[] c : cases) {
                chain = chain.then(x -> {
                    answer = k.loop().promise();
                    NetifCodec.Tx[] slots = (NetifCodec.Tx[]) c[1];
                    unanswered = slots.length;
                    firstSeen = false;
                    for (NetifCodec.Tx t : slots) {
                        tx.produceRequest(t);
                    }
                    tx.pushRequestsAndCheckNotify();
                    return answer.map(st -> {
                        k.println(TAG + c[0] + ": status " + st);
                        return null;
                    });
                });
            }
            return chain;
        }).then(v -> {
            k.cpu().memory().putIntRelease(rings.va(), tx.reqProdPvt() + 1000);
            port.notifyRemote();
            return closed;
        }).then(v -> {
            k.println(TAG + "req-prod-far-ahead: the back end went Closed");
            return org.parasol.drivers.net.NetFront.list(k);
        }).then(ids -> {
            Promise<Void> chain = k.loop().completed(null);
            for (int i = 0; i < HANDSHAKE_LIES.size() && i + 1 < ids.size(); i++) {
                String lie = HANDSHAKE_LIES.get(i);
                int devid = i + 1;
                chain = chain.then(x -> handshakeLie(devid, lie));
            }
            if (ids.size() > HANDSHAKE_LIES.size() + 1) {
                chain = chain.then(x -> neverEndingChain(HANDSHAKE_LIES.size() + 1, data));
            }
            return chain;
        }).map(v -> 0);
    }

    /**
     * A frame over {@code slots} slots of grant {@code g}: the first says {@code size}, each
     * further one carries {@code part} bytes; request ids from {@code id}.
     */
    private static NetifCodec.Tx[] chain(int g, int slots, int size, int part, int id) {
        NetifCodec.Tx[] out = new NetifCodec.Tx[slots];
        for (int i = 0; i < slots; i++) {
            out[i] = new NetifCodec.Tx().set(g, 0, i < slots - 1 ? Netif.NETTXF_MORE_DATA : 0, id + i, i == 0 ? size : part);
        }
        return out;
    }

    /**
     * Vif {@code devid} connected for real, then 40 TX slots each with NETTXF_more_data and
     * nothing after them; done when the back end is Closed.
     */
    private Promise<Void> neverEndingChain(int devid, PageRun data) {
        String dir = "device/vif/" + devid;
        Promise<Void> refused = k.loop().promise();
        return xb.read(dir + "/backend").then(path -> {
            xb.watch(path + "/state", p -> xb.readState(path + "/state").whenDone((s, e) -> {
                if (e == null && s == XenbusState.CLOSED && !refused.isDone()) {
                    refused.complete(null);
                }
            }));
            PageRun pages = k.memory().allocatePages(2);
            BoundPort[] evt = new BoundPort[1];
            FrontRing<NetifCodec.Tx, NetifCodec.TxRsp> ring = new FrontRing<>(
                    new GuestMemoryBuffer(k.cpu().memory(), pages.va(), Mmu.PAGE_SIZE), SringEntries.NETIF_TX_ONE_PAGE,
                    new NetifCodec.TxCodec(), new NetifCodec.TxRspCodec(), () -> evt[0].notifyRemote()).init();
            new FrontRing<>(new GuestMemoryBuffer(k.cpu().memory(), pages.va() + Mmu.PAGE_SIZE, Mmu.PAGE_SIZE),
                    SringEntries.NETIF_RX_ONE_PAGE, new NetifCodec.RxCodec(), new NetifCodec.RxRspCodec(), () -> { }).init();
            int txRef = k.grants().grantAccess(back, k.memory().mfn(pages.pfn()), false).ref().value();
            int rxRef = k.grants().grantAccess(back, k.memory().mfn(pages.pfn() + 1), false).ref().value();
            int g = k.grants().grantAccess(back, k.memory().mfn(data.pfn()), true).ref().value();
            evt[0] = k.events().allocUnbound(back, k.loop().deferred(p -> { }));
            return xb.write(dir + "/" + Vif.TX_RING_REF, Integer.toString(txRef))
                    .then(v -> xb.write(dir + "/" + Vif.RX_RING_REF, Integer.toString(rxRef)))
                    .then(v -> xb.write(dir + "/" + Vif.EVENT_CHANNEL, Integer.toString(evt[0].port().value())))
                    .then(v -> xb.write(dir + "/" + Vif.REQUEST_RX_COPY, "1"))
                    .then(v -> xb.switchState(dir + "/state", XenbusState.CONNECTED))
                    .then(v -> k.sleep(java.time.Duration.ofMillis(200)))
                    .map(v -> {
                        for (int i = 0; i < 40; i++) {
                            ring.produceRequest(new NetifCodec.Tx().set(g, 0, Netif.NETTXF_MORE_DATA, i, i == 0 ? 4000 : 100));
                        }
                        ring.pushRequestsAndCheckNotify();
                        return null;
                    });
        }).then(v -> refused).map(v -> {
            k.println(TAG + "chain-never-ends: the back end went Closed");
            return null;
        });
    }

    private static final List<String> HANDSHAKE_LIES = List.of("queues-zero", "queues-over-max", "queue-keys-missing",
            "split-rx-missing", "split-same-port", "split-mixed", "not-a-number");

    /**
     * Vif {@code devid}'s handshake with the lie {@code lie}: rings granted for real (two queues'
     * worth), the keys written with the lie, Initialised; done when the back end is Closed.
     */
    private Promise<Void> handshakeLie(int devid, String lie) {
        String dir = "device/vif/" + devid;
        Promise<Void> refused = k.loop().promise();
        return xb.read(dir + "/backend").then(path -> {
            xb.watch(path + "/state", p -> xb.readState(path + "/state").whenDone((s, e) -> {
                if (e == null && s == XenbusState.CLOSED && !refused.isDone()) {
                    refused.complete(null);
                }
            }));
            PageRun pages = k.memory().allocatePages(4);
            int[] refs = new int[4];
            for (int i = 0; i < 4; i++) {
                new FrontRing<>(new GuestMemoryBuffer(k.cpu().memory(), pages.va() + (long) i * Mmu.PAGE_SIZE, Mmu.PAGE_SIZE),
                        i % 2 == 0 ? SringEntries.NETIF_TX_ONE_PAGE : SringEntries.NETIF_RX_ONE_PAGE,
                        new NetifCodec.RxCodec(), new NetifCodec.RxRspCodec(), () -> { }).init();
                refs[i] = k.grants().grantAccess(back, k.memory().mfn(pages.pfn() + i), false).ref().value();
            }
            int p1 = k.events().allocUnbound(back, k.loop().deferred(p -> { })).port().value();
            int p2 = k.events().allocUnbound(back, k.loop().deferred(p -> { })).port().value();
            String q0 = dir + "/queue-0/";
            String q1 = dir + "/queue-1/";
            String[][] keys = switch (lie) {
                case "queues-zero" -> new String[][] {{dir + "/multi-queue-num-queues", "0"},
                    {dir + "/tx-ring-ref", "" + refs[0]}, {dir + "/rx-ring-ref", "" + refs[1]}, {dir + "/event-channel", "" + p1}};
                case "queues-over-max" -> new String[][] {{dir + "/multi-queue-num-queues", "5"},
                    {q0 + "tx-ring-ref", "" + refs[0]}, {q0 + "rx-ring-ref", "" + refs[1]}, {q0 + "event-channel", "" + p1}};
                case "queue-keys-missing" -> new String[][] {{dir + "/multi-queue-num-queues", "2"},
                    {q0 + "tx-ring-ref", "" + refs[0]}, {q0 + "rx-ring-ref", "" + refs[1]}, {q0 + "event-channel", "" + p1},
                    {q1 + "tx-ring-ref", "" + refs[2]}, {q1 + "event-channel", "" + p2}};
                case "split-rx-missing" -> new String[][] {
                    {dir + "/tx-ring-ref", "" + refs[0]}, {dir + "/rx-ring-ref", "" + refs[1]}, {dir + "/event-channel-tx", "" + p1}};
                case "split-same-port" -> new String[][] {{dir + "/tx-ring-ref", "" + refs[0]},
                    {dir + "/rx-ring-ref", "" + refs[1]}, {dir + "/event-channel-tx", "" + p1}, {dir + "/event-channel-rx", "" + p1}};
                case "split-mixed" -> new String[][] {{dir + "/multi-queue-num-queues", "2"},
                    {q0 + "tx-ring-ref", "" + refs[0]}, {q0 + "rx-ring-ref", "" + refs[1]},
                    {q0 + "event-channel-tx", "" + p1}, {q0 + "event-channel-rx", "" + p2},
                    {q1 + "tx-ring-ref", "" + refs[2]}, {q1 + "rx-ring-ref", "" + refs[3]}, {q1 + "event-channel", "" + p1}};
                default -> new String[][] {{dir + "/multi-queue-num-queues", "two"},
                    {dir + "/tx-ring-ref", "" + refs[0]}, {dir + "/rx-ring-ref", "" + refs[1]}, {dir + "/event-channel", "" + p1}};
            };
            Promise<Void> w = xb.write(dir + "/" + Vif.REQUEST_RX_COPY, "1");
            for (String[] kv : keys) {
                w = w.then(v -> xb.write(kv[0], kv[1]));
            }
            return w.then(v -> xb.switchState(dir + "/state", XenbusState.INITIALISED));
        }).then(v -> refused).map(v -> {
            k.println(TAG + lie + ": the back end went Closed");
            return null;
        });
    }

    private void onEvent() {
        try {
            do {
                while (tx.consumeResponse(rsp)) {
                    if (!firstSeen) {
                        firstSeen = true;
                        firstStatus = rsp.status;
                    }
                    if (--unanswered == 0 && answer != null && !answer.isDone()) {
                        answer.complete(firstStatus);
                    }
                }
            } while (tx.finalCheckForResponses());
        } catch (RingOverflowException e) {
            k.println(TAG + "the back end broke the ring: " + e.getMessage());
        }
    }
}
