package org.parasol.hypervisor.domain;

import static org.parasol.hypercall.Errno.ENOSYS;

import java.util.concurrent.locks.LockSupport;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.EventCallback;
import org.parasol.hypercall.GuestAbort;
import org.parasol.hypercall.GuestCode;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.TrapHandler;
import org.parasol.hypercall.VcpuEntry;
import org.parasol.hypercall.abi.Runstate;
import org.parasol.hypercall.abi.SchedOp;
import org.parasol.hypercall.abi.TrapVector;
import org.parasol.hypercall.struct.VcpuInfo;
import org.parasol.hypercall.struct.VcpuTimeInfo;
import org.parasol.hypervisor.hypercall.GuestArgs;
import org.parasol.hypervisor.mm.MmuContext;
import org.parasol.hypervisor.mm.TrapRecord;
import org.parasol.hypervisor.mm.VcpuMmu;
import org.parasol.hypervisor.sched.StackGuard;
import org.parasol.hypervisor.time.Timers;

/**
 * One virtual CPU: its thread, its MMU and TLB, its saved context, its timers and its place
 * in the scheduler.
 *
 * <p>Safe points. Java code cannot be interrupted, so the hypervisor acts on a vCPU only
 * where the vCPU calls in: hypercall entry and return, every guest memory access (one opaque
 * read of the poll word), trap return, and block/poll. Upcalls are delivered only at
 * return-to-guest points and never while the hypervisor holds a lock.
 *
 * <p>Threads. A domain's vCPU runs on its own thread (a platform thread by default) and runs
 * guest code only while it holds a pCPU permit. A bare vCPU (tests, benchmarks) is driven by
 * whichever thread {@link #attach attached} it and holds no permit.
 */
public final class Vcpu implements MmuContext {
    private final Domain domain;
    private final int id;
    private final VcpuMmu mmu;
    private final GuestCpu cpu;
    /** This vCPU's vcpu_info slot in shared_info, or null beyond the slots (no events). */
    private final VcpuInfo vcpuInfo;

    private volatile Thread thread;
    private boolean holdsPermit;
    private volatile boolean inGuest;
    /** Counted down when this vCPU's thread has ended: what destroy waits on (never the thread's monitor). */
    private volatile java.util.concurrent.CountDownLatch exited = new java.util.concurrent.CountDownLatch(1);

    // Stack depth: every entry from guest code checks the stack it runs on before touching state.
    private final StackGuard stack = new StackGuard();
    /**
     * Why this vCPU must stop, recorded where calling into the crash path could itself
     * overflow the stack: the domain is crashed with it at the bottom of the vCPU's stack, or
     * by the host's tick if the guest swallows {@link #stackAbort}. Set once, never cleared.
     */
    private volatile String deferredCrash;
    /** Thrown with {@link #deferredCrash}: made in advance, so throwing it needs no call. */
    private final GuestAbort stackAbort;

    // Saved context: vcpu_guest_context as far as Parasol models it.
    private volatile boolean initialised;
    private volatile boolean up;
    private VcpuEntry entry;
    private long entryArgument;
    private long stackPointer;
    private volatile long baseMfn;

    // Callbacks and traps (per vCPU in Xen).
    private volatile EventCallback eventCallback;
    private volatile GuestCode failsafeCallback;
    private final TrapHandler[] traps = new TrapHandler[256];
    private boolean inFaultHandler;

    // Timers.
    private final Timers.Timer singleshot;
    private final Timers.Timer periodic;
    private volatile long periodNs;
    private final Timers.Timer pollTimer;
    /** Raises VIRQ_TIMER again when the timer thread found the event table busy. */
    private final Timers.Timer timerRetry;
    /** How long the timer thread waits before raising a VIRQ_TIMER it could not raise. */
    static final long TIMER_RETRY_NANOS = 20_000;

    // Blocking and polling.
    private volatile boolean polling;
    private final int[] pollPorts = new int[SchedOp.POLL_MAX_PORTS];
    private int pollCount;
    private volatile boolean pollTimedOut;

