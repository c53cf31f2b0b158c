package org.parasol.examples.pingpong;

import java.util.List;

import org.parasol.drivers.ring.BackRing;
import org.parasol.drivers.ring.RingOverflowException;
import org.parasol.guest.event.EventDispatcher.BoundPort;
import org.parasol.guest.grant.GrantMapping;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.sched.Promise;
import org.parasol.guest.xenbus.Xenbus;
import org.parasol.guest.xenbus.XenbusTransaction;
import org.parasol.guest.xenbus.XenbusWatch;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GrantRef;
import org.parasol.hypercall.GuestMemoryBuffer;
import org.parasol.hypercall.Port;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.abi.XenbusState;

/**
 * The back end of the pingpong device — as in Xen, the end that runs in the driver domain,
 * finds its front end under its own {@code backend/} directory, maps the granted ring page,
 * binds to the front end's event channel, and answers requests.
 *
 * <pre>
 *  find:     watch backend/pingpong until dom0 adds a device there: &lt;front domid&gt;/&lt;devid&gt;;
 *            read frontend-id and frontend; watch &lt;frontend&gt;/state for the whole run;
 *            switch InitWait (2)
 *  connect:  front end Initialised (3): read ring-ref and event-channel; GNTTABOP_map_grant_ref
 *            (writable), BACK_RING_ATTACH at 0, EVTCHNOP_bind_interdomain; switch Connected (4)
 *  answer:   on each event: consume every request, produce its answer, push-and-check-notify,
 *            final check for requests before going idle
 *  close:    front end Closing (5): switch Closing, unmap the page and close the port, switch
 *            Closed (6); power off once the front end is Closed too (or gone)
 * </pre>
 *
 * <p>The front end is untrusted, and so is everything it writes: {@code ring-ref} and
 * {@code event-channel} are read as strict decimal numbers in range, a map or bind the
 * hypervisor refuses is reported with its errno, every request is copied out of the ring
 * before it is looked at, an impossible {@code req_prod} breaks the ring
 * ({@link RingOverflowException}), and a request with an unknown op ends the connection. Any
 * of those, a front end that goes before it connected, or no progress for the timeout
 * ({@link Watchdog}) ends the run: the back end unmaps what it mapped, switches Closed, and
 * fails (the domain crashes with the reason on its console).
 */
final class PongBack {
    private enum Phase {
        /** Waiting for dom0 to add a device under backend/pingpong. */
        FIND,
        /** InitWait: waiting for the front end to publish its ring. */
        WAIT_INITIALISED,
        /** Answering. */
        CONNECTED,
        /** Closed after the front end's Closing; waiting for the front end to close too. */
        WAIT_FRONT_CLOSED,
        /** Finished or failed. */
        DONE
    }

    private final Kernel k;
    private final Xenbus xb;
    private final int timeoutSeconds;
    private final PingpongMessage request = new PingpongMessage();
    private final PingpongMessage response = new PingpongMessage();
    private final Promise<Integer> done;
    private Phase phase = Phase.FIND;
    private Watchdog watchdog;
    private XenbusWatch discovery;
    private XenbusWatch otherEnd;
    private String dir;
    private String statePath;
    private DomId front;
    private String frontendPath;
    private GrantMapping mapping;
    private BoundPort port;
    private BackRing<PingpongMessage, PingpongMessage> ring;
    /** What the watchdog watches: steps of the handshake and requests answered. */
    private long progress;
    private int answered;

    PongBack(Kernel k, PingpongOptions options) {
        this.k = k;
        this.xb = k.xenbus();
        this.timeoutSeconds = options.timeoutSeconds();
        this.done = k.loop().promise();
    }

    /** Waits for a front end; the promise completes with the requests answered once both ends closed. */
    Promise<Integer> start() {
        watchdog = new Watchdog(k, timeoutSeconds, () -> progress, () -> fail(phase == Phase.FIND
                ? "no front end appeared under " + PingpongDevice.BACK_ROOT + " within " + timeoutSeconds + " s"
                : "the front end made no progress for " + timeoutSeconds + " s"));
        k.println("pingpong: back end, waiting for a front end under " + PingpongDevice.BACK_ROOT);
        // The watch fires once at once, then on every change below: each time, look again.
        discovery = xb.watch(PingpongDevice.BACK_ROOT, changed -> find());
        discovery.registered().whenDone((v, e) -> {
            if (e != null) {
                fail("cannot watch " + PingpongDevice.BACK_ROOT + ": " + e.getMessage());
            }
        });
        return done;
    }

