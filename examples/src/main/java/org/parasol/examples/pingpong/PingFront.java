package org.parasol.examples.pingpong;

import org.parasol.drivers.ring.FrontRing;
import org.parasol.drivers.ring.RingOverflowException;
import org.parasol.examples.stats.LatencySummary;
import org.parasol.guest.event.EventDispatcher.BoundPort;
import org.parasol.guest.grant.GrantedPage;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.mm.PageRun;
import org.parasol.guest.sched.Promise;
import org.parasol.guest.xenbus.Xenbus;
import org.parasol.guest.xenbus.XenbusWatch;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GuestMemoryBuffer;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.abi.XenbusState;

/**
 * The front end of the pingpong device — as in Xen, the end that allocates the ring page,
 * grants it and allocates the event channel, publishes both in the store, then sends requests.
 *
 * <pre>
 *  find:      device/pingpong/0: backend-id, backend (the back end's directory, dom0 wrote them);
 *             watch &lt;backend&gt;/state for the whole run (Linux's otherend watch)
 *  connect:   back end >= InitWait: allocate a page, SHARED_RING_INIT it, grant it to the back
 *             end (writable), EVTCHNOP_alloc_unbound for it; in one transaction (again on
 *             EAGAIN) ring-ref and event-channel; switch Initialised (3)
 *  pingpong:  back end Connected: switch Connected (4); one request outstanding at a time:
 *             stamp, produce, push-and-check-notify; on the response's event: consume, check,
 *             record now - stamp
 *  close:     after the last answer switch Closing (5); the back end unmaps and goes Closing,
 *             then Closed (6); then close the port, end the grant (nothing maps it any more),
 *             free the page, switch Closed (6), print the percentiles, power off
 * </pre>
 *
 * <p>Latency is the kernel's monotonic system time from just before a request is pushed to
 * just after its response is consumed: two event-channel notifications, two wake-ups of a
 * blocked vCPU and a pass through each domain's run loop. Between events both vCPUs block in
 * their run loops.
 *
 * <p>The back end is untrusted: its state may skip, go back or vanish (dom0 removes its entry
 * when it dies), and its responses are checked against what is outstanding. A state that says
 * the back end is going (Closing, Closed, Unknown) before the run is over, a wrong response, or
 * no progress for the timeout ({@link Watchdog}) ends the run: the front end lets go of the
 * ring, switches Closed and fails (the domain crashes with the reason on its console).
 */
final class PingFront {
    private enum Phase {
        /** Waiting for the back end to reach InitWait. */
        WAIT_BACK_END,
        /** Ring and channel published; waiting for the back end to connect. */
        WAIT_CONNECTED,
        /** Round trips. */
        RUNNING,
        /** Switched Closing after the last answer; waiting for the back end to let go. */
        CLOSING,
        /** Finished or failed. */
        DONE
    }

    private final Kernel k;
    private final Xenbus xb;
    private final int rounds;
    private final int timeoutSeconds;
    private final long[] latencies;
    private final PingpongMessage request = new PingpongMessage();
    private final PingpongMessage response = new PingpongMessage();
    private final Promise<LatencySummary> done;
    private final String statePath = PingpongDevice.FRONT_DIR + "/" + PingpongDevice.STATE;
    private Phase phase = Phase.WAIT_BACK_END;
    private DomId backId;
    private String backendPath;
    private XenbusWatch otherEnd;
    private Watchdog watchdog;
    private PageRun page;
    private GrantedPage grant;
    private BoundPort port;
    private FrontRing<PingpongMessage, PingpongMessage> ring;
    /** What the watchdog watches: steps of the handshake and answers taken (not mere state flaps of the back end). */
    private long progress;
    private int sent;
    private int answered;
    private long sentAt;
    private long startedAt;
    private long elapsed;

    PingFront(Kernel k, PingpongOptions options) {
        this.k = k;
        this.xb = k.xenbus();
        this.rounds = options.rounds();
        this.timeoutSeconds = options.timeoutSeconds();
        this.latencies = new long[rounds];
        this.done = k.loop().promise();
    }

