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
 * {@code parasol run}: boots a hypervisor in this process, creates the domains, streams each
 * domain's console prefixed by its name, and exits when every domain has shut down.
 *
 * <p>An image runs as one domain per instance unless a {@code <image>.launch} file beside its
 * descriptor says otherwise ({@link LaunchPlan}): an offer-accept image runs as two domains,
 * the second created from the offer the first prints ({@link OfferAcceptLauncher}).
 *
 * <p>An argument ending in {@code .cfg} is an xl.cfg file ({@link XlDomain}): one domain, as
 * {@code xl create} makes it, with the file's name, memory, vCPUs, kernel image, command line
 * and on_poweroff/on_reboot/on_crash. Every file is read before anything boots: an error names
 * the file, the line and the key, and nothing starts. As in Xen, where xl and not the
 * hypervisor acts on a domain's shutdown, this command carries out the on_* actions: destroy,
 * restart (a new domain from the same configuration) or preserve (kept, shut down, until the
 * run ends). Domains given as images are destroyed when they shut down.
 *
 * <p>Exit status 0 when every domain powered off, 1 when any crashed or ended otherwise,
 * 2 when a domain could not be created or a launch broke off (no offer, a malformed one).
 * A one-line summary per domain follows the consoles.
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

    @Option(names = "--hypercalls",
            description = "After the summary, each domain's hypercalls by name, with counts (all vCPUs).")
    boolean hypercallBreakdown;

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
        long hostBytes = ((total - configured.size()) * memoryMiB + 16) * 1024 * 1024 + configuredKiB * 1024;
        HostConfig host = HostConfig.defaults(hostBytes);
        if (pcpus != null) {
            host = host.withPcpus(pcpus);
        }
        try (Hypervisor hv = Hypervisor.boot(host)) {
            hv.setKernelSource(Hypervisor.images(new ImageLoader(repository)));
            CountDownLatch done = new CountDownLatch((int) total);
            ConcurrentHashMap<Integer, Boolean> zombies = new ConcurrentHashMap<>();
            // The on_* actions of the domains from xl.cfg files, by name (entered before the domain
            // starts, so a domain that ends at once still finds its own); the others are destroyed.
            ConcurrentHashMap<String, XlDomain> actions = new ConcurrentHashMap<>();
            List<Domain> created = new CopyOnWriteArrayList<>();
            // Set when the run is being ended (--timeout): nothing restarts after that.
            AtomicBoolean ending = new AtomicBoolean();
            Object printLock = new Object();
            OfferAcceptLauncher.DomainStarter starter = (cfg, domid) -> {
                Domain d = domid < 0 ? hv.createDomain(cfg) : hv.createDomain(cfg, domid);
                d.console().subscribe(line -> {
                    synchronized (printLock) {
                        out.println("[" + cfg.name() + "] " + line);
                    }
                });
                created.add(d);
                return d;
            };
            // On the hypervisor's reaper thread, once per shutdown, as xl's event loop does it.
            hv.onShutdown(d -> {
                XlDomain x = actions.remove(d.name());
                DomainConfig.Action action = x == null ? DomainConfig.Action.DESTROY : x.actionFor(d.shutdownReason());
                if (action == DomainConfig.Action.PRESERVE) {
                    done.countDown();
                    return;
                }
                boolean zombie = !hv.destroy(d);
                zombies.put(d.domid(), zombie);
                if (action == DomainConfig.Action.RESTART && !zombie && !ending.get()) {
                    try {
                        actions.put(x.config().name(), x);
                        starter.start(x.config(), -1);
                        return;
                    } catch (DomainCreationException e) {
                        actions.remove(x.config().name());
                        err.println("parasol run: cannot restart " + x.config().name() + ": " + e.getMessage());
                    }
                }
                done.countDown();
            });
            for (XlDomain x : configured) {
                try {
                    actions.put(x.config().name(), x);
                    starter.start(x.config(), -1);
                } catch (DomainCreationException e) {
                    err.println("parasol run: " + x.source() + ": " + e.getMessage());
                    return 2;
                }
            }
            OfferAcceptLauncher launcher = new OfferAcceptLauncher(hv, starter);
            Map<String, Integer> numbered = new HashMap<>();
            for (String image : imageNames) {
                LaunchPlan plan = plans.get(image);
                for (int i = 1; i <= domains; i++) {
                    // Domains are named after the image (or the plan's names), numbered when it runs more than once.
                    int n = numbered.merge(image, 1, Integer::sum);
                    String suffix = instances.get(image) == 1 ? "" : "-" + n;
                    try {
                        if (plan.kind() == LaunchPlan.Kind.OFFER_ACCEPT) {
                            launcher.launch(plan, config(plan.offerName() + suffix, image),
                                    config(plan.acceptName() + suffix, image));
                        } else {
                            starter.start(config(image + suffix, image), -1);
                        }
                    } catch (DomainCreationException | LaunchException e) {
                        err.println("parasol run: " + e.getMessage());
                        return 2;
                    }
                }
            }
            boolean inTime = timeoutSeconds <= 0 ? awaitForever(done) : done.await(timeoutSeconds, TimeUnit.SECONDS);
            if (!inTime) {
                err.println("parasol run: timed out after " + timeoutSeconds + " s; destroying the remaining domains");
                ending.set(true);
                for (Domain d : created) {
                    if (d.mayRun()) {
                        d.shutdown(Shutdown.CRASH, "timed out");
                    }
                }
                done.await(30, TimeUnit.SECONDS);
            }
            hv.drainConsole();
            out.flush();
            out.println();
            out.printf("%-16s %5s %-10s %10s %12s %7s%n", "Name", "ID", "Ended", "Uptime(s)", "Hypercalls", "Faults");
            AtomicBoolean allPoweredOff = new AtomicBoolean(true);
            for (Domain d : created) {
                String ended = switch (d.shutdownReason()) {
                    case Shutdown.POWEROFF -> "poweroff";
                    case Shutdown.REBOOT -> "reboot";
                    case Shutdown.SUSPEND -> "suspend";
                    case Shutdown.CRASH -> "crash";
                    case Shutdown.WATCHDOG -> "watchdog";
                    case Shutdown.SOFT_RESET -> "soft_reset";
                    default -> "running";
                };
                boolean zombie = Boolean.TRUE.equals(zombies.get(d.domid())) || d.state() == DomainState.ZOMBIE;
                if (d.shutdownReason() != Shutdown.POWEROFF || zombie) {
                    allPoweredOff.set(false);
                }
                out.printf("%-16s %5d %-10s %10.3f %12d %7d%s%n", d.name(), d.domid(), ended,
                        d.uptimeNanos() / 1e9, d.hypercalls(), d.faults(),
                        zombie ? "  zombie" : d.crashCause() != null ? "  (" + d.crashCause() + ")" : "");
            }
            if (hypercallBreakdown) {
                out.println();
                for (Domain d : created) {
                    out.println(d.name() + ":" + hypercallsByName(d));
                }
            }
            return allPoweredOff.get() ? 0 : 1;
        }
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

    private static boolean awaitForever(CountDownLatch l) throws InterruptedException {
        l.await();
        return true;
    }
}
