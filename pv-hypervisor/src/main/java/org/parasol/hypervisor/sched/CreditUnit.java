package org.parasol.hypervisor.sched;

/**
 * One vCPU in the credit scheduler (Xen's {@code struct csched_unit}): its credit, its
 * priority, its affinities, the pCPU it holds, and its place on its pool's run queue.
 *
 * <p>Every field but {@link #pcpu} is guarded by the scheduler's lock; {@link #pcpu} is
 * written under it and read by the waiting vCPU's thread without it.
 */
public final class CreditUnit {

    /** What the scheduler needs of the vCPU behind a unit; called with the scheduler's lock held, so they must not wait. */
    public interface Client {
        /** Whether the vCPU's domain may still run (a waiting vCPU of a dying domain stops waiting). */
        boolean mayRun();

        /** Asks the vCPU to pass a safe point soon (raises its poll word's preempt bit). */
        void preempt();
    }

    final CreditDomain dom;
    final int vcpuId;
    final Client client;

    /** The pCPU this unit holds, or -1: written under the lock, read by its waiting thread. */
    volatile int pcpu = -1;
    /** The pool its last halt poll was counted in; the unit's own thread only. */
    Cpupool pollPool;
    /** The thread that waits for a pCPU for this unit. */
    Thread thread;

    /** Credits left (Xen's {@code svc->credit}): burnt while running, earned each accounting period. */
    int credit;
    /** Burnt time not yet worth a whole credit, in ns times {@link CreditScheduler#CREDITS_PER_MSEC}. */
    long residual;
    /** Clock time from which the running unit's credit is burnt next. */
    long burnFrom;
    /** Clock time its current time slice began. */
    long sliceStart;
    /** {@link CreditScheduler#PRI_TS_BOOST}, {@link CreditScheduler#PRI_TS_UNDER} or {@link CreditScheduler#PRI_TS_OVER}. */
    int pri = CreditScheduler.PRI_TS_UNDER;
    /** Xen's {@code CSCHED_FLAG_UNIT_PARKED}: its capped domain overspent; it may not run until it earns. */
    boolean parked;
    /** Parked and wanting a pCPU: put on the run queue when unparked. */
    boolean parkedWaiting;
    /** On its domain's active list: it burnt credit lately, so it earns in the next accounting. */
    boolean active;

    // Hand-overs in flight, for CreditScheduler#settled: a decision the scheduler asked for and
    // has not had, a pCPU given up and not yet handed on, a pCPU handed over and not yet taken up.
    /** Asked to pass a safe point (a tick, a tickle, a park, a pool or affinity change) and not yet there. */
    boolean mustDecide;
    /** Decided at its safe point to give its pCPU up, and has not yet. */
    boolean leaving;
    /** Its thread runs guest code on the pCPU it holds: written false under the lock at a grant, true by its thread. */
    volatile boolean started;

    // The run queue: an intrusive list per priority, so queuing allocates nothing.
    boolean queued;
    CreditUnit prev;
    CreditUnit next;

    /** Hard affinity: the pCPUs it may run on. */
    CpuMask hard = CpuMask.ALL;
    /** Soft affinity: the pCPUs it prefers. */
    CpuMask soft = CpuMask.ALL;
    /** Whether {@link #soft} prefers some of the pCPUs the unit may run on over others. */
    boolean softMatters;

    // Counters, for tests and summaries.
    long boosts;
    long parks;
    long tickles;
    long runNanos;

    CreditUnit(CreditDomain dom, int vcpuId, Client client) {
        this.dom = dom;
        this.vcpuId = vcpuId;
        this.client = client;
    }

    /** The domain it belongs to. */
    public CreditDomain domain() {
        return dom;
    }

    /** The vCPU's id in its domain. */
    public int vcpuId() {
        return vcpuId;
    }

    /** The pCPU it holds, or -1. Any thread. */
    public int pcpu() {
        return pcpu;
    }
}
