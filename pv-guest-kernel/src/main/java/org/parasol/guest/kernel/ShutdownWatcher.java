package org.parasol.guest.kernel;

import java.util.Objects;

import org.parasol.guest.sched.Promise;
import org.parasol.guest.sched.RunLoop;
import org.parasol.guest.xenbus.Xenbus;
import org.parasol.guest.xenbus.XenbusTransaction;
import org.parasol.guest.xenbus.XenbusWatch;

/**
 * The kernel's end of the toolstack's shutdown requests, as Linux's {@code drivers/xen/manage.c}
 * has it: a watch on the domain's own {@code control/shutdown}; when it fires, the value is read
 * and, if it names a request this kernel handles, acknowledged by writing {@code ""} in the same
 * transaction; once the transaction committed, the application is asked
 * ({@link GuestApplication#onShutdownRequest}) and, when its cleanup is done, the domain shuts
 * down with the request's reason.
 *
 * <pre>
 *  toolstack (dom0)                       control/shutdown        this kernel
 *  xl shutdown d  --- write "poweroff" --&gt;  "poweroff"  --watch--&gt;  transaction:
 *                                                                    read "poweroff"
 *                                          ""           &lt;--------    write "" (the acknowledgement)
 *                                                                  commit (EAGAIN: again)
 *                                                                  app.onShutdownRequest(POWEROFF)
 *                                                                    ... its promise completes ...
 *  VIRQ_DOM_EXC, on_poweroff  &lt;-------------------------------------  SCHEDOP_shutdown(poweroff)
 * </pre>
 *
 * <p>At {@link #start} it advertises what it handles, as Linux does at
 * {@code setup_shutdown_watcher}: {@code control/feature-poweroff} = 1 and
 * {@code control/feature-reboot} = 1, and {@code feature-suspend} = 1 only for a kernel that can
 * suspend and be resumed ({@code halt} is handled and never advertised). A request it does not
 * handle (any other value, or {@code suspend} when it cannot suspend, which is what a Linux
 * built without {@code CONFIG_HIBERNATE_CALLBACKS} does) is left unacknowledged in the node, and
 * the kernel says {@code Ignoring shutdown request: <value>} on its console; the toolstack's own
 * timeout decides what follows. An empty value, a missing node or a read that fails is ignored
 * (the watch's first event, at registration, reads the empty node the toolstack made).
 *
 * <p>Once a request was taken, later ones are ignored ({@code shutting_down} in Linux): the
 * first request decides the reason. The hook's promise failing, or the hook throwing, does not
 * keep the domain up: the kernel prints the failure and shuts down with the requested reason.
 *
 * <p>Invariants: used on the run loop's vCPU only; nothing here waits, and a kernel without a
 * store never makes one (the kernel starts it only when {@code start_info} names a store).
 */
public final class ShutdownWatcher {
    /** The node, relative to the domain's home {@code /local/domain/<id>}. */
    public static final String CONTROL_SHUTDOWN = "control/shutdown";
    /** Where the features go, relative to the home. */
    public static final String CONTROL = "control";
    /** The longest value quoted on the console when a request is ignored. */
    static final int QUOTE_MAX = 64;

    /** What the watcher does with a request it took. */
    public interface Actions {
        /**
         * Asks the application for its cleanup: a promise the shutdown waits for, or null for
         * none. Called once, on the run loop.
         */
        Promise<?> request(ShutdownRequest request);

        /** Shuts the domain down with {@code reason} ({@code SCHEDOP_shutdown}); need not return. */
        void shutdown(int reason);

        /** A line for the console. */
        void log(String line);
    }

    private final Xenbus xenbus;
    private final RunLoop loop;
    private final boolean canSuspend;
    private final Actions actions;
    private XenbusWatch watch;
    /** The request taken, once one was: Linux's {@code shutting_down}. */
    private ShutdownRequest taken;
    /** Whether a read of the node is under way; a watch event meanwhile asks for one more. */
    private boolean reading;
    private boolean readAgain;

