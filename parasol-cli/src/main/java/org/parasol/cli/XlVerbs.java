package org.parasol.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import org.parasol.control.XlConfigParser;
import org.parasol.control.client.ControlClient;
import org.parasol.control.v1.BlockOp;
import org.parasol.control.v1.BlockRequest;
import org.parasol.control.v1.ConsoleAttachRequest;
import org.parasol.control.v1.CreateDomainRequest;
import org.parasol.control.v1.DestroyDomainRequest;
import org.parasol.control.v1.DmesgRequest;
import org.parasol.control.v1.DomainInfo;
import org.parasol.control.v1.DomainRef;
import org.parasol.control.v1.DomainStatistics;
import org.parasol.control.v1.HostInfo;
import org.parasol.control.v1.HostInfoRequest;
import org.parasol.control.v1.ListDomainsRequest;
import org.parasol.control.v1.MemSetRequest;
import org.parasol.control.v1.PauseDomainRequest;
import org.parasol.control.v1.Request;
import org.parasol.control.v1.Response;
import org.parasol.control.v1.ShutdownDomainRequest;
import org.parasol.control.v1.ShutdownReason;
import org.parasol.control.v1.StatisticsRequest;
import org.parasol.control.v1.UnpauseDomainRequest;
import org.parasol.control.v1.VcpuSetRequest;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * xl's verbs against a running {@code parasol host}, through the control API on its Unix
 * socket ({@link ControlClient}). Each verb connects, sends its request, prints the answer as
 * xl would, and exits 0, or 1 with the host's errno name and reason; with no host at the socket,
 * it says so and how to start one. Domains are named by name or domid wherever xl takes either.
 */
final class XlVerbs {
    private XlVerbs() {
    }

    /** What every verb shares: the socket, the connection, the errors. */
    abstract static class Verb implements Callable<Integer> {
        @Option(names = "--socket", paramLabel = "PATH", description = "The host's control socket (default: as parasol host).")
        Path socket;

        @Option(names = "--tcp", paramLabel = "HOST:PORT",
                description = "The host's TCP listener (parasol host --tcp-port) instead of its socket; needs --token-file.")
        String tcp;

        @Option(names = "--token-file", paramLabel = "FILE", description = "The file holding the TCP listener's token.")
        Path tokenFile;

        PrintStream out = System.out;
        PrintStream err = System.err;

        abstract String name();

        abstract int run(ControlClient c) throws IOException;

        @Override
        public Integer call() {
            Path path = socket != null ? socket : ControlClient.defaultSocket();
            ControlClient client;
            try {
                client = tcp != null ? connectTcp() : ControlClient.connect(path);
            } catch (IllegalArgumentException e) {
                err.println("parasol " + name() + ": " + e.getMessage());
                return 2;
            } catch (ControlClient.NoHostException e) {
                err.println("parasol " + name() + ": " + e.getMessage() + "; start one with: ./parasol host &");
                return 1;
            } catch (IOException e) {
                err.println("parasol " + name() + ": " + e.getMessage());
                return 1;
            }
            try (ControlClient c = client) {
                return run(c);
            } catch (ControlClient.NoHostException e) {
                err.println("parasol " + name() + ": " + e.getMessage() + "; start one with: ./parasol host &");
                return 1;
            } catch (IOException e) {
                err.println("parasol " + name() + ": " + e.getMessage());
                return 1;
            }
        }

        /** A client over {@code --tcp}, with the token of {@code --token-file}. */
        private ControlClient connectTcp() throws IOException {
            int colon = tcp.lastIndexOf(':');
            int port;
            try {
                port = colon < 0 ? -1 : Integer.parseInt(tcp.substring(colon + 1));
            } catch (NumberFormatException e) {
                port = -1;
            }
            if (colon <= 0 || port < 1 || port > 65535) {
                throw new IllegalArgumentException("--tcp must be HOST:PORT with a port of 1..65535, not '" + tcp + "'");
            }
            if (tokenFile == null) {
                throw new IllegalArgumentException("--tcp needs --token-file FILE (the host's --token-file)");
            }
            String token;
            try {
                token = java.nio.file.Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                throw new IllegalArgumentException("--token-file " + tokenFile + ": cannot read it (" + e.getMessage() + ")");
            }
            return ControlClient.connectTcp(new java.net.InetSocketAddress(tcp.substring(0, colon), port), token);
        }