    /** Finds the back end and follows its state; the promise completes once both ends closed. */
    Promise<LatencySummary> start() {
        watchdog = new Watchdog(k, timeoutSeconds, () -> progress, () -> fail("the back end made no progress for "
                + timeoutSeconds + " s (" + phaseName() + ")"));
        xb.read(PingpongDevice.FRONT_DIR + "/" + PingpongDevice.BACKEND_ID).then(id -> {
            backId = DomId.of(PingpongDevice.domid(PingpongDevice.BACKEND_ID, id));
            return xb.read(PingpongDevice.FRONT_DIR + "/" + PingpongDevice.BACKEND);
        }).whenDone((path, failure) -> {
            if (failure != null) {
                fail("cannot read " + PingpongDevice.FRONT_DIR + ": " + failure.getMessage());
                return;
            }
            if (!path.startsWith("/local/domain/" + backId.value() + "/")) {
                fail(PingpongDevice.BACKEND + " '" + PingpongDevice.shorten(path) + "' is not in domain "
                        + backId.value() + "'s directory");
                return;
            }
            backendPath = path;
            k.println("pingpong: front end of " + PingpongDevice.FRONT_DIR + ", served by domain " + backId.value()
                    + "; " + rounds + " round trips, one at a time");
            String backState = backendPath + "/" + PingpongDevice.STATE;
            otherEnd = xb.watch(backState, changed -> xb.readState(backState).whenDone((s, e) -> {
                if (e != null) {
                    fail("cannot read the back end's state: " + e.getMessage());
                } else {
                    backEndChanged(s);
                }
            }));
            otherEnd.registered().whenDone((v, e) -> {
                if (e != null) {
                    fail("cannot watch the back end's state: " + e.getMessage());
                }
            });
        });
        return done;
    }

    /** Linux's {@code backend_changed}: what the back end's new state means in this phase. */
    private void backEndChanged(XenbusState s) {
        switch (phase) {
            case WAIT_BACK_END -> {
                if (PingpongDevice.gone(s)) {
                    fail("the back end went " + PingpongDevice.describe(s) + " before it was ready");
                } else if (s.wire() >= XenbusState.INIT_WAIT.wire()) {
                    connect();
                }
            }
            case WAIT_CONNECTED -> {
                if (PingpongDevice.gone(s)) {
                    fail("the back end went " + PingpongDevice.describe(s) + " instead of Connected");
                } else if (s == XenbusState.CONNECTED) {
                    phase = Phase.RUNNING;
                    progress++;
                    xb.switchState(statePath, XenbusState.CONNECTED);
                    startedAt = k.now();
                    sendPing();
                }
            }
            case RUNNING -> {
                if (s != XenbusState.CONNECTED) {
                    fail("the back end went " + PingpongDevice.describe(s) + " after " + answered + " answers");
                }
            }
            case CLOSING -> {
                if (s == XenbusState.CLOSED) {
                    closed();
                } else if (s == XenbusState.UNKNOWN) {
                    fail("the back end vanished while closing");
                }
            }
            case DONE -> {
                // nothing more to do
            }
        }
    }

    /**
     * The ring page and the channel, published: SHARED_RING_INIT before the grant, so the back
     * end never maps a page that is not a ring; ring-ref and event-channel in one transaction,
     * then Initialised.
     */
    private void connect() {
        phase = Phase.WAIT_CONNECTED;
        progress++;
        page = k.memory().allocatePages(1);
        PingpongCodec codec = new PingpongCodec();
        ring = new FrontRing<>(new GuestMemoryBuffer(k.cpu().memory(), page.va(), Mmu.PAGE_SIZE), codec, codec,
                () -> port.notifyRemote()).init();
        grant = k.grants().grantAccess(backId, k.memory().mfn(page.pfn()), false);
        port = k.events().allocUnbound(backId, k.loop().deferred(p -> onEvent()));
        String ref = Integer.toString(grant.ref().value());
        String evtchn = Integer.toString(port.port().value());
        xb.transaction(tx -> xb.write(tx, PingpongDevice.FRONT_DIR + "/" + PingpongDevice.RING_REF, ref)
                .then(v -> xb.write(tx, PingpongDevice.FRONT_DIR + "/" + PingpongDevice.EVENT_CHANNEL, evtchn)))
                .then(v -> xb.switchState(statePath, XenbusState.INITIALISED))
                .whenDone((v, e) -> {
                    if (e != null) {
                        fail("cannot publish the ring: " + e.getMessage());
                    } else {
                        k.println("pingpong: published ring-ref " + ref + " and event-channel " + evtchn
                                + "; Initialised");
                    }
                });
    }