    // Runstate accounting (vcpu_runstate_info).
    private volatile int runstate = Runstate.OFFLINE;
    private long stateEntryTime;
    private final long[] runstateTime = new long[Runstate.NR_STATES];

    // Counters: plain, written only by this vCPU's thread, summed on read.
    private final long[] hypercallCounts = new long[Hypercall.TABLE_SIZE];
    private long faults;
    private long upcalls;
    private volatile long safePoints;

    /**
     * {@code -ERESTART}: what a handler returns after {@link #setContinuation} to be entered
     * again (Xen's {@code hypercall_create_continuation}). Never reaches the guest.
     */
    public static final long CONTINUATION = -org.parasol.hypercall.Errno.ERESTART;
    /** Entries a long hypercall processes between preemption checks (Xen checks about as often). */
    public static final int PREEMPT_CHECK_INTERVAL = 64;
    /** How long a page-table update waits for the other vCPUs' TLB-flush acknowledgements. */
    private static final long SHOOTDOWN_TIMEOUT_NANOS = 1_000_000_000L;

    // Continuation frame: the saved argument registers a preempted hypercall re-enters with.
    private long contA1;
    private long contA2;
    private long contA3;
    private long contA4;
    private long contA5;
    /** Test hook: preempt every long hypercall after this many entries (0 = off). */
    private int forcedPreemptEvery;
    private long continuations;
    private long ptwrEmulations;

    /** The shootdown of this vCPU's own domain, made once: releasing deferred puts allocates nothing. */
    private final java.util.function.BooleanSupplier ownShootdown = () -> domain().flushTlbs(SHOOTDOWN_TIMEOUT_NANOS);
    /** Hypercall arguments: copy_from_guest lands in its scratch, never in machine memory. */
    private final GuestArgs args = new GuestArgs();

    Vcpu(Domain domain, int id) {
        this.domain = domain;
        this.id = id;
        this.vcpuInfo = domain.vcpuInfo(id);
        this.mmu = new VcpuMmu(domain.hypervisor().frames(), this);
        this.cpu = new GuestCpu(this);
        Timers timers = domain.hypervisor().timers();
        this.singleshot = timers.newTimer(this::timerExpired);
        this.periodic = timers.newTimer(this::periodicExpired);
        this.pollTimer = timers.newTimer(this::pollTimeout);
        this.timerRetry = timers.newTimer(this::raiseTimer);
        this.stackAbort = new GuestAbort("domain " + domain.name() + " (" + domain.domid() + "): vCPU " + id
                + " cannot enter the hypervisor: too little stack left");
    }

    /** Cause of a crash decided where the stack was too short to crash at once. */
    static final String STACK_EXHAUSTED = "entered the hypervisor with less than "
            + StackGuard.HEADROOM / 1024 + " KiB of stack left";
    /** Cause of a crash when the stack overflowed inside a call into the hypervisor. */
    static final String STACK_OVERFLOW = "stack overflow inside a call into the hypervisor";

    // ---------------------------------------------------------------- accessors

    /** The domain this vCPU belongs to. */
    public Domain domain() {
        return domain;
    }

    /** vCPU id within the domain. */
    public int id() {
        return id;
    }

    /** The guest's view of this vCPU. */
    public Cpu cpu() {
        return cpu;
    }

    /** This vCPU's MMU: the guest's {@link GuestMemory} and the hypervisor's copy_{from,to}_guest. */
    public VcpuMmu mmu() {
        return mmu;
    }

    /** This vCPU's hypercall arguments: the scratch and flyweights its handlers decode with. */
    public GuestArgs args() {
        return args;
    }

    /** This vCPU's {@code vcpu_info} in the domain's shared_info, or null beyond its slots. */
    public VcpuInfo vcpuInfo() {
        return vcpuInfo;
    }

    @Override
    public int domid() {
        return domain.domid();
    }

    @Override
    public long baseMfn() {
        return baseMfn;
    }

    /** Loads a new CR3 (an L4 MFN the caller validated). */
    public void setBaseMfn(long mfn) {
        this.baseMfn = mfn;
    }

    // ---------------------------------------------------------------- threads

    @Override
    public boolean onOwnThread() {
        return Thread.currentThread() == thread;
    }

