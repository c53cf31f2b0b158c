package org.parasol.hypervisor;

import java.time.Duration;
import java.util.Objects;

import org.parasol.hypervisor.time.Clock;

/**
 * How a host is booted.
 *
 * @param machineMemoryBytes size of machine memory (lazily committed), a multiple of 4 KiB
 * @param pcpus              physical CPUs handed to vCPUs (default: the host's cores)
 * @param virtualThreads     run vCPUs on virtual threads instead of platform threads
 * @param clock              the timebase (a {@code ManualClock} in tests)
 * @param tscHz              rate of the simulated TSC (not 1 GHz, so mul/shift are exercised)
 * @param timeSlice          the credit scheduler's time slice (Xen's {@code sched_credit_tslice_ms},
 *                           30 ms); it ticks every third of it
 * @param stuckThreshold     a running vCPU without a safe point this long, that then burns this much
 *                           CPU time still without one (or waits six times this long), is reported
 *                           and crashed
 * @param destroyTimeout     how long pause and destroy wait for vCPUs to reach a safe point
 * @param haltPollMax        the longest a blocking vCPU polls for an event on an idle core before
 *                           it sleeps (KVM's {@code halt_poll_ns}; zero: never polls)
 */
public record HostConfig(long machineMemoryBytes, int pcpus, boolean virtualThreads, Clock clock,
        long tscHz, Duration timeSlice, Duration stuckThreshold, Duration destroyTimeout, Duration haltPollMax) {

    public HostConfig {
        if (machineMemoryBytes <= 0 || machineMemoryBytes % 4096 != 0) {
            throw new IllegalArgumentException("machine memory must be a positive multiple of 4 KiB");
        }
        if (pcpus < 1) {
            throw new IllegalArgumentException("pcpus must be at least 1");
        }
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(timeSlice, "timeSlice");
        Objects.requireNonNull(stuckThreshold, "stuckThreshold");
        Objects.requireNonNull(destroyTimeout, "destroyTimeout");
        Objects.requireNonNull(haltPollMax, "haltPollMax");
        if (haltPollMax.isNegative() || haltPollMax.compareTo(Duration.ofMillis(1)) > 0) {
            throw new IllegalArgumentException("haltPollMax must be 0 to 1 ms: " + haltPollMax);
        }
    }

    /** The default {@link #haltPollMax}: 50 us, a quarter of KVM's {@code halt_poll_ns} default on x86. */
    public static final Duration DEFAULT_HALT_POLL_MAX = Duration.ofNanos(50_000);

    /** Defaults: the given memory, one pCPU per host core, platform threads, the host clock, a 2.7 GHz TSC, a 30 ms slice. */
    public static HostConfig defaults(long machineMemoryBytes) {
        return new HostConfig(machineMemoryBytes, Runtime.getRuntime().availableProcessors(), false,
                Clock.system(), 2_700_000_000L, Duration.ofMillis(30), Duration.ofSeconds(10),
                Duration.ofSeconds(5), DEFAULT_HALT_POLL_MAX);
    }

    public HostConfig withPcpus(int n) {
        return new HostConfig(machineMemoryBytes, n, virtualThreads, clock, tscHz, timeSlice, stuckThreshold, destroyTimeout, haltPollMax);
    }

    public HostConfig withClock(Clock c) {
        return new HostConfig(machineMemoryBytes, pcpus, virtualThreads, c, tscHz, timeSlice, stuckThreshold, destroyTimeout, haltPollMax);
    }

    public HostConfig withVirtualThreads(boolean v) {
        return new HostConfig(machineMemoryBytes, pcpus, v, clock, tscHz, timeSlice, stuckThreshold, destroyTimeout, haltPollMax);
    }

    public HostConfig withStuckThreshold(Duration d) {
        return new HostConfig(machineMemoryBytes, pcpus, virtualThreads, clock, tscHz, timeSlice, d, destroyTimeout, haltPollMax);
    }

    public HostConfig withDestroyTimeout(Duration d) {
        return new HostConfig(machineMemoryBytes, pcpus, virtualThreads, clock, tscHz, timeSlice, stuckThreshold, d, haltPollMax);
    }

    public HostConfig withHaltPollMax(Duration d) {
        return new HostConfig(machineMemoryBytes, pcpus, virtualThreads, clock, tscHz, timeSlice, stuckThreshold, destroyTimeout, d);
    }

    public HostConfig withTimeSlice(Duration d) {
        return new HostConfig(machineMemoryBytes, pcpus, virtualThreads, clock, tscHz, d, stuckThreshold, destroyTimeout, haltPollMax);
    }

    public HostConfig withTscHz(long hz) {
        return new HostConfig(machineMemoryBytes, pcpus, virtualThreads, clock, hz, timeSlice, stuckThreshold, destroyTimeout, haltPollMax);
    }
}
