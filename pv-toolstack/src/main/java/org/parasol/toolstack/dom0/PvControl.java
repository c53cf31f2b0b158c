package org.parasol.toolstack.dom0;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.kernel.ShutdownRequest;
import org.parasol.guest.sched.Timer;
import org.parasol.toolstack.xenstore.XsException;
import org.parasol.toolstack.xenstore.XsPath;

/**
 * The toolstack's end of a domain's {@code control/shutdown} (libxl's "pvcontrol"): writing a
 * request for {@code xl shutdown} and {@code xl reboot}, and the timeout after which a domain
 * that has not shut down is destroyed, as the {@code xendomains} script destroys a guest that
 * ignored {@code xl shutdown -w} for {@code XENDOMAINS_STOP_MAXWAIT}.
 *
 * <pre>
 *  request(d, POWEROFF)                             the guest kernel (ShutdownWatcher)
 *    write control/shutdown = "poweroff" ------&gt;     reads it, writes "" (acknowledged)
 *    timer: now + shutdown_timeout                   application's cleanup
 *  watch fires: "" -&gt; "dN acknowledged poweroff"     SCHEDOP_shutdown(poweroff)
 *  VIRQ_DOM_EXC -&gt; reap: on_poweroff  -&gt;  forget(d): timer cancelled, watch removed
 *  ... or the timer first: still running -&gt; destroy(d)
 * </pre>
 *
 * <p>Every built domain's {@code control/shutdown} is watched from its introduction, so a
 * request any privileged store client writes (a tool on xenstored's socket, say) starts the
 * same timeout as dom0's own {@code xl shutdown}. The watch reads the value inside the change
 * that fired it, so a guest that acknowledges at once does not hide the request. The domain owns
 * the node and may write its own requests: that only asks for what it could do itself. A domain
 * has at most one timer (the first request's); nothing a guest writes makes more, and watch
 * events are handled in place without queuing work.
 *
 * <p>{@code suspend} is not timed out by destruction: as libxl cancels a suspend the guest did
 * not acknowledge, dom0 empties the node when the timeout runs out and the domain goes on.
 *
 * <p>Invariants: used on dom0's vCPU 0 only, as the store.
 */
final class PvControl {
    /** The timeout without {@code shutdown_timeout=}: libxl's 60 s wait for a guest's acknowledgement. */
    static final long DEFAULT_TIMEOUT_SECONDS = 60;
    /** The longest timeout dom0 takes: a day. */
    static final long MAX_TIMEOUT_SECONDS = 86_400;

    /** What dom0 does when a timeout runs out, and how it names domains. */
    interface Domains {
        /** The domain's name, or null when dom0 does not know it (any more). */
        String name(int domid);

        /** The timeout of {@code request} ran out and the domain is still there: act on it. */
        void timedOut(int domid, ShutdownRequest request);
    }

    /** One request being timed. */
    private static final class Pending {
        final ShutdownRequest request;
        final Timer timer;
        boolean acknowledged;

        Pending(ShutdownRequest request, Timer timer) {
            this.request = request;
            this.timer = timer;
        }
    }

    private final Kernel k;
    private final Dom0Xenstored xenstored;
    private final Duration timeout;
    private final Domains domains;
    private final Map<Integer, Pending> pending = new HashMap<>();

    PvControl(Kernel k, Dom0Xenstored xenstored, Duration timeout, Domains domains) {
        this.k = Objects.requireNonNull(k, "k");
        this.xenstored = Objects.requireNonNull(xenstored, "xenstored");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.domains = Objects.requireNonNull(domains, "domains");
    }

    /**
     * dom0's {@code shutdown_timeout=} on its command line: seconds ({@code 30}, {@code 30s}) or
     * milliseconds ({@code 250ms}), from 1 ms to a day; {@value #DEFAULT_TIMEOUT_SECONDS} s
     * without one.
     *
     * @throws IllegalArgumentException naming the word, for anything else
     */
    static Duration timeout(String cmdline) {
        Duration timeout = Duration.ofSeconds(DEFAULT_TIMEOUT_SECONDS);
        for (String word : cmdline.strip().split("\\s+")) {
            if (!word.startsWith("shutdown_timeout=")) {
                continue;
            }
            String v = word.substring("shutdown_timeout=".length());
            boolean ms = v.endsWith("ms");
            String digits = ms ? v.substring(0, v.length() - 2) : v.endsWith("s") ? v.substring(0, v.length() - 1) : v;
            if (digits.isEmpty() || digits.length() > 9 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw new IllegalArgumentException("shutdown_timeout=" + XlCommand.quote(v)
                        + ": a number of seconds, or of milliseconds with 'ms'");
            }
            long n = Long.parseLong(digits);
            timeout = ms ? Duration.ofMillis(n) : Duration.ofSeconds(n);
            if (timeout.isZero() || timeout.toSeconds() > MAX_TIMEOUT_SECONDS) {
                throw new IllegalArgumentException("shutdown_timeout=" + v + ": from 1 ms to a day");
            }
        }
        return timeout;
    }

