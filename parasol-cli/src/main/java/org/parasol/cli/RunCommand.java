package org.parasol.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.parasol.cli.relay.XenstoredSocket;
import org.parasol.control.XlConfigParser;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.abi.Runstate;
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.domain.Virtualization;
import org.parasol.hypervisor.HostConfig;
import org.parasol.hypervisor.HostLimits;
import org.parasol.hypervisor.Hypervisor;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainCreationException;
import org.parasol.hypervisor.domain.DomainState;
import org.parasol.hypervisor.domain.Vcpu;
import org.parasol.hypervisor.image.ImageException;
import org.parasol.hypervisor.image.ImageLoader;
import org.parasol.hypervisor.image.ImageRepository;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code parasol run}: boots a hypervisor in this process and dom0 on it, has dom0 create the
 * run's domains, streams each domain's console prefixed by its name (dom0's as
 * {@code [Domain-0]}), and exits when dom0 has powered off after the last of them.
 *
 * <pre>
 *  parasol run                        hypervisor                     dom0 (Dom0Kernel)
 *  images found, bytecode checked
 *  Dom0Module: one line a domain
 *  boot, onDomainCreated(subscribe)
 *  createDom0(Domain-0, module) -----> start_info.mod_start/mod_len -> DomainList.parse
 *                                                                     createdomain .. load_image(name)
 *  [name] console lines  <----------- onDomainCreated (still paused)  .. unpausedomain
 *                                     VIRQ_DOM_EXC ------------------> on_poweroff/reboot/crash
 *  summary, exit status  <----------- dom0 shuts down (poweroff) <--- after the last domain
 * </pre>
 *
 * <p>An argument ending in {@code .cfg} is an xl.cfg file ({@link XlDomain}): one domain, as
 * {@code xl create} makes it, with the file's name, memory, vCPUs, kernel image, command line
 * and on_poweroff/on_reboot/on_crash. Every file is read, and every image found and its
 * bytecode checked, before anything boots: an error names the file, the line and the key, or
 * the image and the rule, and nothing starts. As in Xen, where xl in dom0 and not the
 * hypervisor acts on a domain's shutdown, dom0 carries out the on_* actions: destroy, restart
 * (a new domain from the same configuration) or preserve (kept, shut down, until the run
 * ends). Domains given as images are destroyed when they shut down.
 *
 * <p>An image with a {@code <image>.launch} file beside its descriptor ({@link LaunchPlan}) runs
 * as the domains that file lists, in its order, each instance numbered when there are several:
 * {@code pingpong} is {@code pong}, then {@code ping} with a pingpong device served by
 * {@code pong}. dom0 builds them like the others, writes each device's two ends into the store
 * before the front end runs, and the domains meet there.
 *
 * <p>Ctrl-C (SIGINT) or SIGTERM ends the run cooperatively: the command types
 * {@code xl shutdown -a} at the hypervisor's console, which dom0 reads; each domain's kernel
 * hears the request in its {@code control/shutdown} and powers off, and dom0 destroys any still
 * up after its shutdown timeout ({@code --shutdown-timeout}), then powers off itself. The
 * command waits for that, bounded by the timeout and {@value #DOM0_GRACE_SECONDS} s more. A
 * second Ctrl-C types {@code xl destroy} for every domain instead of waiting.
 *
 * <p>Its first line names xenstored's Unix socket ({@code --xenstored-socket}; {@link
 * XenstoredSocket}): while the run is up, dom0's tools ({@code XENSTORED_PATH=PATH xenstore-ls})
 * reach dom0's xenstored there, each client relayed into dom0 (deviation 16). A path a live
 * socket holds is refused before anything boots (exit 2).
 *
 * <p>Before anything boots, the run is checked against this host ({@link HostLimits}): the
 * machine memory it configures must fit what the host can back, the heap its domains need the
 * JVM's maximum heap, its vCPUs the threads the process may still start; a run that does not
 * fit is refused (exit 2) with a line for each thing that is short.
 *
 * <p>Exit status 0 when every domain powered off, 1 when any crashed or ended otherwise (or
 * dom0 did not power off), 2 when an image, file or launch descriptor is refused before boot,
 * or dom0 could not build a domain; after Ctrl-C or SIGTERM, 128 plus the signal's number (130,
 * 143), as a shell reports a command a signal ended. A one-line summary per domain of the run
 * (not dom0) follows the consoles.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Boots the hypervisor and runs kernel images as domains until they all shut down.")
final class RunCommand implements java.util.concurrent.Callable<Integer> {

    @Parameters(arity = "1..*", paramLabel = "IMAGE|FILE.cfg",
            description = "Kernel images by short name (e.g. hello), or xl.cfg files (one domain each).")
    List<String> images;

    @Option(names = "--domains", defaultValue = "1",
            description = "Domains per image (default ${DEFAULT-VALUE}); a FILE.cfg is one domain.")
    int domains;

