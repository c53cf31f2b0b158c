package org.parasol.hypervisor.sched;

import java.util.concurrent.Semaphore;

/**
 * The host's physical CPUs as the scheduler hands them out: N permits, fair, so a vCPU that
 * gives its permit up at the end of a time slice queues behind the others that wait.
 *
 * <p>A vCPU runs guest code only while it holds a permit. It gives it up at safe points:
 * blocking, yielding, pausing, and the per-access poll once its slice has ended.
 *
 * <p>The pool also says when a blocking vCPU may halt-poll (KVM's {@code halt_poll_ns}, see
 * {@code SchedUnit.block}): for at most {@link #haltPollMaxNanos()}, and only while a pCPU is
 * free and no vCPU waits for one ({@link #idleCore()}), so the polling never takes a core from
 * a vCPU that could run.
 */
public final class PcpuPool {
    private final int count;
    private final Semaphore permits;
    private final long haltPollMaxNanos;

    /** {@code count} physical CPUs; a blocking vCPU halt-polls for at most {@code haltPollMaxNanos} (0: never). */
    public PcpuPool(int count, long haltPollMaxNanos) {
        if (count < 1) {
            throw new IllegalArgumentException("need at least one pCPU: " + count);
        }
        if (haltPollMaxNanos < 0) {
            throw new IllegalArgumentException("halt-poll window must not be negative: " + haltPollMaxNanos);
        }
        this.count = count;
        this.permits = new Semaphore(count, true);
        this.haltPollMaxNanos = haltPollMaxNanos;
    }

    /** {@code count} physical CPUs, no halt polling. */
    public PcpuPool(int count) {
        this(count, 0);
    }

    /** The longest a blocking vCPU polls for an event before it sleeps; 0: it never polls. */
    public long haltPollMaxNanos() {
        return haltPollMaxNanos;
    }

    /** Whether a pCPU is free and no vCPU waits for one: polling now takes nothing from anyone. */
    public boolean idleCore() {
        return permits.availablePermits() > 0 && !permits.hasQueuedThreads();
    }

    /** Number of pCPUs. */
    public int count() {
        return count;
    }

    /** Takes a pCPU, waiting as long as needed; interrupts are remembered, not thrown. */
    public void acquire() {
        permits.acquireUninterruptibly();
    }

    /** Gives a pCPU back. */
    public void release() {
        permits.release();
    }

    /** Whether some vCPU is waiting for a pCPU (so a slice-end should yield). */
    public boolean contended() {
        return permits.hasQueuedThreads();
    }

    /** pCPUs free right now. */
    public int available() {
        return permits.availablePermits();
    }
}