    @Override
    public void wrongThread() {
        Thread t = Thread.currentThread();
        domain.crash("vCPU " + id + " used from thread '" + t.getName() + "', not its own");
        throw new GuestAbort("domain " + domain.name() + ": Cpu or GuestMemory used from a foreign thread");
    }

    /** Binds a bare vCPU (no thread of its own) to the calling thread. */
    public void attach() {
        boolean first = thread == null;
        this.thread = Thread.currentThread();
        stack.readBounds();
        this.up = true;
        this.initialised = true;
        setRunstate(Runstate.RUNNING);
        inGuest = true;
        scheduleIn();
        if (first) {
            startPeriodicDefault();
        }
    }

    /** Whether this vCPU is running guest code right now (not blocked, paused or offline). */
    public boolean inGuest() {
        return inGuest;
    }

    /** The thread running this vCPU, if any. */
    public Thread thread() {
        return thread;
    }

    /**
     * Starts the vCPU's thread at {@code body}: takes a pCPU, publishes time, runs the guest,
     * and turns whatever escapes into the right end for the domain.
     */
    void start(String threadName, boolean virtual, Runnable body) {
        Thread.Builder b = virtual ? Thread.ofVirtual() : Thread.ofPlatform().daemon(true);
        Thread t = b.name(threadName).unstarted(() -> run(body));
        if (exited.getCount() == 0) {
            exited = new java.util.concurrent.CountDownLatch(1); // brought up again after it went down
        }
        this.thread = t;
        this.up = true;
        setRunstate(Runstate.RUNNABLE);
        t.start();
    }

    private void run(Runnable body) {
        try {
            stack.readBounds();
            takePcpu();
            checkAlive();
            body.run();
        } catch (GuestAbort expected) {
            // The domain stopped; the stack has unwound.
        } catch (StackOverflowError e) {
            domain.crash("stack overflow on vCPU " + id);
        } catch (Throwable e) {
            // Guest code threw: described here, on the guest's own thread, with no lock held;
            // the throwable itself never reaches a host logger (its methods are guest code).
            domain.crash("uncaught " + GuestThrowables.describe(e) + " on vCPU " + id);
        } finally {
            String deferred = deferredCrash;
            if (deferred != null) {
                domain.crash("vCPU " + id + " " + deferred);
            }
            inGuest = false;
            if (holdsPermit) {
                holdsPermit = false;
                domain.hypervisor().pcpus().release();
            }
            up = false;
            stopTimers();
            setRunstate(Runstate.OFFLINE);
            domain.vcpuExited(this);
            exited.countDown();
        }
    }