    @Option(names = "--memory", defaultValue = "4",
            description = "MiB of memory per domain of an image (default ${DEFAULT-VALUE}); a FILE.cfg says its own.")
    int memoryMiB;

    @Option(names = "--vcpus", defaultValue = "1",
            description = "vCPUs per domain of an image (default ${DEFAULT-VALUE}); a FILE.cfg says its own.")
    int vcpus;

    @Option(names = "--pcpus", description = "Physical CPUs to hand out (default: the host's cores).")
    Integer pcpus;

    @Option(names = "--virtual-threads",
            description = "Runs every vCPU on a virtual thread instead of a platform thread of its own: a blocked vCPU then"
                    + " holds no platform thread or stack, so many idle domains cost little (see docs/results.md, density).")
    boolean virtualThreads;

    @Option(names = "--cpupool", paramLabel = "NAME:CPUS",
            description = "A cpupool of the credit scheduler, made at boot from Pool-0's pCPUs (xl cpupool-create),"
                    + " such as fast:2-3; an xl.cfg's pool= names it. Repeatable; Pool-0 keeps the rest.")
    List<String> cpupools = new ArrayList<>();

    @Option(names = "--cmdline", defaultValue = "",
            description = "Kernel command line for every domain of an image; a FILE.cfg says its own.")
    String cmdline;

    @Option(names = "--console-input",
            description = "Standard input goes to the first guest's console, as typed at parasol console: its PV console"
                    + " ring, or COM1 of a native kernel (--virt trap|bare|bt); the shell example reads it.")
    boolean consoleInput;

    @Option(names = "--virt", defaultValue = "pv", paramLabel = "pv|trap|bare|bt",
            description = "How each image's kernel reaches the machine: pv (hypercalls, the default), trap"
                    + " (privileged instructions as VM exits, emulated devices) or bare (the same instructions on the"
                    + " machine model, no exits) or bt (the image's privileged call sites rewritten at load to enter the"
                    + " emulation, no exits); a FILE.cfg says its own (virt=).")
    String virt;

    @Option(names = "--images", paramLabel = "DIR",
            description = "Another folder of images (*.image descriptors), searched before the default"
                    + " (examples/target/images of this checkout); repeatable, searched in the order given.")
    List<Path> imageDirs = new ArrayList<>();

    @Option(names = "--timeout", defaultValue = "0",
            description = "Seconds to wait for the domains before destroying them (0 = no limit).")
    long timeoutSeconds;

    @Option(names = "--shutdown-timeout", paramLabel = "SECONDS",
            description = "Seconds dom0 gives a domain to shut down after xl shutdown (Ctrl-C) before destroying it"
                    + " (default: dom0's, " + DEFAULT_SHUTDOWN_TIMEOUT_SECONDS + ").")
    Long shutdownTimeoutSeconds;

    @Option(names = "--dom0-cmdline", paramLabel = "TEXT", defaultValue = "",
            description = "More of dom0's kernel command line, e.g. xen_blkback.feature_persistent=0 or"
                    + " xen_blkback.grant_io=0 (blkback by grant copy, as Linux's); printable ASCII.")
    String dom0ExtraCmdline;

    @Option(names = "--dom0-vcpus", paramLabel = "N", defaultValue = "1",
            description = "dom0's vCPUs (1-" + MAX_DOM0_VCPUS + "; default 1). vCPUs 1.. serve block and net queues, one"
                    + " run loop each, as Linux's blkback runs a thread per ring and netback a kthread per queue.")
    int dom0Vcpus;

    /** The most vCPUs {@code --dom0-vcpus} gives dom0: one for the store, four for the queues of blkback's most. */
    static final int MAX_DOM0_VCPUS = 5;

    @Option(names = "--xenstored-socket", paramLabel = "PATH",
            description = "Where xenstored's Unix socket listens for dom0's tools (XENSTORED_PATH=PATH xenstore-ls);"
                    + " default $XDG_RUNTIME_DIR/parasol/xenstored.<pid>, else /tmp/parasol-<uid>/xenstored.<pid>."
                    + " The path is printed when the run starts.")
    Path xenstoredSocket;

    @Option(names = "--xenstored-max-clients", defaultValue = "" + XenstoredSocket.DEFAULT_MAX_CLIENTS,
            description = "Socket clients connected at once (default ${DEFAULT-VALUE}); more are turned away.")
    int xenstoredMaxClients;

    @Option(names = "--hypercalls",
            description = "After the summary, each domain's hypercalls by name, with counts (all vCPUs).")
    boolean hypercallBreakdown;

    @Option(names = "--runstate",
            description = "After the summary, each domain's time in each runstate (vcpu_runstate_info: running on a pCPU,"
                    + " runnable waiting for one, blocked, offline), all vCPUs, in seconds.")
    boolean runstateBreakdown;

