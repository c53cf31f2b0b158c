package org.parasol.hypervisor.domain;

import static org.parasol.hypercall.Errno.ENOSYS;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestAbort;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.VcpuEntry;
import org.parasol.hypercall.struct.VcpuInfo;
import org.parasol.hypervisor.mm.MmuContext;
import org.parasol.hypervisor.mm.PollWord;
import org.parasol.hypervisor.mm.ShadowPageTables;
import org.parasol.hypervisor.mm.TrapRecord;
import org.parasol.hypervisor.mm.VcpuMmu;
import org.parasol.hypervisor.sched.StackGuard;

/**
 * One virtual CPU: who it is, the thread it runs on, its saved context, and every entry from
 * its guest into the hypervisor — above all the hypercall entry. Its other parts have classes
 * of their own:
 *
 * <pre>
 *   Vcpu ─┬─ VcpuMmu       its software MMU and TLB: the GuestMemory its kernel holds
 *         ├─ VcpuPollWord  what other threads ask of it, taken at its safe points
 *         ├─ SchedUnit     pCPU permit, up/down, block/poll/yield, pause, runstate
 *         ├─ TrapBounce    trap table and callbacks; upcall and fault delivery
 *         └─ VcpuTimers    single-shot, periodic and poll timers
 * </pre>
 *
 * <p>Safe points. Java code cannot be interrupted, so the hypervisor acts on a vCPU only
 * where the vCPU calls in: hypercall entry and return, every guest memory access (one opaque
 * read of the poll word), trap return, and block/poll. Upcalls are delivered only at
 * return-to-guest points and never while the hypervisor holds a lock.
 *
 * <p>Threads. A domain's vCPU runs on its own thread (a platform thread by default) and runs
 * guest code only while it holds a pCPU permit. A bare vCPU (tests, benchmarks) is driven by
 * whichever thread {@link #attach attached} it and holds no permit.
 *
 * <p>Stack. Every entry from guest code checks, before it touches hypervisor state, that its
 * thread has {@link StackGuard#HEADROOM} bytes of stack left; a {@link StackOverflowError}
 * that still happens inside an entry is caught at the entry and crashes the domain from the
 * bottom of the stack ({@link #deferredCrash}).
 */
public final class Vcpu implements MmuContext {
    private static final VarHandle SAFE_POINTS;
    private static final VarHandle COUNTS = MethodHandles.arrayElementVarHandle(long[].class);

