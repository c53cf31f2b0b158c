package org.parasol.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.parasol.cli.host.ControlServer;
import org.parasol.cli.host.ControlService;
import org.parasol.cli.host.HostLog;
import org.parasol.cli.relay.XenstoredSocket;
import org.parasol.control.client.ControlClient;
import org.parasol.hypervisor.HostConfig;
import org.parasol.hypervisor.HostLimits;
import org.parasol.hypervisor.Hypervisor;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.domain.DomainCreationException;
import org.parasol.hypervisor.image.ImageException;
import org.parasol.hypervisor.image.ImageLoader;
import org.parasol.hypervisor.image.ImageRepository;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code parasol host}: a long-running hypervisor with dom0, serving the control API on a
 * Unix-domain socket ({@link ControlServer}) until SIGTERM or Ctrl-C. Domains come and go
 * through the API ({@code parasol create}, {@code destroy}, ...); dom0 builds and reaps them
 * (its command line says {@code host}, so it stays up with none).
 *
 * <pre>
 *  parasol host ─ boot hypervisor, dom0 ("host") ─ xenstored socket ─ control socket (0600)
 *     └─ SIGTERM/SIGINT: "xl shutdown -a" typed to dom0; every domain asked, destroyed after
 *        --shutdown-timeout; dom0 powers off; the host closes the sockets and exits 0
 * </pre>
 *
 * <p>The host's own lines (the hypervisor's, dom0's) go to its log file and to
 * {@code parasol dmesg}; its standard output says where it listens, and, with
 * {@code --verbose}, carries the log too. Guests' consoles go only to {@code parasol console}.
 */
@Command(name = "host", mixinStandardHelpOptions = true,
        description = "Runs a long-running hypervisor with dom0 and serves the control API (parasol create, list, ...).")
final class HostCommand implements java.util.concurrent.Callable<Integer> {

    @Option(names = "--socket", paramLabel = "PATH",
            description = "The control API's Unix socket (default: $PARASOL_SOCKET, else $XDG_RUNTIME_DIR/parasol/control.sock,"
                    + " else /tmp/parasol-<uid>/control.sock).")
    Path socket;

    @Option(names = "--tcp-port", paramLabel = "PORT",
            description = "Also listen on 127.0.0.1:PORT (0: any free port); every request must then carry the token of --token-file.")
    Integer tcpPort;

    @Option(names = "--token-file", paramLabel = "FILE", description = "The TCP listener's token (at least 16 characters).")
    Path tokenFile;

    @Option(names = "--memory", defaultValue = "1024", paramLabel = "MiB",
            description = "Machine memory the host hands out to domains, in MiB (16..1048576; default ${DEFAULT-VALUE}).")
    long memoryMiB;

    @Option(names = "--pcpus", description = "Physical CPUs to hand out (1..4096; default: the host's cores).")
    Integer pcpus;

    @Option(names = "--images", paramLabel = "DIR", description = "Another folder of images, searched first; repeatable.")
    List<Path> imageDirs = new ArrayList<>();

    @Option(names = "--log", paramLabel = "FILE", description = "The host's log file (default: beside the socket, host.log).")
    Path logFile;

    @Option(names = "--verbose", description = "The host's log on standard output too.")
    boolean verbose;

    @Option(names = "--shutdown-timeout", defaultValue = "10", paramLabel = "SECONDS",
            description = "On SIGTERM, seconds a domain has to shut down before it is destroyed (1..86400; default ${DEFAULT-VALUE}).")
    long shutdownTimeoutSeconds;

    @Option(names = "--max-clients", defaultValue = "128",
            description = "Control-API clients connected at once (1..4096; default ${DEFAULT-VALUE}).")
    int maxClients;

    private final CountDownLatch stop = new CountDownLatch(1);
    private volatile String stoppedBy = "";