        /** Prints the error of {@code r} and returns 1, or returns 0. */
        int check(Response r) {
            if (r.hasError()) {
                err.println("parasol " + name() + ": " + r.getError().getName() + ": " + r.getError().getMessage());
                return 1;
            }
            return 0;
        }

        static DomainRef ref(String domain) {
            if (!domain.isEmpty() && domain.length() <= 5 && domain.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
                return DomainRef.newBuilder().setDomid(Integer.parseInt(domain)).build();
            }
            return DomainRef.newBuilder().setName(domain).build();
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Creates a domain from an xl.cfg file on the running host.")
    static final class Create extends Verb {
        @Parameters(paramLabel = "FILE.cfg") Path file;

        @Option(names = "-c", description = "Attach to the domain's console once it is created (Ctrl-] detaches).")
        boolean console;

        @Option(names = "-p", description = "Leave the domain paused after it is built (parasol unpause starts it), as xl create -p.")
        boolean paused;

        @Override
        String name() {
            return "create";
        }

        @Override
        public Integer call() {
            // The file is read and checked before the host is asked anything.
            String text;
            try {
                text = java.nio.file.Files.readString(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                err.println("parasol create: " + file + ": cannot read it (" + e.getMessage() + ")");
                return 2;
            }
            try {
                cfg = XlConfigParser.parse(file.toString(), text);
            } catch (XlConfigParser.ConfigException e) {
                err.println("parasol create: " + e.getMessage());
                return 2;
            }
            // Disk targets relative to the file's folder, as xl reads them.
            Path folder = file.toAbsolutePath().getParent();
            org.parasol.control.v1.DomainConfig.Builder b = cfg.toBuilder();
            for (int i = 0; i < b.getDisksCount(); i++) {
                b.setDisks(i, b.getDisks(i).toBuilder().setTarget(folder.resolve(b.getDisks(i).getTarget()).normalize().toString()));
            }
            cfg = b.build();
            return super.call();
        }

        private org.parasol.control.v1.DomainConfig cfg;

        @Override
        int run(ControlClient c) throws IOException {
            ProgressBar bar = ProgressBar.forTerminal(err);
            Request req = c.request().setCreate(CreateDomainRequest.newBuilder().setConfig(cfg).setAttachConsole(console)
                    .setPaused(paused).setReportProgress(true)).build();
            c.send(req);
            if (console) {
                // The console from before the domain first runs: its first line is never missed.
                return Console.follow(c, req.getId(), "create", null, out, err, bar);
            }
            // Progress items on the request's id, then its one reply (or a connection-level error, id 0).
            Response r = c.read();
            while (r.hasProgress() || r.getId() != req.getId() && r.getId() != 0) {
                if (r.hasProgress()) {
                    bar.update(r.getProgress());
                }
                r = c.read();
            }
            bar.finish();
            if (check(r) != 0) {
                return 1;
            }
            DomainInfo d = r.getDomain();
            out.println("parasol create: d" + d.getDomid() + " (" + d.getName() + ") created" + (paused ? ", paused" : ""));
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists the host's domains, as xl list.")
    static final class ListVerb extends Verb {
        @Option(names = {"-l", "--long"}, description = "Every field, one JSON object per domain (as xl list -l).")
        boolean longForm;

        @Option(names = "--json", description = "JSON for scripts.")
        boolean json;

        @Override
        String name() {
            return "list";
        }

        @Override
        int run(ControlClient c) throws IOException {
            Response r = c.call(c.request().setList(ListDomainsRequest.getDefaultInstance()).build());
            if (check(r) != 0) {
                return 1;
            }
            List<DomainInfo> ds = r.getDomains().getDomainsList();
            if (json || longForm) {
                StringBuilder sb = new StringBuilder("[");
                for (int i = 0; i < ds.size(); i++) {
                    DomainInfo d = ds.get(i);
                    sb.append(i == 0 ? "\n" : ",\n").append("  {\"domid\": ").append(d.getDomid()).append(", \"name\": ")
                            .append(jsonString(d.getName())).append(", \"state\": \"")
                            .append(d.getState().name().replace("DOMAIN_STATE_", "").toLowerCase()).append("\", \"memory_kib\": ")
                            .append(d.getMemoryKib()).append(", \"vcpus\": ").append(d.getVcpus()).append(", \"cpu_time_ns\": ")
                            .append(d.getCpuTimeNs()).append(", \"uptime_ns\": ").append(d.getUptimeNs())
                            .append(", \"max_memory_kib\": ").append(d.getMaxMemoryKib());
                    if (d.getShutdownReason() != ShutdownReason.SHUTDOWN_REASON_UNSPECIFIED) {
                        sb.append(", \"shutdown_reason\": \"").append(d.getShutdownReason().name()
                                .replace("SHUTDOWN_REASON_", "").toLowerCase()).append('"');
                    }
                    sb.append('}');
                }
                out.println(sb.append(ds.isEmpty() ? "]" : "\n]"));
                return 0;
            }
            out.println("Name                                        ID   Mem VCPUs\tState\tTime(s)");
            for (DomainInfo d : ds) {
                out.printf("%-40s %5d %5d %5d     %s  %8.1f%n", d.getName(), d.getDomid(), d.getMemoryKib() / 1024,
                        d.getVcpus(), letters(d), d.getCpuTimeNs() / 1e9);
            }
            return 0;
        }

        private static String letters(DomainInfo d) {
            return switch (d.getState()) {
                case DOMAIN_STATE_RUNNING -> "r-----";
                case DOMAIN_STATE_BLOCKED -> "-b----";
                case DOMAIN_STATE_PAUSED -> "--p---";
                case DOMAIN_STATE_SHUTDOWN -> "---s--";
                case DOMAIN_STATE_CRASHED -> "----c-";
                case DOMAIN_STATE_DYING -> "-----d";
                default -> "------";
            };
        }
    }

    static String jsonString(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            if (ch == '"' || ch == '\\') {
                sb.append('\\').append(ch);
            } else if (ch < 0x20) {
                sb.append(String.format("\\u%04x", (int) ch));
            } else {
                sb.append(ch);
            }
        }
        return sb.append('"').toString();
    }

    @Command(name = "console", mixinStandardHelpOptions = true,
            description = "Attaches to a domain's console: its output from birth, then live; Ctrl-] detaches.")
    static final class Console extends Verb {
        @Parameters(paramLabel = "DOMAIN") String domain;

        @Override
        String name() {
            return "console";
        }

        @Override
        int run(ControlClient c) throws IOException {
            return attach(c, ref(domain), out, err);
        }

        /**
         * Streams the console until the domain is destroyed or Ctrl-] is typed. Standard input
         * goes to the guest's console ring as it is typed (the terminal in raw mode meanwhile,
         * as xl console puts it); when it is not a terminal its bytes go the same way, and its
         * end stops the input, not the stream.
         */
        static int attach(ControlClient c, DomainRef ref, PrintStream out, PrintStream err) throws IOException {
            Request req = c.request().setConsole(ConsoleAttachRequest.newBuilder().setDomain(ref).setHistory(true)).build();
            c.send(req);
            return follow(c, req.getId(), "console", ref, out, err, null);
        }

        /** Xen's {@code xl console} escape: Ctrl-]. */
        static final int ESCAPE = 0x1d;

        /**
         * Prints the console stream of request {@code id} until it ends, the host goes, or
         * Ctrl-]; sends standard input to the domain {@code target} (null: the domain the
         * stream's first data names, as after {@code create -c}); shows the request's progress
         * items on {@code bar} (null: there are none).
         */
        static int follow(ControlClient c, long id, String verb, DomainRef target, PrintStream out, PrintStream err,
                ProgressBar bar) throws IOException {
            boolean tty = System.console() != null && System.console().isTerminal();
            String saved = tty ? stty("-g") : null;
            if (saved != null) {
                stty("raw -echo");
            }
            KeysToGuest keys = new KeysToGuest(c, target);
            Thread reader = new Thread(keys::run, "console-keys");
            reader.setDaemon(true);
            reader.start();
            boolean inputErrorShown = false;
            try {
                while (true) {
                    Response r;
                    try {
                        r = c.read();
                    } catch (IOException e) {
                        return 0; // detached (Ctrl-]) or the host went
                    }
                    if (r.getId() != id) {
                        // The answer to a piece of input: its first refusal is worth a line.
                        if (r.hasError() && !inputErrorShown) {
                            inputErrorShown = true;
                            err.print("parasol " + verb + ": input: " + r.getError().getName() + ": "
                                    + r.getError().getMessage() + (saved != null ? "\r\n" : "\n"));
                            err.flush();
                        }
                        continue;
                    }
                    if (r.hasProgress()) {
                        if (bar != null) {
                            bar.update(r.getProgress());
                        }
                        continue;
                    }
                    if (bar != null) {
                        bar.finish();
                    }
                    if (r.hasError()) {
                        err.println("parasol " + verb + ": " + r.getError().getName() + ": " + r.getError().getMessage());
                        return 1;
                    }
                    if (r.hasEnd()) {
                        return 0;
                    }
                    if (r.hasConsole()) {
                        keys.domainIs(r.getConsole().getDomid());
                        String text = r.getConsole().getData().toStringUtf8();
                        out.print(saved != null ? text.replace("\n", "\r\n") : text);
                        out.flush();
                    }
                }
            } finally {
                if (saved != null) {
                    stty(saved);
                }
            }
        }

        /**
         * Standard input to the guest: each read's bytes as one {@code ConsoleInputRequest}, up to
         * Ctrl-] (which closes the client, ending the stream) or the end of input. Bytes typed
         * before the target domain is known (during {@code create -c}'s build) wait, up to 4 KiB.
         */
        private static final class KeysToGuest {
            private final ControlClient c;
            private DomainRef target;
            private final java.io.ByteArrayOutputStream early = new java.io.ByteArrayOutputStream();

            KeysToGuest(ControlClient c, DomainRef target) {
                this.c = c;
                this.target = target;
            }

            /** The stream names its domain: what was typed before goes now. */
            synchronized void domainIs(int domid) {
                if (target == null) {
                    target = DomainRef.newBuilder().setDomid(domid).build();
                    if (early.size() > 0) {
                        try {
                            send(new byte[0], 0);
                        } catch (IOException ignored) {
                            // the client closed
                        }
                    }
                }
            }

            void run() {
                byte[] buf = new byte[1024];
                try {
                    InputStream in = System.in;
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        int escape = -1;
                        for (int i = 0; i < n; i++) {
                            if ((buf[i] & 0xff) == ESCAPE) {
                                escape = i;
                                break;
                            }
                        }
                        send(buf, escape < 0 ? n : escape);
                        if (escape >= 0) {
                            c.close();
                            return;
                        }
                    }
                } catch (IOException ignored) {
                    // the client closed
                }
            }

            private synchronized void send(byte[] b, int n) throws IOException {
                DomainRef t = target;
                if (t == null) {
                    if (early.size() + n <= 4096) {
                        early.write(b, 0, n);
                    }
                    return;
                }
                byte[] bytes = b;
                int len = n;
                if (early.size() > 0) {
                    early.write(b, 0, n);
                    bytes = early.toByteArray();
                    len = bytes.length;
                    early.reset();
                }
                if (len > 0) {
                    c.send(c.request().setConsoleInput(org.parasol.control.v1.ConsoleInputRequest.newBuilder()
                            .setDomain(t).setData(com.google.protobuf.ByteString.copyFrom(bytes, 0, len))).build());
                }
            }
        }

        private static String stty(String args) {
            try {
                Process p = new ProcessBuilder("/bin/sh", "-c", "stty " + args + " < /dev/tty").redirectErrorStream(true).start();
                String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
                return p.waitFor() == 0 ? s : null;
            } catch (IOException | InterruptedException e) {
                return null;
            }
        }
    }

    /** A verb on one domain that answers done or an error. */
    abstract static class OneDomain extends Verb {
        @Parameters(paramLabel = "DOMAIN", description = "A name or a domid.") String domain;

        abstract Request.Builder request(Request.Builder b, DomainRef d);

        @Override
        int run(ControlClient c) throws IOException {
            return check(c.call(request(c.request(), ref(domain)).build()));
        }
    }

    @Command(name = "destroy", mixinStandardHelpOptions = true, description = "Destroys a domain at once.")
    static final class Destroy extends OneDomain {
        String name() {
            return "destroy";
        }

        Request.Builder request(Request.Builder b, DomainRef d) {
            return b.setDestroy(DestroyDomainRequest.newBuilder().setDomain(d));
        }
    }

    @Command(name = "shutdown", mixinStandardHelpOptions = true, description = "Asks a domain to shut down.")
    static final class ShutdownVerb extends OneDomain {
        @Option(names = {"-w", "--wait"}, description = "Wait until the domain is gone.") boolean waitForIt;

        String name() {
            return "shutdown";
        }

        Request.Builder request(Request.Builder b, DomainRef d) {
            return b.setShutdown(ShutdownDomainRequest.newBuilder().setDomain(d)
                    .setReason(ShutdownReason.SHUTDOWN_REASON_POWEROFF).setWait(waitForIt));
        }
    }

    @Command(name = "reboot", mixinStandardHelpOptions = true, description = "Asks a domain to reboot (on_reboot decides).")
    static final class Reboot extends OneDomain {
        String name() {
            return "reboot";
        }

        Request.Builder request(Request.Builder b, DomainRef d) {
            return b.setShutdown(ShutdownDomainRequest.newBuilder().setDomain(d).setReason(ShutdownReason.SHUTDOWN_REASON_REBOOT));
        }
    }

    @Command(name = "pause", mixinStandardHelpOptions = true, description = "Pauses a domain.")
    static final class Pause extends OneDomain {
        String name() {
            return "pause";
        }

        Request.Builder request(Request.Builder b, DomainRef d) {
            return b.setPause(PauseDomainRequest.newBuilder().setDomain(d));
        }
    }

    @Command(name = "unpause", mixinStandardHelpOptions = true, description = "Unpauses a domain.")
    static final class Unpause extends OneDomain {
        String name() {
            return "unpause";
        }

        Request.Builder request(Request.Builder b, DomainRef d) {
            return b.setUnpause(UnpauseDomainRequest.newBuilder().setDomain(d));
        }
    }

    @Command(name = "rename", mixinStandardHelpOptions = true, description = "Gives a domain another name, as xl rename.")
    static final class Rename extends Verb {
        @Parameters(index = "0", paramLabel = "DOMAIN", description = "A name or a domid.") String domain;

        @Parameters(index = "1", paramLabel = "NEW_NAME", description = "1 to 64 of [A-Za-z0-9_.-].") String newName;

        String name() {
            return "rename";
        }

        int run(ControlClient c) throws IOException {
            return check(c.call(c.request().setRename(org.parasol.control.v1.RenameDomainRequest.newBuilder()
                    .setDomain(ref(domain)).setNewName(newName)).build()));
        }
    }

    @Command(name = "info", mixinStandardHelpOptions = true, description = "The host: CPUs, memory, domains, uptime.")
    static final class Info extends Verb {
        String name() {
            return "info";
        }

        int run(ControlClient c) throws IOException {
            Response r = c.call(c.request().setHostInfo(HostInfoRequest.getDefaultInstance()).build());
            if (check(r) != 0) {
                return 1;
            }
            HostInfo h = r.getHostInfo();
            out.printf("hypervisor             : %s%nnr_cpus                : %d%ntotal_memory           : %d%n"
                    + "free_memory            : %d%nnr_domains             : %d%nuptime                 : %.1f s%n"
                    + "control_api_version    : %d%ncontrol_socket         : %s%n", h.getHypervisor(), h.getPcpus(),
                    h.getTotalMemoryKib() / 1024, h.getFreeMemoryKib() / 1024, h.getDomains(), h.getUptimeNs() / 1e9,
                    h.getProtocolVersion(), h.getSocket());
            return 0;
        }
    }

    @Command(name = "uptime", mixinStandardHelpOptions = true, description = "Each domain's uptime.")
    static final class Uptime extends Verb {
        String name() {
            return "uptime";
        }

        int run(ControlClient c) throws IOException {
            Response r = c.call(c.request().setList(ListDomainsRequest.getDefaultInstance()).build());
            if (check(r) != 0) {
                return 1;
            }
            out.println("Name                                ID Uptime");
            for (DomainInfo d : r.getDomains().getDomainsList()) {
                long s = d.getUptimeNs() / 1_000_000_000L;
                out.printf("%-32s %5d %d:%02d:%02d%n", d.getName(), d.getDomid(), s / 3600, s / 60 % 60, s % 60);
            }
            return 0;
        }
    }

    @Command(name = "dmesg", mixinStandardHelpOptions = true, description = "The host's log (hypervisor and dom0).")
    static final class Dmesg extends Verb {
        @Option(names = {"-n", "--lines"}, defaultValue = "0", description = "Only the last N lines.") int lines;

        String name() {
            return "dmesg";
        }

        int run(ControlClient c) throws IOException {
            Response r = c.call(c.request().setDmesg(DmesgRequest.newBuilder().setLastLines(Math.max(0, lines))).build());
            if (check(r) != 0) {
                return 1;
            }
            r.getLines().getLinesList().forEach(out::println);
            return 0;
        }
    }

    @Command(name = "top", mixinStandardHelpOptions = true,
            description = "A live, xentop-like view per domain: CPU %%, memory, vCPUs, hypercalls/s, events/s, grant maps, disk and network counters.")
    static final class Top extends Verb {
        @Option(names = {"-d", "--delay"}, defaultValue = "1", description = "Seconds between updates (default ${DEFAULT-VALUE}).")
        double delay;

        @Option(names = {"-i", "--iterations"}, defaultValue = "0",
                description = "Updates before exiting (0: until Ctrl-C; 2 when not on a terminal).")
        int iterations;

        @Option(names = {"-b", "--batch"}, description = "No screen clearing (as xentop -b).") boolean batch;

        String name() {
            return "top";
        }

        int run(ControlClient c) throws IOException {
            if (delay < 0.1 || delay > 3600) {
                err.println("parasol top: --delay must be 0.1..3600 seconds, not " + delay);
                return 2;
            }
            boolean tty = System.console() != null && System.console().isTerminal();
            int n = iterations > 0 ? iterations : tty ? Integer.MAX_VALUE : 2;
            boolean clear = tty && !batch;
            Request req = c.request().setStatistics(StatisticsRequest.newBuilder().setIntervalMs((int) (delay * 1000))).build();
            c.send(req);
            Map<Integer, DomainStatistics> last = new HashMap<>();
            long lastTime = 0;
            for (int i = 0; i < n; ) {
                Response r = c.read();
                if (r.getId() != req.getId()) {
                    continue;
                }
                if (check(r) != 0) {
                    return 1;
                }
                if (!r.hasStatistics()) {
                    return 0;
                }
                long now = r.getStatistics().getSystemTimeNs();
                StringBuilder sb = new StringBuilder(clear ? "\033[H\033[2J" : "");
                // xentop's columns where it has them (NET and VBD counters are totals, as xentop's),
                // with hypercalls/s, events/s and grant maps beside them.
                sb.append(String.format("%-20s %5s %6s %8s %7s %10s %5s %12s %9s %7s %7s %4s %9s %9s %4s %6s %8s %8s %9s %9s%n",
                        "NAME", "ID", "STATE", "CPU(%)", "MEM(k)", "CPU(sec)", "VCPUS", "HYPERCALLS/s", "EVENTS/s",
                        "GNTMAPS", "FAULTS", "NETS", "NETTX(k)", "NETRX(k)", "VBDS", "VBD_OO", "VBD_RD", "VBD_WR",
                        "VBD_RSECT", "VBD_WSECT"));
                for (DomainStatistics s : r.getStatistics().getDomainsList()) {
                    DomainStatistics p = last.get(s.getDomid());
                    double dt = lastTime == 0 ? 0 : (now - lastTime) / 1e9;
                    double cpu = p == null || dt <= 0 ? 0 : 100.0 * (s.getCpuTimeNs() - p.getCpuTimeNs()) / 1e9 / dt;
                    double hc = p == null || dt <= 0 ? 0 : (s.getHypercalls() - p.getHypercalls()) / dt;
                    double ev = p == null || dt <= 0 ? 0 : (s.getEventsSent() - p.getEventsSent()) / dt;
                    sb.append(String.format("%-20s %5d %6s %8.1f %7d %10.1f %5d %12.0f %9.0f %7d %7d %4d %9d %9d %4d %6d %8d %8d %9d %9d%n",
                            s.getName(), s.getDomid(), s.getState().name().replace("DOMAIN_STATE_", "").toLowerCase(), cpu,
                            s.getMemoryKib(), s.getCpuTimeNs() / 1e9, s.getVcpus(), hc, ev, s.getGrantMaps(), s.getFaults(),
                            s.getVifs(), s.getNetTxBytes() / 1024, s.getNetRxBytes() / 1024, s.getVbds(), s.getVbdOo(),
                            s.getVbdRd(), s.getVbdWr(), s.getVbdRsect(), s.getVbdWsect()));
                    last.put(s.getDomid(), s);
                }
                lastTime = now;
                out.print(sb);
                if (!clear) {
                    out.println();
                }
                out.flush();
                i++;
            }
            return 0;
        }
    }

    /** block-attach / -detach / -list: dom0 carries them out; its answer is printed. */
    abstract static class Block extends Verb {
        @Parameters(index = "0", paramLabel = "DOMAIN") String domain;

        abstract BlockOp op();

        String device() {
            return "";
        }

        /** Network verbs override: the request's kind. */
        boolean network() {
            return false;
        }

        int run(ControlClient c) throws IOException {
            Request.Builder b = c.request();
            if (network()) {
                b.setNetwork(org.parasol.control.v1.NetworkRequest.newBuilder().setOp(op()).setDomain(ref(domain))
                        .setDevice(device()));
            } else {
                b.setBlock(BlockRequest.newBuilder().setOp(op()).setDomain(ref(domain)).setDevice(device()));
            }
            Response r = c.call(b.build());
            if (check(r) != 0) {
                return 1;
            }
            r.getLines().getLinesList().forEach(out::println);
            return 0;
        }
    }

    @Command(name = "block-attach", mixinStandardHelpOptions = true,
            description = "Adds a disk to a running domain: DISK-SPEC as in xl.cfg (vdev=xvdb,access=rw,target=/path/img).")
    static final class BlockAttach extends Block {
        @Parameters(index = "1", paramLabel = "DISK-SPEC") String spec;

        String name() {
            return "block-attach";
        }

        BlockOp op() {
            return BlockOp.BLOCK_OP_ATTACH;
        }

        String device() {
            return spec;
        }
    }

    @Command(name = "block-detach", mixinStandardHelpOptions = true, description = "Removes a disk (by vdev or devid).")
    static final class BlockDetach extends Block {
        @Parameters(index = "1", paramLabel = "VDEV") String vdev;

        String name() {
            return "block-detach";
        }

        BlockOp op() {
            return BlockOp.BLOCK_OP_DETACH;
        }

        String device() {
            return vdev;
        }
    }

    @Command(name = "block-list", mixinStandardHelpOptions = true, description = "A domain's disks.")
    static final class BlockList extends Block {
        String name() {
            return "block-list";
        }

        BlockOp op() {
            return BlockOp.BLOCK_OP_LIST;
        }
    }

    @Command(name = "network-attach", mixinStandardHelpOptions = true,
            description = "Adds a vif to a running domain: VIF-SPEC as in xl.cfg's vif= (bridge=xenbr0,mac=...).")
    static final class NetworkAttach extends Block {
        @Parameters(index = "1", arity = "0..1", paramLabel = "VIF-SPEC") String spec;

        String name() {
            return "network-attach";
        }

        BlockOp op() {
            return BlockOp.BLOCK_OP_ATTACH;
        }

        String device() {
            return spec == null ? "" : spec;
        }

        boolean network() {
            return true;
        }
    }

    @Command(name = "network-detach", mixinStandardHelpOptions = true, description = "Removes a vif (by devid or MAC).")
    static final class NetworkDetach extends Block {
        @Parameters(index = "1", paramLabel = "DEVID|MAC") String dev;

        String name() {
            return "network-detach";
        }

        BlockOp op() {
            return BlockOp.BLOCK_OP_DETACH;
        }

        String device() {
            return dev;
        }

        boolean network() {
            return true;
        }
    }

    @Command(name = "network-list", mixinStandardHelpOptions = true, description = "A domain's vifs.")
    static final class NetworkList extends Block {
        String name() {
            return "network-list";
        }

        BlockOp op() {
            return BlockOp.BLOCK_OP_LIST;
        }

        boolean network() {
            return true;
        }
    }

    @Command(name = "mem-set", mixinStandardHelpOptions = true,
            description = "Sets a domain's memory target (its balloon follows), within its maxmem.")
    static final class MemSet extends Verb {
        @Parameters(index = "0", paramLabel = "DOMAIN", description = "A name or a domid.") String domain;

        @Parameters(index = "1", paramLabel = "MEM",
                description = "The target, as xl takes it: a number of MiB, or with a unit t, g, m, k or b (64m, 1g).")
        String mem;

        String name() {
            return "mem-set";
        }

        @Override
        public Integer call() {
            if (parseMemSizeKiB(mem) < 0) {
                err.println("parasol mem-set: MEM must be a number with an optional unit t, g, m (the default), k or b,"
                        + " at most 1t, not '" + mem + "'");
                return 2;
            }
            return super.call();
        }

        @Override
        int run(ControlClient c) throws IOException {
            Response r = c.call(c.request().setMemSet(MemSetRequest.newBuilder().setDomain(ref(domain))
                    .setTargetKib(parseMemSizeKiB(mem))).build());
            if (check(r) != 0) {
                return 1;
            }
            r.getLines().getLinesList().forEach(out::println);
            return 0;
        }

        /**
         * xl's {@code parse_mem_size_kb}: a decimal number and an optional unit, {@code t},
         * {@code g}, {@code m} (the default: {@code 64} is 64 MiB) or {@code k}, or {@code b}
         * for bytes; KiB, or -1 for anything else or above 2^40 KiB.
         */
        static long parseMemSizeKiB(String mem) {
            int end = 0;
            while (end < mem.length() && mem.charAt(end) >= '0' && mem.charAt(end) <= '9') {
                end++;
            }
            if (end == 0 || end > 15 || mem.length() - end > 1) {
                return -1;
            }
            long n = Long.parseLong(mem.substring(0, end));
            int shift = switch (end == mem.length() ? 'm' : Character.toLowerCase(mem.charAt(end))) {
                case 't' -> 30;
                case 'g' -> 20;
                case 'm' -> 10;
                case 'k' -> 0;
                case 'b' -> -10;
                default -> Integer.MIN_VALUE;
            };
            if (shift == Integer.MIN_VALUE) {
                return -1;
            }
            if (shift < 0) {
                return n >>> 10;
            }
            return n > (1L << 40) >>> shift ? -1 : n << shift;
        }
    }

    @Command(name = "vcpu-set", mixinStandardHelpOptions = true,
            description = "Sets how many of a domain's vCPUs are online, within its maxvcpus.")
    static final class VcpuSet extends Verb {
        @Parameters(index = "0", paramLabel = "DOMAIN", description = "A name or a domid.") String domain;

        @Parameters(index = "1", paramLabel = "N", description = "vCPUs online: 1 to the domain's maxvcpus.") String count;

        @Option(names = {"-i", "--ignore-host"},
                description = "Allow more vCPUs online than the host has pCPUs (xl refuses that otherwise).")
        boolean ignoreHost;

        String name() {
            return "vcpu-set";
        }

        @Override
        public Integer call() {
            if (!count.matches("[0-9]{1,2}") || Integer.parseInt(count) < 1 || Integer.parseInt(count) > 32) {
                err.println("parasol vcpu-set: N must be 1..32 (and at most the domain's maxvcpus), not '" + count + "'");
                return 2;
            }
            return super.call();
        }

        @Override
        int run(ControlClient c) throws IOException {
            Response r = c.call(c.request().setVcpuSet(VcpuSetRequest.newBuilder().setDomain(ref(domain))
                    .setVcpus(Integer.parseInt(count)).setIgnoreHost(ignoreHost)).build());
            if (check(r) != 0) {
                return 1;
            }
            r.getLines().getLinesList().forEach(out::println);
            return 0;
        }
    }
}
