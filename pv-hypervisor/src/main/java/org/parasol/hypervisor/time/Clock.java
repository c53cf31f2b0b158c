package org.parasol.hypervisor.time;

/**
 * The hypervisor's monotonic timebase: nanoseconds since an arbitrary origin.
 *
 * <p>{@code system_time} in every {@code vcpu_time_info} is {@code nanos() - bootNanos}, one
 * timebase for all domains. Tests inject a {@link ManualClock} so timers and watchdogs are
 * driven by advancing time instead of sleeping.
 */
public interface Clock {
    /** Monotonic nanoseconds. */
    long nanos();

    /** Wall-clock nanoseconds since the Unix epoch at the moment {@link #nanos()} was 0. */
    long epochNanosAtOrigin();

    /** The host's clock: {@link System#nanoTime()}. */
    static Clock system() {
        return SystemClock.INSTANCE;
    }
}
