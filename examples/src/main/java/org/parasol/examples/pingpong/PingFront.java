package org.parasol.examples.pingpong;

import org.parasol.drivers.ring.FrontRing;
import org.parasol.drivers.ring.RingOverflowException;
import org.parasol.examples.stats.LatencySummary;
import org.parasol.guest.event.EventDispatcher.BoundPort;
import org.parasol.guest.grant.GrantedPage;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.mm.PageRun;
import org.parasol.guest.sched.Promise;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GuestMemoryBuffer;
import org.parasol.hypercall.abi.Mmu;

/**
 * The offering domain of pingpong, and the ring's front end — as in Xen, the end that
 * allocates the ring page, grants it and offers an unbound port, then sends requests.
 *
 * <pre>
 *  offer:     allocate a page, SHARED_RING_INIT it, grant it to peer (writable),
 *             EVTCHNOP_alloc_unbound for peer, print the offer line
 *  connect:   the first event is the peer's "connected" notification
 *  pingpong:  one request outstanding at a time: stamp, produce, push-and-check-notify;
 *             on the response's event: consume, check, record now - stamp
 *  close:     after the last round an OP_CLOSE request; its response comes after the peer
 *             unmapped the page, so the grant ends at once; close the port, close the
 *             granted page (ending access), free the page, print the percentiles, power off
 * </pre>
 *
 * <p>The offer line is {@value #OFFER} followed by {@code gref=<n> port=<p> peer=<domid>};
 * {@code parasol run} reads it from the console (see {@code pingpong.launch}).
 *
 * <p>Latency is the kernel's monotonic system time from just before a request is pushed to
 * just after its response is consumed: two event-channel notifications, two wake-ups of a
 * blocked vCPU and a pass through each domain's run loop. Between events both vCPUs block in
 * their run loops. Responses are checked against what is outstanding; anything else ends the
 * run with a failure (the domain crashes with the reason on its console).
 */
final class PingFront {
    /** What the offer line starts with. */
    static final String OFFER = "pingpong: offer ";

    private final Kernel k;
    private final DomId peer;
    private final int rounds;
    private final long[] latencies;
    private final PingpongMessage request = new PingpongMessage();
    private final PingpongMessage response = new PingpongMessage();
    private final Promise<LatencySummary> done;
    private PageRun page;
    private GrantedPage grant;
    private BoundPort port;
    private FrontRing<PingpongMessage, PingpongMessage> ring;
    private boolean connected;
    private boolean closing;
    private int sent;
    private int answered;
    private long sentAt;
    private long startedAt;

    PingFront(Kernel k, PingpongOptions options) {
        this.k = k;
        this.peer = DomId.of(options.peer());
        this.rounds = options.rounds();
        this.latencies = new long[rounds];
        this.done = k.loop().promise();
    }

    /** Offers the ring and the port; the promise completes once the peer has closed. */
    Promise<LatencySummary> start() {
        page = k.memory().allocatePages(1);
        PingpongCodec codec = new PingpongCodec();
        // SHARED_RING_INIT before the grant: the peer never sees a page that is not a ring.
        ring = new FrontRing<>(new GuestMemoryBuffer(k.cpu().memory(), page.va(), Mmu.PAGE_SIZE), codec, codec,
                () -> port.notifyRemote()).init();
        grant = k.grants().grantAccess(peer, k.memory().mfn(page.pfn()), false);
        port = k.events().allocUnbound(peer, k.loop().deferred(p -> onEvent()));
        k.println(OFFER + "gref=" + grant.ref().value() + " port=" + port.port().value() + " peer=" + peer.value());
        return done;
    }

    private void onEvent() {
        if (done.isDone()) {
            return;
        }
        if (!connected) {
            // The first event is the peer's: it has mapped the ring and bound the port.
            connected = true;
            k.println("pingpong: domain " + peer.value() + " connected; " + rounds + " round trips, one at a time");
            startedAt = k.now();
            sendPing();
            return;
        }
        try {
            do {
                while (ring.consumeResponse(response)) {
                    if (!handle(response)) {
                        return;
                    }
                }
            } while (ring.finalCheckForResponses());
        } catch (RingOverflowException e) {
            fail("the peer broke the ring: " + e.getMessage());
        }
    }

    /** Checks and takes one response; false once the run is over. */
    private boolean handle(PingpongMessage rsp) {
        long now = k.now();
        if (closing) {
            if (rsp.op() != PingpongMessage.OP_CLOSE || rsp.id() != sent - 1) {
                fail("expected the answer to close request " + (sent - 1) + ", got " + rsp);
                return false;
            }
            finish(now);
            return false;
        }
        if (rsp.op() != PingpongMessage.OP_PING || rsp.id() != sent - 1 || rsp.stamp() != sentAt) {
            fail("expected the answer to ping " + (sent - 1) + ", got " + rsp);
            return false;
        }
        latencies[answered++] = now - sentAt;
        if (answered < rounds) {
            sendPing();
        } else {
            send(PingpongMessage.OP_CLOSE, k.now());
            closing = true;
        }
        return true;
    }

    private void sendPing() {
        sentAt = k.now();
        send(PingpongMessage.OP_PING, sentAt);
    }

    private void send(int op, long stamp) {
        ring.produceRequest(request.set(op, sent++, stamp));
        ring.pushRequestsAndCheckNotify();
    }

    /** The peer answered the close request after unmapping the ring: tear down, then report. */
    private void finish(long now) {
        long elapsed = now - startedAt;
        teardown();
        LatencySummary s = LatencySummary.of(latencies, answered);
        k.println(String.format("pingpong: %d round trips in %.1f ms: %s", s.count(), elapsed / 1e6, s.percentiles()));
        done.complete(s);
    }

    private void fail(String reason) {
        teardown();
        done.fail(new IllegalStateException("pingpong: " + reason));
    }

    /** The offer in reverse order: the port, the grant, the page. */
    private void teardown() {
        port.close();
        if (grant.endAccess()) {
            k.memory().freePages(page);
        } else {
            // Still mapped (a peer that has not unmapped): the kernel retries the end on a timer,
            // and the page stays out of the allocator, since the peer may still write it.
            k.println("pingpong: " + grant.ref() + " is still mapped by domain " + peer.value() + "; its end is deferred");
        }
    }
}
