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
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.HostConfig;
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
 * <p>An image whose {@code <image>.launch} file beside its descriptor says offer-accept
 * ({@link LaunchPlan}) runs as two domains that this command starts itself, beside dom0, the
 * second created from the offer the first prints ({@link OfferAcceptLauncher}; deviation 11).
 *
 * <p>Its first line names xenstored's Unix socket ({@code --xenstored-socket}; {@link
 * XenstoredSocket}): while the run is up, dom0's tools ({@code XENSTORED_PATH=PATH xenstore-ls})
 * reach dom0's xenstored there, each client relayed into dom0 (deviation 15). A path a live
 * socket holds is refused before anything boots (exit 2).
 *
 * <p>Exit status 0 when every domain powered off, 1 when any crashed or ended otherwise (or
 * dom0 did not power off), 2 when an image or file is refused before boot, dom0 could not
 * build a domain, or a launch broke off (no offer, a malformed one). A one-line summary per
 * domain of the run (not dom0) follows the consoles.
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

    @Option(names = "--cmdline", defaultValue = "",
            description = "Kernel command line for every domain of an image; a FILE.cfg says its own.")
    String cmdline;

    @Option(names = "--images", paramLabel = "DIR",
            description = "Another folder of images (*.image descriptors), searched before the default"
                    + " (examples/target/images of this checkout); repeatable, searched in the order given.")
    List<Path> imageDirs = new ArrayList<>();

    @Option(names = "--timeout", defaultValue = "0",
            description = "Seconds to wait for the domains before destroying them (0 = no limit).")
    long timeoutSeconds;

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

    /** dom0's name, as xl lists it. */
    static final String DOM0_NAME = "Domain-0";
    /** dom0's image, packaged by pv-toolstack. */
    static final String DOM0_IMAGE = "dom0";
    /** dom0's memory before its boot module's pages. */
    static final long DOM0_MEMORY_KIB = 16 * 1024;
    /** How long a timed-out run gives dom0 to reap the domains before it ends dom0 too. */
    static final long DOM0_GRACE_SECONDS = 5;

    /** Told of the hypervisor right after it boots: how in-process tests put it under their leak check. */
    java.util.function.Consumer<Hypervisor> booted = hv -> { };

    @Override
    public Integer call() throws Exception {
        return run(System.out, System.err);
    }

    int run(PrintStream out, PrintStream err) throws InterruptedException {
        if (domains < 1 || memoryMiB < 1 || vcpus < 1) {
            err.println("parasol run: --domains, --memory and --vcpus must be at least 1");
            return 2;
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
                plans.put(image, plan);
            }
            instances.merge(image, domains, Integer::sum);
            total += (long) domains * plan.kind().domains();
        }
        // Every image is found and its bytecode checked before anything boots, dom0's too: a
        // refusal names the image and the rule here, not as an errno from dom0's load-image.
        ImageLoader loader = new ImageLoader(repository);
        java.util.Set<String> toCheck = new java.util.LinkedHashSet<>();
        for (XlDomain x : configured) {
            toCheck.add(x.config().image());
        }
        toCheck.addAll(imageNames);
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
        try {
            for (XlDomain x : configured) {
                module.add(x.config(), x.onPoweroff(), x.onReboot(), x.onCrash());
                expected.add(x.config().name());
            }
            for (String image : imageNames) {
                LaunchPlan plan = plans.get(image);
                for (int i = 1; i <= domains; i++) {
                    if (plan.kind() != LaunchPlan.Kind.SINGLE) {
                        continue;
                    }
                    // Named after the image, numbered when it runs more than once; destroyed when they shut down.
                    int n = numbered.merge(image, 1, Integer::sum);
                    String name = image + (instances.get(image) == 1 ? "" : "-" + n);
                    module.add(config(name, image), DomainConfig.Action.DESTROY, DomainConfig.Action.DESTROY,
                            DomainConfig.Action.DESTROY);
                    expected.add(name);
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
        HostConfig host = HostConfig.defaults(hostBytes);
        if (pcpus != null) {
            host = host.withPcpus(pcpus);
        }
        try (Hypervisor hv = Hypervisor.boot(host); SocketHolder xs = new SocketHolder()) {
            booted.accept(hv);
            // dom0's tools reach xenstored here: served on the host's side, relayed into dom0
            // (deviation 15); closed before the hypervisor, so dom0 hears each client hang up.
            if (!xs.open(hv, out, err)) {
                return 2;
            }
            hv.setKernelSource(Hypervisor.images(loader));
            // The domains the offer-accept launcher starts itself (deviation 11), not dom0.
            CountDownLatch launchedDone = new CountDownLatch((int) (total - expected.size()));
            java.util.Set<Integer> launched = ConcurrentHashMap.newKeySet();
            ConcurrentHashMap<Integer, Boolean> zombies = new ConcurrentHashMap<>();
            CountDownLatch dom0Ended = new CountDownLatch(1);
            // The run's domains in the order they were created (a restart adds one), by dom0 or the launcher.
            List<Domain> created = new CopyOnWriteArrayList<>();
            java.util.Set<String> createdNames = ConcurrentHashMap.newKeySet();
            Object printLock = new Object();
            // Every domain is announced before it first runs, with its name: dom0 before it
            // boots, dom0's domains when load-image has named them, the launcher's when built.
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
            OfferAcceptLauncher.DomainStarter starter = (cfg, domid) -> {
                Domain d = domid < 0 ? hv.createDomain(cfg) : hv.createDomain(cfg, domid);
                launched.add(d.domid());
                return d;
            };
            // On the hypervisor's reaper thread, once per shutdown. dom0 acts on the domains it
            // built (xl's on_* actions run in dom0); the launcher's are destroyed here.
            hv.onShutdown(d -> {
                if (d.domid() == 0) {
                    dom0Ended.countDown();
                    return;
                }
                if (!launched.contains(d.domid())) {
                    return;
                }
                zombies.put(d.domid(), !hv.destroy(d));
                launchedDone.countDown();
            });
            Domain dom0;
            try {
                dom0 = hv.createDom0(new DomainConfig(DOM0_NAME, dom0KiB, dom0KiB, 1, DOM0_IMAGE, "", true,
                        DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE),
                        moduleBytes);
            } catch (DomainCreationException e) {
                err.println("parasol run: cannot create dom0: " + e.getMessage());
                return 2;
            }
            OfferAcceptLauncher launcher = new OfferAcceptLauncher(hv, starter);
            for (String image : imageNames) {
                LaunchPlan plan = plans.get(image);
                if (plan.kind() != LaunchPlan.Kind.OFFER_ACCEPT) {
                    continue;
                }
                for (int i = 1; i <= domains; i++) {
                    int n = numbered.merge(image, 1, Integer::sum);
                    String suffix = instances.get(image) == 1 ? "" : "-" + n;
                    try {
                        launcher.launch(plan, config(plan.offerName() + suffix, image),
                                config(plan.acceptName() + suffix, image));
                    } catch (DomainCreationException | LaunchException e) {
                        err.println("parasol run: " + e.getMessage());
                        return 2;
                    }
                }
            }
            // dom0 powers off once every domain it built is gone (or preserved): the run's end.
            long deadline = timeoutSeconds <= 0 ? Long.MAX_VALUE : System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
            boolean inTime = awaitUntil(dom0Ended, deadline) && awaitUntil(launchedDone, deadline);
            boolean dom0Stopped = false;
            if (!inTime) {
                err.println("parasol run: timed out after " + timeoutSeconds + " s; destroying the remaining domains");
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
                launchedDone.await(30, TimeUnit.SECONDS);
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
                boolean zombie = Boolean.TRUE.equals(zombies.get(d.domid())) && launched.contains(d.domid())
                        || d.state() == DomainState.ZOMBIE;
                if (d.shutdownReason() != Shutdown.POWEROFF || zombie) {
                    allPoweredOff = false;
                }
                out.printf("%-16s %5d %-10s %10.3f %12d %7d%s%n", d.name(), d.domid(), ended(d.shutdownReason()),
                        d.uptimeNanos() / 1e9, d.hypercalls(), d.faults(),
                        zombie ? "  zombie" : d.crashCause() != null ? "  (" + d.crashCause() + ")" : "");
            }
            if (hypercallBreakdown) {
                out.println();
                for (Domain d : created) {
                    out.println(d.name() + ":" + hypercallsByName(d));
                }
            }
            return status != 0 ? status : allPoweredOff ? 0 : 1;
        }
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

    private static boolean awaitUntil(CountDownLatch l, long deadline) throws InterruptedException {
        if (deadline == Long.MAX_VALUE) {
            l.await();
            return true;
        }
        return l.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
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

    /** A domain of this command's memory, vCPUs and command line, kept after shutdown for the summary. */
    private DomainConfig config(String name, String image) {
        return new DomainConfig(name, memoryMiB * 1024L, memoryMiB * 1024L, vcpus, image, cmdline, false,
                DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE);
    }
}
