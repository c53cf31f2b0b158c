package org.parasol.hypervisor;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GuestKernel;
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypercall.abi.Virq;
import org.parasol.hypervisor.domain.BuildOps;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainBuilder;
import org.parasol.hypervisor.domain.DomainState;
import org.parasol.hypervisor.domain.GuestThrowables;
import org.parasol.hypervisor.domain.Vcpu;
import org.parasol.hypervisor.hypercall.HypercallTable;
import org.parasol.hypervisor.image.GuestVisibleClasses;
import org.parasol.hypervisor.image.ImageException;
import org.parasol.hypervisor.image.ImageLoader;
import org.parasol.hypervisor.image.KernelImage;
import org.parasol.hypervisor.mm.BootLayout;
import org.parasol.hypervisor.mm.BootstrapBuilder;
import org.parasol.hypervisor.mm.DomainPages;
import org.parasol.hypervisor.mm.FrameTable;
import org.parasol.hypervisor.mm.PageTables;
import org.parasol.hypervisor.mm.MachineMemory;
import org.parasol.hypervisor.sched.PcpuPool;
import org.parasol.hypervisor.time.Clock;
import org.parasol.hypervisor.time.TimeScale;
import org.parasol.hypervisor.time.Timers;

/**
 * One host: machine memory, the pCPUs, the hypercall table, the timers and every domain.
 *
 * <p>This is what {@code parasol-cli}, the benchmarks and tests boot. {@link #boot} commits
 * no memory up front; {@link #createDomain} loads a kernel image (or takes a kernel object),
 * builds the domain's start-of-day address space and starts vCPU 0 at the kernel's
 * {@link GuestKernel#boot}. {@link #createBareDomain} builds the same domain without a
 * kernel or threads, for tests and benchmarks that issue hypercalls themselves.
 *
 * <p>Domain ids: creation picks a free one, as Xen's {@code XEN_DOMCTL_createdomain} does when
 * asked for none, unless the caller requests one ({@link #createDomain(DomainConfig, int)}), as
 * libxl's {@code domid=} does. A toolstack that must know an id before the domain exists (to
 * grant a page or offer an event channel to it from another domain) takes it with
 * {@link #reserveDomid} and then requests it; automatic allocation never hands out a reserved
 * id, an id of a domain being built, or an id in use.
 */
