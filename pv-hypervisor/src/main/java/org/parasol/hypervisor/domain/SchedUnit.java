package org.parasol.hypervisor.domain;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

import org.parasol.hypercall.abi.Runstate;
import org.parasol.hypercall.abi.SchedOp;
import org.parasol.hypercall.struct.SharedInfo;
import org.parasol.hypercall.struct.VcpuInfo;
import org.parasol.hypercall.struct.VcpuTimeInfo;
import org.parasol.hypervisor.sched.Cpupool;
import org.parasol.hypervisor.sched.CreditScheduler;
import org.parasol.hypervisor.sched.CreditUnit;
import org.parasol.hypervisor.sched.HaltPoll;

/**
 * One vCPU as the scheduler sees it (Xen's {@code struct sched_unit}, with the scheduling
 * fields of {@code struct vcpu}): whether it holds a pCPU, whether it may run (down, paused),
 * blocking, polling and yielding, and its runstate.
 *
 * <pre>
 *                 schedule(): a pCPU permit        block / poll: no event yet
 *   RUNNABLE ------------------------------> RUNNING ----------------------> BLOCKED
 *      ^   ^                                  |   |                             |
 *      |   +---- slice end, pCPU wanted ------+   | down, or domain paused      | event,
 *      |                                          v                             | timeout
 *      +------------ up, unpause ------------- OFFLINE <-----------------------+
 *                                            (waits while down or paused)
 * </pre>
 *
 * <p>A vCPU runs guest code only while it holds one of the host's pCPUs, which the credit
 * scheduler ({@link CreditScheduler}) hands out; it gives it back when it blocks, polls,
 * yields to a waiting vCPU, must make way at a safe point (its time slice ended with another
 * vCPU waiting, a vCPU of higher priority woke, its capped domain overspent), is taken down
 * or its domain paused. A vCPU that wakes from blocking or polling asks for its pCPU as a
 * waking one, so the scheduler may BOOST it. It is
 * <em>runnable</em> (Xen's {@code vcpu_runnable}) when it is up and its domain not paused; a
 * vCPU that is not waits at its next safe point, holding no permit, and goes on exactly
 * where it stopped once it is runnable again — so a vCPU that took itself down with
 * {@code VCPUOP_down} sees that hypercall return 0 when another brings it back up.
 *
 * <p>Everything here runs on the vCPU's own thread except {@link #wake}, {@link #isUp},
 * {@link #running} and the runstate readers. A bare vCPU (driven by a test's or a
 * benchmark's thread) holds no permit and never waits.
 */
public final class SchedUnit {
    private static final VarHandle PARK_STATE;

