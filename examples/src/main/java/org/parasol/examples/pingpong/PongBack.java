package org.parasol.examples.pingpong;

import org.parasol.drivers.ring.BackRing;
import org.parasol.drivers.ring.RingOverflowException;
import org.parasol.guest.event.EventDispatcher.BoundPort;
import org.parasol.guest.grant.GrantMapping;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.sched.Promise;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GrantRef;
import org.parasol.hypercall.GuestMemoryBuffer;
import org.parasol.hypercall.Port;
import org.parasol.hypercall.abi.Mmu;

/**
 * The accepting domain of pingpong, and the ring's back end — as in Xen, the end that maps the
 * granted ring page, binds to the offered port, and answers requests.
 *
 * <pre>
 *  connect:  GNTTABOP_map_grant_ref of the offered gref (writable), BACK_RING_ATTACH at 0,
 *            EVTCHNOP_bind_interdomain to the offered port, notify the peer ("connected")
 *  answer:   on each event: consume every request, produce its answer, push-and-check-notify,
 *            final check for requests before going idle
 *  close:    on OP_CLOSE: produce its answer, push without notifying, unmap the page, then
 *            notify (so the peer's end of access finds no mapping), close the port, power off
 * </pre>
 *
 * <p>The peer is untrusted: every request is copied out of the ring before it is looked at,
 * an impossible {@code req_prod} breaks the ring ({@link RingOverflowException}), and a request
 * with an unknown op ends the connection. Any of those ends the run with a failure.
 */
final class PongBack {
    private final Kernel k;
    private final DomId peer;
    private final GrantRef ref;
    private final Port remotePort;
    private final PingpongMessage request = new PingpongMessage();
    private final PingpongMessage response = new PingpongMessage();
    private final Promise<Integer> done;
    private GrantMapping mapping;
    private BoundPort port;
    private BackRing<PingpongMessage, PingpongMessage> ring;
    private int answered;

    PongBack(Kernel k, PingpongOptions options) {
        this.k = k;
        this.peer = DomId.of(options.peer());
        this.ref = GrantRef.of(options.gref());
        this.remotePort = Port.of(options.port());
        this.done = k.loop().promise();
    }

    /** Accepts the offer; the promise completes with the requests answered once the peer closed. */
    Promise<Integer> start() {
        mapping = k.grantMapper().map(peer, ref, false);
        PingpongCodec codec = new PingpongCodec();
        ring = new BackRing<>(new GuestMemoryBuffer(k.cpu().memory(), mapping.va(), Mmu.PAGE_SIZE), codec, codec,
                () -> port.notifyRemote()).attach(0);
        // bind_interdomain leaves the new port pending, so the handler runs once at once and
        // finds whatever the peer queued before we were here.
        port = k.events().bindInterdomain(peer, remotePort, k.loop().deferred(p -> onEvent()));
        k.println(String.format("pingpong: accepted %s and %s of domain %d: ring mapped at 0x%x, local %s",
                ref, remotePort, peer.value(), mapping.va(), port.port()));
        port.notifyRemote();
        return done;
    }

    private void onEvent() {
        if (done.isDone()) {
            return;
        }
        try {
            do {
                while (ring.consumeRequest(request)) {
                    switch (request.op()) {
                        case PingpongMessage.OP_PING -> {
                            ring.produceResponse(response.answer(request));
                            answered++;
                        }
                        case PingpongMessage.OP_CLOSE -> {
                            ring.produceResponse(response.answer(request));
                            close();
                            return;
                        }
                        default -> {
                            fail("request with unknown op: " + request);
                            return;
                        }
                    }
                }
                ring.pushResponsesAndCheckNotify();
            } while (ring.finalCheckForRequests());
        } catch (RingOverflowException e) {
            fail("the peer broke the ring: " + e.getMessage());
        }
    }

    /** Answers the close request and lets go of the ring, in the order the peer relies on. */
    private void close() {
        ring.pushResponses();
        mapping.close();
        // Only now: the peer ends its grant when it sees this answer, and the page is unmapped.
        port.notifyRemote();
        port.close();
        k.println("pingpong: answered " + answered + " pings; ring unmapped, port closed");
        done.complete(answered);
    }

    private void fail(String reason) {
        port.close();
        mapping.close();
        done.fail(new IllegalStateException("pingpong: " + reason));
    }
}