public final class Hypervisor implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("org.parasol.hypervisor");

    /**
     * Loads kernel images by name. {@link #load} runs on the creating thread and loads and
     * checks the image (a refusal fails the creation); the factory it returns runs on the new
     * domain's vCPU 0, since making a kernel instance runs guest code (static initializers,
     * the constructor).
     */
    @FunctionalInterface
    public interface KernelSource {
        /** Loads {@code image} for a domain that is (or is not) privileged. */
        KernelFactory load(String image, boolean privileged) throws Exception;
    }

    /** Makes the kernel instance of one domain. */
    @FunctionalInterface
    public interface KernelFactory {
        GuestKernel create(int domid) throws Exception;
    }

    /**
     * The standard source: images from {@code loader}. A privileged image (one allowed host
     * access) runs only in a privileged domain.
     */
    public static KernelSource images(ImageLoader loader) {
        return (image, privileged) -> {
            KernelImage img = loader.load(image);
            if (img.descriptor().privileged() && !privileged) {
                throw new ImageException("image '" + image + "' is privileged; only a privileged domain may run it");
            }
            return img::newKernel;
        };
    }

    private final HostConfig config;
    private final MachineMemory machine;
    private final FrameTable frames;
    private final PageTables pageTables;
    private final PcpuPool pcpus;
    private final Timers timers;
    private final Clock clock;
    private final long bootNanos;
    private final TimeScale timeScale;
    private final HypercallTable hypercalls;
    private final ConcurrentHashMap<Integer, Domain> domains = new ConcurrentHashMap<>();
    /** The same domains by domid, for hypercall paths: a lookup that neither boxes nor allocates. */
    private final java.util.concurrent.atomic.AtomicReferenceArray<Domain> byDomid =
            new java.util.concurrent.atomic.AtomicReferenceArray<>(DomId.DOMID_FIRST_RESERVED);
    private final AtomicLong unhandled = new AtomicLong();
    private final ExecutorService reaper;
    private final ExecutorService console;
    private final List<Consumer<Domain>> shutdownListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Timers.Timer schedTick;
    private final ConcurrentHashMap<Vcpu, long[]> stuckWatch = new ConcurrentHashMap<>();
    private final StringBuilder consoleInput = new StringBuilder();
    private volatile KernelSource kernelSource;
    private int nextDomid = 1;
    /** Ids from {@link #reserveDomid}, not yet requested or released. Guarded by {@code this}. */
    private final Set<Integer> reservedDomids = new HashSet<>();
    /** Ids of domains being built, not yet in {@link #domains}. Guarded by {@code this}. */
    private final Set<Integer> buildingDomids = new HashSet<>();
    private volatile boolean closed;

    private Hypervisor(HostConfig config) {
        GuestVisibleClasses.initializeAll();
        this.config = config;
        this.clock = config.clock();
        this.bootNanos = clock.nanos();
        this.timeScale = new TimeScale(config.tscHz());
        this.machine = MachineMemory.create(config.machineMemoryBytes());
        this.frames = new FrameTable(machine);
        frames.reserveMachphysTable();
        this.pageTables = new PageTables(frames);
        this.pcpus = new PcpuPool(config.pcpus());
        this.timers = new Timers(clock);
        this.hypercalls = new HypercallTable();
        this.reaper = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().name("parasol-reaper").daemon(true).unstarted(r));
        this.console = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().name("parasol-console").daemon(true).unstarted(r));
        this.schedTick = timers.newTimer(this::tick);
        schedTick.set(clock.nanos() + config.timeSlice().toNanos());
    }

    /** Boots a host. */
    public static Hypervisor boot(HostConfig config) {
        return new Hypervisor(config);
    }

    // ---------------------------------------------------------------- parts

    public HostConfig config() {
        return config;
    }

    public MachineMemory machine() {
        return machine;
    }

    public FrameTable frames() {
        return frames;
    }

    /** Machine frames free right now (what {@code xl info} calls free memory, in pages). */
    public long freeFrames() {
        return frames.freeFrames();
    }

    /** The PV MMU's rules over {@link #frames()}. */
    public PageTables pageTables() {
        return pageTables;
    }

    public PcpuPool pcpus() {
        return pcpus;
    }

    public Timers timers() {
        return timers;
    }

    public Clock clock() {
        return clock;
    }

    public TimeScale timeScale() {
        return timeScale;
    }

    public HypercallTable hypercallTable() {
        return hypercalls;
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

    /** Sets where {@link #createDomain(DomainConfig)} finds kernels. */
    public void setKernelSource(KernelSource source) {
        this.kernelSource = source;
    }

    // ---------------------------------------------------------------- domains

    /** Creates a domain from its config's image and starts it. */
    public Domain createDomain(DomainConfig cfg) throws DomainCreationException {
        KernelFactory factory = load(cfg);
        return start(buildClaimed(cfg, allocateDomid(), false, false), factory);
    }

    /** Loads {@code cfg}'s image through the kernel source, on the creating thread. */
    private KernelFactory load(DomainConfig cfg) throws DomainCreationException {
        KernelSource src = kernelSource;
        if (src == null) {
            throw new DomainCreationException("no kernel source configured for image '" + cfg.image() + "'");
        }
        if (cfg.image() == null) {
            throw new DomainCreationException("domain '" + cfg.name() + "' names no kernel image");
        }
        KernelFactory factory;
        try {
            factory = src.load(cfg.image(), cfg.privileged());
        } catch (Exception e) {
            throw new DomainCreationException("cannot load image '" + cfg.image() + "' for domain '" + cfg.name() + "': " + e.getMessage(), e);
        }
        return factory;
    }

    /**
     * Creates a domain from its config's image with the domain id {@code requestedDomid} and
     * starts it, as libxl does for a config with {@code domid=}. The id may come from
     * {@link #reserveDomid} (the reservation is used up when the domain is created, and kept
     * if creation fails) or be any free id.
     *
     * @throws DomainCreationException if the id is outside {@code 1 ..< DOMID_FIRST_RESERVED},
     *     belongs to a live domain or to one being created, or creation fails as for
     *     {@link #createDomain(DomainConfig)}
     */
    public Domain createDomain(DomainConfig cfg, int requestedDomid) throws DomainCreationException {
        KernelFactory factory = load(cfg);
        boolean wasReserved = claimDomid(requestedDomid);
        return start(buildClaimed(cfg, requestedDomid, false, wasReserved), factory);
    }

    /** Creates a domain running {@code kernel} (an object the caller made) and starts it. */
    public Domain createDomain(DomainConfig cfg, GuestKernel kernel) throws DomainCreationException {
        return start(buildClaimed(cfg, allocateDomid(), false, false), domid -> kernel);
    }

    /**
     * Creates a bare domain: memory, start_info, shared_info and vCPUs, but no kernel and no
     * threads. Its vCPUs are driven by whichever thread {@link Vcpu#attach attaches} them.
     */
    public Domain createBareDomain(DomainConfig cfg) throws DomainCreationException {
        return buildClaimed(cfg, allocateDomid(), true, false);
    }

    /**
     * Reserves a free domain id for a domain the caller will create later with
     * {@link #createDomain(DomainConfig, int)}: until then (or until {@link #releaseDomid})
     * no other creation gets it. Reservations do not expire.
     *
     * @throws DomainCreationException if every id is in use or reserved
     */
    public synchronized int reserveDomid() throws DomainCreationException {
        int id = nextFreeDomid();
        reservedDomids.add(id);
        return id;
    }

    /**
     * Gives back a reservation from {@link #reserveDomid} that will not be used.
     *
     * @return false if {@code domid} was not reserved (never, or already used or released)
     */
    public synchronized boolean releaseDomid(int domid) {
        return reservedDomids.remove(domid);
    }

    private Domain start(Domain d, KernelFactory factory) {
        long si = d.startInfoVa();
        d.startBootVcpu(() -> {
            GuestKernel kernel;
            try {
                kernel = factory.create(d.domid());
            } catch (Exception e) {
                // The guest's constructor or static initializer threw: described on this (the
                // guest's) thread; the throwable itself never reaches a host logger.
                d.crash("the kernel could not be instantiated: " + GuestThrowables.describe(e));
                return;
            }
            kernel.boot(d.vcpu(0).cpu(), si);
            if (d.mayRun()) {
                d.crash("the kernel returned from boot without shutting down");
            }
        });
        return d;
    }

    /** Picks a free id for a domain about to be built and marks it as being built. */
    private synchronized int allocateDomid() throws DomainCreationException {
        int id = nextFreeDomid();
        buildingDomids.add(id);
        return id;
    }

    /** The next id, round-robin from the last one handed out, that is neither live, building nor reserved. */
    private int nextFreeDomid() throws DomainCreationException {
        for (int i = 0; i < DomId.DOMID_FIRST_RESERVED; i++) {
            int id = nextDomid;
            nextDomid = nextDomid >= DomId.DOMID_FIRST_RESERVED - 1 ? 1 : nextDomid + 1;
            if (!domains.containsKey(id) && !buildingDomids.contains(id) && !reservedDomids.contains(id)) {
                return id;
            }
        }
        throw new DomainCreationException("no free domain id");
    }

    /**
     * Marks the requested {@code domid} as being built, using up its reservation if it has one.
     *
     * @return whether it was reserved
     */
    private synchronized boolean claimDomid(int domid) throws DomainCreationException {
        if (domid < 1 || domid >= DomId.DOMID_FIRST_RESERVED) {
            throw new DomainCreationException("domain id " + domid + " cannot be requested: a domain's id runs from 1 to "
                    + (DomId.DOMID_FIRST_RESERVED - 1));
        }
        Domain other = domains.get(domid);
        if (other != null) {
            throw new DomainCreationException("domain id " + domid + " is taken by '" + other.name() + "'");
        }
        if (buildingDomids.contains(domid)) {
            throw new DomainCreationException("domain id " + domid + " is taken by a domain being created");
        }
        boolean reserved = reservedDomids.remove(domid);
        buildingDomids.add(domid);
        return reserved;
    }

    /**
     * Builds the domain whose id this thread claimed, then drops the "being built" mark: the
     * built domain is in {@link #domains} by then; after a failure the id is free again, or
     * reserved again if it was.
     */
    private Domain buildClaimed(DomainConfig cfg, int domid, boolean bare, boolean wasReserved)
            throws DomainCreationException {
        boolean built = false;
        try {
            Domain d = build(cfg, domid, bare);
            built = true;
            return d;
        } finally {
            synchronized (this) {
                buildingDomids.remove(domid);
                if (!built && wasReserved) {
                    reservedDomids.add(domid);
                }
            }
        }
    }

    private Domain build(DomainConfig cfg, int domid, boolean bare) throws DomainCreationException {
        if (closed) {
            throw new DomainCreationException("the hypervisor is shut down");
        }
        for (Domain other : domains.values()) {
            if (other.name().equals(cfg.name()) && other.state() != DomainState.DEAD) {
                throw new DomainCreationException("a domain named '" + cfg.name() + "' already exists (domid " + other.domid() + ")");
            }
        }
        if (cfg.nrPages() > frames.freeFrames() - 1) {
            throw new DomainCreationException("not enough free machine memory for '" + cfg.name() + "': needs "
                    + cfg.nrPages() + " pages, " + frames.freeFrames() + " free");
        }
        DomainPages pages = new DomainPages(domid, cfg.maxPages());
        long sharedInfoMfn = frames.allocateShared(domid);
        if (sharedInfoMfn < 0) {
            throw new DomainCreationException("no frame left for shared_info");
        }
        BootLayout layout;
        try {
            layout = BootstrapBuilder.build(frames, pages, cfg.nrPages(), sharedInfoMfn);
        } catch (RuntimeException e) {
            frames.releaseDomain(pages);
            throw new DomainCreationException("cannot build the address space of '" + cfg.name() + "': " + e.getMessage(), e);
        }
        Domain d = new Domain(this, domid, cfg, bare, pages, sharedInfoMfn);
        d.sharedInfo().maxPfn(cfg.nrPages());
        d.setLayout(layout, layout.startInfoVa());
        DomainBuilder.build(new Ops(d, pages), layout, cfg.nrPages(), sharedInfoMfn, cfg.privileged(), cfg.cmdline());
        // vCPU 0's CR3 holds its own reference on the bootstrap L4, as Xen's guest_table does.
        if (pageTables.getBaseRef(pages, layout.l4Mfn()) != 0) {
            frames.releaseDomain(pages);
            throw new DomainCreationException("the bootstrap L4 of '" + cfg.name() + "' does not validate");
        }
        d.vcpu(0).mmu().setBaseRef(layout.l4Mfn());
        domains.put(domid, d);
        byDomid.set(domid, d);
        return d;
    }

    /** The builder's view of the hypervisor, for one domain under construction. */
    private final class Ops implements BuildOps {
        private final Domain d;
        private final DomainPages pages;

        Ops(Domain d, DomainPages pages) {
            this.d = d;
            this.pages = pages;
        }

        @Override
        public long allocateFrame() {
            return frames.allocate(pages);
        }

        @Override
        public void writeAt(long mfn, long offset, MemorySegment bytes) {
            if (frames.owner(mfn) != d.domid() || offset < 0 || offset + bytes.byteSize() > MachineMemory.PAGE_SIZE) {
                throw new IllegalArgumentException("builder write outside the domain's frame " + mfn);
            }
            MemorySegment.copy(bytes, 0, machine.segment(), MachineMemory.maddr(mfn) + offset, bytes.byteSize());
        }

        @Override
        public void setVcpuContext(int vcpu, long argument, long cr3Mfn) {
            d.vcpu(vcpu).initialise(null, argument, 0, cr3Mfn);
        }

        @Override
        public int allocUnboundPort(int remoteDomid) {
            return d.events().allocUnbound(remoteDomid);
        }
    }

    /** Every domain that is not dead, by domid. */
    public List<Domain> domains() {
        List<Domain> l = new ArrayList<>(domains.values());
        l.sort(Comparator.comparingInt(Domain::domid));
        return l;
    }

    /** The domain with {@code domid}, if it exists and is not dead. */
    public Optional<Domain> domain(int domid) {
        return Optional.ofNullable(lookup(domid));
    }

    /**
     * The domain with {@code domid} if it exists and is not dead, else null: {@link #domain(int)}
     * for hypercall handlers, allocating nothing.
     */
    public Domain lookup(int domid) {
        return domid >= 0 && domid < DomId.DOMID_FIRST_RESERVED ? byDomid.get(domid) : null;
    }

    /** The domain named {@code name}, if any. */
    public Optional<Domain> domain(String name) {
        return domains.values().stream().filter(d -> d.name().equals(name)).findFirst();
    }

    /**
     * {@code send_global_virq}: raises global VIRQ {@code virq} in its handler domain. Xen
     * delivers it to one handler (the hardware domain unless {@code set_virq_handler} moved
     * it); Parasol raises it in every live privileged domain that bound it.
     */
    public void sendGlobalVirq(int virq) {
        for (Domain d : domains.values()) {
            if (d.privileged() && d.mayRun()) {
                d.events().sendVirq(virq, 0);
            }
        }
    }

    /** Registers a callback run (on the reaper thread) when any domain shuts down. */
    public void onShutdown(Consumer<Domain> listener) {
        shutdownListeners.add(listener);
    }

    /**
     * Called by a domain when it shut down: tells the privileged domains
     * ({@code VIRQ_DOM_EXC}), then runs its on_* action on the reaper thread.
     */
    public void domainShutDown(Domain d) {
        if (closed) {
            return;
        }
        sendGlobalVirq(Virq.DOM_EXC);
        reaper.execute(() -> {
            DomainConfig.Action action = switch (d.shutdownReason()) {
                case Shutdown.POWEROFF -> d.config().onPoweroff();
                case Shutdown.REBOOT -> d.config().onReboot();
                case Shutdown.SUSPEND, Shutdown.SOFT_RESET -> DomainConfig.Action.PRESERVE;
                default -> d.config().onCrash();
            };
            for (Consumer<Domain> l : shutdownListeners) {
                try {
                    l.accept(d);
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.ERROR, "shutdown listener failed", e);
                }
            }
            if (action == DomainConfig.Action.DESTROY || action == DomainConfig.Action.RESTART) {
                destroy(d);
            }
            if (action == DomainConfig.Action.RESTART && d.config().image() != null && !closed) {
                try {
                    createDomain(d.config());
                } catch (DomainCreationException e) {
                    LOG.log(System.Logger.Level.ERROR, "cannot restart " + d.name() + ": " + e.getMessage());
                }
            }
        });
    }

    /**
     * Destroys a domain: waits for its vCPUs (up to the configured timeout) and returns its
     * frames. Returns false when it stays a zombie.
     */
    public boolean destroy(Domain d) {
        return d.destroy(config.destroyTimeout().toNanos());
    }

    /** Called by a domain once it is dead: it leaves the domain table. */
    public void forget(Domain d) {
        domains.remove(d.domid(), d);
        byDomid.compareAndSet(d.domid(), d, null);
        for (Vcpu v : d.vcpus()) {
            stuckWatch.remove(v);
        }
    }

    /** Returns the domain's frames to the free pool (called by the domain at destroy). */
    public void releaseMemory(Domain d) {
        // Every vCPU has stopped: no TLB is in use, so what waited for a shootdown goes now,
        // and so do the CR3 references (before the tables they pin are devalidated).
        for (Vcpu v : d.vcpus()) {
            v.mmu().deferred().releaseStopped(frames);
            long base = v.mmu().baseRef();
            if (base >= 0) {
                v.mmu().setBaseRef(-1);
                frames.putPageType(base);
                frames.putPage(base);
            }
        }
        long still = frames.releaseDomain(d.pages());
        if (still > 0) {
            LOG.log(System.Logger.Level.INFO, "domain " + d.name() + ": " + still + " frames stay referenced by other domains");
        }
    }

    // ---------------------------------------------------------------- faults

    /**
     * An exception reached the hypercall dispatch boundary: a hypervisor bug. Counted,
     * logged, and it crashes the calling domain (only that one).
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

    // ---------------------------------------------------------------- scheduler tick

    /**
     * Every time slice, on the timer thread: asks each running vCPU to pass a safe point (it
     * yields its pCPU there if another vCPU waits), and reports a vCPU that has not passed one
     * for the stuck threshold, or that failed a stack check and swallowed the abort; that
     * domain is crashed. The tick itself only reads and sets words: the crash runs on the
     * host worker, so the timer thread never waits on a lock a vCPU may hold.
     */
    private void tick() {
        if (closed) {
            return;
        }
        long now = clock.nanos();
        long threshold = config.stuckThreshold().toNanos();
        for (Domain d : domains.values()) {
            if (d.isBare() || !d.mayRun()) {
                continue;
            }
            for (Vcpu v : d.vcpus()) {
                String deferred = v.deferredCrash();
                if (deferred != null) {
                    if (v.claimHostCrash()) { // queued once, however many ticks pass before it runs
                        String cause = "vCPU " + v.id() + " " + deferred;
                        hostWork(() -> d.crash(cause));
                    }
                    continue;
                }
                if (!v.inGuest()) {
                    stuckWatch.remove(v);
                    continue;
                }
                long sp = v.safePoints();
                long[] seen = stuckWatch.computeIfAbsent(v, k -> new long[] {sp, now});
                if (seen[0] != sp) {
                    seen[0] = sp;
                    seen[1] = now;
                } else if (now - seen[1] >= threshold) {
                    long ms = (now - seen[1]) / 1_000_000;
                    stuckWatch.remove(v);
                    hostWork(() -> {
                        LOG.log(System.Logger.Level.ERROR, "domain " + d.name() + " (" + d.domid() + "): vCPU " + v.id()
                                + " reached no safe point for " + ms + " ms; crashing it");
                        d.crash("vCPU " + v.id() + " stuck: no safe point for " + ms + " ms");
                    });
                    continue;
                }
                v.mmu().requestPoll(org.parasol.hypervisor.mm.VcpuMmu.POLL_PREEMPT);
            }
        }
        schedTick.set(now + config.timeSlice().toNanos());
    }

    /**
     * Runs {@code work} on the hypervisor's host worker (the reaper thread): where the timer
     * thread hands anything that may wait on a domain's locks (a crash, a watchdog shutdown).
     */
    public void hostWork(Runnable work) {
        if (closed) {
            return;
        }
        try {
            reaper.execute(work);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // shutting down: every domain is being destroyed anyway
        }
    }

    // ---------------------------------------------------------------- console

    /** The hypervisor's console thread: where domains' console lines reach their readers. */
    public java.util.concurrent.Executor consoleThread() {
        return console;
    }

    /** Waits until every console line written so far has reached its readers. */
    public void drainConsole() {
        try {
            console.submit(() -> { }).get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException
                | java.util.concurrent.RejectedExecutionException e) {
            LOG.log(System.Logger.Level.WARNING, "console thread did not drain: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Feeds bytes to the hypervisor's console input (read by privileged CONSOLEIO_read). */
    public void consoleInput(String s) {
        synchronized (consoleInput) {
            consoleInput.append(s);
        }
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

    // ---------------------------------------------------------------- shutdown

    /** Destroys every domain and releases machine memory. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        schedTick.stop();
        for (Domain d : domains()) {
            d.shutdown(Shutdown.POWEROFF, null);
            d.destroy(config.destroyTimeout().toNanos());
        }
        reaper.shutdown();
        console.shutdown();
        try {
            reaper.awaitTermination(5, TimeUnit.SECONDS);
            console.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        timers.close();
        boolean zombies = domains.values().stream().anyMatch(d -> d.state() == DomainState.ZOMBIE);
        if (!zombies) {
            machine.close();
        }
    }
}