    static {
        try {
            PARK_STATE = MethodHandles.lookup().findVarHandle(SchedUnit.class, "parkState", Object.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** {@link #pollForEvent}: the event (or an interrupt, or the domain's end) came while polling. */
    private static final int POLL_HIT = 1;
    /** {@link #pollForEvent}: the window ran out. */
    private static final int POLL_RAN_OUT = 0;
    /** {@link #pollForEvent}: the core was wanted by another vCPU, or a newer poller, before the window ran out. */
    private static final int POLL_GAVE_WAY = -1;

    /** {@link #parkState} while the vCPU's thread sleeps in {@link #block}, not yet woken. */
    private static final Object PARKED = new Object();

    private final Vcpu vcpu;
    private final Domain domain;
    private final Host host;
    private final CreditScheduler scheduler;
    /** This vCPU in the scheduler: its credit, priority, affinity and the pCPU it holds. */
    private final CreditUnit unit;
    private final VcpuInfo vcpuInfo;
    private final SharedInfo sharedInfo;
    private final boolean bare;

    /** Whether this vCPU's thread holds a pCPU permit; its own thread only. */
    private boolean holdsPermit;
    /** Running guest code (Xen's {@code is_running}): not blocked, offline or waiting for a pCPU. */
    private volatile boolean running;
    /** Xen's {@code _VPF_down}: taken down, or never brought up. */
    private volatile boolean down = true;

    /** How long {@link #block} polls for an event before it parks (KVM's per-vCPU {@code halt_poll_ns}). */
    private final HaltPoll haltPoll;
    /**
     * Whether the thread sleeps in {@link #block}: null (not parked there), {@link #PARKED},
     * or, once the first waker has counted it as wanting a core, the pool it was counted in
     * ({@link CreditScheduler#waking}). Through {@link #PARK_STATE}; any thread.
     */
    @SuppressWarnings("unused")
    private volatile Object parkState;

    // SCHEDOP_poll: the ports the vCPU waits on; set_pending wakes it regardless of masks.
    private volatile boolean polling;
    private final int[] pollPorts = new int[SchedOp.POLL_MAX_PORTS];
    private int pollCount;
    private volatile boolean pollTimedOut;

    // Runstate accounting (vcpu_runstate_info), guarded by this object's monitor (no guest
    // code can reach it): written by the vCPU's thread, read by any.
    private volatile int runstate = Runstate.OFFLINE;
    private long stateEntryTime;
    private final long[] runstateTime = new long[Runstate.NR_STATES];

    /**
     * What the credit scheduler sees of a vCPU: whether its domain may run, and its preempt
     * bit. The host's tick gets the vCPUs that hold a pCPU back from it through {@link #vcpu}.
     */
    public static final class VcpuClient implements CreditUnit.Client {
        private final Vcpu vcpu;
        private final Domain domain;

        VcpuClient(Vcpu vcpu, Domain domain) {
            this.vcpu = vcpu;
            this.domain = domain;
        }

        /** The vCPU behind the unit. */
        public Vcpu vcpu() {
            return vcpu;
        }

        @Override
        public boolean mayRun() {
            return domain.mayRun();
        }

        @Override
        public void preempt() {
            vcpu.requestPreempt();
        }
    }

    SchedUnit(Vcpu vcpu, Domain domain, Host host) {
        this.vcpu = vcpu;
        this.domain = domain;
        this.host = host;
        this.scheduler = host.scheduler();
        this.unit = scheduler.newUnit(domain.scheduling(), vcpu.id(), new VcpuClient(vcpu, domain));
        this.vcpuInfo = domain.vcpuInfo(vcpu.id());
        this.sharedInfo = domain.sharedInfo();
        this.bare = domain.isBare();
        this.haltPoll = new HaltPoll(scheduler.haltPollMaxNanos());
    }

    // ---------------------------------------------------------------- up and down

    /** {@code VCPUOP_is_up}: not taken down (Xen's {@code !(pause_flags & VPF_down)}). Any thread. */
    public boolean isUp() {
        return !down;
    }

    /** Marks the vCPU up; the caller wakes its thread or starts one. */
    void markUp() {
        down = false;
    }

    /** Marks the vCPU down; it stops at its next safe point (the caller asks it to pass one). */
    void markDown() {
        down = true;
    }

    /** Xen's {@code vcpu_runnable}: up and its domain not paused. */
    private boolean runnable() {
        return !down && !domain.pauseRequested();
    }

    // ---------------------------------------------------------------- pCPU

    /** Whether the vCPU is running guest code now (not blocked, offline or waiting). Any thread. */
    public boolean running() {
        return running;
    }

    /**
     * A bare vCPU's start on the thread that attached it: running, with no permit and with
     * its time published.
     */
    void attached() {
        down = false;
        setRunstate(Runstate.RUNNING);
        running = true;
        publishTime();
    }

    /** A vCPU whose thread is about to start: runnable from now on. */
    void starting() {
        down = false;
        setRunstate(Runstate.RUNNABLE);
    }

    /**
     * Takes a pCPU to run guest code on, once the vCPU may run: waits (offline, holding
     * nothing) while it is down or its domain paused, then for a permit. Returns without one
     * when the domain can no longer run: the caller then unwinds with
     * {@link Vcpu#checkAlive()}. Publishes {@code vcpu_time_info}, as Xen does when it
     * schedules a vCPU in. The vCPU's own thread.
     */
    void schedule() {
        schedule(false);
    }

    /** {@link #schedule()}, {@code woken} from blocking or polling (the scheduler may BOOST it). */
    private void schedule(boolean woken) {
        if (holdsPermit || bare) {
            return;
        }
        if (!runnable()) {
            scheduler.withdraw(unit); // it was put back on the run queue as it made way: it waits offline instead
            setRunstate(Runstate.OFFLINE);
            while (!runnable() && domain.mayRun()) {
                LockSupport.park(this);
            }
        }
        if (!domain.mayRun()) {
            scheduler.withdraw(unit);
            return; // no pCPU to die on: a dying vCPU must not wait for one
        }
        setRunstate(Runstate.RUNNABLE);
        if (!scheduler.acquire(unit, woken)) {
            return; // the domain died while the vCPU waited
        }
        holdsPermit = true;
        setRunstate(Runstate.RUNNING);
        running = true;
        publishTime();
        scheduler.running(unit);
    }

    /**
     * Makes way for another vCPU at a safe point: gives the pCPU back and waits on the run
     * queue in one step of the scheduler, then runs again when its turn comes.
     */
    private void makeWay() {
        running = false;
        setRunstate(Runstate.RUNNABLE);
        holdsPermit = false;
        scheduler.requeue(unit);
        schedule();
        vcpu.checkAlive();
    }

    /** Gives the pCPU back and leaves guest code, entering {@code state}. The vCPU's own thread. */
    private void deschedule(int state) {
        running = false;
        setRunstate(state);
        if (holdsPermit) {
            holdsPermit = false;
            scheduler.release(unit);
        }
    }

    /** The vCPU's thread is ending: it holds nothing and is down. */
    void exited() {
        deschedule(Runstate.OFFLINE);
        down = true;
    }

    /**
     * At a safe point the vCPU passes with {@code PREEMPT} raised: waits while it is not
     * runnable (taken down, domain paused), and gives its pCPU up when the scheduler says so
     * ({@link CreditScheduler#shouldYield}). Throws {@link org.parasol.hypercall.GuestAbort} if the domain died
     * meanwhile. The vCPU's own thread.
     */
    void preempted() {
        if (bare) {
            return;
        }
        if (!runnable()) {
            deschedule(Runstate.OFFLINE);
            schedule();
            vcpu.checkAlive();
        } else if (holdsPermit && scheduler.shouldYield(unit)) {
            makeWay();
        }
    }

    /**
     * Wakes the vCPU if it waits (blocked, polling, offline). A vCPU parked in {@link #block}
     * is counted as wanting a core from now on ({@link CreditScheduler#waking}), so halt
     * pollers leave the core its thread is about to need. Any thread; allocates nothing.
     */
    public void wake() {
        if (PARK_STATE.getAcquire(this) == PARKED) {
            Cpupool pool = scheduler.waking(unit);
            if (!PARK_STATE.compareAndSet(this, PARKED, pool)) {
                scheduler.wokenPlaced(pool); // another waker counted it first, or it woke by itself
            }
        }
        Thread t = vcpu.thread();
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    // ---------------------------------------------------------------- block, poll, yield

    /**
     * SCHEDOP_block (Xen's {@code vcpu_block_enable_events}): re-enables upcalls and blocks
     * unless an event is pending. Returns 0 when an event is pending and the vCPU runnable
     * again, or at once for a bare vCPU (a spurious wake-up: it has no thread to put to
     * sleep); unwinds if the domain died.
     *
     * <p>Before its thread sleeps, the blocked vCPU (its pCPU already given back) polls for
     * the event a while on an idle core ({@link HaltPoll}), as KVM's {@code kvm_vcpu_halt}
     * does before it schedules a halted vCPU out: a peer that answers within microseconds
     * then costs no sleep and wake-up of a host thread, which on a virtual machine is several
     * microseconds and varies by 2x. Xen's scheduler does not poll (deviation 17). A poller
     * holds no pCPU but spins on a host core, so it polls only on a core nobody else wants,
     * the vCPU that blocked last first ({@link CreditScheduler#beginPoll}); a parked vCPU that
     * is woken is counted as wanting a core until it has asked for its pCPU ({@link #wake}).
     */
    public long block() {
        if (vcpuInfo != null) {
            vcpuInfo.upcallMaskRelease(0);
            if (upcallPending()) {
                return 0;
            }
        }
        if (bare) {
            return 0;
        }
        deschedule(Runstate.BLOCKED);
        long window = haltPoll.window();
        boolean adaptive = haltPoll.enabled();
        long start = adaptive ? System.nanoTime() : 0;
        long ticket = window > 0 ? scheduler.beginPoll(unit) : 0;
        Cpupool polledIn = ticket != 0 ? scheduler.pollPool(unit) : null;
        Object woken = null;
        try {
            int outcome = polledIn != null ? pollForEvent(polledIn, ticket, start, window) : POLL_RAN_OUT;
            boolean polled = outcome == POLL_HIT;
            if (polledIn != null && !polled) {
                scheduler.endPoll(polledIn);
                polledIn = null;
            }
            if (!polled) {
                PARK_STATE.setVolatile(this, PARKED);
                try {
                    // Parked until an event marks us pending; the sender's unpark comes after its store.
                    while (domain.mayRun() && !upcallPending() && !vcpu.interruptWaiting()) {
                        LockSupport.park(this);
                    }
                } finally {
                    woken = PARK_STATE.getAndSet(this, (Object) null);
                }
            }
            if (adaptive) {
                if (window > 0 && (ticket == 0 || outcome == POLL_GAVE_WAY)) {
                    haltPoll.refused(System.nanoTime() - start);
                } else {
                    haltPoll.blocked(polled, System.nanoTime() - start);
                }
            }
            schedule(true);
        } finally {
            // Counted as wanting a core until it holds a pCPU or waits on the run queue.
            if (polledIn != null) {
                scheduler.endPoll(polledIn);
            }
            if (woken instanceof Cpupool pool) {
                scheduler.wokenPlaced(pool);
            }
        }
        vcpu.checkAlive();
        return 0;
    }

    /**
     * Polls for an event, a device interrupt of a native kernel's halt, or the domain's end, for
     * up to {@code window} ns from {@code start}, counted as a poller of {@code pool} with
     * {@code ticket} ({@link CreditScheduler#beginPoll}), while the pollers fit in the cores
     * nobody else wants ({@link CreditScheduler#pollMayGoOn}): a vCPU that waits for a pCPU, a
     * woken one that needs the core, or a newer poller ends it. While a woken vCPU is on its
     * way to a core the poller yields its host core at every turn, so that vCPU's thread runs
     * at once if the host queued it behind the poller (KVM's poll ends when another task wants
     * its CPU). It does not yield otherwise: a poller that gave its core to the host's other
     * work at every turn lost it for a whole host time slice on a loaded machine. Returns
     * {@link #POLL_HIT} when what it waits for came while polling, {@link #POLL_GAVE_WAY} when
     * it left its core to another, {@link #POLL_RAN_OUT} when the window ran out.
     */
    private int pollForEvent(Cpupool pool, long ticket, long start, long window) {
        do {
            if (upcallPending() || vcpu.interruptWaiting() || !domain.mayRun()) {
                return POLL_HIT;
            }
            if (!scheduler.pollMayGoOn(pool, ticket)) {
                return POLL_GAVE_WAY;
            }
            if (scheduler.wakingIn(pool)) {
                Thread.yield(); // a woken vCPU's thread the host may have queued on this core runs now
            } else {
                Thread.onSpinWait();
            }
        } while (System.nanoTime() - start < window);
        return POLL_RAN_OUT;
    }

    /** This vCPU in the credit scheduler. */
    public CreditUnit unit() {
        return unit;
    }

    /** This vCPU's halt-poll window and its counts. */
    public HaltPoll haltPoll() {
        return haltPoll;
    }

    /**
     * SCHEDOP_poll ({@code do_poll}): blocks until one of {@code ports[0..count)} is pending
     * (masked or not) or the absolute system time {@code timeout} (0 = none) passes.
     */
    public long poll(int[] ports, int count, long timeout) {
        System.arraycopy(ports, 0, pollPorts, 0, count);
        pollCount = count;
        pollTimedOut = false;
        polling = true;
        try {
            if (anyPollPortPending() || bare) {
                return 0;
            }
            if (timeout != 0) {
                vcpu.timers().armPoll(timeout);
            }
            deschedule(Runstate.BLOCKED);
            while (domain.mayRun() && !pollTimedOut && !anyPollPortPending()) {
                LockSupport.park(this);
            }
        } finally {
            polling = false;
            vcpu.timers().stopPoll();
        }
        schedule(true);
        vcpu.checkAlive();
        return 0;
    }

    private boolean anyPollPortPending() {
        for (int i = 0; i < pollCount; i++) {
            if (sharedInfo.isPending(pollPorts[i])) {
                return true;
            }
        }
        return false;
    }

    /** Whether the vCPU waits in SCHEDOP_poll (set_pending wakes it regardless of masks). Any thread. */
    public boolean polling() {
        return polling;
    }

    /** The poll timer fired (on the timer thread): the poll returns. */
    void pollTimeout() {
        pollTimedOut = true;
        wake();
    }

    /** SCHEDOP_yield: gives the pCPU to a waiting vCPU of the same or higher priority, if any. */
    public long yield() {
        if (holdsPermit && scheduler.yieldWanted(unit)) {
            makeWay();
        } else {
            Thread.yield();
        }
        return 0;
    }

    /** {@code evtchn_upcall_pending} (acquire), false for a vCPU without a vcpu_info slot. */
    private boolean upcallPending() {
        return vcpuInfo != null && vcpuInfo.upcallPendingAcquire() != 0;
    }

    /** Rewrites vcpu_time_info under its seqlock: when the vCPU is scheduled in, not on every hypercall. */
    private void publishTime() {
        if (vcpuInfo == null) {
            return;
        }
        long sys = host.systemTime();
        var scale = host.timeScale();
        vcpuInfo.time().publish(scale.tscAt(sys), sys, Integer.toUnsignedLong(scale.mul()), scale.shift(),
                VcpuTimeInfo.XEN_PVCLOCK_TSC_STABLE_BIT);
    }

    // ---------------------------------------------------------------- runstate

    private synchronized void setRunstate(int state) {
        long now = host.systemTime();
        if (stateEntryTime != 0 || runstate != Runstate.OFFLINE) {
            runstateTime[runstate] += now - stateEntryTime;
        }
        runstate = state;
        stateEntryTime = now;
    }

    /** The current runstate ({@code RUNSTATE_*}). Any thread. */
    public int runstate() {
        return runstate;
    }

    /** Time spent in each runstate so far (running, runnable, blocked, offline), in ns. Any thread. */
    public synchronized long[] runstateTimes() {
        long[] t = runstateTime.clone();
        t[runstate] += host.systemTime() - stateEntryTime;
        return t;
    }

    /** When the current runstate was entered, in system time. Any thread. */
    public synchronized long stateEntryTime() {
        return stateEntryTime;
    }
}
