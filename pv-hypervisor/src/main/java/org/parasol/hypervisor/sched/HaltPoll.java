package org.parasol.hypervisor.sched;

/**
 * One vCPU's halt-poll window, adapted as KVM's {@code kvm_vcpu_halt} adapts
 * {@code vcpu->halt_poll_ns}: how long a blocking vCPU polls for its event on an idle core
 * before its thread sleeps. A peer that answers within microseconds then costs no sleep and
 * wake-up of a host thread (a futex round trip, several microseconds on a virtual machine, and
 * varying by 2x); a vCPU that stays blocked long stops polling, so an idle domain burns nothing.
 *
 * <pre>
 *  after each block (blocked: from giving the pCPU back to the event)
 *    the event came while polling          -&gt; window kept
 *    blocked longer than the maximum        -&gt; window 0 (KVM's shrink with its default factor 0)
 *    blocked shorter, the window missed it  -&gt; window grown: 0 -&gt; {@value #GROW_START_NS} ns, then doubled,
 *                                              up to the maximum
 *    no core to spare, so no poll at all    -&gt; window kept (0 after a block longer than the maximum)
 * </pre>
 *
 * <p>Used by the vCPU's own thread only; allocates nothing.
 */
public final class HaltPoll {
    /** KVM's {@code halt_poll_ns_grow_start}: the first window, 10 us. */
    public static final long GROW_START_NS = 10_000;

    private final long maxNs;
    private long windowNs;
    private long hits;
    private long misses;
    private long refusals;

    /** A window that grows up to {@code maxNs}; 0 never polls. */
    public HaltPoll(long maxNs) {
        if (maxNs < 0) {
            throw new IllegalArgumentException("halt-poll maximum must not be negative: " + maxNs);
        }
        this.maxNs = maxNs;
    }

    /** Whether this vCPU adapts a window at all (a maximum above 0). */
    public boolean enabled() {
        return maxNs > 0;
    }

    /** How long the next block polls, in ns (0: it sleeps at once). */
    public long window() {
        return windowNs;
    }

    /** A block ended: {@code polled} if its event came while polling, after {@code blockedNs}. */
    public void blocked(boolean polled, long blockedNs) {
        if (polled) {
            hits++;
            return;
        }
        misses++;
        if (blockedNs > maxNs) {
            windowNs = 0;
        } else if (windowNs < maxNs) {
            windowNs = Math.min(maxNs, windowNs == 0 ? GROW_START_NS : windowNs * 2);
        }
    }

    /**
     * A block ended that could not poll although its window was open (no core to spare: every
     * free one was wanted), after {@code blockedNs}: the window is no measure of it and is
     * kept, but a block longer than the maximum still ends polling (an idle vCPU never polls).
     */
    public void refused(long blockedNs) {
        refusals++;
        if (blockedNs > maxNs) {
            windowNs = 0;
        }
    }

    /** Blocks with an open window that could not poll for want of a spare core. */
    public long refusals() {
        return refusals;
    }

    /** Blocks whose event came while polling. */
    public long hits() {
        return hits;
    }

    /** Blocks that slept. */
    public long misses() {
        return misses;
    }
}