    /**
     * A watcher over {@code xenbus} on {@code loop}; {@code canSuspend} says whether the kernel
     * handles {@code suspend} (and advertises {@code feature-suspend}).
     */
    public ShutdownWatcher(Xenbus xenbus, RunLoop loop, boolean canSuspend, Actions actions) {
        this.xenbus = Objects.requireNonNull(xenbus, "xenbus");
        this.loop = Objects.requireNonNull(loop, "loop");
        this.canSuspend = canSuspend;
        this.actions = Objects.requireNonNull(actions, "actions");
    }

    /**
     * Advertises the features and registers the watch. The promise completes when xenstored has
     * acknowledged the watch; it fails (and the kernel says so) if it refused it.
     */
    public Promise<Void> start() {
        if (watch != null) {
            throw new IllegalStateException("already started");
        }
        xenbus.write(CONTROL + "/feature-poweroff", "1");
        xenbus.write(CONTROL + "/feature-reboot", "1");
        if (canSuspend) {
            xenbus.write(CONTROL + "/feature-suspend", "1");
        }
        watch = xenbus.watch(CONTROL_SHUTDOWN, path -> fired());
        Promise<Void> registered = loop.promise();
        watch.registered().whenDone((v, e) -> {
            if (e != null) {
                actions.log("xenbus: cannot watch " + CONTROL_SHUTDOWN + " (" + e.getMessage()
                        + "); the toolstack's shutdown requests will not be heard");
                registered.fail(e);
            } else {
                registered.complete(null);
            }
        });
        return registered;
    }

    /** The request taken, or null while none was. */
    public ShutdownRequest taken() {
        return taken;
    }

    /**
     * The watch fired: read the node in a transaction and acknowledge what it names, as
     * Linux's {@code shutdown_handler}. Events that arrive while a read is under way are
     * folded into one more read after it, so a flood of writes costs at most two reads.
     */
    void fired() {
        if (taken != null) {
            return;
        }
        if (reading) {
            readAgain = true;
            return;
        }
        reading = true;
        // Only requests this kernel handles are acknowledged; the commit may meet EAGAIN (the
        // toolstack wrote again meanwhile), and then the whole body runs again.
        xenbus.transaction(tx -> xenbus.readOptional(tx, CONTROL_SHUTDOWN).then(value -> {
            String v = value.orElse("");
            ShutdownRequest r = handled(v);
            if (r == null) {
                return loop.completed(v);
            }
            // As Linux, a failed acknowledgement does not stop the request: the toolstack's
            // timeout covers a node the domain cannot write.
            Promise<String> acked = loop.promise();
            xenbus.write(tx, CONTROL_SHUTDOWN, "").whenDone((x, e) -> acked.complete(v));
            return acked;
        })).whenDone((v, failure) -> {
            reading = false;
            if (failure == null && taken == null) {
                act(v);
            }
            if (readAgain && taken == null) {
                readAgain = false;
                fired();
            }
        });
    }

    private ShutdownRequest handled(String value) {
        ShutdownRequest r = ShutdownRequest.of(value);
        return r == ShutdownRequest.SUSPEND && !canSuspend ? null : r;
    }

    private void act(String value) {
        if (value.isEmpty()) {
            return; // an empty read: nothing asked, or our own acknowledgement
        }
        ShutdownRequest r = handled(value);
        if (r == null) {
            actions.log("Ignoring shutdown request: " + quote(value));
            return;
        }
        taken = r;
        actions.log("xen: shutdown request from the toolstack: " + r.word());
        Promise<?> cleanup;
        try {
            cleanup = actions.request(r);
        } catch (RuntimeException e) {
            actions.log("xen: the application's shutdown hook failed: " + e + "; shutting down");
            actions.shutdown(r.reason());
            return;
        }
        if (cleanup == null) {
            actions.shutdown(r.reason());
            return;
        }
        cleanup.whenDone((x, failure) -> {
            if (failure != null) {
                actions.log("xen: the application's shutdown hook failed: " + failure + "; shutting down");
            }
            actions.shutdown(r.reason());
        });
    }

    /** At most {@value #QUOTE_MAX} characters of {@code value}, printable ASCII only. */
    static String quote(String value) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < value.length() && sb.length() < QUOTE_MAX; i++) {
            char c = value.charAt(i);
            sb.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return value.length() > QUOTE_MAX ? sb + "..." : sb.toString();
    }
}