    private void onEvent() {
        if (phase != Phase.RUNNING) {
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
            fail("the back end broke the ring: " + e.getMessage());
        }
    }

    /** Checks and takes one response; false once the round trips are over. */
    private boolean handle(PingpongMessage rsp) {
        long now = k.now();
        if (rsp.op() != PingpongMessage.OP_PING || rsp.id() != sent - 1 || rsp.stamp() != sentAt || answered == sent) {
            fail("expected the answer to ping " + (sent - 1) + ", got " + rsp);
            return false;
        }
        latencies[answered++] = now - sentAt;
        progress++;
        if (answered < rounds) {
            sendPing();
            return true;
        }
        // The last answer: the round trips are over; the handshake closes the device.
        elapsed = now - startedAt;
        phase = Phase.CLOSING;
        progress++;
        xb.switchState(statePath, XenbusState.CLOSING).whenDone((v, e) -> {
            if (e != null) {
                fail("cannot switch Closing: " + e.getMessage());
            }
        });
        return false;
    }

    private void sendPing() {
        sentAt = k.now();
        ring.produceRequest(request.set(PingpongMessage.OP_PING, sent++, sentAt));
        ring.pushRequestsAndCheckNotify();
    }

    /** The back end is Closed, its mapping gone: end access, switch Closed, report. */
    private void closed() {
        phase = Phase.DONE;
        boolean ended = letGo();
        xb.switchState(statePath, XenbusState.CLOSED).whenDone((v, e) -> {
            watchdog.stop();
            otherEnd.unwatch();
            if (e != null) {
                done.fail(new IllegalStateException("pingpong: cannot switch Closed: " + e.getMessage()));
                return;
            }
            LatencySummary s = LatencySummary.of(latencies, answered);
            if (!ended) {
                k.println("pingpong: " + grant.ref() + " is still mapped by domain " + backId.value()
                        + "; its end is deferred");
            }
            k.println(String.format("pingpong: %d round trips in %.1f ms: %s", s.count(), elapsed / 1e6,
                    s.percentiles()));
            done.complete(s);
        });
    }

    /**
     * The connect in reverse: the port, the grant, the page. The page goes back to the
     * allocator only if the end of access succeeded; if the back end still maps it, the kernel
     * retries the end on a timer and the page stays out of the allocator, since the back end may
     * still write it.
     *
     * @return whether the grant ended (or there was none)
     */
    private boolean letGo() {
        if (port != null) {
            port.close();
        }
        if (grant == null) {
            return true;
        }
        if (grant.endAccess()) {
            k.memory().freePages(page);
            return true;
        }
        return false;
    }

    /** Lets go of what it holds, switches Closed so the back end hears of it, then fails the run. */
    private void fail(String reason) {
        if (phase == Phase.DONE) {
            return;
        }
        phase = Phase.DONE;
        watchdog.stop();
        if (otherEnd != null) {
            otherEnd.unwatch();
        }
        letGo();
        IllegalStateException failure = new IllegalStateException("pingpong: " + reason);
        xb.switchState(statePath, XenbusState.CLOSED).whenDone((v, e) -> done.fail(failure));
    }

    private String phaseName() {
        return switch (phase) {
            case WAIT_BACK_END -> "waiting for it to reach InitWait";
            case WAIT_CONNECTED -> "waiting for it to connect";
            case RUNNING -> "after " + answered + " answers";
            case CLOSING -> "waiting for it to close";
            case DONE -> "done";
        };
    }
}