    /** The most domains dom0's boot module lists ({@code DomainList.DOMAINS_MAX}): checked with the host's limits. */
    static final int DOMAINS_MAX = 1024;
    /**
     * The most {@code --domains} the option takes: a bound on the arithmetic only. What a run
     * may really have (machine memory, heap, threads, domain ids, dom0's boot module) is
     * checked against the whole run before anything boots, each naming what is short.
     */
    static final int DOMAINS_OPTION_MAX = 1_000_000;
    /** The most memory per domain, in MiB (1 TiB). */
    static final int MEMORY_MAX_MIB = 1 << 20;
    /** The most vCPUs per domain (the hypervisor's DomainConfig). */
    static final int VCPUS_MAX = 32;
    /** The most pCPUs a host hands out. */
    static final int PCPUS_MAX = 4096;

    /** dom0's name, as xl lists it. */
    static final String DOM0_NAME = "Domain-0";
    /** dom0's image, packaged by pv-toolstack. */
    static final String DOM0_IMAGE = "dom0";
    /** dom0's memory before its boot module's pages. */
    static final long DOM0_MEMORY_KIB = 16 * 1024;
    /** How long a timed-out run gives dom0 to reap the domains before it ends dom0 too. */
    static final long DOM0_GRACE_SECONDS = 5;
    /** dom0's shutdown timeout when {@code --shutdown-timeout} does not set it (Dom0Kernel's default). */
    static final long DEFAULT_SHUTDOWN_TIMEOUT_SECONDS = 60;

    /** SIGINT's and SIGTERM's numbers, for the exit status after them. */
    static final int SIGINT = 2;
    static final int SIGTERM = 15;

    /** Signals received (Ctrl-C, SIGTERM) and how many of them were acted on; guarded by {@code this}. */
    private int interrupts;
    private int interruptsActedOn;
    private int firstSignal;
    private long firstInterruptNanos;
    private long secondInterruptNanos;
    private Hypervisor running;
    private List<Domain> runningDomains = List.of();
    private PrintStream interruptLog = System.err;

    /** This host's limits, read when the run is checked (tests give their own). */
    java.util.function.Supplier<HostLimits> limits = HostLimits::probe;

    /** Told of the hypervisor right after it boots: how in-process tests put it under their leak check. */
    java.util.function.Consumer<Hypervisor> booted = hv -> { };

    @Override
    public Integer call() throws Exception {
        // sun.misc.Signal (jdk.unsupported): a handler of our own, so that Ctrl-C asks the
        // domains to shut down instead of ending the JVM, and a second one can destroy them.
        sun.misc.SignalHandler oldInt = sun.misc.Signal.handle(new sun.misc.Signal("INT"), sig -> interrupt(SIGINT));
        sun.misc.SignalHandler oldTerm = sun.misc.Signal.handle(new sun.misc.Signal("TERM"), sig -> interrupt(SIGTERM));
        try {
            return run(System.out, System.err);
        } finally {
            // The run is over (its summary printed): a signal from now on ends the JVM as usual.
            sun.misc.Signal.handle(new sun.misc.Signal("INT"), oldInt);
            sun.misc.Signal.handle(new sun.misc.Signal("TERM"), oldTerm);
        }
    }

    /**
     * A signal arrived (from the JVM's signal thread, or a test): the first asks every domain
     * to shut down ({@code xl shutdown -a} at dom0's console), the second destroys them
     * ({@code xl destroy} each). One that comes while the images are checked ends the run before
     * anything boots; one that comes while the host boots is acted on once dom0 is up.
     */
    synchronized void interrupt(int signal) {
        interrupts++;
        if (interrupts == 1) {
            firstSignal = signal;
            firstInterruptNanos = System.nanoTime();
        } else if (interrupts == 2) {
            secondInterruptNanos = System.nanoTime();
        }
        actOnInterrupts();
    }

    /** Whether a signal arrived, and which first (0: none). */
    synchronized int interruptedBy() {
        return interrupts > 0 ? firstSignal : 0;
    }

    /**
     * Until when the run waits for dom0 after the interrupts so far: the shutdown timeout and a
     * grace after the first, the grace alone after the second; {@code Long.MAX_VALUE} before any.
     */
    private synchronized long interruptDeadline(long shutdownBound) {
        if (interrupts == 0) {
            return Long.MAX_VALUE;
        }
        long until = firstInterruptNanos + shutdownBound;
        if (interrupts >= 2) {
            until = Math.min(until, secondInterruptNanos + TimeUnit.SECONDS.toNanos(DOM0_GRACE_SECONDS));
        }
        return until;
    }

    /** dom0 is up: signals from now on go to it, and those that came before are acted on. */
    private synchronized void attach(Hypervisor hv, List<Domain> created, PrintStream err) {
        running = hv;
        runningDomains = created;
        interruptLog = err;
        actOnInterrupts();
    }

    private synchronized void detach() {
        running = null;
    }