    @Override
    public Integer call() throws Exception {
        sun.misc.SignalHandler h = sig -> {
            stoppedBy = "SIG" + sig.getName();
            stop.countDown();
        };
        sun.misc.Signal.handle(new sun.misc.Signal("TERM"), h);
        sun.misc.Signal.handle(new sun.misc.Signal("INT"), h);
        return run(System.out, System.err);
    }

    int run(PrintStream out, PrintStream err) throws InterruptedException {
        String bad = Checks.range("--memory", memoryMiB, 16, 1 << 20, "MiB");
        if (bad == null && pcpus != null) {
            bad = Checks.range("--pcpus", pcpus, 1, 4096, "");
        }
        if (bad == null) {
            bad = Checks.range("--shutdown-timeout", shutdownTimeoutSeconds, 1, 86_400, "seconds");
        }
        if (bad == null) {
            bad = Checks.range("--max-clients", maxClients, 1, 4096, "");
        }
        if (bad == null && tcpPort != null) {
            bad = Checks.range("--tcp-port", tcpPort, 0, 65535, "");
        }
        if (bad != null) {
            err.println("parasol host: " + bad);
            return 2;
        }
        String token = null;
        if (tcpPort != null) {
            if (tokenFile == null) {
                err.println("parasol host: --tcp-port needs --token-file FILE (a token of at least 16 characters)");
                return 2;
            }
            try {
                token = Files.readString(tokenFile).strip();
            } catch (IOException e) {
                err.println("parasol host: --token-file: cannot read " + tokenFile + ": " + e.getMessage());
                return 2;
            }
            if (token.length() < 16) {
                err.println("parasol host: --token-file: the token must be at least 16 characters");
                return 2;
            }
        }
        Path sock = (socket != null ? socket : ControlClient.defaultSocket()).toAbsolutePath();
        ImageRepository repository = ImageRepository.standardAfter(imageDirs);
        ImageLoader loader = new ImageLoader(repository);
        try {
            loader.load(RunCommand.DOM0_IMAGE);
        } catch (ImageException e) {
            err.println("parasol host: cannot load dom0's image (build it with ./mvnw -pl pv-toolstack -am package): "
                    + e.getMessage());
            return 2;
        }
        long hostBytes = memoryMiB << 20;
        List<String> shortfalls = HostLimits.probe().shortfalls(hostBytes, HostLimits.heapBytes(1, 1, hostBytes >>> 12), 1);
        if (!shortfalls.isEmpty()) {
            err.println("parasol host: refused: --memory " + memoryMiB + " MiB does not fit this host:");
            shortfalls.forEach(s -> err.println("  " + s));
            return 2;
        }
        HostConfig config = HostConfig.defaults(hostBytes);
        if (pcpus != null) {
            config = config.withPcpus(pcpus);
        }
        Path log = logFile != null ? logFile : sock.resolveSibling("host.log");
        HostLog hostLog;
        try {
            XenstoredSocket.privateFolder(sock.getParent());
            hostLog = new HostLog(log, verbose ? out : null);
        } catch (IOException e) {
            err.println("parasol host: " + e.getMessage());
            return 2;
        }
        try (Hypervisor hv = Hypervisor.boot(config)) {
            hv.setKernelSource(Hypervisor.images(loader));
            CountDownLatch dom0Ended = new CountDownLatch(1);
            hv.onShutdown(d -> {
                if (d.domid() == 0) {
                    dom0Ended.countDown();
                }
            });
            ControlService service = new ControlService(hv, hostLog, cfg -> createLine(cfg, repository, loader),
                    sock.toString());
            ControlServer server;
            XenstoredSocket xs;
            try {
                server = ControlServer.open(sock, tcpPort == null ? -1 : tcpPort, token, service, maxClients, hostLog::line);
            } catch (IOException | IllegalArgumentException e) {
                err.println("parasol host: control socket: " + e.getMessage());
                service.close();
                return 2;
            }
            try {
                xs = XenstoredSocket.open(sock.resolveSibling("xenstored.sock"), hv.hostRelay(),
                        XenstoredSocket.DEFAULT_MAX_CLIENTS, l -> hostLog.line("xenstored socket: " + l));
            } catch (IOException | IllegalArgumentException e) {
                err.println("parasol host: xenstored socket: " + e.getMessage());
                server.close();
                service.close();
                return 2;
            }
            Domain dom0;
            try {
                dom0 = hv.createDom0(new DomainConfig(RunCommand.DOM0_NAME, RunCommand.DOM0_MEMORY_KIB,
                        RunCommand.DOM0_MEMORY_KIB, 1, RunCommand.DOM0_IMAGE, "host shutdown_timeout="
                                + shutdownTimeoutSeconds, true, DomainConfig.Action.PRESERVE,
                        DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE));
            } catch (DomainCreationException e) {
                err.println("parasol host: cannot create dom0: " + e.getMessage());
                xs.close();
                server.close();
                service.close();
                return 2;
            }
            hostLog.line("parasol host: up: " + hv.config().pcpus() + " pCPUs, " + memoryMiB + " MiB; control API on "
                    + server.path() + (server.tcpPort() >= 0 ? " and 127.0.0.1:" + server.tcpPort() : ""));
            out.println("parasol host: serving the control API on " + server.path() + " (pid "
                    + ProcessHandle.current().pid() + ")" + (server.tcpPort() >= 0 ? "; TCP 127.0.0.1:" + server.tcpPort() : ""));
            out.println("parasol host: log " + log + "; xenstored socket " + xs.path() + "; stop with SIGTERM or Ctrl-C");
            out.flush();
            // Until a signal, or until dom0 ends by itself (it should not: then the host ends with 1).
            while (!stop.await(200, TimeUnit.MILLISECONDS)) {
                if (dom0Ended.getCount() == 0) {
                    break;
                }
            }
            boolean asked = stop.getCount() == 0;
            int status = 0;
            if (asked) {
                hostLog.line("parasol host: " + stoppedBy + ": asking every domain to shut down (xl shutdown -a);"
                        + " destroyed after " + shutdownTimeoutSeconds + " s");
                out.println("parasol host: " + stoppedBy + ": shutting the domains down");
                out.flush();
                hv.consoleInput("xl shutdown -a\n");
                if (!dom0Ended.await(shutdownTimeoutSeconds + RunCommand.DOM0_GRACE_SECONDS, TimeUnit.SECONDS)) {
                    hostLog.line("parasol host: dom0 did not power off in time; destroying what is left");
                }
            } else {
                err.println("parasol host: dom0 ended (" + dom0.shutdownReason() + (dom0.crashCause() != null
                        ? ", " + dom0.crashCause() : "") + "); the host stops");
                status = 1;
            }
            server.close();
            xs.close();
            service.close();
            hv.drainConsole();
            hostLog.line("parasol host: stopped");
            out.println("parasol host: stopped");
            out.flush();
            hostLog.close();
            return status;
        }
    }

    /** What dom0 reads for a create: the domain's boot-module line, its image found and checked first. */
    private static String createLine(org.parasol.control.v1.DomainConfig cfg, ImageRepository repository,
            ImageLoader loader) {
        XlDomain x = XlDomain.of("create", cfg);
        try {
            loader.load(x.config().image());
        } catch (ImageException e) {
            throw new IllegalArgumentException("cannot load image '" + x.config().image() + "': " + e.getMessage());
        }
        for (XlDomain.Disk d : x.disks()) {
            if (!d.target().isAbsolute()) {
                throw new IllegalArgumentException("disk " + d.vdev() + ": the target must be an absolute path");
            }
            try {
                d.prepare();
            } catch (IOException e) {
                throw new IllegalArgumentException("disk " + d.vdev() + ": " + e.getMessage());
            }
        }
        return new Dom0Module().add(x.config(), x.onPoweroff(), x.onReboot(), x.onCrash(), x.devices()).maxVcpus(x.maxVcpus())
                .lastLine();
    }
}
