package org.parasol.hypervisor.time;

import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * A clock that moves only when told to: the injectable clock of tests. Advancing it runs
 * every timer that fell due, on the advancing thread, before {@link #advance} returns.
 */
public final class ManualClock implements Clock {
    private final AtomicLong now;
    private final long epochAtOrigin;
    private final CopyOnWriteArrayList<LongConsumer> listeners = new CopyOnWriteArrayList<>();

    /** A clock that starts at {@code start} nanoseconds, with 2026-01-01T00:00Z at origin. */
    public ManualClock(long start) {
        this.now = new AtomicLong(start);
        this.epochAtOrigin = 1_767_225_600L * 1_000_000_000L;
    }

    /** A clock that starts at one second (so that system time 0 is never "now"). */
    public ManualClock() {
        this(1_000_000_000L);
    }

    @Override
    public long nanos() {
        return now.get();
    }

    @Override
    public long epochNanosAtOrigin() {
        return epochAtOrigin;
    }

    /** Moves time forward by {@code nanos} and fires what fell due. */
    public void advance(long nanos) {
        if (nanos < 0) {
            throw new IllegalArgumentException("time does not go backwards: " + nanos);
        }
        long t = now.addAndGet(nanos);
        for (LongConsumer l : listeners) {
            l.accept(t);
        }
    }

    /** Registers a callback run after every advance with the new time. */
    public void onAdvance(LongConsumer listener) {
        listeners.add(listener);
    }
}