    private void actOnInterrupts() {
        Hypervisor hv = running;
        if (hv == null) {
            return;
        }
        String name = firstSignal == SIGTERM ? "SIGTERM" : "SIGINT";
        if (interruptsActedOn < 1 && interrupts >= 1) {
            interruptsActedOn = 1;
            interruptLog.println("parasol run: " + name + ": asking every domain to shut down (xl shutdown -a at dom0's"
                    + " console); again to destroy them at once");
            hv.consoleInput("xl shutdown -a\n");
        }
        if (interruptsActedOn < 2 && interrupts >= 2) {
            interruptsActedOn = 2;
            interruptLog.println("parasol run: interrupted again: destroying every domain (xl destroy)");
            StringBuilder lines = new StringBuilder();
            for (Domain d : runningDomains) {
                if (d.state() != DomainState.DEAD) {
                    lines.append("xl destroy ").append(d.domid()).append('\n');
                }
            }
            hv.consoleInput(lines.toString());
        }
    }

    int run(PrintStream out, PrintStream err) throws InterruptedException {
        // Every option checked before anything is read or built: one line naming it and its range.
        String bad = Checks.range("--domains", domains, 1, DOMAINS_OPTION_MAX, "");
        if (bad == null) {
            bad = Checks.range("--memory", memoryMiB, 1, MEMORY_MAX_MIB, "MiB");
        }
        if (bad == null) {
            bad = Checks.range("--vcpus", vcpus, 1, VCPUS_MAX, "");
        }
        if (bad == null && pcpus != null) {
            bad = Checks.range("--pcpus", pcpus, 1, PCPUS_MAX, "");
        }
        if (bad == null) {
            bad = Checks.range("--timeout", timeoutSeconds, 0, 86_400 * 365L, "seconds");
        }
        if (bad == null) {
            for (Path dir : imageDirs) {
                if (!java.nio.file.Files.isDirectory(dir)) {
                    bad = "--images " + dir + ": not a folder";
                    break;
                }
            }
        }
        if (bad != null) {
            err.println("parasol run: " + bad);
            return 2;
        }
        try {
            Virtualization.parse(virt);
        } catch (IllegalArgumentException e) {
            err.println("parasol run: --virt: " + e.getMessage());
            return 2;
        }
        // The cpupools, by name: Pool-0 is 0, the others numbered in the order given, as the
        // scheduler numbers them when they are made at boot.
        Map<String, Integer> poolIds = new LinkedHashMap<>();
        Map<String, String> poolCpus = new LinkedHashMap<>();
        poolIds.put(Hypervisor.POOL0_NAME, 0);
        for (String spec : cpupools) {
            int colon = spec.indexOf(':');
            String name = colon < 0 ? spec : spec.substring(0, colon);
            if (colon < 0 || !name.matches("[A-Za-z0-9_.-]{1,64}") || poolIds.containsKey(name)) {
                err.println("parasol run: --cpupool " + spec + ": expected NAME:CPUS with a new name of 1-64 of"
                        + " [A-Za-z0-9_.-]");
                return 2;
            }
            poolIds.put(name, poolIds.size());
            poolCpus.put(name, spec.substring(colon + 1));
        }
        ImageRepository repository = ImageRepository.standardAfter(imageDirs);
        Map<String, LaunchPlan> plans = new LinkedHashMap<>();
        long total = 0;
        long configuredKiB = 0;
        Map<String, Integer> instances = new HashMap<>();
        List<XlDomain> configured = new ArrayList<>();
        List<String> imageNames = new ArrayList<>();
        for (String arg : images) {
            if (XlDomain.isConfigFile(arg)) {
                try {
                    XlDomain x = XlDomain.read(Path.of(arg));
                    // The image must exist before anything boots, as for an image given by name.
                    repository.find(x.config().image());
                    for (XlDomain other : configured) {
                        if (other.config().name().equals(x.config().name())) {
                            err.println("parasol run: " + arg + ": name '" + x.config().name() + "' is taken by "
                                    + other.source() + "; domain names are unique on a host");
                            return 2;
                        }
                    }
                    String pool = x.scheduling().pool();
                    if (!pool.isEmpty() && !poolIds.containsKey(pool)) {
                        err.println("parasol run: " + arg + ": no cpupool '" + pool + "' (make it with --cpupool "
                                + pool + ":CPUS)");
                        return 2;
                    }
                    for (XlDomain.Disk d : x.disks()) {
                        try {
                            if (d.prepare()) {
                                out.println("parasol run: created " + d.target() + " (" + d.createSize() + " bytes, sparse)"
                                        + " for " + x.config().name() + "'s " + d.vdev());
                            }
                        } catch (java.io.IOException e) {
                            err.println("parasol run: " + arg + ": disk " + d.vdev() + ": " + e.getMessage());
                            return 2;
                        }
                    }
                    configured.add(x);
                    configuredKiB += x.config().maxMemoryKiB();
                    total++;
                } catch (XlConfigParser.ConfigException | ImageException e) {
                    err.println("parasol run: " + e.getMessage());
                    return 2;
                }
            } else {
                imageNames.add(arg);
            }
        }
        // One bridge uplink to a host TAP per run (Parasol's uplink key): files that name one must agree.
        XlDomain.Uplink uplink = null;
        for (XlDomain x : configured) {
            if (x.uplink() != null) {
                if (uplink != null && !uplink.equals(x.uplink())) {
                    err.println("parasol run: " + x.source() + ": a second uplink; a run has at most one");
                    return 2;
                }
                uplink = x.uplink();
            }
        }
        for (String image : imageNames) {
            LaunchPlan plan = plans.get(image);
            if (plan == null) {
                try {
                    // The launch plan lies beside the descriptor, in whichever folder provides the image.
                    plan = LaunchPlan.read(repository.find(image).source().getParent(), image);
                } catch (ImageException | LaunchException e) {
                    err.println("parasol run: " + e.getMessage());
                    return 2;
                }
                for (String other : plan.images()) {
                    if (!other.equals(image)) {
                        try {
                            repository.find(other);
                        } catch (ImageException e) {
                            err.println("parasol run: " + image + LaunchPlan.SUFFIX + ": " + e.getMessage());
                            return 2;
                        }
                    }
                }
                plans.put(image, plan);
            }
            instances.merge(image, domains, Integer::sum);
            total += (long) domains * plan.domains().size();
        }
        // Every image is found and its bytecode checked before anything boots, dom0's too: a
        // refusal names the image and the rule here, not as an errno from dom0's load-image.
        ImageLoader loader = new ImageLoader(repository);
        java.util.Set<String> toCheck = new java.util.LinkedHashSet<>();
        for (XlDomain x : configured) {
            toCheck.add(x.config().image());
        }
        for (String image : imageNames) {
            toCheck.addAll(plans.get(image).images());
        }
        toCheck.add(DOM0_IMAGE);
        for (String image : toCheck) {
            try {
                loader.load(image);
            } catch (ImageException e) {
                err.println("parasol run: cannot load image '" + image + "'" + (image.equals(DOM0_IMAGE)
                        && !imageNames.contains(image) ? " (dom0's; build it with ./mvnw -pl pv-toolstack -am package)"
                        : "") + ": " + e.getMessage());
                return 2;
            }
        }
        // What dom0 builds: the files' domains and the single images' instances, in order.
        Dom0Module module = new Dom0Module();
        List<String> expected = new ArrayList<>();
        Map<String, Integer> numbered = new HashMap<>();
        // A run dom0's boot module cannot list is refused below, with the host's limits; it is
        // not laid out (at 100,000 domains, that alone would take seconds and megabytes).
        boolean listable = total <= DOMAINS_MAX;
        try {
            for (XlDomain x : configured) {
                module.add(x.config(), x.onPoweroff(), x.onReboot(), x.onCrash(), x.devices(), x.scheduling(),
                        poolIds.getOrDefault(x.scheduling().pool(), 0)).maxVcpus(x.maxVcpus());
                expected.add(x.config().name());
            }
            for (String image : listable ? imageNames : List.<String>of()) {
                LaunchPlan plan = plans.get(image);
                for (int i = 1; i <= domains; i++) {
                    // Named as the plan says (after the image for one domain), numbered when the
                    // image runs more than once; destroyed when they shut down.
                    int n = numbered.merge(image, 1, Integer::sum);
                    String suffix = instances.get(image) == 1 ? "" : "-" + n;
                    for (LaunchPlan.Member m : plan.domains()) {
                        List<String> devices = new ArrayList<>();
                        for (LaunchPlan.Device d : m.devices()) {
                            devices.add(d.value(suffix));
                        }
                        module.add(config(m.name() + suffix, m.image()), DomainConfig.Action.DESTROY,
                                DomainConfig.Action.DESTROY, DomainConfig.Action.DESTROY, devices);
                        expected.add(m.name() + suffix);
                    }
                }
            }
        } catch (IllegalArgumentException e) {
            err.println("parasol run: " + e.getMessage());
            return 2;
        }
        byte[] moduleBytes = module.bytes();
        long dom0KiB = DOM0_MEMORY_KIB + (moduleBytes.length + 4095) / 4096 * 4;
        long hostBytes = ((total - configured.size()) * memoryMiB + 16) * 1024 * 1024 + configuredKiB * 1024
                + dom0KiB * 1024;
        HostConfig host = HostConfig.defaults(hostBytes).withVirtualThreads(virtualThreads);
        if (pcpus != null) {
            host = host.withPcpus(pcpus);
        }
        // Admission: the whole run must fit this host (machine memory it can back, heap,
        // threads) before anything is built, or it is refused naming what is short.
        long vcpuTotal = 1; // dom0's
        for (XlDomain x : configured) {
            vcpuTotal += x.config().vcpus();
        }
        vcpuTotal += (total - configured.size()) * (long) vcpus;
        List<String> shortfalls = new ArrayList<>(limits.get().shortfalls(hostBytes,
                HostLimits.heapBytes(total + 1, vcpuTotal, hostBytes >>> 12), virtualThreads ? 0 : vcpuTotal));
        if (total + 1 > org.parasol.hypercall.DomId.DOMID_FIRST_RESERVED) {
            shortfalls.add("domain ids: needs " + (total + 1) + " with dom0's, Xen's ids are 0.."
                    + (org.parasol.hypercall.DomId.DOMID_FIRST_RESERVED - 1));
        }
        if (!listable) {
            shortfalls.add("dom0's boot module: lists at most " + DOMAINS_MAX + " domains a run (DomainList.DOMAINS_MAX), this run has "
                    + total);
        }
        if (!shortfalls.isEmpty()) {
            err.println("parasol run: refused: " + total + " domain" + (total == 1 ? "" : "s") + " (" + vcpuTotal
                    + " vCPUs with dom0's, " + (hostBytes >> 20) + " MiB of machine memory) do not fit this host:");
            for (String s : shortfalls) {
                err.println("  " + s);
            }
            return 2;
        }
        if (interruptedBy() != 0) {
            // A signal while the images were checked: nothing runs yet that could be asked to
            // shut down, so the run ends here rather than boot only to shut down at once.
            err.println("parasol run: " + (interruptedBy() == SIGTERM ? "SIGTERM" : "SIGINT")
                    + " before dom0 started; nothing was built");
            return 128 + interruptedBy();
        }
        try (Hypervisor hv = Hypervisor.boot(host); SocketHolder xs = new SocketHolder();
                UplinkHolder tap = new UplinkHolder()) {
            booted.accept(hv);
            for (Map.Entry<String, String> p : poolCpus.entrySet()) {
                try {
                    hv.createCpupool(p.getKey(), p.getValue());
                } catch (IllegalArgumentException e) {
                    err.println("parasol run: --cpupool " + p.getKey() + ":" + p.getValue() + ": " + e.getMessage());
                    return 2;
                }
            }
            // dom0's tools reach xenstored here: served on the host's side, relayed into dom0
            // (deviation 16); closed before the hypervisor, so dom0 hears each client hang up.
            if (!xs.open(hv, out, err)) {
                return 2;
            }
            // The bridge's uplink to a host TAP in the user's namespace, relayed into dom0 the same
            // way (deviation 22). Without it (no /dev/net/tun, no permission, no namespace) the run
            // goes on: the guests still reach each other.
            if (uplink != null) {
                tap.open(hv, uplink, out, err);
            }
            hv.setKernelSource(Hypervisor.images(loader));
            CountDownLatch dom0Ended = new CountDownLatch(1);
            // The run's domains in the order dom0 created them (a restart adds one).
            List<Domain> created = new CopyOnWriteArrayList<>();
            java.util.Set<String> createdNames = ConcurrentHashMap.newKeySet();
            Object printLock = new Object();
            // Every domain is announced before it first runs, with its name: dom0 before it
            // boots, dom0's domains when load-image has named them.
            hv.onDomainCreated(d -> {
                String prefix = "[" + d.name() + "] ";
                if (d.domid() != 0) {
                    created.add(d);
                    createdNames.add(d.name());
                }
                d.console().subscribe(line -> {
                    synchronized (printLock) {
                        out.println(prefix + line);
                    }
                });
            });
            // On the hypervisor's reaper thread, once per shutdown. dom0 acts on the domains it
            // built (xl's on_* actions run in dom0); the run ends when dom0 does.
            hv.onShutdown(d -> {
                if (d.domid() == 0) {
                    dom0Ended.countDown();
                }
            });
            Domain dom0;
            String dom0Cmdline = shutdownTimeoutSeconds == null ? "" : "shutdown_timeout=" + shutdownTimeoutSeconds;
            if (dom0ExtraCmdline.length() > 512 || !dom0ExtraCmdline.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
                err.println("parasol run: --dom0-cmdline must be printable ASCII, at most 512 characters");
                return 2;
            }
            dom0Cmdline = (dom0Cmdline + " " + dom0ExtraCmdline).strip();
            if (tap.uplink != null) {
                dom0Cmdline = (dom0Cmdline + " uplink=" + uplink.bridge()).strip();
            }
            if (dom0Vcpus < 1 || dom0Vcpus > MAX_DOM0_VCPUS) {
                err.println("parasol run: --dom0-vcpus must be 1 to " + MAX_DOM0_VCPUS);
                return 2;
            }
            if (shutdownTimeoutSeconds != null && (shutdownTimeoutSeconds < 1 || shutdownTimeoutSeconds > 86_400)) {
                err.println("parasol run: --shutdown-timeout must be 1 to 86400 seconds");
                return 2;
            }
            try {
                dom0 = hv.createDom0(new DomainConfig(DOM0_NAME, dom0KiB, dom0KiB, dom0Vcpus, DOM0_IMAGE, dom0Cmdline, true,
                        DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE),
                        moduleBytes);
            } catch (DomainCreationException e) {
                err.println("parasol run: cannot create dom0: " + e.getMessage());
                return 2;
            }
            attach(hv, created, err);
            RunConsoleInput input = consoleInput ? new RunConsoleInput(hv, created, System.in) : null;
            if (input != null) {
                input.start();
            }
            // dom0 powers off once every domain it built is gone (or preserved): the run's end.
            long deadline = timeoutSeconds <= 0 ? Long.MAX_VALUE : System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
            long shutdownBound = TimeUnit.SECONDS.toNanos((shutdownTimeoutSeconds != null ? shutdownTimeoutSeconds
                    : DEFAULT_SHUTDOWN_TIMEOUT_SECONDS) + DOM0_GRACE_SECONDS);
            boolean inTime = awaitRun(dom0Ended, deadline, shutdownBound);
            boolean dom0Stopped = false;
            if (!inTime) {
                if (interruptedBy() != 0 && System.nanoTime() < deadline) {
                    err.println("parasol run: dom0 did not end the domains in time after the interrupt;"
                            + " destroying the remaining domains");
                } else {
                    err.println("parasol run: timed out after " + timeoutSeconds + " s; destroying the remaining domains");
                }
                endRunning(created);
                // dom0 reaps them and powers off, unless it keeps restarting one (on_crash=restart):
                // then the run ends dom0 itself, and the rest with it.
                if (!dom0Ended.await(DOM0_GRACE_SECONDS, TimeUnit.SECONDS)) {
                    dom0Stopped = true;
                    if (dom0.mayRun()) {
                        dom0.shutdown(Shutdown.POWEROFF, null);
                    }
                    endRunning(created);
                }
            }
            detach();
            if (input != null) {
                input.stop();
            }
            hv.drainConsole();
            out.flush();
            int status = 0;
            if (!dom0Stopped && dom0.shutdownReason() != Shutdown.POWEROFF) {
                err.println("parasol run: dom0 ended with reason " + ended(dom0.shutdownReason())
                        + (dom0.crashCause() != null ? " (" + dom0.crashCause() + ")" : ""));
                status = 1;
            }
            List<String> missing = expected.stream().filter(n -> !createdNames.contains(n)).toList();
            if (!missing.isEmpty()) {
                err.println("parasol run: dom0 could not build " + String.join(", ", missing)
                        + " (its console says why)");
                status = 2;
            }
            out.println();
            out.printf("%-16s %5s %-10s %10s %12s %7s%n", "Name", "ID", "Ended", "Uptime(s)", "Hypercalls", "Faults");
            boolean allPoweredOff = true;
            for (Domain d : created) {
                boolean zombie = d.state() == DomainState.ZOMBIE;
                if (d.shutdownReason() != Shutdown.POWEROFF || zombie) {
                    allPoweredOff = false;
                }
                out.printf("%-16s %5d %-10s %10.3f %12d %7d%s%s%n", d.name(), d.domid(), ended(d),
                        d.uptimeNanos() / 1e9, d.hypercalls(), d.faults(),
                        zombie ? "  zombie" : d.crashCause() != null ? "  (" + d.crashCause() + ")" : "",
                        d.config().virt().nativeKernel()
                                ? "  [" + d.config().virt().key() + ": " + d.vmExits() + " VM exits"
                                        + (d.config().virt() == Virtualization.BT ? ", " + d.translations() + " translations" : "")
                                        + "]" : "");
            }
            if (hypercallBreakdown) {
                out.println();
                for (Domain d : created) {
                    out.println(d.name() + ":" + hypercallsByName(d));
                }
            }
            if (runstateBreakdown) {
                out.println();
                for (Domain d : created) {
                    out.println(d.name() + ":" + runstates(d));
                }
            }
            int signal = interruptedBy();
            if (signal != 0) {
                err.println("parasol run: ended by " + (signal == SIGTERM ? "SIGTERM" : "SIGINT")
                        + (allPoweredOff ? "; every domain shut down" : "; not every domain shut down (see the summary)"));
                return 128 + signal;
            }
            return status != 0 ? status : allPoweredOff ? 0 : 1;
        }
    }

