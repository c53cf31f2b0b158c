package org.parasol.hypervisor.domain;

import java.util.Collection;
import java.util.Collections;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

import org.parasol.hypercall.DomId;
import org.parasol.hypercall.abi.Virq;
import org.parasol.hypervisor.mm.FrameTable;
import org.parasol.hypervisor.mm.MachineMemory;
import org.parasol.hypervisor.mm.PageTables;
import org.parasol.hypervisor.sched.CreditScheduler;
import org.parasol.hypervisor.time.Clock;
import org.parasol.hypervisor.time.TimeScale;
import org.parasol.hypervisor.time.Timers;

/**
 * Everything a domain, its vCPUs and the hypercall handlers take from the host, in one narrow
 * object: what Xen keeps in globals. Machine frames and the PV MMU's rules over them, the
 * pCPUs, the timer queue, the clock and system time with the TSC's scale, the hypercall
 * table, the domain table (lookup by id, global VIRQs), the host worker, the console thread
 * and the console input, and where a hypervisor bug is reported.
 *
 * <pre>
 *   Hypervisor (the host API: ids and names, build, on_* actions, tick)
 *       |  makes one
 *       v
 *     Host ------------------> frames, page tables, scheduler, timers, clock, hypercall table
 *       ^    ^
 *       |    |  each holds it
 *   Domain  Vcpu, handlers
 * </pre>
 *
 * Domains reach the toolstack side of the hypervisor (its reaction to a shutdown, the freeing
 * of an id and a name) only through the {@link Listener} the hypervisor gave this object, so
 * nothing below the hypervisor depends on it.
 */
public final class Host {
    private static final System.Logger LOG = System.getLogger("org.parasol.hypervisor");

    /** What the hypervisor does when a domain's life changes: its toolstack side. */
    public interface Listener {
        /**
         * The domain shut down (any reason): tell the control domains and run its on_*
         * action. Called on the thread that shut it down, with no lock held; must not wait.
         */
        void domainShutDown(Domain d);

        /** The domain was destroyed and left the domain table: its id and name are free. */
        void domainDestroyed(Domain d);

        /**
         * {@code domid_alloc} for {@code XEN_DOMCTL_createdomain}: claims {@code requested}
         * if it is below {@code DOMID_FIRST_RESERVED} and free (not in use, being built,
         * destroyed or reserved by the launcher), or any free id for {@code DOMID_ANY}, with a
         * name of the hypervisor's choosing (Xen's domains have none; the toolstack keeps
         * names). The claim lasts until the domain is destroyed or {@link #releaseDomid}.
         *
         * @return the id, or -1 when none can be had (Xen's {@code DOMID_INVALID}: -EEXIST)
         */
        int claimDomid(int requested);

        /** The name {@link #claimDomid} chose for {@code domid}, or null. */
        String claimedName(int domid);

        /** Undoes {@link #claimDomid} for a creation that failed. */
        void releaseDomid(int domid);

        /**
         * Renames {@code d} to {@code name} (Parasol's load-image command), atomically with
         * the claims on names: false, and nothing changes, if another domain has {@code name}.
         */
        boolean rename(Domain d, String name);

        /**
         * A domain built by domctl has its kernel and its name and is about to run for the
         * first time (still paused): the host may watch its console. Called on the building
         * vCPU's thread; must not wait.
         */
        void domainCreated(Domain d);

        /**
         * Loads kernel image {@code image} for a domain that is (or is not) privileged, on the
         * calling thread: the image is found, loaded and its bytecode checked here; the
         * factory makes the kernel instance later, on the domain's vCPU 0.
         *
         * @throws Exception as the host's kernel source does: an unknown or refused image
         */
        KernelFactory loadKernel(String image, boolean privileged) throws Exception;

        /** How long a destroy waits for a domain's vCPUs to stop before leaving a zombie. */
        long destroyTimeoutNanos();
    }

    /** Makes the kernel instance of one domain; runs guest code, so only on its vCPU 0. */
    @FunctionalInterface
    public interface KernelFactory {
        org.parasol.hypercall.GuestKernel create(int domid) throws Exception;

        /** The kernel of a binary-translated domain; a factory that cannot translate refuses. */
        default org.parasol.hypercall.GuestKernel createTranslated(int domid) throws Exception {
            throw new IllegalStateException("this kernel factory cannot translate an image");
        }
    }

    private final MachineMemory machine;
    private final FrameTable frames;
    private final PageTables pageTables;
    private final CreditScheduler scheduler;
    private final Timers timers;
    private final Clock clock;
    private final long bootNanos;
    private final TimeScale timeScale;
    private final boolean virtualThreads;
    private final Executor hostWorker;
    private final Executor consoleThread;
    private final Listener listener;
    private final HypercallDispatch hypercalls;

