package org.parasol.hypervisor.time;

import java.time.Instant;

/** {@link Clock} over {@link System#nanoTime()}, with the wall clock sampled once at start. */
final class SystemClock implements Clock {
    static final SystemClock INSTANCE = new SystemClock();

    private final long epochAtOrigin;

    private SystemClock() {
        Instant now = Instant.now();
        long mono = System.nanoTime();
        this.epochAtOrigin = now.getEpochSecond() * 1_000_000_000L + now.getNano() - mono;
    }

    @Override
    public long nanos() {
        return System.nanoTime();
    }

    @Override
    public long epochNanosAtOrigin() {
        return epochAtOrigin;
    }
}