    /**
     * Waits for dom0 to end (after the run's domains), until {@code deadline}, or until
     * {@code shutdownBound} after the first interrupt; false when either ran out first.
     */
    private boolean awaitRun(CountDownLatch dom0Ended, long deadline, long shutdownBound)
            throws InterruptedException {
        while (true) {
            if (dom0Ended.getCount() == 0) {
                return true;
            }
            long until = deadline;
            long interrupted = interruptDeadline(shutdownBound);
            if (interrupted != Long.MAX_VALUE) {
                until = until == Long.MAX_VALUE ? interrupted : Math.min(until, interrupted);
            }
            long left = until == Long.MAX_VALUE ? Long.MAX_VALUE : until - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            // In slices, so that an interrupt's bound takes effect while waiting.
            dom0Ended.await(Math.min(100_000_000L, left), TimeUnit.NANOSECONDS);
        }
    }

    /** How the summary says a domain ended: its shutdown reason, or destroyed while it ran. */
    private static String ended(Domain d) {
        if (d.shutdownReason() < 0 && d.state() == DomainState.DEAD) {
            return "destroyed";
        }
        return ended(d.shutdownReason());
    }

    /** xenstored's socket for one run, closed before the hypervisor (try-with-resources order). */
    private final class SocketHolder implements AutoCloseable {
        private XenstoredSocket socket;

