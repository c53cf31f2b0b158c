package org.parasol.hypervisor.sched;

/**
 * One vCPU's halt-poll window, adapted in the manner of KVM's {@code kvm_vcpu_halt} and its
 * {@code vcpu->halt_poll_ns}: how long a blocking vCPU polls for its event on an idle core
 * before its thread sleeps. A peer that answers within microseconds then costs no sleep and
 * wake-up of a host thread (a futex round trip, several microseconds on a virtual machine, and
 * varying by 2x); a vCPU whose polls do not pay stops polling, so neither an idle domain nor
 * one whose peer is slow (a loaded host, a disk) burns a core for nothing.
 *
 * <pre>
 *  after each block (blocked: from giving the pCPU back to the event)
 *    the event came while polling, in the window's first half -&gt; window kept
 *    the event came while polling, in its second half         -&gt; window doubled, up to the maximum
 *    polled the whole window, then slept                       -&gt; window halved; under {@value #GROW_START_NS} ns: 0,
 *                                                                  and the next polls wait out a back-off
 *    blocked longer than the maximum                           -&gt; window 0, back-off cleared (an idle vCPU)
 *    window 0, slept a block shorter than the maximum          -&gt; {@value #GROW_START_NS} ns, once the back-off is over
 *    no core to spare, or gave its core up                     -&gt; window kept (0 after a block longer than the maximum)
 *
 *  back-off: after the k-th poll in a row that ran out without a hit, 2^k blocks (at most
 *  {@value #MAX_BACKOFF_BLOCKS}) sleep at once before the next try of {@value #GROW_START_NS} ns; a hit clears it
 * </pre>
 *
 * <p>KVM grows the window on a poll that missed an event which came within the maximum; that
 * pays where a wake-up costs far more than the spin, but here a poller spins on a host core
 * the rest of the host may need (the peer it waits for, on a machine with few cores), so a
 * miss shrinks it instead and only a near miss of a hit grows it (deviation 17).
 *
 * <p>Used by the vCPU's own thread only; allocates nothing.
 */
public final class HaltPoll {
    /** KVM's {@code halt_poll_ns_grow_start}: the first window, 10 us. */
    public static final long GROW_START_NS = 10_000;
    /** The longest back-off: this many blocks sleep at once between two tries that missed. */
    public static final int MAX_BACKOFF_BLOCKS = 64;

    private final long maxNs;
    private long windowNs;
    /** Polls in a row that ran out without a hit (0 after a hit or an idle spell). */
    private int missedTries;
    /** Blocks still to sleep at once before the window opens again. */
    private int backoff;
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

    /** Blocks still to sleep at once before the window opens again. */
    public int backoff() {
        return backoff;
    }

    /**
     * A block ended after {@code blockedNs}: {@code polled} if its event came while polling;
     * else it slept, after polling the whole {@link #window} (if it was above 0).
     */
    public void blocked(boolean polled, long blockedNs) {
        if (polled) {
            hits++;
            missedTries = 0;
            if (blockedNs > windowNs / 2 && windowNs < maxNs) {
                windowNs = Math.min(maxNs, Math.max(GROW_START_NS, windowNs * 2));
            }
            return;
        }
        misses++;
        if (blockedNs > maxNs) {
            idle();
        } else if (windowNs > 0) {
            windowNs /= 2;
            if (windowNs < Math.min(GROW_START_NS, maxNs)) {
                windowNs = 0;
                missedTries = Math.min(missedTries + 1, 31);
                backoff = (int) Math.min(MAX_BACKOFF_BLOCKS, 1L << missedTries);
            }
        } else if (backoff > 0) {
            backoff--;
            if (backoff == 0) {
                windowNs = Math.min(maxNs, GROW_START_NS);
            }
        } else {
            windowNs = Math.min(maxNs, GROW_START_NS);
        }
    }

    /**
     * A block ended that could not poll, or gave its core up before its window ran out,
     * although its window was open (every free core was wanted), after {@code blockedNs}: the
     * window is no measure of it and is kept, but a block longer than the maximum still ends
     * polling (an idle vCPU never polls).
     */
    public void refused(long blockedNs) {
        refusals++;
        if (blockedNs > maxNs) {
            idle();
        }
    }

    private void idle() {
        windowNs = 0;
        missedTries = 0;
        backoff = 0;
    }

    /** Blocks with an open window that could not poll, or gave way, for want of a spare core. */
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