    private final ConcurrentHashMap<Integer, Domain> domains = new ConcurrentHashMap<>();
    private final VcpuThreads vcpuThreads;
    /** The listed domains that are privileged (copy on write, under the monitor of {@link #domains}): global VIRQs go to them. */
    private volatile Domain[] privilegedDomains = new Domain[0];
    /** The same domains by domid, for hypercall paths: a lookup that neither boxes nor allocates. */
    private final AtomicReferenceArray<Domain> byDomid = new AtomicReferenceArray<>(DomId.DOMID_FIRST_RESERVED);
    private final AtomicLong unhandled = new AtomicLong();
    private final StringBuilder consoleInput = new StringBuilder();
    /** Connections the host accepts for the control domain (xenstored's socket). */
    private final HostRelay relay = new HostRelay(this, HostRelay.DEFAULT_SLOTS);

    /** A host over the given parts; {@code listener} is the hypervisor's toolstack side. */
    public Host(MachineMemory machine, FrameTable frames, PageTables pageTables, CreditScheduler scheduler, Timers timers,
            Clock clock, long bootNanos, TimeScale timeScale, boolean virtualThreads, Executor hostWorker,
            Executor consoleThread, Listener listener, HypercallDispatch hypercalls) {
        this.machine = Objects.requireNonNull(machine);
        this.frames = Objects.requireNonNull(frames);
        this.pageTables = Objects.requireNonNull(pageTables);
        this.scheduler = Objects.requireNonNull(scheduler);
        this.timers = Objects.requireNonNull(timers);
        this.clock = Objects.requireNonNull(clock);
        this.bootNanos = bootNanos;
        this.timeScale = Objects.requireNonNull(timeScale);
        this.virtualThreads = virtualThreads;
        this.vcpuThreads = new VcpuThreads(virtualThreads);
        this.hostWorker = Objects.requireNonNull(hostWorker);
        this.consoleThread = Objects.requireNonNull(consoleThread);
        this.listener = Objects.requireNonNull(listener);
        this.hypercalls = Objects.requireNonNull(hypercalls);
    }

    /** The host relay: connections the host hands the control domain ({@code parasol_host_relay_op}). */
    public HostRelay relay() {
        return relay;
    }

    // ---------------------------------------------------------------- memory

    /** Machine memory: only the hypervisor wraps its frames. */
    public MachineMemory machine() {
        return machine;
    }

    /** The frame table: owners, types and reference counts of machine frames. */
    public FrameTable frames() {
        return frames;
    }

    /** The PV MMU's rules over {@link #frames()}. */
    public PageTables pageTables() {
        return pageTables;
    }

    // ---------------------------------------------------------------- scheduling and time

    /** The credit scheduler: the pCPUs vCPUs run guest code on, and who gets them. */
    public CreditScheduler scheduler() {
        return scheduler;
    }

    /** Whether vCPUs run on virtual threads rather than platform threads. */
    public boolean virtualThreads() {
        return virtualThreads;
    }

    /** Where vCPU threads come from: spares started ahead of need, for platform threads. */
    VcpuThreads vcpuThreads() {
        return vcpuThreads;
    }

    /** Ends the spare vCPU threads nobody took; at host shutdown, after every domain is gone. */
    public void closeVcpuThreads() {
        vcpuThreads.close();
    }

    /** The timer queue: vCPU timers, poll timeouts, watchdogs. */
    public Timers timers() {
        return timers;
    }

    /** The host clock the timers run on. */
    public Clock clock() {
        return clock;
    }

    /** Clock reading at boot: system time 0. */
    public long bootNanos() {
        return bootNanos;
    }

    /** {@code system_time}: nanoseconds since the hypervisor booted. */
    public long systemTime() {
        return clock.nanos() - bootNanos;
    }

    /** The clock reading at which system time equals {@code systemTime}. */
    public long clockTimeOf(long systemTime) {
        return bootNanos + systemTime;
    }

    /** Wall-clock time at boot, in nanoseconds since the epoch (shared_info's wc_sec/wc_nsec). */
    public long wallclockAtBoot() {
        return clock.epochNanosAtOrigin() + bootNanos;
    }

    /** The simulated TSC's rate and its {@code vcpu_time_info} scale. */
    public TimeScale timeScale() {
        return timeScale;
    }

    // ---------------------------------------------------------------- hypercalls

    /** The hypercall table. */
    public HypercallDispatch hypercalls() {
        return hypercalls;
    }

    /**
     * An exception reached the hypercall dispatch boundary: a hypervisor bug. Counted, logged
     * with its stack trace (it is the hypervisor's own), and it crashes the calling domain
     * only.
     */
    public void unhandledException(Vcpu v, int nr, Throwable t) {
        unhandled.incrementAndGet();
        LOG.log(System.Logger.Level.ERROR, "hypercall " + nr + " from " + v.domain() + " vCPU " + v.id()
                + " threw; crashing the domain", t);
        v.domain().crash("hypervisor exception in hypercall " + nr + ": " + t, t);
    }

    /** Exceptions that reached the dispatch boundary since boot (tests assert it stays 0). */
    public long unhandledExceptions() {
        return unhandled.get();
    }

