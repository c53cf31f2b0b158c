package org.parasol.guest.xenbus;

import org.parasol.guest.sched.Promise;

/**
 * A watch registered through {@link Xenbus#watch}: its path, the token xenstored echoes in each
 * event, and the promise of xenstored's acknowledgement. {@link #unwatch} ends it.
 */
public final class XenbusWatch {
    private final Xenbus xenbus;
    private final String path;
    private final String token;
    private final WatchCallback callback;
    private final Promise<Void> registered;
    private boolean active = true;

    XenbusWatch(Xenbus xenbus, String path, String token, WatchCallback callback, Promise<Void> registered) {
        this.xenbus = xenbus;
        this.path = path;
        this.token = token;
        this.callback = callback;
        this.registered = registered;
    }

    /** The watched path, as given. */
    public String path() {
        return path;
    }

    /** The token that tells this watch's events from others'. */
    public String token() {
        return token;
    }

    /**
     * Completes when xenstored acknowledged the watch ({@code XS_WATCH} answered {@code OK});
     * fails with its error ({@code E2BIG} past the watch quota, {@code EACCES}, ...), and then
     * the watch is gone.
     */
    public Promise<Void> registered() {
        return registered;
    }

    /** Whether events still reach the callback. */
    public boolean isActive() {
        return active;
    }

    /**
     * Stops the callback at once and sends {@code XS_UNWATCH}; the promise completes when
     * xenstored acknowledged it. Calling it again completes at once.
     */
    public Promise<Void> unwatch() {
        return xenbus.unwatch(this);
    }

    WatchCallback callback() {
        return callback;
    }

    boolean deactivate() {
        boolean was = active;
        active = false;
        return was;
    }

    @Override
    public String toString() {
        return "watch on " + path + " (" + token + ")";
    }
}
