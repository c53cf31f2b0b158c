package org.parasol.hypervisor.sched;

import java.util.concurrent.Semaphore;

/**
 * The host's physical CPUs as the scheduler hands them out: N permits, fair, so a vCPU that
 * gives its permit up at the end of a time slice queues behind the others that wait.
 *
 * <p>A vCPU runs guest code only while it holds a permit. It gives it up at safe points:
 * blocking, yielding, pausing, and the per-access poll once its slice has ended.
 */
public final class PcpuPool {
    private final int count;
    private final Semaphore permits;

    /** {@code count} physical CPUs. */
    public PcpuPool(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("need at least one pCPU: " + count);
        }
        this.count = count;
        this.permits = new Semaphore(count, true);
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