    /** The timeout a request is given. */
    Duration timeout() {
        return timeout;
    }

    /** {@code /local/domain/<id>/control/shutdown}. */
    static String path(int domid) {
        return XsPath.domainPath(domid) + "/control/shutdown";
    }

    private static String token(int domid) {
        return "shutdown/" + domid;
    }

    /** Watches domain {@code domid}'s node, from its introduction until {@link #forget}. */
    void watch(int domid) throws XsException {
        xenstored.watch(path(domid), token(domid), changed -> noticed(domid));
    }

    /** The domain is gone or reaped: its timer and its watch go. */
    void forget(int domid) {
        Pending p = pending.remove(domid);
        if (p != null) {
            p.timer.cancel();
        }
        xenstored.unwatch(path(domid), token(domid));
    }

    /**
     * libxl's {@code libxl__domain_pvcontrol}: writes {@code request}'s word into the domain's
     * {@code control/shutdown} and starts its timeout (unless one runs already).
     *
     * @throws XsException if the store refuses the write
     */
    void request(int domid, ShutdownRequest request) throws XsException {
        xenstored.write(path(domid), request.word());
        // The watch fired inside the write and started the timeout; this is for a watch that
        // could not be registered.
        arm(domid, request);
    }

    /** The watch fired: inside the change, so the node holds what fired it. */
    private void noticed(int domid) {
        String value = xenstored.read(path(domid));
        if (value == null) {
            return; // removed: the domain's paths are going
        }
        Pending p = pending.get(domid);
        if (value.isEmpty()) {
            if (p != null && !p.acknowledged) {
                p.acknowledged = true;
                k.execute(() -> say(domid, "acknowledged " + p.request.word()));
            }
            return;
        }
        ShutdownRequest r = ShutdownRequest.of(value);
        if (r != null) {
            arm(domid, r);
        }
    }

    /**
     * Times {@code request}. The first request's timeout runs on through later ones, except
     * that a poweroff, halt or reboot replaces a pending suspend: a suspend's timeout only
     * takes the request back, so a guest that wrote {@code suspend} into its own node first
     * must not thereby outlive {@code xl shutdown}.
     */
    private void arm(int domid, ShutdownRequest request) {
        Pending p = pending.get(domid);
        if (p != null) {
            if (p.request != ShutdownRequest.SUSPEND || request == ShutdownRequest.SUSPEND) {
                return;
            }
            p.timer.cancel();
        }
        Timer t = k.after(timeout, () -> expired(domid));
        pending.put(domid, new Pending(request, t));
    }

    /** Whether domain {@code domid} is to be destroyed when a request's timeout runs out. */
    boolean isDestroyPending(int domid) {
        Pending p = pending.get(domid);
        return p != null && p.request != ShutdownRequest.SUSPEND;
    }

    private void expired(int domid) {
        Pending p = pending.remove(domid);
        if (p == null) {
            return;
        }
        if (p.request == ShutdownRequest.SUSPEND) {
            // libxl's domain_suspend_common_pvcontrol_suspending: not acknowledged in time, the
            // request is taken back (unless the guest acknowledged at the last moment).
            String now = xenstored.read(path(domid));
            if (ShutdownRequest.SUSPEND.word().equals(now)) {
                try {
                    xenstored.write(path(domid), "");
                    say(domid, "did not acknowledge suspend; request cancelled");
                } catch (XsException e) {
                    say(domid, "cannot cancel the suspend request: " + e.getMessage());
                }
            }
            return;
        }
        domains.timedOut(domid, p.request);
    }

    private void say(int domid, String what) {
        String name = domains.name(domid);
        if (name != null) {
            k.println("dom0: d" + domid + " (" + name + ") " + what);
        }
    }
}