        boolean open(Hypervisor hv, PrintStream out, PrintStream err) {
            try {
                Path path = xenstoredSocket != null ? xenstoredSocket : XenstoredSocket.defaultPath();
                socket = XenstoredSocket.open(path, hv.hostRelay(), xenstoredMaxClients,
                        line -> err.println("parasol run: xenstored socket: " + line));
            } catch (java.io.IOException | IllegalArgumentException e) {
                err.println("parasol run: xenstored socket: " + e.getMessage());
                return false;
            }
            out.println("parasol run: xenstored socket " + socket.path() + " (XENSTORED_PATH)");
            return true;
        }

        @Override
        public void close() {
            if (socket != null) {
                socket.close();
            }
        }
    }

    /** The bridge's TAP uplink for one run, closed before the hypervisor (try-with-resources order). */
    private static final class UplinkHolder implements AutoCloseable {
        private org.parasol.cli.net.TapUplink uplink;
        private PrintStream err;

        void open(Hypervisor hv, XlDomain.Uplink u, PrintStream out, PrintStream err) {
            this.err = err;
            try {
                uplink = org.parasol.cli.net.TapUplink.open(hv.hostRelay(), u.netns(), u.tap(), u.address(), u.prefix(),
                        u.bridge(), u.offload(), line -> err.println("parasol run: " + line));
                out.println("parasol run: " + uplink.describe()
                        + (u.address() != null ? ", host address " + u.address() + "/" + u.prefix() : ""));
                out.println("parasol run: " + uplink.offloads());
            } catch (org.parasol.cli.net.Tap.TapException | RuntimeException | LinkageError e) {
                err.println("parasol run: uplink: " + e.getMessage() + "; running without it (the guests still reach"
                        + " each other on their bridges)");
            }
        }