    // ---------------------------------------------------------------- the domain table

    /**
     * The domain with {@code domid} if it is listed (built and not yet destroyed), else null:
     * Xen's {@code rcu_lock_domain_by_id} for hypercall handlers, allocating nothing.
     */
    public Domain lookup(int domid) {
        return domid >= 0 && domid < DomId.DOMID_FIRST_RESERVED ? byDomid.get(domid) : null;
    }

    /** Every listed domain, in no order (a live view). */
    public Collection<Domain> domains() {
        return Collections.unmodifiableCollection(domains.values());
    }

    /** Lists a domain that is fully built: from now on it can be looked up. */
    void list(Domain d) {
        domains.put(d.domid(), d);
        byDomid.set(d.domid(), d);
        if (d.privileged()) {
            synchronized (this.domains) {
                Domain[] p = java.util.Arrays.copyOf(privilegedDomains, privilegedDomains.length + 1);
                p[p.length - 1] = d;
                privilegedDomains = p;
            }
        }
        scheduler.attach(d.scheduling());
    }

    /** Takes a domain being destroyed out of the table: lookups no longer find it. */
    void unlist(Domain d) {
        domains.remove(d.domid(), d);
        byDomid.compareAndSet(d.domid(), d, null);
        if (d.privileged()) {
            synchronized (this.domains) {
                privilegedDomains = java.util.Arrays.stream(privilegedDomains).filter(p -> p != d).toArray(Domain[]::new);
            }
        }
        scheduler.detach(d.scheduling());
    }

    /**
     * {@code send_global_virq}: raises global VIRQ {@code virq} in its handler domain. Xen
     * delivers it to one handler (the hardware domain unless {@code set_virq_handler} moved
     * it); Parasol raises it in every live privileged domain that bound it.
     */
    public void sendGlobalVirq(int virq) {
        // The privileged domains alone, not every domain: a shutdown or a destroy among ten
        // thousand idle domains costs a look at the few that may handle it.
        for (Domain d : privilegedDomains) {
            if (d.mayRun()) {
                d.events().sendVirq(virq, 0);
            }
        }
    }

    /** Called by a domain that shut down: the hypervisor's toolstack side reacts. */
    void domainShutDown(Domain d) {
        listener.domainShutDown(d);
    }

    /** Called once a domain is destroyed and its memory free: its id and name may be used again. */
    void domainDestroyed(Domain d) {
        listener.domainDestroyed(d);
    }

    /** The hypervisor's toolstack side: ids, names and kernel images for the domctl family. */
    public Listener toolstack() {
        return listener;
    }

    // ---------------------------------------------------------------- host threads

    /**
     * Runs {@code work} on the hypervisor's host worker (the reaper thread): where the timer
     * thread hands anything that may wait on a domain's locks (a crash, a watchdog shutdown).
     * Dropped once the host is shutting down, when every domain is destroyed anyway.
     */
    public void hostWork(Runnable work) {
        try {
            hostWorker.execute(work);
        } catch (RejectedExecutionException e) {
            // shutting down
        }
    }

    /** The hypervisor's console thread: where domains' console lines reach their readers. */
    public Executor consoleThread() {
        return consoleThread;
    }

    /** Bytes of console input kept until a privileged domain reads them (Xen's serial ring is 128). */
    public static final int CONSOLE_INPUT_MAX = 4096;

    /**
     * Feeds characters to the hypervisor's console input (read by privileged CONSOLEIO_read) and
     * raises {@code VIRQ_CONSOLE} in the privileged domains, as Xen's {@code __serial_rx} does
     * for each character it receives. Characters beyond {@link #CONSOLE_INPUT_MAX} unread ones
     * are dropped, as Xen drops them when its ring is full; the virq is raised all the same.
     *
     * @return the characters kept
     */
    public int consoleInput(String s) {
        int kept;
        synchronized (consoleInput) {
            kept = Math.min(s.length(), CONSOLE_INPUT_MAX - consoleInput.length());
            consoleInput.append(s, 0, kept);
        }
        sendGlobalVirq(Virq.CONSOLE);
        return kept;
    }

    /**
     * CONSOLEIO_read's side of the console input: hands up to {@code max} bytes of it to
     * {@code deliver}, which answers how many it delivered (or a negative errno), and removes
     * only those, as Xen advances its input ring only past what it copied. Returns what
     * {@code deliver} answered, 0 when there is no input. {@code deliver} copies to a guest; it
     * never runs guest code.
     */
    public int readConsoleInput(int max, java.util.function.ToIntFunction<byte[]> deliver) {
        synchronized (consoleInput) {
            int n = Math.min(max, consoleInput.length());
            if (n == 0) {
                return 0;
            }
            byte[] input = consoleInput.substring(0, n).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
            int delivered = deliver.applyAsInt(input);
            if (delivered > 0) {
                consoleInput.delete(0, delivered);
            }
            return delivered;
        }
    }
}
