package org.parasol.examples.pingpong;

import java.time.Duration;

import org.parasol.guest.event.EventDispatcher.BoundPort;
import org.parasol.guest.grant.GrantedPage;
import org.parasol.guest.kernel.ApplicationKernel;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.mm.PageRun;
import org.parasol.guest.sched.Promise;
import org.parasol.guest.sched.Timer;
import org.parasol.guest.xenbus.Xenbus;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.abi.XenbusState;

/**
 * pingpong-liar: a pingpong front end that lies to its back end on purpose, to show that a
 * hostile front end makes the back end fail cleanly (a message, its ring let go, Closed) rather
 * than hang or take anything down with it. It waits for the back end's InitWait, publishes
 * what {@code lie=} says and switches Initialised, then waits for the back end's answer:
 *
 * <pre>
 *  lie=ring-ref   ring-ref "banana" (not a number), a real event channel
 *  lie=grant      ring-ref 100, a reference this domain never granted, a real event channel
 *  lie=port       a real ring-ref, event-channel 4095 (no port of this domain)
 *  lie=no-ring    Initialised without publishing anything
 * </pre>
 *
 * <p>A back end that goes Closing, Closed or away refused the lie: the liar prints which state
 * it saw, lets go of what it granted, switches Closed and powers off. A back end that goes
 * Connected believed it: the liar crashes with that message. {@code parasol run pingpong-liar}
 * builds it beside a pingpong back end ({@code pingpong-liar.launch}).
 *
 * <p>Expected console output for {@code lie=ring-ref} (ids vary):
 * <pre>
 * [liar] pingpong-liar: lying to domain 1: ring-ref 'banana'
 * [pong] *** guest crash: java.lang.IllegalStateException: pingpong: the front end's ring: ring-ref 'banana' is not a decimal number
 * [liar] pingpong-liar: the back end answered the lie with Closed (6)
 * </pre>
 */
public final class PingpongLiarKernel extends ApplicationKernel {
    private static final String TAG = "pingpong-liar: ";

    private Kernel k;
    private Xenbus xb;
    private DomId back;
    private PageRun page;
    private GrantedPage grant;
    private BoundPort port;

    /** The kernel class an image names needs a public no-argument constructor. */
    public PingpongLiarKernel() {
    }

    @Override
    public Promise<?> main(Kernel kernel) {
        this.k = kernel;
        this.xb = k.xenbus();
        PingpongOptions options = PingpongOptions.parse(k.commandLine());
        String lie = options.lie();
        String dir = PingpongDevice.FRONT_DIR;
        String[] backState = new String[1];
        Promise<String> result = xb.read(dir + "/" + PingpongDevice.BACKEND_ID).then(id -> {
            back = DomId.of(PingpongDevice.domid(PingpongDevice.BACKEND_ID, id));
            return xb.read(dir + "/" + PingpongDevice.BACKEND);
        }).then(backend -> {
            backState[0] = backend + "/" + PingpongDevice.STATE;
            return xb.waitForState(backState[0], s -> s.wire() >= XenbusState.INIT_WAIT.wire()
                    || s == XenbusState.UNKNOWN);
        }).then(s -> publish(lie))
                .then(v -> xb.switchState(dir + "/" + PingpongDevice.STATE, XenbusState.INITIALISED))
                .then(v -> xb.waitForState(backState[0], s -> s == XenbusState.CONNECTED || PingpongDevice.gone(s)))
                .map(s -> {
                    if (s == XenbusState.CONNECTED) {
                        throw new IllegalStateException("pingpong-liar: the back end believed the lie '" + lie + "'");
                    }
                    return PingpongDevice.describe(s);
                });
        Promise<Void> done = k.loop().promise();
        Timer timeout = k.after(Duration.ofSeconds(options.timeoutSeconds()), () -> done.fail(new IllegalStateException(
                "pingpong-liar: the back end did not answer within " + options.timeoutSeconds() + " s")));
        result.whenDone((state, failure) -> {
            timeout.cancel();
            letGo();
            if (failure != null) {
                done.fail(failure);
                return;
            }
            k.println(TAG + "the back end answered the lie with " + state);
            xb.switchState(dir + "/" + PingpongDevice.STATE, XenbusState.CLOSED).whenDone((v, e) -> {
                if (e != null) {
                    done.fail(e);
                } else {
                    done.complete(null);
                }
            });
        });
        return done;
    }

    /** Writes the lie (and whatever true part goes with it) in one transaction. */
    private Promise<Void> publish(String lie) {
        String ringRef;
        String evtchn;
        switch (lie) {
            case "ring-ref" -> {
                ringRef = "banana";
                evtchn = realPort();
            }
            case "grant" -> {
                ringRef = "100";
                evtchn = realPort();
            }
            case "port" -> {
                ringRef = realGrant();
                evtchn = "4095";
            }
            case "no-ring" -> {
                ringRef = null;
                evtchn = null;
            }
            default -> throw new IllegalArgumentException("pingpong-liar: lie=" + lie
                    + " is not ring-ref, grant, port or no-ring");
        }
        k.println(TAG + "lying to domain " + back.value() + ": " + (ringRef == null ? "no ring-ref, no event-channel"
                : "ring-ref '" + ringRef + "', event-channel '" + evtchn + "'"));
        if (ringRef == null) {
            return k.loop().completed(null);
        }
        String dir = PingpongDevice.FRONT_DIR;
        return xb.transaction(tx -> xb.write(tx, dir + "/" + PingpongDevice.RING_REF, ringRef)
                .then(v -> xb.write(tx, dir + "/" + PingpongDevice.EVENT_CHANNEL, evtchn)));
    }

    private String realPort() {
        port = k.events().allocUnbound(back, p -> { });
        return Integer.toString(port.port().value());
    }

    private String realGrant() {
        page = k.memory().allocatePages(1);
        grant = k.grants().grantAccess(back, k.memory().mfn(page.pfn()), false);
        return Integer.toString(grant.ref().value());
    }

    private void letGo() {
        if (port != null) {
            port.close();
        }
        if (grant != null && grant.endAccess()) {
            k.memory().freePages(page);
        }
    }
}