    /**
     * Waits until this vCPU's thread has ended, up to {@code timeoutNanos}: a latch, never
     * the thread's monitor (which guest code running on the thread could hold).
     *
     * @return whether the thread ended (also true for a vCPU whose thread never started)
     */
    boolean awaitExit(long timeoutNanos) throws InterruptedException {
        return thread == null || exited.await(timeoutNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    /**
     * The check at every entry from guest code, before any hypervisor state is touched: the
     * calling thread, enough stack for the hypervisor ({@link StackGuard#HEADROOM}), and the
     * domain still running. Throws {@link GuestAbort} otherwise.
     */
    void enterFromGuest() {
        if (Thread.currentThread() != thread) {
            wrongThread();
        }
        if (!stack.hasHeadroom()) {
            deferredCrash = STACK_EXHAUSTED;
            throw stackAbort;
        }
        checkAlive();
    }

    /**
     * Why this vCPU must stop, if it was decided where the crash could not run (too little
     * stack); the host's tick crashes the domain with it if the guest swallowed the abort.
     */
    public String deferredCrash() {
        return deferredCrash;
    }

    /** Whether the host's tick has already queued the crash of a deferred-crash vCPU. */
    private final java.util.concurrent.atomic.AtomicBoolean hostCrashQueued = new java.util.concurrent.atomic.AtomicBoolean();

    /** For the host's tick: true once, the first time it asks, so the crash is queued once. */
    public boolean claimHostCrash() {
        return hostCrashQueued.compareAndSet(false, true);
    }

    /** This vCPU's stack guard (its thread's bounds), for tests. */
    public StackGuard stackGuard() {
        return stack;
    }

    /**
     * Crashes the domain with {@code cause} from a path guest code entered, and returns the
     * error to unwind with: at once when the stack has room for the crash path, else
     * deferred to the bottom of the stack (or the host's tick).
     */
    private GuestAbort crashFromGuestPath(String cause) {
        if (stack.hasHeadroom()) {
            domain.crash(cause);
            return abort();
        }
        deferredCrash = cause;
        return stackAbort;
    }

    private void takePcpu() {
        if (thread == null || holdsPermit || isBare()) {
            return;
        }
        setRunstate(Runstate.RUNNABLE);
        domain.hypervisor().pcpus().acquire();
        holdsPermit = true;
        setRunstate(Runstate.RUNNING);
        inGuest = true;
        scheduleIn();
    }

    private void givePcpu(int newState) {
        inGuest = false;
        setRunstate(newState);
        if (holdsPermit) {
            holdsPermit = false;
            domain.hypervisor().pcpus().release();
        }
    }

    private boolean isBare() {
        return domain.isBare();
    }

    /** Rewrites vcpu_time_info: done when the vCPU is scheduled in, not on every hypercall. */
    private void scheduleIn() {
        if (vcpuInfo == null) {
            return;
        }
        var hv = domain.hypervisor();
        long sys = hv.systemTime();
        var scale = hv.timeScale();
        vcpuInfo.time().publish(scale.tscAt(sys), sys, Integer.toUnsignedLong(scale.mul()), scale.shift(),
                VcpuTimeInfo.XEN_PVCLOCK_TSC_STABLE_BIT);
    }

    // ---------------------------------------------------------------- hypercalls

    /**
     * The hypercall entry: the {@code syscall} of a PV guest. Checks the thread and the
     * domain, dispatches through the table, then returns to the guest through the upcall
     * delivery point. Anything thrown by a handler is counted, logged, and crashes the caller.
     *
     * <p>Continuations: a handler that was preempted part-way stores its progress in the saved
     * argument registers ({@link #setContinuation}) and returns {@link #CONTINUATION}; the vCPU
     * then passes a return-to-guest point (the poll word is taken, pending upcalls run) and
     * enters the same hypercall again with those registers, as Xen re-executes the
     * {@code syscall} with updated arguments.
     */
    long hypercall(int nr, long a1, long a2, long a3, long a4, long a5) {
        try {
            enterFromGuest();
            safePoints++;
            long result;
            if (nr >= 0 && nr < Hypercall.TABLE_SIZE) {
                hypercallCounts[nr]++;
            }
            for (;;) {
                try {
                    if (nr >= 0 && nr < Hypercall.TABLE_SIZE) {
                        result = domain.hypervisor().hypercallTable().dispatch(this, nr, a1, a2, a3, a4, a5);
                    } else {
                        result = -ENOSYS;
                    }
                } catch (GuestAbort | StackOverflowError unwind) {
                    throw unwind;
                } catch (Throwable t) {
                    // A hypervisor bug (the entry check left the handler its stack budget).
                    domain.hypervisor().unhandledException(this, nr, t);
                    throw abort();
                }
                if (result != CONTINUATION) {
                    break;
                }
                continuations++;
                a1 = contA1;
                a2 = contA2;
                a3 = contA3;
                a4 = contA4;
                a5 = contA5;
                returnToGuest();
                checkAlive();
            }
            returnToGuest();
            return result;
        } catch (StackOverflowError e) {
            // Nothing but a field write and a throw here: any call could overflow again.
            deferredCrash = STACK_OVERFLOW;
            throw stackAbort;
        }
    }

    /**
     * Saves the argument registers a preempted hypercall continues with; the handler then
     * returns {@link #CONTINUATION}.
     */
    public void setContinuation(long a1, long a2, long a3, long a4, long a5) {
        contA1 = a1;
        contA2 = a2;
        contA3 = a3;
        contA4 = a4;
        contA5 = a5;
    }

    /** The argument registers saved by {@link #setContinuation}, as {@code [a1..a5]} (a copy; for multicall). */
    public long continuationArg(int i) {
        return switch (i) {
            case 1 -> contA1;
            case 2 -> contA2;
            case 3 -> contA3;
            case 4 -> contA4;
            case 5 -> contA5;
            default -> throw new IllegalArgumentException("argument register " + i);
        };
    }

    /**
     * {@code hypercall_preempt_check()}: whether a long hypercall that has processed
     * {@code done} entries in this entry should stop and continue later — every
     * {@link #PREEMPT_CHECK_INTERVAL} entries when the time slice is over, the domain must
     * stop or pause, or an event upcall is pending; or after the forced count.
     */
    public boolean preemptCheck(long done) {
        int forced = forcedPreemptEvery;
        if (forced > 0) {
            return done >= forced;
        }
        if (done % PREEMPT_CHECK_INTERVAL != 0 || done == 0) {
            return false;
        }
        if (mmu.pollPending()) {
            return true;
        }
        return eventCallback != null && upcallDeliverable();
    }

    /** Test hook: every long hypercall is preempted after {@code entries} entries (0 = never forced). */
    public void forcePreemptionEvery(int entries) {
        this.forcedPreemptEvery = Math.max(0, entries);
    }

    /** How many times a hypercall of this vCPU was continued after preemption. */
    public long continuations() {
        return continuations;
    }

    /** Guest stores into its own L1 tables emulated as page-table updates. */
    public long ptwrEmulations() {
        return ptwrEmulations;
    }

    /**
     * Drops the references this vCPU's page-table updates left waiting for a TLB shootdown:
     * shoots down the domain's TLBs, then drops them under the page-table lock. Called with
     * no lock held, between entries of a batch and at its end.
     *
     * @return false if a vCPU did not acknowledge in time (the references stay queued)
     */
    public boolean releaseDeferredPuts() {
        return releaseDeferredPuts(domain);
    }

    /**
     * As {@link #releaseDeferredPuts()} for updates made to {@code owner}'s page tables (a
     * privileged caller's foreign page-table owner): its vCPUs are shot down, its lock taken.
     */
    public boolean releaseDeferredPuts(Domain owner) {
        var deferred = mmu.deferred();
        if (deferred.isEmpty()) {
            return true;
        }
        return deferred.release(domain.hypervisor().frames(), owner.pages(),
                owner == domain ? ownShootdown : () -> owner.flushTlbs(SHOOTDOWN_TIMEOUT_NANOS));
    }

    @Override
    public boolean emulateStore(TrapRecord record) {
        if (!domain.writablePageTables()) {
            return false;
        }
        if (!stack.hasHeadroom()) {
            deferredCrash = STACK_EXHAUSTED;
            throw stackAbort;
        }
        long ma = mmu.translate(record.address(), false);
        if (!domain.hypervisor().pageTables().emulatePtWrite(domain.pages(), record, ma, mmu.deferred())) {
            return false;
        }
        ptwrEmulations++;
        releaseDeferredPuts();
        return true;
    }

    /** The return-to-guest point: acts on the poll word, then delivers pending upcalls. */
    public void returnToGuest() {
        mmu.poll();
        deliverUpcalls();
    }

    /** Delivers the event upcall while one is pending and upcalls are not masked. */
    private void deliverUpcalls() {
        EventCallback cb = eventCallback;
        if (cb == null || vcpuInfo == null) {
            return;
        }
        while (upcallDeliverable()) {
            vcpuInfo.upcallMaskRelease(1);
            upcalls++;
            try {
                cb.upcall(cpu);
            } catch (GuestAbort | StackOverflowError unwind) {
                throw unwind;
            } catch (Throwable e) {
                throw crashFromGuestPath("exception in the event callback of vCPU " + id + ": "
                        + GuestThrowables.describe(e));
            }
            // HYPERVISOR_iret: restore the mask saved on entry (it was clear), then re-check.
            vcpuInfo.upcallMaskRelease(0);
        }
    }

    /**
     * Xen's {@code local_events_need_delivery}: {@code evtchn_upcall_pending} set and
     * {@code evtchn_upcall_mask} clear (acquire loads); false without a vcpu_info slot.
     */
    public boolean upcallDeliverable() {
        return vcpuInfo != null && vcpuInfo.upcallPendingAcquire() != 0 && vcpuInfo.upcallMaskAcquire() == 0;
    }

    /** {@code evtchn_upcall_pending} (acquire), false for a vCPU without a vcpu_info slot. */
    private boolean upcallPending() {
        return vcpuInfo != null && vcpuInfo.upcallPendingAcquire() != 0;
    }

    /** Per-hypercall counts of this vCPU (a copy). */
    public long[] hypercallCounts() {
        return hypercallCounts.clone();
    }

    /** Total hypercalls made by this vCPU. */
    public long hypercalls() {
        long n = 0;
        for (long c : hypercallCounts) {
            n += c;
        }
        return n;
    }

    /** Page faults delivered to the guest. */
    public long faults() {
        return faults;
    }

    /** Event upcalls delivered. */
    public long upcalls() {
        return upcalls;
    }

    /** Safe points reached (hypercalls and acted-on polls), for the stuck-vCPU detector. */
    public long safePoints() {
        return safePoints;
    }

    // ---------------------------------------------------------------- safe points

    @Override
    public void safePoint(int pollBits) {
        if (!stack.hasHeadroom()) {
            deferredCrash = STACK_EXHAUSTED;
            throw stackAbort;
        }
        safePoints++;
        checkAlive();
        if (domain.pauseRequested()) {
            pauseHere();
        }
        if ((pollBits & VcpuMmu.POLL_PREEMPT) != 0 && holdsPermit && domain.hypervisor().pcpus().contended()) {
            givePcpu(Runstate.RUNNABLE);
            takePcpu();
            checkAlive();
        }
    }

    /** Throws {@link GuestAbort} if the domain can no longer run, and keeps it throwing. */
    void checkAlive() {
        if (deferredCrash != null) {
            throw stackAbort;
        }
        if (!domain.mayRun() || !up) {
            throw abort();
        }
    }

    /** The unwinding error for this vCPU, re-arming the abort bit so every later access fails too. */
    GuestAbort abort() {
        mmu.requestPoll(VcpuMmu.POLL_ABORT);
        return new GuestAbort("domain " + domain.name() + " (" + domain.domid() + ") is "
                + domain.state().name().toLowerCase(java.util.Locale.ROOT));
    }

    private void pauseHere() {
        givePcpu(Runstate.RUNNABLE);
        while (domain.pauseRequested() && domain.mayRun()) {
            LockSupport.park(this);
        }
        takePcpu();
        checkAlive();
    }

    /** Wakes the vCPU if it waits (blocked, polling or paused). */
    public void kick() {
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /** Asks the vCPU to stop at its next safe point (crash, shutdown, destroy) and wakes it. */
    void requestAbort() {
        mmu.requestPoll(VcpuMmu.POLL_ABORT);
        kick();
    }

    /** Asks the vCPU to look at its poll word (pause, slice end). */
    void requestPreempt() {
        mmu.requestPoll(VcpuMmu.POLL_PREEMPT);
    }

    // ---------------------------------------------------------------- block, poll, yield

    /**
     * SCHEDOP_block: re-enables upcalls and blocks unless an event is pending. Returns when an
     * event is pending, the domain must stop, or (for a bare vCPU) at once if nothing can
     * ever wake it.
     */
    public long block() {
        if (vcpuInfo != null) {
            vcpuInfo.upcallMaskRelease(0);
            if (upcallPending()) {
                return 0;
            }
        }
        if (isBare()) {
            return 0; // a bare vCPU has no thread to put to sleep: a spurious wake-up
        }
        givePcpu(Runstate.BLOCKED);
        while (domain.mayRun() && up && !upcallPending()) {
            LockSupport.park(this);
        }
        takePcpu();
        checkAlive();
        return 0;
    }

    /**
     * SCHEDOP_poll: blocks until one of {@code ports} is pending (masked or not) or the
     * absolute system time {@code timeout} (0 = none) passes.
     */
    public long poll(int[] ports, int count, long timeout) {
        System.arraycopy(ports, 0, pollPorts, 0, count);
        pollCount = count;
        pollTimedOut = false;
        polling = true;
        try {
            if (anyPollPortPending() || isBare()) {
                return 0;
            }
            if (timeout != 0) {
                long deadline = domain.hypervisor().clockTimeOf(timeout);
                pollTimer.set(deadline);
            }
            givePcpu(Runstate.BLOCKED);
            while (domain.mayRun() && up && !pollTimedOut && !anyPollPortPending()) {
                LockSupport.park(this);
            }
        } finally {
            polling = false;
            pollTimer.stop();
        }
        takePcpu();
        checkAlive();
        return 0;
    }

    private boolean anyPollPortPending() {
        for (int i = 0; i < pollCount; i++) {
            if (domain.sharedInfo().isPending(pollPorts[i])) {
                return true;
            }
        }
        return false;
    }

    /** Whether the vCPU waits in SCHEDOP_poll (set_pending wakes it regardless of masks). */
    public boolean polling() {
        return polling;
    }

    private void pollTimeout() {
        pollTimedOut = true;
        kick();
    }

    /** SCHEDOP_yield: gives the pCPU to a waiting vCPU, if any. */
    public long yieldPcpu() {
        if (holdsPermit && domain.hypervisor().pcpus().contended()) {
            givePcpu(Runstate.RUNNABLE);
            takePcpu();
            checkAlive();
        } else {
            Thread.yield();
        }
        return 0;
    }

    // ---------------------------------------------------------------- traps and upcalls

    @Override
    public void pageFault(long va, int errorCode) {
        try {
            faults++;
            TrapHandler h = traps[TrapVector.PF];
            if (h == null) {
                throw crashFromGuestPath(String.format("page fault at %#x (error code %#x) on vCPU %d with no handler",
                        va, errorCode, id));
            }
            if (inFaultHandler) {
                throw crashFromGuestPath(String.format(
                        "page fault at %#x (error code %#x) inside the page-fault handler of vCPU %d", va, errorCode, id));
            }
            if (vcpuInfo != null) {
                vcpuInfo.cr2(va);
            }
            inFaultHandler = true;
            try {
                h.trap(cpu, TrapVector.PF, errorCode, va);
            } catch (GuestAbort | StackOverflowError unwind) {
                throw unwind;
            } catch (Throwable e) {
                throw crashFromGuestPath("exception in the page-fault handler of vCPU " + id + ": "
                        + GuestThrowables.describe(e));
            } finally {
                inFaultHandler = false;
            }
            // Trap return is a return-to-guest point: events that arrived meanwhile are delivered
            // before the faulting access is retried.
            deliverUpcalls();
        } catch (StackOverflowError e) {
            deferredCrash = STACK_OVERFLOW;
            throw stackAbort;
        }
    }

    @Override
    public void guestBug(String what) {
        throw crashFromGuestPath("vCPU " + id + ": " + what);
    }

    /** set_trap_table: installs {@code handler} for {@code vector} (null clears it). */
    public void setTrap(int vector, TrapHandler handler) {
        traps[vector & 0xFF] = handler;
    }

    /** Clears the whole trap table. */
    public void clearTraps() {
        java.util.Arrays.fill(traps, null);
    }

    /** The handler for {@code vector}, or null. */
    public TrapHandler trap(int vector) {
        return traps[vector & 0xFF];
    }

    /** CALLBACKTYPE_event. */
    public void setEventCallback(EventCallback cb) {
        this.eventCallback = cb;
    }

    /** The registered event callback, or null. */
    public EventCallback eventCallback() {
        return eventCallback;
    }

    /** CALLBACKTYPE_failsafe. */
    public void setFailsafeCallback(GuestCode cb) {
        this.failsafeCallback = cb;
    }

    /** The registered failsafe callback, or null. */
    public GuestCode failsafeCallback() {
        return failsafeCallback;
    }

    // ---------------------------------------------------------------- vcpu_op context

    /** VCPUOP_initialise: records the context; the vCPU stays down until {@link #bringUp}. */
    public synchronized void initialise(VcpuEntry entry, long argument, long stack, long cr3Mfn) {
        this.entry = entry;
        this.entryArgument = argument;
        this.stackPointer = stack;
        this.baseMfn = cr3Mfn;
        this.initialised = true;
    }

    /** Whether VCPUOP_initialise has been done. */
    public boolean initialised() {
        return initialised;
    }

    /** VCPUOP_is_up. */
    public boolean isUp() {
        return up;
    }

    /** The stack pointer given at initialise (informational: Java stacks are the JVM's). */
    public long stackPointer() {
        return stackPointer;
    }

    /** VCPUOP_up: starts the vCPU at its entry on a thread of its own. */
    public synchronized void bringUp() {
        if (up) {
            return;
        }
        VcpuEntry e = entry;
        long arg = entryArgument;
        startPeriodicDefault();
        domain.vcpuThreadStarting();
        start(domain.name() + "-vcpu" + id, domain.hypervisor().config().virtualThreads(),
                () -> e.start(cpu, arg));
    }

    /** VCPUOP_down: the vCPU stops at its next safe point (at once if called on itself). */
    public void takeDown() {
        up = false;
        requestAbort();
    }

    /** Starts Xen's default 10 ms periodic timer, as for every PV vCPU. */
    void startPeriodicDefault() {
        setPeriodic(10_000_000L);
    }

    // ---------------------------------------------------------------- timers

    /** Arms the single-shot timer for absolute system time {@code systemTime}; 0 stops it. */
    public void setSingleshot(long systemTime) {
        if (systemTime == 0) {
            singleshot.stop();
            return;
        }
        singleshot.set(domain.hypervisor().clockTimeOf(systemTime));
    }

    /** Stops the single-shot timer. */
    public void stopSingleshot() {
        singleshot.stop();
    }

    /** Whether the single-shot timer is armed. */
    public boolean singleshotArmed() {
        return singleshot.armed();
    }

    /** Starts the periodic timer with {@code periodNs}. */
    public void setPeriodic(long periodNs) {
        this.periodNs = periodNs;
        periodic.set(domain.hypervisor().clock().nanos() + periodNs);
    }

    /** Stops the periodic timer. */
    public void stopPeriodic() {
        this.periodNs = 0;
        periodic.stop();
    }

    /** The periodic timer's period, 0 when stopped. */
    public long periodNs() {
        return periodNs;
    }

    private void timerExpired() {
        raiseTimer();
    }

    private void periodicExpired() {
        long p = periodNs;
        if (p > 0 && domain.mayRun()) {
            periodic.set(periodic.deadline() + p);
            raiseTimer();
        }
    }

    /**
     * VIRQ_TIMER from the timer thread, which must never wait on a lock a vCPU may hold: when
     * the event table is busy the interrupt is raised again {@value #TIMER_RETRY_NANOS} ns later.
     */
    private void raiseTimer() {
        if (!domain.tryRaiseTimer(this)) {
            timerRetry.set(domain.hypervisor().clock().nanos() + TIMER_RETRY_NANOS);
        }
    }

    void stopTimers() {
        singleshot.stop();
        periodic.stop();
        pollTimer.stop();
        timerRetry.stop();
        periodNs = 0;
    }

    // ---------------------------------------------------------------- runstate

    private synchronized void setRunstate(int state) {
        long now = domain.hypervisor().systemTime();
        if (stateEntryTime != 0 || runstate != Runstate.OFFLINE) {
            runstateTime[runstate] += now - stateEntryTime;
        }
        runstate = state;
        stateEntryTime = now;
    }

    /** The current runstate. */
    public int runstate() {
        return runstate;
    }

    /** Time spent in each runstate so far (running, runnable, blocked, offline), in ns. */
    public synchronized long[] runstateTimes() {
        long[] t = runstateTime.clone();
        t[runstate] += domain.hypervisor().systemTime() - stateEntryTime;
        return t;
    }

    /** When the current runstate was entered, in system time. */
    public synchronized long stateEntryTime() {
        return stateEntryTime;
    }
}
