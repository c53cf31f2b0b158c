package org.parasol.examples.pingpong;

import java.util.function.LongSupplier;

import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.sched.Timer;

/**
 * Bounds how long an end waits for its peer: a timer on the run loop samples a progress count
 * (answers, requests, state changes: whatever the end counts anyway) every quarter of the
 * limit, and when the count has not moved for the whole limit, runs the expiry action once. A
 * peer that stops answering, or never connects, ends the run with a message instead of a hang.
 *
 * <p>Costs the hot path nothing: the end only counts, the watchdog reads the count a few times
 * per limit.
 */
final class Watchdog {
    private final Kernel k;
    private final long limitNanos;
    private final LongSupplier progress;
    private final Runnable expired;
    private long seen;
    private long movedAt;
    private Timer timer;
    private boolean stopped;

    /** Starts watching {@code progress}; {@code expired} runs if it stands still for {@code limitSeconds}. */
    Watchdog(Kernel k, int limitSeconds, LongSupplier progress, Runnable expired) {
        this.k = k;
        this.limitNanos = limitSeconds * 1_000_000_000L;
        this.progress = progress;
        this.expired = expired;
        this.seen = progress.getAsLong();
        this.movedAt = k.now();
        arm();
    }

    private void arm() {
        timer = k.loop().at(k.now() + limitNanos / 4, this::check);
    }

    private void check() {
        if (stopped) {
            return;
        }
        long now = k.now();
        long p = progress.getAsLong();
        if (p != seen) {
            seen = p;
            movedAt = now;
        } else if (now - movedAt >= limitNanos) {
            stopped = true;
            expired.run();
            return;
        }
        arm();
    }

    /** Stops it for good. */
    void stop() {
        stopped = true;
        if (timer != null) {
            timer.cancel();
        }
    }
}