    /** Lists backend/pingpong; the first front end with a device there is the one served. */
    private void find() {
        if (phase != Phase.FIND) {
            return;
        }
        xb.readOptional(XenbusTransaction.NONE, PingpongDevice.BACK_ROOT).then(exists -> exists.isEmpty()
                ? k.loop().<List<String>>completed(List.of()) : xb.directory(PingpongDevice.BACK_ROOT))
                .whenDone((fronts, e) -> {
                    if (phase != Phase.FIND) {
                        return;
                    }
                    if (e != null) {
                        fail("cannot list " + PingpongDevice.BACK_ROOT + ": " + e.getMessage());
                    } else if (!fronts.isEmpty()) {
                        String f = fronts.get(0);
                        xb.directory(PingpongDevice.BACK_ROOT + "/" + f).whenDone((devids, e2) -> {
                            if (phase == Phase.FIND && e2 == null && !devids.isEmpty()) {
                                serve(PingpongDevice.BACK_ROOT + "/" + f + "/" + devids.get(0), f);
                            }
                        });
                    }
                });
    }

    /** The device at {@code deviceDir} (dom0's): who the front end is, then InitWait. */
    private void serve(String deviceDir, String frontDir) {
        phase = Phase.WAIT_INITIALISED;
        progress++;
        discovery.unwatch();
        dir = deviceDir;
        statePath = dir + "/" + PingpongDevice.STATE;
        xb.read(dir + "/" + PingpongDevice.FRONTEND_ID).then(id -> {
            front = DomId.of(PingpongDevice.domid(PingpongDevice.FRONTEND_ID, id));
            if (!Integer.toString(front.value()).equals(frontDir)) {
                throw new IllegalArgumentException(PingpongDevice.FRONTEND_ID + " " + front.value()
                        + " is not the domain the device is filed under (" + frontDir + ")");
            }
            return xb.read(dir + "/" + PingpongDevice.FRONTEND);
        }).whenDone((path, failure) -> {
            if (failure != null) {
                fail("cannot read " + dir + ": " + failure.getMessage());
                return;
            }
            if (!path.startsWith("/local/domain/" + front.value() + "/")) {
                fail(PingpongDevice.FRONTEND + " '" + PingpongDevice.shorten(path) + "' is not in domain "
                        + front.value() + "'s directory");
                return;
            }
            frontendPath = path;
            k.println("pingpong: serving " + dir + " for domain " + front.value());
            String frontState = frontendPath + "/" + PingpongDevice.STATE;
            otherEnd = xb.watch(frontState, changed -> xb.readState(frontState).whenDone((s, e) -> {
                if (e != null) {
                    fail("cannot read the front end's state: " + e.getMessage());
                } else {
                    frontEndChanged(s);
                }
            }));
            otherEnd.registered().whenDone((v, e) -> {
                if (e != null) {
                    fail("cannot watch the front end's state: " + e.getMessage());
                }
            });
            xb.switchState(statePath, XenbusState.INIT_WAIT).whenDone((v, e) -> {
                if (e != null) {
                    fail("cannot switch InitWait: " + e.getMessage());
                }
            });
        });
    }

    /** Linux's {@code frontend_changed}: what the front end's new state means in this phase. */
    private void frontEndChanged(XenbusState s) {
        switch (phase) {
            case WAIT_INITIALISED -> {
                if (PingpongDevice.gone(s)) {
                    fail("the front end went " + PingpongDevice.describe(s) + " before it published its ring");
                } else if (s == XenbusState.INITIALISED || s == XenbusState.CONNECTED) {
                    connect();
                }
            }
            case CONNECTED -> {
                if (s == XenbusState.CLOSING || s == XenbusState.CLOSED) {
                    close(s);
                } else if (s == XenbusState.UNKNOWN) {
                    fail("the front end vanished after " + answered + " pings");
                }
            }
            case WAIT_FRONT_CLOSED -> {
                if (s == XenbusState.CLOSED || s == XenbusState.UNKNOWN) {
                    finish();
                }
            }
            case FIND, DONE -> {
                // nothing to do
            }
        }
    }