        @Override
        public void close() {
            if (uplink != null) {
                uplink.close();
            }
        }
    }

    /** Shuts down every run domain that may still run, as crashed: "timed out". */
    private static void endRunning(List<Domain> created) {
        for (Domain d : created) {
            if (d.mayRun()) {
                d.shutdown(Shutdown.CRASH, "timed out");
            }
        }
    }

    private static String ended(int reason) {
        return switch (reason) {
            case Shutdown.POWEROFF -> "poweroff";
            case Shutdown.REBOOT -> "reboot";
            case Shutdown.SUSPEND -> "suspend";
            case Shutdown.CRASH -> "crash";
            case Shutdown.WATCHDOG -> "watchdog";
            case Shutdown.SOFT_RESET -> "soft_reset";
            default -> "running";
        };
    }

    /** " name=count ..." over every hypercall the domain's vCPUs made, in hypercall-number order. */
    static String hypercallsByName(Domain d) {
        long[] total = new long[Hypercall.TABLE_SIZE];
        for (Vcpu v : d.vcpus()) {
            long[] c = v.hypercallCounts();
            for (int nr = 0; nr < total.length && nr < c.length; nr++) {
                total[nr] += c[nr];
            }
        }
        StringBuilder sb = new StringBuilder();
        for (int nr = 0; nr < total.length; nr++) {
            if (total[nr] > 0) {
                String name = Hypercall.name(nr);
                sb.append(' ').append(name != null ? name : "#" + nr).append('=').append(total[nr]);
            }
        }
        return sb.length() == 0 ? " none" : sb.toString();
    }

    /**
     * " running=S runnable=S blocked=S offline=S": the domain's vCPUs' time in each runstate
     * (Xen's {@code vcpu_runstate_info}, as {@code xl vcpu-list}'s Time(s) is the running one),
     * summed, in seconds; running is time holding a pCPU, runnable waiting for one.
     */
    static String runstates(Domain d) {
        long[] total = new long[Runstate.NR_STATES];
        for (Vcpu v : d.vcpus()) {
            long[] t = v.sched().runstateTimes();
            for (int s = 0; s < total.length; s++) {
                total[s] += t[s];
            }
        }
        return String.format(java.util.Locale.ROOT, " running=%.3f runnable=%.3f blocked=%.3f offline=%.3f",
                total[Runstate.RUNNING] / 1e9, total[Runstate.RUNNABLE] / 1e9, total[Runstate.BLOCKED] / 1e9,
                total[Runstate.OFFLINE] / 1e9);
    }

    /** A domain of this command's memory, vCPUs and command line, kept after shutdown for the summary. */
    private DomainConfig config(String name, String image) {
        return new DomainConfig(name, memoryMiB * 1024L, memoryMiB * 1024L, vcpus, image, cmdline, false,
                DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE)
                .withVirt(Virtualization.parse(virt));
    }
}