    static {
        try {
            SAFE_POINTS = MethodHandles.lookup().findVarHandle(Vcpu.class, "safePoints", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Domain domain;
    private final int id;
    private final Host host;
    /** Grant I/O state, made on a privileged vCPU's first use. */
    private GrantFileIo grantIo;
    private final HypercallDispatch hypercalls;
    private final VcpuMmu mmu;
    private final GuestCpu cpu;
    /** This vCPU's vcpu_info slot in shared_info, or null beyond the slots (no events). */
    private final VcpuInfo vcpuInfo;
    private final VcpuPollWord pollWord = new VcpuPollWord();
    private final SchedUnit sched;
    private final TrapBounce traps;
    private final VcpuTimers timers;
    /** Trap-and-emulate of a native-kernel domain's vCPU; null for a paravirtual one. */
    private final VmExits vmExits;

    private volatile Thread thread;
    /** Whether {@link #thread} has started and not yet ended; guarded by this object's monitor. */
    private boolean threadLive;
    /** Counted down when this vCPU's thread has ended: what destroy waits on (never the thread's monitor). */
    private volatile CountDownLatch exited = new CountDownLatch(1);

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
    /** Whether the host's tick has already queued the crash of a deferred-crash vCPU. */
    private final AtomicBoolean hostCrashQueued = new AtomicBoolean();

    // Saved context: vcpu_guest_context as far as Parasol models it; guarded by this object's monitor.
    private volatile boolean initialised;
    private VcpuEntry entry;
    private long entryArgument;
    private long stackPointer;
    private volatile long baseMfn;

    // Counters: written only by this vCPU's thread with opaque stores (no fence on the vCPU's
    // path), read from any thread with opaque loads (summaries, the stuck-vCPU detector).
    private final long[] hypercallCounts = new long[Hypercall.TABLE_SIZE];
    /** EVTCHNOP_send calls that notified a port (slot 0), for top's events/s. */
    private final long[] eventSends = new long[1];
    @SuppressWarnings("unused") // through SAFE_POINTS
    private long safePoints;

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
    private final BooleanSupplier ownShootdown;
    /**
     * Hypercall arguments: copy_from_guest lands here, never in machine memory. Taken from the
     * host's pool at the first hypercall after the vCPU blocked, given back when it blocks
     * again ({@link #idleScratch}), so a blocked vCPU holds none. Own thread only.
     */
    private HypercallScratch scratch;

    /** Cause of a crash decided where the stack was too short to crash at once. */
    static final String STACK_EXHAUSTED = "entered the hypervisor with less than "
            + StackGuard.HEADROOM / 1024 + " KiB of stack left";
    /** Cause of a crash when the stack overflowed inside a call into the hypervisor. */
    static final String STACK_OVERFLOW = "stack overflow inside a call into the hypervisor";

    Vcpu(Domain domain, int id, Host host) {
        this.domain = domain;
        this.id = id;
        this.host = host;
        this.hypercalls = host.hypercalls();
        this.vcpuInfo = domain.vcpuInfo(id);
        this.mmu = new VcpuMmu(host.frames(), this, pollWord);
        this.cpu = new GuestCpu(this, host);
        this.sched = new SchedUnit(this, domain, host);
        this.traps = new TrapBounce(this, cpu, vcpuInfo);
        this.timers = new VcpuTimers(this, domain, host);
        if (domain.config().virt().shadowPaging()) {
            // Trap-and-emulate and binary translation without nested paging: the MMU walks
            // shadows of the guest's tables.
            mmu.useShadow(new ShadowPageTables(host.frames(), domain.pages()));
        }
        this.vmExits = domain.config().virt().nativeKernel() ? new VmExits(this, domain, host, domain.uart()) : null;
        this.ownShootdown = () -> domain.flushTlbs(SHOOTDOWN_TIMEOUT_NANOS);
        this.stackAbort = new GuestAbort("domain " + domain.name() + " (" + domain.domid() + "): vCPU " + id
                + " cannot enter the hypervisor: too little stack left");
    }

    // ---------------------------------------------------------------- identity and parts

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

    /** This vCPU in the scheduler: pCPU, up/down, block/poll/yield, runstate. */
    public SchedUnit sched() {
        return sched;
    }

    /** This vCPU's trap table and callbacks, and the delivery of upcalls and faults to them. */
    public TrapBounce traps() {
        return traps;
    }

    /** This vCPU's timers. */
    public VcpuTimers timers() {
        return timers;
    }

    /** This vCPU's poll word, read-only: what its MMU (or a second MMU of the same vCPU) reads. */
    public PollWord pollWord() {
        return pollWord;
    }

    /** This vCPU's argument area for its hypercalls: what its handlers copy structures into. */
    public HypercallScratch hypercallScratch() {
        HypercallScratch s = scratch;
        if (s == null) {
            s = hypercalls.takeScratch(domain.domid());
            scratch = s;
        }
        return s;
    }

    /** The argument area the vCPU holds now, or null (it takes none until a handler asks). Own thread. */
    public HypercallScratch heldScratch() {
        return scratch;
    }

    /**
     * The vCPU is about to block outside any batch of calls: it gives its argument area back
     * to the host's pool, so that an idle vCPU holds none. Its own thread; the handler that
     * calls this must not touch the area afterwards.
     */
    public void idleScratch() {
        HypercallScratch s = scratch;
        if (s != null) {
            scratch = null;
            hypercalls.giveScratch(s);
        }
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

    /** Whether the calling thread is this vCPU's thread. */
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
        mmu.setOwner(thread);
        stack.readBounds();
        this.initialised = true;
        sched.attached();
        if (first) {
            timers.startPeriodicDefault();
        }
    }

    /** The hypervisor tick's stuck-vCPU watch of this vCPU, made with it; the timer thread only. */
    private final StuckWatch stuckWatch = new StuckWatch();

    /**
     * What the hypervisor's tick last saw of this vCPU in guest code, for its stuck-vCPU watch:
     * plain fields, read and written by the timer thread only, so the tick allocates nothing and
     * looks nothing up. It dies with the vCPU.
     */
    public static final class StuckWatch {
        /** The tick that last saw the vCPU in guest code ({@code Long.MIN_VALUE}: none yet). */
        public long tick = Long.MIN_VALUE;
        /** The vCPU's {@link Vcpu#safePoints} when the watch began. */
        public long safePoints;
        /** The clock when the watch began: the vCPU has passed no safe point since. */
        public long since;
        /** The vCPU thread's CPU time when the watch first read it, or {@code Long.MIN_VALUE} before. */
        public long cpuMark;

        StuckWatch() {
        }
    }

    /** The tick's stuck-vCPU watch of this vCPU. Timer thread only. */
    public StuckWatch stuckWatch() {
        return stuckWatch;
    }

    /** Whether this vCPU is running guest code right now (not blocked, paused or offline). */
    public boolean inGuest() {
        return sched.running();
    }

    /** The thread running this vCPU, if any. */
    public Thread thread() {
        return thread;
    }

    /**
     * Starts the vCPU's thread at {@code body}: takes a pCPU, runs the guest, and turns
     * whatever escapes into the right end for the domain. Called with this object's monitor
     * held, or before the vCPU is reachable.
     */
    private void start(Runnable body) {
        VcpuThreads.Launch launch = host.vcpuThreads().launch(domain.name() + "-vcpu" + id, () -> run(body));
        Thread t = launch.thread();
        if (exited.getCount() == 0) {
            exited = new CountDownLatch(1); // brought up again after its entry returned
        }
        this.thread = t;
        mmu.setOwner(t);
        this.threadLive = true;
        domain.vcpuThreadStarting();
        sched.starting();
        launch.start();
    }

    /** Starts vCPU 0 of a domain at {@code body}, with its default periodic timer. */
    synchronized void startBoot(Runnable body) {
        timers.startPeriodicDefault();
        start(body);
    }

    private void run(Runnable body) {
        try {
            stack.readBounds();
            sched.schedule();
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
            synchronized (this) {
                threadLive = false;
                sched.exited();
            }
            timers.stopAll();
            closeGrantIo();
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
        return thread == null || exited.await(timeoutNanos, TimeUnit.NANOSECONDS);
    }

    // ---------------------------------------------------------------- entries from guest code

    /**
     * The check at every entry from guest code other than a hypercall, before any hypervisor
     * state is touched: the calling thread, enough stack for the hypervisor
     * ({@link StackGuard#HEADROOM}), and the domain still running. Throws {@link GuestAbort}
     * otherwise.
     */
    void enterFromGuest() {
        if (Thread.currentThread() != thread) {
            wrongThread();
        }
        if (!stack.hasHeadroom()) {
            throw deferCrash(STACK_EXHAUSTED);
        }
        checkAlive();
    }

    /**
     * Records {@code cause} as the crash to run at the bottom of the stack (or by the host's
     * tick) and returns the prepared error to unwind with; every later entry throws it too
     * ({@link #checkAlive}). For a stack that is short, not overflowing: a catch of
     * {@link StackOverflowError} writes the field itself, since any call could overflow again.
     */
    private GuestAbort deferCrash(String cause) {
        if (deferredCrash == null) {
            deferredCrash = cause;
        }
        return stackAbort;
    }

    /**
     * Why this vCPU must stop, if it was decided where the crash could not run (too little
     * stack); the host's tick crashes the domain with it if the guest swallowed the abort.
     */
    public String deferredCrash() {
        return deferredCrash;
    }

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
    GuestAbort crashFromGuestPath(String cause) {
        if (stack.hasHeadroom()) {
            domain.crash(cause);
            return abort();
        }
        return deferCrash(cause);
    }

    /** Throws {@link GuestAbort} if the domain can no longer run, and keeps it throwing. */
    void checkAlive() {
        if (deferredCrash != null) {
            throw stackAbort;
        }
        if (!domain.mayRun()) {
            throw abort();
        }
    }

    /** The unwinding error for this vCPU, re-arming the abort bit so every later access fails too. */
    GuestAbort abort() {
        pollWord.raise(VcpuPollWord.ABORT);
        return new GuestAbort("domain " + domain.name() + " (" + domain.domid() + ") is "
                + domain.state().name().toLowerCase(java.util.Locale.ROOT));
    }

    @Override
    public boolean hostIo() {
        return domain.privileged();
    }

    @Override
    public long grantFileIo(java.nio.channels.FileChannel file, long position, int domid, int[] refs, int[] offsets,
            int[] lengths, int count, boolean toGuest) throws java.io.IOException {
        enterGrantIo();
        return grantIo().move(file, position, domid, refs, offsets, lengths, count, toGuest);
    }

    @Override
    public void grantFileIoBatch(java.nio.channels.FileChannel file, int domid, int count, boolean[] writes,
            long[] positions, int[] pieceEnds, int[] refs, int[] offsets, int[] lengths, long[] results)
            throws java.io.IOException {
        enterGrantIo();
        grantIo().moveBatch(file, domid, count, writes, positions, pieceEnds, refs, offsets, lengths, results);
    }

    @Override
    public long grantFileIoSubmit(java.nio.channels.FileChannel file, int domid, boolean write, long position,
            int[] refs, int[] offsets, int[] lengths, int count, long tag) throws java.io.IOException {
        enterGrantIo();
        return grantIo().submit(file, domid, write, position, refs, offsets, lengths, count, tag);
    }

    @Override
    public int grantFileIoReap(long[] tags, long[] results, int max, boolean wait) throws java.io.IOException {
        requirePrivileged();
        checkAlive();
        GrantFileIo io = grantIo;
        return io == null ? 0 : io.reap(tags, results, max, wait);
    }

    @Override
    public int grantFileIoCancel(java.nio.channels.FileChannel file) throws java.io.IOException {
        requirePrivileged();
        GrantFileIo io = grantIo;
        return io == null ? 0 : io.cancel(file);
    }

    @Override
    public int grantFileIoInFlight() {
        GrantFileIo io = grantIo;
        return io == null ? 0 : io.inFlight();
    }

    @Override
    public int grantRead(int domid, int ref, int offset, long ma, int length) {
        if (!domain.privileged()) {
            throw new UnsupportedOperationException("grant reads are for privileged domains (d" + domain.domid()
                    + " is not)");
        }
        checkAlive();
        // Counted as the grant-table hypercall it stands for; no safe point: the MMU's translation of ma is fresh.
        COUNTS.setOpaque(hypercallCounts, Hypercall.GRANT_TABLE_OP, hypercallCounts[Hypercall.GRANT_TABLE_OP] + 1);
        return grantIo().read(domid, ref, offset, ma, length);
    }

    /**
     * The vCPU's thread ends: requests of its in-flight table still with the kernel are cancelled
     * and waited for (bounded), and their pins dropped, before the domain's frames go.
     */
    private void closeGrantIo() {
        GrantFileIo io = grantIo;
        if (io != null) {
            io.close();
        }
    }

    /**
     * The entry of a grant I/O call: refused to a domain that is not privileged, a safe point
     * taken if one is pending, and counted as the one {@code grant_table_op} it stands for.
     */
    private void enterGrantIo() {
        requirePrivileged();
        if (pollWord.pending() != 0) {
            safePoint();
        }
        checkAlive();
        COUNTS.setOpaque(hypercallCounts, Hypercall.GRANT_TABLE_OP, hypercallCounts[Hypercall.GRANT_TABLE_OP] + 1);
    }

    /** Grant I/O, its reap and its cancel are refused to a domain that is not privileged. */
    private void requirePrivileged() {
        if (!domain.privileged()) {
            throw new UnsupportedOperationException("grant I/O is for privileged domains (d" + domain.domid() + " is not)");
        }
    }

    /** Grant I/O's state, made on a privileged vCPU's first grant I/O or grant read and reused. */
    private GrantFileIo grantIo() {
        GrantFileIo io = grantIo;
        if (io == null) {
            io = grantIo = new GrantFileIo(host, domain);
        }
        return io;
    }

    @Override
    public void guestBug(String what) {
        throw crashFromGuestPath("vCPU " + id + ": " + what);
    }

    @Override
    public void pageFault(long va, int errorCode) {
        try {
            traps.pageFault(va, errorCode);
        } catch (StackOverflowError e) {
            // Nothing but a field write and a throw here: any call could overflow again.
            deferredCrash = STACK_OVERFLOW;
            throw stackAbort;
        }
    }

    @Override
    public boolean emulateStore(TrapRecord record) {
        if (!domain.writablePageTables()) {
            return false;
        }
        if (!stack.hasHeadroom()) {
            throw deferCrash(STACK_EXHAUSTED);
        }
        long ma = mmu.translate(record.address(), false);
        if (!host.pageTables().emulatePtWrite(domain.pages(), record, ma, mmu.deferred())) {
            return false;
        }
        ptwrEmulations++;
        releaseDeferredPuts();
        return true;
    }

    // ---------------------------------------------------------------- safe points

    /**
     * The vCPU's safe point, where it takes the bits other threads raised in its poll word: a
     * flush request empties the TLB (even short of stack: it calls nothing); anything else
     * counts as a safe point for the stuck-vCPU detector, unwinds a dead domain, and lets the
     * scheduler stop the vCPU (paused, taken down) or hand its pCPU over (slice end).
     */
    @Override
    public void safePoint() {
        int bits = pollWord.take();
        if ((bits & VcpuPollWord.FLUSH) != 0) {
            mmu.flushForRequests();
        }
        if ((bits & ~VcpuPollWord.FLUSH) == 0) {
            return;
        }
        if (!stack.hasHeadroom()) {
            throw deferCrash(STACK_EXHAUSTED);
        }
        countSafePoint();
        checkAlive();
        if ((bits & VcpuPollWord.PREEMPT) != 0) {
            sched.preempted();
        }
    }

    /** The return-to-guest point: acts on the poll word, then delivers pending upcalls. */
    public void returnToGuest() {
        if (pollWord.pending() != 0) {
            safePoint();
        }
        traps.deliverUpcalls();
    }

    /**
     * Acknowledges a pending flush request, if any, without acting on any other poll bit: for
     * a vCPU that waits in the hypervisor for other vCPUs' acknowledgements (a TLB shootdown)
     * while they wait for its own. Own thread only; calls no guest code.
     */
    void ackFlushRequest() {
        if (pollWord.takeFlush()) {
            mmu.flushForRequests();
        }
    }

    /**
     * Asks this vCPU to empty its TLB at its next memory access or safe point (any thread).
     *
     * @return the flush generation to wait for ({@code mmu().flushAcked() >=} it)
     */
    public long requestFlush() {
        long generation = mmu.nextFlushGeneration();
        pollWord.raise(VcpuPollWord.FLUSH);
        return generation;
    }

    /** Asks the vCPU to pass a safe point (slice end, pause, down); any thread. */
    public void requestPreempt() {
        pollWord.raise(VcpuPollWord.PREEMPT);
    }

    /** Asks the vCPU to stop at its next safe point (crash, shutdown, destroy) and wakes it. */
    void requestAbort() {
        pollWord.raise(VcpuPollWord.ABORT);
        sched.wake();
    }

    /** Wakes the vCPU if it waits (blocked, polling, offline). */
    public void kick() {
        sched.wake();
    }

    private void countSafePoint() {
        SAFE_POINTS.setOpaque(this, safePoints + 1);
    }

    /**
     * Safe points reached (hypercalls, counted by number, and acted-on polls), for the
     * stuck-vCPU detector. Any thread.
     */
    public long safePoints() {
        return (long) SAFE_POINTS.getOpaque(this) + hypercalls();
    }

    // ---------------------------------------------------------------- hypercalls

    /**
     * The hypercall entry: the {@code syscall} of a PV guest. Checks the thread, the stack and
     * the poll word, dispatches through the table, then returns to the guest through the
     * upcall delivery point. Anything thrown by a handler is counted, logged, and crashes the
     * caller.
     *
     * <p>Continuations: a handler that was preempted part-way stores its progress in the saved
     * argument registers ({@link #setContinuation}) and returns {@link #CONTINUATION}; the vCPU
     * then passes a return-to-guest point (the poll word is taken, pending upcalls run) and
     * enters the same hypercall again with those registers, as Xen re-executes the
     * {@code syscall} with updated arguments.
     */
    long hypercall(int nr, long a1, long a2, long a3, long a4, long a5) {
        try {
            if (Thread.currentThread() != thread) {
                wrongThread();
            }
            boolean known = nr >= 0 && nr < Hypercall.TABLE_SIZE;
            // A family that takes no lock and changes nothing beyond this vCPU may start short
            // of stack: an overflow inside it is caught below and leaves nothing half-done.
            if ((!known || !hypercalls.runsWithoutHeadroom(nr, a1)) && !stack.hasHeadroom()) {
                throw deferCrash(STACK_EXHAUSTED);
            }
            if (pollWord.pending() != 0) {
                safePoint();
            }
            checkAlive();
            if (!known) {
                countSafePoint();
                returnToGuest();
                return -ENOSYS;
            }
            COUNTS.setOpaque(hypercallCounts, nr, hypercallCounts[nr] + 1);
            long result;
            for (;;) {
                try {
                    result = hypercalls.dispatch(this, nr, a1, a2, a3, a4, a5);
                } catch (GuestAbort | StackOverflowError unwind) {
                    throw unwind;
                } catch (Throwable t) {
                    // A hypervisor bug (the entry check left the handler its stack budget).
                    host.unhandledException(this, nr, t);
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

    /** The argument register {@code i} (1..5) saved by {@link #setContinuation}; for multicall. */
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
        if (pollWord.pending() != 0) {
            return true;
        }
        return traps.hasEventCallback() && traps.upcallDeliverable();
    }

    /** Test hook: every long hypercall is preempted after {@code entries} entries (0 = never forced). */
    public void forcePreemptionEvery(int entries) {
        this.forcedPreemptEvery = Math.max(0, entries);
    }

    /** How many times a hypercall of this vCPU was continued after preemption. */
    public long continuations() {
        return continuations;
    }

    /** Counts one trapped page-table store emulated by {@link VmExits}. */
    void countPtwrEmulation() {
        ptwrEmulations++;
    }

    /**
     * Whether a device interrupt waits for this vCPU (a native kernel's halt ends for it): the
     * 8259 pair's INT, or an edge of the PIT's channel 0 not yet passed to it. Own thread.
     */
    boolean interruptWaiting() {
        return vmExits != null && vmExits.interruptWaiting();
    }

    /** This vCPU's VM-exit handling (a native-kernel domain), or null (paravirtual). */
    public VmExits vmExits() {
        return vmExits;
    }

    /**
     * The entry of {@code Cpu.execute}: the guest reached {@code count} privileged
     * instructions. A paravirtual kernel has no business executing them (a PV guest's
     * privileged instruction is a {@code #GP} it did not expect): its domain crashes.
     */
    void execute(int count) {
        try {
            enterFromGuest();
            if (vmExits == null) {
                guestBug("executed a privileged instruction, but its domain runs paravirtualized");
            }
            if (domain.config().virt() == Virtualization.BT) {
                guestBug("reached an untranslated privileged call site in a binary-translated kernel");
            }
            if (count < 1 || count > 16) {
                guestBug("execute(" + count + "): 1 to 16 instructions at a time");
            }
            if (pollWord.pending() != 0) {
                safePoint();
            }
            vmExits.execute(count);
        } catch (StackOverflowError e) {
            // Nothing but a field write and a throw here: any call could overflow again.
            deferredCrash = STACK_OVERFLOW;
            throw stackAbort;
        }
    }

    /**
     * The entry of {@code Translation.execute}, what a binary-translated kernel's call sites
     * became: only a translated domain's vCPU takes it (any other kernel calling it directly
     * is crashed, as a guest jumping into the monitor would be).
     */
    void executeTranslated(int count) {
        try {
            enterFromGuest();
            if (vmExits == null || domain.config().virt() != Virtualization.BT) {
                guestBug("entered the binary translator's emulation, but its kernel was not translated");
            }
            if (count < 1 || count > 16) {
                guestBug("execute(" + count + "): 1 to 16 instructions at a time");
            }
            if (pollWord.pending() != 0) {
                safePoint();
            }
            vmExits.executeTranslated(count);
        } catch (StackOverflowError e) {
            deferredCrash = STACK_OVERFLOW;
            throw stackAbort;
        }
    }

    /** Guest stores into its own L1 tables emulated as page-table updates. */
    public long ptwrEmulations() {
        return ptwrEmulations;
    }

    /** Per-hypercall counts of this vCPU (a copy). Any thread. */
    public long[] hypercallCounts() {
        long[] copy = new long[hypercallCounts.length];
        for (int i = 0; i < copy.length; i++) {
            copy[i] = (long) COUNTS.getOpaque(hypercallCounts, i);
        }
        return copy;
    }

    /** Total hypercalls made by this vCPU. Any thread. */
    public long hypercalls() {
        long n = 0;
        for (int i = 0; i < hypercallCounts.length; i++) {
            n += (long) COUNTS.getOpaque(hypercallCounts, i);
        }
        return n;
    }

    /** Counts one event this vCPU sent ({@code EVTCHNOP_send} answered 0). This vCPU's thread only; allocates nothing. */
    public void countEventSend() {
        COUNTS.setOpaque(eventSends, 0, eventSends[0] + 1);
    }

    /** Events this vCPU sent. Any thread. */
    public long eventSends() {
        return (long) COUNTS.getOpaque(eventSends, 0);
    }

    /** Page faults delivered to the guest. Any thread. */
    public long faults() {
        return traps.faults();
    }

    /** Event upcalls delivered. Any thread. */
    public long upcalls() {
        return traps.upcalls();
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
        return deferred.release(host.frames(), owner.pages(),
                owner == domain ? ownShootdown : () -> owner.flushTlbs(SHOOTDOWN_TIMEOUT_NANOS));
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
        return sched.isUp();
    }

    /** The stack pointer given at initialise (informational: Java stacks are the JVM's). */
    public long stackPointer() {
        return stackPointer;
    }

    /**
     * VCPUOP_up (Xen's {@code test_and_clear_bit(_VPF_down)} and {@code vcpu_wake}): a vCPU
     * that was taken down goes on where it stopped; one that never ran, or whose entry
     * returned, starts at its entry on a thread of its own. Nothing for a vCPU that is up.
     */
    public synchronized void bringUp() {
        if (sched.isUp()) {
            return;
        }
        sched.markUp();
        if (threadLive) {
            sched.wake();
            return;
        }
        VcpuEntry e = entry;
        long arg = entryArgument;
        timers.startPeriodicDefault();
        start(() -> e.start(cpu, arg));
    }

    /**
     * VCPUOP_down (Xen's {@code set_bit(_VPF_down)} and {@code vcpu_sleep_nosync}): the vCPU
     * stops at its next safe point — a vCPU taking itself down at the return of this very
     * hypercall — holding no pCPU, until {@link #bringUp}; then it goes on where it stopped.
     * A blocked vCPU stays blocked and stops when it wakes. As in Xen, taking down the last
     * vCPU that is up powers the domain off instead.
     */
    public void takeDown() {
        domain.vcpuDown(this);
    }
}