    /** Reads what the front end published, maps, binds, and switches Connected. */
    private void connect() {
        phase = Phase.CONNECTED;
        progress++;
        String[] ref = new String[1];
        xb.read(frontendPath + "/" + PingpongDevice.RING_REF).then(r -> {
            ref[0] = r;
            return xb.read(frontendPath + "/" + PingpongDevice.EVENT_CHANNEL);
        }).whenDone((evtchn, failure) -> {
            if (failure != null) {
                fail("the front end's ring: " + failure.getMessage());
                return;
            }
            try {
                attach(ref[0], evtchn);
            } catch (RuntimeException e) {
                // A number out of range, a grant the hypervisor refuses to map, a port it refuses to bind.
                fail("the front end's ring: " + e.getMessage());
                return;
            }
            xb.switchState(statePath, XenbusState.CONNECTED).whenDone((v, e) -> {
                if (e != null) {
                    fail("cannot switch Connected: " + e.getMessage());
                }
            });
        });
    }

    private void attach(String refValue, String evtchnValue) {
        GrantRef ref = GrantRef.of((int) PingpongDevice.number(PingpongDevice.RING_REF, refValue, 0, Integer.MAX_VALUE));
        Port remotePort = Port.of((int) PingpongDevice.number(PingpongDevice.EVENT_CHANNEL, evtchnValue, 1,
                PingpongDevice.PORT_LIMIT - 1));
        mapping = k.grantMapper().map(front, ref, false);
        PingpongCodec codec = new PingpongCodec();
        ring = new BackRing<>(new GuestMemoryBuffer(k.cpu().memory(), mapping.va(), Mmu.PAGE_SIZE), codec, codec,
                () -> port.notifyRemote()).attach(0);
        // bind_interdomain leaves the new port pending, so the handler runs once at once and
        // finds whatever the front end queued before we were here.
        port = k.events().bindInterdomain(front, remotePort, k.loop().deferred(p -> onEvent()));
        k.println(String.format("pingpong: mapped %s of domain %d at 0x%x, bound its %s as local %s; Connected", ref,
                front.value(), mapping.va(), remotePort, port.port()));
    }

    private void onEvent() {
        if (phase != Phase.CONNECTED) {
            return;
        }
        try {
            do {
                while (ring.consumeRequest(request)) {
                    if (request.op() != PingpongMessage.OP_PING) {
                        fail("request with unknown op: " + request);
                        return;
                    }
                    ring.produceResponse(response.answer(request));
                    answered++;
                    progress++;
                }
                ring.pushResponsesAndCheckNotify();
            } while (ring.finalCheckForRequests());
        } catch (RingOverflowException e) {
            fail("the front end broke the ring: " + e.getMessage());
        }
    }

    /**
     * The front end is closing: Linux's back end order — Closing, let go of the ring (unmap the
     * page, close the port), Closed; the front end ends its grant once it sees Closed.
     */
    private void close(XenbusState frontState) {
        phase = Phase.WAIT_FRONT_CLOSED;
        progress++;
        xb.switchState(statePath, XenbusState.CLOSING).then(v -> {
            letGo();
            k.println("pingpong: answered " + answered + " pings; ring unmapped, port closed");
            return xb.switchState(statePath, XenbusState.CLOSED);
        }).whenDone((v, e) -> {
            if (e != null) {
                fail("cannot switch Closed: " + e.getMessage());
            } else if (frontState == XenbusState.CLOSED) {
                finish();
            }
        });
    }

    /** Both ends closed. */
    private void finish() {
        if (phase == Phase.DONE) {
            return;
        }
        phase = Phase.DONE;
        watchdog.stop();
        otherEnd.unwatch();
        letGo(); // already done, unless the front end went Closed before our Closed was written
        done.complete(answered);
    }

    private void letGo() {
        if (port != null) {
            port.close();
        }
        if (mapping != null) {
            mapping.close();
        }
    }

    /** Lets go of the ring, switches Closed so the front end hears of it, then fails the run. */
    private void fail(String reason) {
        if (phase == Phase.DONE) {
            return;
        }
        phase = Phase.DONE;
        watchdog.stop();
        if (discovery != null) {
            discovery.unwatch();
        }
        if (otherEnd != null) {
            otherEnd.unwatch();
        }
        letGo();
        IllegalStateException failure = new IllegalStateException("pingpong: " + reason);
        if (statePath == null) {
            done.fail(failure);
            return;
        }
        xb.switchState(statePath, XenbusState.CLOSED).whenDone((v, e) -> done.fail(failure));
    }
}
