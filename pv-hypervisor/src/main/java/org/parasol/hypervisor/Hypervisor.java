package org.parasol.hypervisor;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GuestKernel;
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypercall.abi.Virq;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainBuilder;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.domain.DomainCreationException;
import org.parasol.hypervisor.domain.DomainState;
import org.parasol.hypervisor.domain.Host;
import org.parasol.hypervisor.domain.SchedUnit;
import org.parasol.hypervisor.domain.Vcpu;
import org.parasol.hypervisor.hypercall.HypercallTable;
import org.parasol.hypervisor.image.GuestVisibleClasses;
import org.parasol.hypervisor.image.ImageException;
import org.parasol.hypervisor.image.ImageLoader;
import org.parasol.hypervisor.image.KernelImage;
import org.parasol.hypervisor.mm.FrameTable;
import org.parasol.hypervisor.mm.MachineMemory;
import org.parasol.hypervisor.mm.PageTables;
import org.parasol.hypervisor.sched.CreditScheduler;
import org.parasol.hypervisor.sched.CreditUnit;
import org.parasol.hypervisor.time.Clock;
import org.parasol.hypervisor.time.TimeScale;
import org.parasol.hypervisor.time.Timers;

/**
 * One host: what {@code parasol-cli}, the benchmarks and tests boot. It makes the host's
 * parts once — machine memory, the frame table, the pCPUs, the timers, the hypercall table,
 * gathered in the {@link Host} every domain and vCPU takes them from — and is the toolstack's
 * side of the hypervisor: it hands out domain ids and names, builds and starts domains, runs
 * their on_* actions, and ticks the scheduler.
 *
 * <p>{@link #boot} commits no memory up front; {@link #createDomain} loads a kernel image (or
 * takes a kernel object), builds the domain ({@link DomainBuilder}) and starts vCPU 0 at the
 * kernel's {@link GuestKernel#boot}. {@link #createBareDomain} builds the same domain without
 * a kernel or threads, for tests and benchmarks that issue hypercalls themselves.
 *
 * <p>Domain ids and names: creation picks a free id, as Xen's {@code XEN_DOMCTL_createdomain}
 * does when asked for none, unless the caller requests one ({@link #createDomain(DomainConfig, int)}),
 * as libxl's {@code domid=} does. A toolstack that must know an id before the domain exists (to
 * grant a page or offer an event channel to it from another domain) takes it with
 * {@link #reserveDomid} and then requests it; automatic allocation never hands out a reserved
 * id, an id of a domain being built, or an id in use. The id and the name are claimed together,
 * atomically, before the build starts, and stay claimed until the domain is destroyed and its
 * memory free: two creations of one name cannot both succeed.
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

        /** The kernel of a binary-translated domain ({@code virt = "bt"}); sources that cannot translate refuse. */
        default GuestKernel createTranslated(int domid) throws Exception {
            throw new ImageException("this kernel source cannot translate an image");
        }
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
            return new KernelFactory() {
                @Override
                public GuestKernel create(int domid) {
                    return img.newKernel(domid);
                }

                @Override
                public GuestKernel createTranslated(int domid) {
                    return img.newTranslatedKernel(domid);
                }
            };
        };
    }

    private final HostConfig config;
    private final MachineMemory machine;
    private final Timers timers;
    private final Host host;
    private final ExecutorService reaper;
    private final ExecutorService console;
    private final List<Consumer<Domain>> shutdownListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<Domain>> destroyListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<Domain>> createListeners = new CopyOnWriteArrayList<>();
    private final Timers.Timer schedTick;
    /** The scheduler ticks run so far: a stuck-vCPU watch goes on only from one tick to the next (the timer thread only). */
    private long ticks;
    /** The tick's view of the vCPUs holding a pCPU: one slot per pCPU, reused (the timer thread only). */
    private final CreditUnit.Client[] tickClients;
    private volatile KernelSource kernelSource;

    // Claims, guarded by this object's monitor.
    private int nextDomid = 1;
    /** Ids from {@link #reserveDomid}, not yet requested or released. */
    private final Set<Integer> reservedDomids = new HashSet<>();
    /** Ids of domains being built, or built and not yet destroyed, with their names. */
    private final Map<Integer, String> claimedDomids = new HashMap<>();
    /** The names of those domains, with their ids. */
    private final Map<String, Integer> claimedNames = new HashMap<>();
    private volatile boolean closed;

    private Hypervisor(HostConfig config) {
        GuestVisibleClasses.initializeAll();
        this.config = config;
        Clock clock = config.clock();
        long bootNanos = clock.nanos();
        this.machine = MachineMemory.create(config.machineMemoryBytes());
        FrameTable frames = new FrameTable(machine);
        frames.reserveMachphysTable();
        this.timers = new Timers(clock);
        this.reaper = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().name("parasol-reaper").daemon(true).unstarted(r));
        this.console = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().name("parasol-console").daemon(true).unstarted(r));
        this.host = new Host(machine, frames, new PageTables(frames),
                new CreditScheduler(clock, config.pcpus(), config.timeSlice().toNanos(), config.haltPollMax().toNanos()), timers, clock,
                bootNanos, new TimeScale(config.tscHz()), config.virtualThreads(), reaper, console, new Listener(),
                new HypercallTable());
        this.tickClients = new CreditUnit.Client[host.scheduler().nrPcpus()];
        this.schedTick = timers.newTimer(this::tick);
        schedTick.set(clock.nanos() + host.scheduler().tickNanos());
        org.parasol.hypervisor.jfr.JfrSwitch.install();
        jdk.jfr.FlightRecorder.addPeriodicEvent(org.parasol.hypervisor.jfr.HypercallSampleEvent.class, hypercallSampler);
        onDomainCreated(d -> org.parasol.hypervisor.jfr.DomainLifecycleEvent.emit(d.domid(), d.name(), "created", ""));
        onShutdown(d -> org.parasol.hypervisor.jfr.DomainLifecycleEvent.emit(d.domid(), d.name(), "shutdown",
                shutdownReasonName(d.shutdownReason())));
        onDomainDestroyed(d -> {
            org.parasol.hypervisor.jfr.DomainLifecycleEvent.emit(d.domid(), d.name(), "destroyed",
                    shutdownReasonName(d.shutdownReason()));
            if (org.parasol.hypervisor.jfr.JfrSwitch.hypercalls) {
                sampleHypercalls(d); // its last calls, before it is forgotten
            }
            synchronized (sampledCounts) {
                sampledCounts.remove(d);
            }
        });
    }

    /** Each domain's hypercall counts at the last JFR sample, by domain. */
    private final java.util.Map<Domain, long[]> sampledCounts = new java.util.IdentityHashMap<>();

    /** JFR's periodic hook: one event per domain and hypercall family that ran since the last sample. */
    private final Runnable hypercallSampler = () -> {
        for (Domain d : domains()) {
            sampleHypercalls(d);
        }
    };

    /** One domain's hypercalls per family since its last sample (also at its death: nothing is lost). */
    private void sampleHypercalls(Domain d) {
        long[] total = new long[org.parasol.hypercall.Hypercall.TABLE_SIZE];
        for (Vcpu v : d.vcpus()) {
            long[] c = v.hypercallCounts();
            for (int nr = 0; nr < total.length && nr < c.length; nr++) {
                total[nr] += c[nr];
            }
        }
        long[] last;
        synchronized (sampledCounts) {
            last = sampledCounts.put(d, total);
        }
        for (int nr = 0; nr < total.length; nr++) {
            long delta = total[nr] - (last == null ? 0 : last[nr]);
            if (delta > 0) {
                org.parasol.hypervisor.jfr.HypercallSampleEvent e = new org.parasol.hypervisor.jfr.HypercallSampleEvent();
                if (!e.isEnabled()) {
                    return;
                }
                e.domid = d.domid();
                String name = org.parasol.hypercall.Hypercall.name(nr);
                e.family = name != null ? name : "#" + nr;
                e.calls = delta;
                e.total = total[nr];
                e.commit();
            }
        }
    }

    private static String shutdownReasonName(int reason) {
        return switch (reason) {
            case Shutdown.POWEROFF -> "poweroff";
            case Shutdown.REBOOT -> "reboot";
            case Shutdown.SUSPEND -> "suspend";
            case Shutdown.CRASH -> "crash";
            case Shutdown.WATCHDOG -> "watchdog";
            case Shutdown.SOFT_RESET -> "soft_reset";
            default -> "";
        };
    }

    /** Boots a host. */
    public static Hypervisor boot(HostConfig config) {
        return new Hypervisor(config);
    }

    // ---------------------------------------------------------------- parts

    public HostConfig config() {
        return config;
    }

    /** What the host gives every domain and vCPU. */
    public Host host() {
        return host;
    }

    public MachineMemory machine() {
        return machine;
    }

    public FrameTable frames() {
        return host.frames();
    }

    /** Machine frames free right now (what {@code xl info} calls free memory, in pages). */
    public long freeFrames() {
        return host.frames().freeFrames();
    }

    /** The PV MMU's rules over {@link #frames()}. */
    public PageTables pageTables() {
        return host.pageTables();
    }

    /** The credit scheduler: pCPUs, cpupools, and each domain's weight, cap and affinities. */
    public CreditScheduler scheduler() {
        return host.scheduler();
    }

    /** The cpupool every pCPU and domain starts in. */
    public static final String POOL0_NAME = CreditScheduler.POOL0_NAME;

    /**
     * Makes cpupool {@code name} of the pCPUs {@code cpus} (xl's CPU list, such as {@code "2-3"}),
     * taken from Pool-0, as {@code xl cpupool-create} would; a domain joins it by createdomain's
     * {@code cpupool_id}.
     *
     * @return the pool's id
     * @throws IllegalArgumentException naming what is wrong: the list, a taken name, pCPUs Pool-0
     *     does not have, or none left for it
     */
    public int createCpupool(String name, String cpus) {
        return host.scheduler().createPool(name, org.parasol.hypervisor.sched.CpuMask.parse(cpus));
    }

    /**
     * A domain as the credit scheduler holds it, for the host's tools and tests.
     *
     * @param weight       its weight
     * @param cap          its cap, in percent of one pCPU (0: none)
     * @param pool         its cpupool's name
     * @param hardAffinity each vCPU's hard affinity, as a CPU list ({@code "all"} for every pCPU)
     * @param softAffinity each vCPU's soft affinity, likewise
     */
    public record Scheduling(int weight, int cap, String pool, List<String> hardAffinity, List<String> softAffinity) {
    }

    /** How the credit scheduler holds {@code d}. */
    public Scheduling scheduling(Domain d) {
        CreditScheduler s = host.scheduler();
        List<String> hard = new ArrayList<>();
        List<String> soft = new ArrayList<>();
        for (Vcpu v : d.vcpus()) {
            hard.add(s.hardAffinity(v.sched().unit()).toString());
            soft.add(s.softAffinity(v.sched().unit()).toString());
        }
        return new Scheduling(s.weight(d.scheduling()), s.cap(d.scheduling()), s.poolOf(d.scheduling()).name(),
                List.copyOf(hard), List.copyOf(soft));
    }

    public Timers timers() {
        return timers;
    }

    public Clock clock() {
        return host.clock();
    }

    public TimeScale timeScale() {
        return host.timeScale();
    }

    /** Clock reading at boot: system time 0. */
    public long bootNanos() {
        return host.bootNanos();
    }

    /** {@code system_time}: nanoseconds since the hypervisor booted. */
    public long systemTime() {
        return host.systemTime();
    }

    /** The clock reading at which system time equals {@code systemTime}. */
    public long clockTimeOf(long systemTime) {
        return host.clockTimeOf(systemTime);
    }

    /** Sets where {@link #createDomain(DomainConfig)} finds kernels. */
    public void setKernelSource(KernelSource source) {
        this.kernelSource = source;
    }

    // ---------------------------------------------------------------- creating domains

    /** Creates a domain from its config's image and starts it. */
    public Domain createDomain(DomainConfig cfg) throws DomainCreationException {
        KernelFactory factory = load(cfg);
        return start(build(cfg, claim(cfg, -1), false), factory);
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
        if (requestedDomid < 1 || requestedDomid >= DomId.DOMID_FIRST_RESERVED) {
            throw new DomainCreationException("domain id " + requestedDomid + " cannot be requested: a domain's id runs from 1 to "
                    + (DomId.DOMID_FIRST_RESERVED - 1));
        }
        return start(build(cfg, claim(cfg, requestedDomid), false), factory);
    }

    /**
     * Creates the control domain, dom0: domain id 0, privileged, from its config's image, as
     * Xen builds dom0 itself at boot before any toolstack exists. Every other domain then gets
     * an id from 1.
     *
     * @throws DomainCreationException if {@code cfg} is not privileged, domain 0 exists, or
     *     creation fails as for {@link #createDomain(DomainConfig)}
     */
    public Domain createDom0(DomainConfig cfg) throws DomainCreationException {
        return createDom0(cfg, null);
    }

    /**
     * {@link #createDom0(DomainConfig)} with a boot module, as Xen hands dom0 the modules its
     * boot loader loaded: {@code module}'s bytes are copied into pages of dom0's own after
     * start_info, below its bootstrap page tables (so its allocator never hands them out), and
     * {@code start_info.mod_start} is their first PFN ({@code SIF_MOD_START_PFN} in
     * {@code flags}), {@code mod_len} their length.
     *
     * @param module the module's bytes, or null or empty for none
     * @throws DomainCreationException as {@link #createDom0(DomainConfig)}, or if dom0's memory
     *     cannot hold its start-of-day region with the module
     */
    public Domain createDom0(DomainConfig cfg, byte[] module) throws DomainCreationException {
        if (!cfg.privileged()) {
            throw new DomainCreationException("dom0 must be privileged: '" + cfg.name() + "' is not");
        }
        KernelFactory factory = load(cfg);
        return start(build(cfg, claim(cfg, 0), false, module), factory);
    }

    /** Creates a domain running {@code kernel} (an object the caller made) and starts it. */
    public Domain createDomain(DomainConfig cfg, GuestKernel kernel) throws DomainCreationException {
        return start(build(cfg, claim(cfg, -1), false), domid -> kernel);
    }

    /**
     * Creates a bare domain: memory, start_info, shared_info and vCPUs, but no kernel and no
     * threads. Its vCPUs are driven by whichever thread {@link Vcpu#attach attaches} them.
     */
    public Domain createBareDomain(DomainConfig cfg) throws DomainCreationException {
        return build(cfg, claim(cfg, -1), true);
    }

    /** Loads {@code cfg}'s image through the kernel source, on the creating thread. */
    /** The host's view of {@code f}, keeping its translated form. */
    private static Host.KernelFactory hostFactory(KernelFactory f) {
        return new Host.KernelFactory() {
            @Override
            public GuestKernel create(int domid) throws Exception {
                return f.create(domid);
            }

            @Override
            public GuestKernel createTranslated(int domid) throws Exception {
                return f.createTranslated(domid);
            }
        };
    }

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

    /** An id and a name claimed for one build; {@code reserved} if the id came from a reservation. */
    private record Claim(int domid, String name, boolean reserved) {
    }

    /**
     * Step 0 of a build: claims {@code cfg}'s name and an id — {@code requested}, or a free one
     * when it is -1 — in one atomic step, so no other creation can take either until the
     * domain is destroyed or the build fails.
     */
    private synchronized Claim claim(DomainConfig cfg, int requested) throws DomainCreationException {
        if (closed) {
            throw new DomainCreationException("the hypervisor is shut down");
        }
        Integer holder = claimedNames.get(cfg.name());
        if (holder != null) {
            throw new DomainCreationException("a domain named '" + cfg.name() + "' already exists (domid " + holder + ")");
        }
        int domid;
        boolean reserved = false;
        if (requested < 0) {
            domid = nextFreeDomid();
        } else {
            String other = claimedDomids.get(requested);
            if (other != null) {
                throw new DomainCreationException(host.lookup(requested) != null
                        ? "domain id " + requested + " is taken by '" + other + "'"
                        : "domain id " + requested + " is taken by a domain being created or destroyed");
            }
            domid = requested;
            reserved = reservedDomids.remove(requested);
        }
        claimedDomids.put(domid, cfg.name());
        claimedNames.put(cfg.name(), domid);
        return new Claim(domid, cfg.name(), reserved);
    }

    /** Undoes step 0: the id and name are free again, and the id reserved again if it was. */
    private synchronized void release(Claim c) {
        claimedDomids.remove(c.domid());
        claimedNames.remove(c.name());
        if (c.reserved()) {
            reservedDomids.add(c.domid());
        }
    }

    /** The next id, round-robin from the last one handed out, that is neither claimed nor reserved. */
    private int nextFreeDomid() throws DomainCreationException {
        for (int i = 0; i < DomId.DOMID_FIRST_RESERVED; i++) {
            int id = nextDomid;
            nextDomid = nextDomid >= DomId.DOMID_FIRST_RESERVED - 1 ? 1 : nextDomid + 1;
            if (!claimedDomids.containsKey(id) && !reservedDomids.contains(id)) {
                return id;
            }
        }
        throw new DomainCreationException("no free domain id");
    }

    /** Steps 1 to 5 ({@link DomainBuilder#build}) for a claim; a failure gives the claim back. */
    private Domain build(DomainConfig cfg, Claim c, boolean bare) throws DomainCreationException {
        return build(cfg, c, bare, null);
    }

    private Domain build(DomainConfig cfg, Claim c, boolean bare, byte[] module) throws DomainCreationException {
        boolean built = false;
        try {
            Domain d = DomainBuilder.build(host, cfg, c.domid(), bare, module);
            built = true;
            return d;
        } finally {
            if (!built) {
                release(c);
            }
        }
    }

    /** Step 6: vCPU 0 makes the kernel instance (guest code) and boots it. */
    private Domain start(Domain d, KernelFactory factory) {
        announce(d);
        long si = d.startInfoVa();
        DomainBuilder.start(d, () -> DomainBuilder.bootKernel(d, hostFactory(factory), d.vcpu(0).cpu(), si));
        return d;
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

    // ---------------------------------------------------------------- domains

    /** Every domain that is not dead, by domid. */
    public List<Domain> domains() {
        List<Domain> l = new ArrayList<>(host.domains());
        l.sort(Comparator.comparingInt(Domain::domid));
        return l;
    }

    /** The domain with {@code domid}, if it exists and is not dead. */
    public Optional<Domain> domain(int domid) {
        return Optional.ofNullable(host.lookup(domid));
    }

    /**
     * The domain with {@code domid} if it exists and is not dead, else null: {@link #domain(int)}
     * allocating nothing.
     */
    public Domain lookup(int domid) {
        return host.lookup(domid);
    }

    /**
     * The host's side of {@code xl rename}: domain {@code d} is listed and logged as
     * {@code name} from now on. Claims the name as creation does, so no two domains ever share
     * one; false, and nothing changes, when another domain has it.
     */
    public boolean renameDomain(Domain d, String name) {
        return host.toolstack().rename(d, name);
    }

    /**
     * Console input for domain {@code d}: up to {@code len} bytes of {@code b} from {@code off}
     * into its console, as a user types them. A paravirtual kernel's console is its PV console
     * ring, whose port is raised ({@link ConsoleRing#write}); a native kernel's ({@code virt}
     * trap, bt, bare) is COM1, whose line takes the bytes and feeds the receive FIFO as the
     * guest empties it ({@link org.parasol.hypervisor.hvm.Uart16550#receive}: IRQ 4). Returns
     * how many bytes were taken (0 when the guest has not read what is there yet: try the rest
     * later), {@code -ENODEV} for a domain with no console to type at (dom0, a paravirtual
     * domain not built by dom0), {@code -ESRCH} once it is going, {@code -EIO} when the guest
     * broke the ring. Never waits on the guest.
     */
    public int consoleInput(Domain d, byte[] b, int off, int len) {
        org.parasol.hypervisor.hvm.Uart16550 uart = d.uart();
        if (uart != null) {
            return d.mayRun() ? uart.receive(b, off, len) : -org.parasol.hypercall.Errno.ESRCH;
        }
        org.parasol.hypervisor.domain.ConsoleRing ring = d.consoleRing();
        if (ring == null) {
            return -org.parasol.hypercall.Errno.ENODEV;
        }
        return ring.write(b, off, len);
    }

    /** The domain named {@code name}, if any. */
    public Optional<Domain> domain(String name) {
        return host.domains().stream().filter(d -> d.name().equals(name)).findFirst();
    }

    /**
     * The host relay: where the host offers connections it accepts (xenstored's Unix socket)
     * to dom0, which attaches a page and a port per connection ({@code parasol_host_relay_op}).
     */
    public org.parasol.hypervisor.domain.HostRelay hostRelay() {
        return host.relay();
    }

    /** {@code send_global_virq}: see {@link Host#sendGlobalVirq}. */
    public void sendGlobalVirq(int virq) {
        host.sendGlobalVirq(virq);
    }

    /**
     * Registers a callback run when a domain has been built and is about to run for the first
     * time: by {@link #createDomain} and {@link #createDom0} before its vCPU 0 starts, by
     * domctl (a control domain's build) when Parasol's load-image command has given it its
     * kernel and its name, while it is still paused. Runs on the creating thread (for domctl,
     * the control domain's vCPU); it must not block.
     */
    public void onDomainCreated(Consumer<Domain> listener) {
        createListeners.add(listener);
    }

    private void announce(Domain d) {
        for (Consumer<Domain> l : createListeners) {
            try {
                l.accept(d);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "domain-created listener failed", e);
            }
        }
    }

    /** Registers a callback run (on the reaper thread) when any domain shuts down. */
    public void onShutdown(Consumer<Domain> listener) {
        shutdownListeners.add(listener);
    }

    /**
     * Registers a callback run when any domain has been destroyed (xenstored's
     * {@code @releaseDomain}): its vCPUs stopped, its ports closed, its mappings of other
     * domains' grants released and its memory given back, except frames another domain still
     * maps, which go when that domain unmaps them. Runs on the destroying thread, after the
     * domain is dead and its id free again; it must not block.
     */
    public void onDomainDestroyed(Consumer<Domain> listener) {
        destroyListeners.add(listener);
    }

    /**
     * Destroys a domain: waits for its vCPUs (up to the configured timeout) and returns its
     * frames. Returns false when it stays a zombie.
     */
    public boolean destroy(Domain d) {
        return d.destroy(config.destroyTimeout().toNanos());
    }

    /** The toolstack's side of a domain's shutdown and death. */
    private final class Listener implements Host.Listener {
        /**
         * Tells the privileged domains ({@code VIRQ_DOM_EXC}), then runs the domain's on_*
         * action on the reaper thread.
         */
        @Override
        public void domainShutDown(Domain d) {
            if (closed) {
                return;
            }
            host.sendGlobalVirq(Virq.DOM_EXC);
            try {
                reaper.execute(() -> onShutdownAction(d));
            } catch (RejectedExecutionException e) {
                // shutting down: every domain is being destroyed anyway
            }
        }

        @Override
        public void domainDestroyed(Domain d) {
            synchronized (Hypervisor.this) {
                claimedDomids.remove(d.domid());
                claimedNames.remove(d.name());
            }
            for (Consumer<Domain> l : destroyListeners) {
                try {
                    l.accept(d);
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.ERROR, "domain-destroyed listener failed", e);
                }
            }
        }

        @Override
        public int claimDomid(int requested) {
            return claimForDomctl(requested);
        }

        @Override
        public String claimedName(int domid) {
            synchronized (Hypervisor.this) {
                return claimedDomids.get(domid);
            }
        }

        @Override
        public void releaseDomid(int domid) {
            synchronized (Hypervisor.this) {
                String name = claimedDomids.remove(domid);
                if (name != null) {
                    claimedNames.remove(name);
                }
            }
        }

        @Override
        public boolean rename(Domain d, String name) {
            synchronized (Hypervisor.this) {
                Integer holder = claimedNames.get(name);
                if (holder != null && holder != d.domid()) {
                    return false;
                }
                claimedNames.remove(d.name());
                claimedNames.put(name, d.domid());
                claimedDomids.put(d.domid(), name);
                d.rename(name);
                return true;
            }
        }

        @Override
        public void domainCreated(Domain d) {
            announce(d);
        }

        @Override
        public Host.KernelFactory loadKernel(String image, boolean privileged) throws Exception {
            KernelSource src = kernelSource;
            if (src == null) {
                throw new ImageException("no kernel source configured for image '" + image + "'");
            }
            KernelFactory factory = src.load(image, privileged);
            return hostFactory(factory);
        }

        @Override
        public long destroyTimeoutNanos() {
            return config.destroyTimeout().toNanos();
        }
    }

    /**
     * {@code domid_alloc} for {@code XEN_DOMCTL_createdomain}: {@code requested} exactly if it is
     * a free id below {@code DOMID_FIRST_RESERVED} (0 included, as Xen; a launcher reservation
     * counts as taken), or the next free id for {@code DOMID_ANY}; -1 otherwise. The domain is
     * named {@code d<id>}, as Xen's logs name domains (with a suffix should a launcher domain
     * already carry that name).
     */
    private synchronized int claimForDomctl(int requested) {
        if (closed) {
            return -1;
        }
        int domid;
        if (requested == DomId.DOMID_ANY) {
            try {
                domid = nextFreeDomid();
            } catch (DomainCreationException e) {
                return -1;
            }
        } else if (requested >= 0 && requested < DomId.DOMID_FIRST_RESERVED) {
            if (claimedDomids.containsKey(requested) || reservedDomids.contains(requested)) {
                return -1;
            }
            domid = requested;
        } else {
            return -1;
        }
        String name = "d" + domid;
        for (int n = 2; claimedNames.containsKey(name); n++) {
            name = "d" + domid + "-" + n;
        }
        claimedDomids.put(domid, name);
        claimedNames.put(name, domid);
        return domid;
    }

    private void onShutdownAction(Domain d) {
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
    }

    // ---------------------------------------------------------------- faults

    /** Exceptions that reached the dispatch boundary since boot (tests assert it stays 0). */
    public long unhandledExceptions() {
        return host.unhandledExceptions();
    }

    // ---------------------------------------------------------------- scheduler tick

    /**
     * Every scheduler tick (a third of the time slice), on the timer thread: the credit
     * scheduler burns the running vCPUs' credit and, every third tick, hands credits out
     * ({@link CreditScheduler#tick}); then each running vCPU is asked to pass a safe point (it
     * makes way there if the scheduler says so), and the tick reports a vCPU that has not passed one
     * for the stuck threshold, or that failed a stack check and swallowed the abort; that
     * domain is crashed. The tick itself only reads and sets words: the crash runs on the
     * host worker, so the timer thread never waits on a lock a vCPU may hold.
     */
    void tick() { // package-private for TickAllocationTest, which runs it on a manual clock
        if (closed) {
            return;
        }
        CreditScheduler sched = host.scheduler();
        sched.tick();
        long now = host.clock().nanos();
        long threshold = config.stuckThreshold().toNanos();
        long tick = ++ticks;
        // Only the vCPUs that hold a pCPU can be in guest code (a vCPU runs guest code only
        // with a permit), so the tick visits at most one vCPU per pCPU and idle domains cost
        // it nothing. Each keeps its own watch: one that this tick finds in guest code but the
        // last did not (it left guest code, or was not looked at) starts a fresh one.
        int n = sched.runningClients(tickClients);
        for (int i = 0; i < n; i++) {
            if (!(tickClients[i] instanceof SchedUnit.VcpuClient c)) {
                continue;
            }
            tickClients[i] = null;
            Vcpu v = c.vcpu();
            Domain d = v.domain();
            if (d.isBare() || !d.mayRun()) {
                continue;
            }
            String deferred = v.deferredCrash();
            if (deferred != null) {
                if (v.claimHostCrash()) { // queued once, however many ticks pass before it runs
                    String cause = "vCPU " + v.id() + " " + deferred;
                    hostWork(() -> d.crash(cause));
                }
                continue;
            }
            if (!v.inGuest()) {
                continue;
            }
            long sp = v.safePoints();
            Vcpu.StuckWatch w = v.stuckWatch();
            boolean watched = w.tick == tick - 1;
            w.tick = tick;
            if (!watched || w.safePoints != sp) {
                w.safePoints = sp;
                w.since = now;
                w.cpuMark = NO_CPU_MARK;
            } else if (now - w.since >= threshold && stuck(v, w, threshold, now)) {
                long ms = (now - w.since) / 1_000_000;
                w.tick = Long.MIN_VALUE; // reported once: a later tick would start afresh
                hostWork(() -> {
                    LOG.log(System.Logger.Level.ERROR, "domain " + d.name() + " (" + d.domid() + "): vCPU " + v.id()
                            + " reached no safe point for " + ms + " ms; crashing it");
                    d.crash("vCPU " + v.id() + " stuck: no safe point for " + ms + " ms");
                });
                continue;
            }
            v.requestPreempt();
        }
        schedTick.set(now + host.scheduler().tickNanos());
    }

    /** {@link Vcpu.StuckWatch#cpuMark} before the vCPU's thread's CPU time was first read in a watch. */
    private static final long NO_CPU_MARK = Long.MIN_VALUE;
    /** A vCPU that ran no safe point for this many thresholds of wall time is stuck whatever its CPU time says. */
    private static final int STUCK_WALL_THRESHOLDS = 6;
    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();

    /**
     * Whether a vCPU that has passed no safe point for {@code threshold} of wall time is stuck:
     * its thread has since burnt {@code threshold} of CPU time in guest code (counted from the
     * first tick past the threshold, so a spinning guest goes in about two thresholds), or the
     * wall time has reached {@link #STUCK_WALL_THRESHOLDS} thresholds (a thread that waits in
     * guest code while it holds its pCPU). Wall time alone crashed healthy domains whose threads
     * the host had starved for the threshold on a loaded machine. A thread whose CPU time the
     * JVM cannot read (a virtual thread) is judged by wall time, as before.
     */
    private static boolean stuck(Vcpu v, Vcpu.StuckWatch w, long threshold, long now) {
        Thread t = v.thread();
        long cpu = t == null || t.isVirtual() || !THREADS.isThreadCpuTimeSupported() ? -1 : THREADS.getThreadCpuTime(t.threadId());
        if (cpu < 0) {
            return true;
        }
        if (w.cpuMark == NO_CPU_MARK) {
            w.cpuMark = cpu;
            return false;
        }
        return cpu - w.cpuMark >= threshold || now - w.since >= STUCK_WALL_THRESHOLDS * threshold;
    }

    /**
     * Runs {@code work} on the hypervisor's host worker (the reaper thread): where the timer
     * thread hands anything that may wait on a domain's locks (a crash, a watchdog shutdown).
     */
    public void hostWork(Runnable work) {
        if (closed) {
            return;
        }
        host.hostWork(work);
    }

    // ---------------------------------------------------------------- console

    /** The hypervisor's console thread: where domains' console lines reach their readers. */
    public Executor consoleThread() {
        return console;
    }

    /** Waits until every console line written so far has reached its readers. */
    public void drainConsole() {
        try {
            console.submit(() -> { }).get(10, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException | RejectedExecutionException e) {
            LOG.log(System.Logger.Level.WARNING, "console thread did not drain: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Types {@code s} at the hypervisor's console: what a privileged domain reads with
     * CONSOLEIO_read after {@code VIRQ_CONSOLE} (dom0 reads it as xl commands, one a line).
     * At most {@link org.parasol.hypervisor.domain.Host#CONSOLE_INPUT_MAX} characters wait
     * unread; beyond them input is dropped, as by Xen's serial ring.
     *
     * @return the characters kept
     */
    public int consoleInput(String s) {
        return host.consoleInput(s);
    }


    // ---------------------------------------------------------------- shutdown

    /** Whether {@link #close} has run. */
    public boolean isClosed() {
        return closed;
    }

    /** Destroys every domain and releases machine memory. */
    @Override
    public void close() {
        synchronized (this) {
            // Under the claims' monitor: no claim is between its check of `closed` and its entry.
            if (closed) {
                return;
            }
            closed = true;
        }
        jdk.jfr.FlightRecorder.removePeriodicEvent(hypercallSampler);
        schedTick.stop();
        destroyAll();
        host.closeVcpuThreads();
        reaper.shutdown();
        console.shutdown();
        try {
            reaper.awaitTermination(5, TimeUnit.SECONDS);
            console.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        timers.close();
        boolean zombies = host.domains().stream().anyMatch(d -> d.state() == DomainState.ZOMBIE);
        if (!zombies) {
            machine.close();
        }
    }

    /**
     * Destroys every domain, including those a toolstack was still creating when the host
     * closed (claimed before {@code closed} was set, listed after the first pass looked): passes
     * until no domain id is claimed any more, or the destroy timeout has gone by (a zombie keeps
     * its claim).
     */
    private void destroyAll() {
        long deadline = System.nanoTime() + config.destroyTimeout().toNanos();
        for (;;) {
            for (Domain d : domains()) {
                d.shutdown(Shutdown.POWEROFF, null);
                d.destroy(config.destroyTimeout().toNanos());
            }
            synchronized (this) {
                if (claimedDomids.isEmpty()) {
                    return;
                }
            }
            if (System.nanoTime() > deadline) {
                return;
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
