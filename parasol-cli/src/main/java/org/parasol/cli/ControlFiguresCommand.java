package org.parasol.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import org.parasol.control.XlConfigParser;
import org.parasol.control.client.ControlClient;
import org.parasol.control.v1.ConsoleAttachRequest;
import org.parasol.control.v1.CreateDomainRequest;
import org.parasol.control.v1.DomainRef;
import org.parasol.control.v1.ListDomainsRequest;
import org.parasol.control.v1.Request;
import org.parasol.control.v1.Response;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code parasol control-figures}: the control API's figures for docs/results.md, against a
 * running host: the list round trip (p50/p99) beside a baseline in the same run (the host's
 * version refusal: the same socket, framing and event loop, no service work); create to the
 * first console line through the API, through {@code ./parasol create -c} (a CLI JVM each) and
 * through {@code ./parasol run} (a whole host in-process each); console stream throughput (a
 * domain's history of ticker lines replayed to a client).
 */
@Command(name = "control-figures", hidden = true, mixinStandardHelpOptions = true,
        description = "Measures the control API against a running host (docs/results.md).")
final class ControlFiguresCommand implements Callable<Integer> {
    @Option(names = "--socket") Path socket;
    @Option(names = "--iterations", defaultValue = "5000") int iterations;
    @Option(names = "--creates", defaultValue = "5") int creates;
    @Option(names = "--console-only", description = "Only the console stream's figure.") boolean consoleOnly;

    @Override
    public Integer call() throws Exception {
        Path sock = socket != null ? socket : ControlClient.defaultSocket();
        Path root = Path.of(System.getProperty("parasol.home", "."));
        try (ControlClient c = ControlClient.connect(sock)) {
            if (!consoleOnly) {
                latencies(c, sock, root);
            }
            consoleStream(c);
        }
        return 0;
    }

    private void latencies(ControlClient c, Path sock, Path root) throws Exception {
        {
            long[] list = new long[iterations];
            long[] base = new long[iterations];
            for (int round = 0; round < 2; round++) { // the first round warms up
                for (int i = 0; i < iterations; i++) {
                    Request l = c.request().setList(ListDomainsRequest.getDefaultInstance()).build();
                    long t0 = System.nanoTime();
                    c.call(l);
                    list[i] = System.nanoTime() - t0;
                    Request old = Request.newBuilder().setVersion(0).setId(c.nextId())
                            .setList(ListDomainsRequest.getDefaultInstance()).build();
                    t0 = System.nanoTime();
                    c.call(old);
                    base[i] = System.nanoTime() - t0;
                }
            }
            Arrays.sort(list);
            Arrays.sort(base);
            System.out.printf("list round trip: p50 %.1f us, p99 %.1f us; baseline (version refusal) p50 %.1f us,"
                    + " p99 %.1f us; ratio p50 %.2f%n", pct(list, 50), pct(list, 99), pct(base, 50), pct(base, 99),
                    pct(list, 50) / pct(base, 50));

            org.parasol.control.v1.DomainConfig hello = XlConfigParser.parse("hello.cfg",
                    Files.readString(root.resolve("examples/configs/hello.cfg")));
            long[] api = new long[creates];
            for (int i = 0; i < creates; i++) {
                Request r = c.request().setCreate(CreateDomainRequest.newBuilder().setConfig(hello.toBuilder()
                        .setName("fig-" + i)).setAttachConsole(true)).build();
                long t0 = System.nanoTime();
                c.send(r);
                while (true) {
                    Response resp = c.read();
                    if (resp.getId() == r.getId() && (resp.hasConsole() || resp.hasError())) {
                        if (resp.hasError()) {
                            throw new IOException(resp.getError().toString());
                        }
                        break;
                    }
                }
                api[i] = System.nanoTime() - t0;
                drain(c, r.getId());
            }
            long[] cli = new long[creates];
            long[] run = new long[creates];
            for (int i = 0; i < creates; i++) {
                cli[i] = firstLine(List.of(root.resolve("parasol").toString(), "create", "--socket=" + sock,
                        root.resolve("examples/configs/hello.cfg").toString(), "-c"), "Parasol guest kernel");
                run[i] = firstLine(List.of(root.resolve("parasol").toString(), "run",
                        root.resolve("examples/configs/hello.cfg").toString()), "[hello-cfg] Parasol guest kernel");
            }
            Arrays.sort(api);
            Arrays.sort(cli);
            Arrays.sort(run);
            System.out.printf("create to first console line (median of %d): API %.1f ms; ./parasol create -c %.1f ms;"
                    + " ./parasol run (in-process host) %.1f ms%n", creates, api[creates / 2] / 1e6, cli[creates / 2] / 1e6,
                    run[creates / 2] / 1e6);

        }
    }

    private static void consoleStream(ControlClient c) throws Exception {
        {
            Path tick = Files.createTempFile("figures", ".cfg");
            Files.writeString(tick, "name = \"fig-ticker\"\nkernel = \"ticker\"\nmemory = 8\nvcpus = 1\n"
                    + "cmdline = \"ticks=5000 period=1\"\non_poweroff = \"preserve\"\n");
            org.parasol.control.v1.DomainConfig ticker = XlConfigParser.parse("t.cfg", Files.readString(tick));
            Response made = c.call(c.request().setCreate(CreateDomainRequest.newBuilder().setConfig(ticker)).build());
            if (made.hasError()) {
                throw new IOException(made.getError().toString());
            }
            Thread.sleep(15_000); // the ticks (and the machine's load)
            // How many lines the history holds: one untimed pass, cancelled after 3 s.
            long expected = countHistory(c);
            long bestNanos = Long.MAX_VALUE;
            long lines = 0;
            long bytes = 0;
            for (int round = 0; round < 5; round++) {
                Request r = c.request().setConsole(ConsoleAttachRequest.newBuilder()
                        .setDomain(DomainRef.newBuilder().setName("fig-ticker")).setHistory(true)).build();
                long t0 = System.nanoTime();
                c.send(r);
                long n = 0;
                long b = 0;
                long last = t0;
                // Until every line came, or the stream went quiet for 3 s (items dropped for a slow
                // reader are not resent): the time is up to the last item received.
                java.util.concurrent.atomic.AtomicLong lastSeen = new java.util.concurrent.atomic.AtomicLong(t0);
                java.util.concurrent.atomic.AtomicBoolean over = new java.util.concurrent.atomic.AtomicBoolean();
                // Not interrupted when done: an interrupt would close the client's channel.
                Thread quiet = new Thread(() -> {
                    try {
                        while (System.nanoTime() - lastSeen.get() < 3_000_000_000L) {
                            Thread.sleep(100);
                            if (over.get()) {
                                return;
                            }
                        }
                        c.send(c.request().setCancel(org.parasol.control.v1.StreamCancelRequest.newBuilder()
                                .setStreamId(r.getId())).build());
                    } catch (IOException | InterruptedException ignored) {
                        // stopped
                    }
                });
                quiet.start();
                while (n < expected) {
                    Response resp = c.read();
                    if (resp.getId() == r.getId() && resp.hasConsole()) {
                        n++;
                        b += resp.getConsole().getData().size();
                        last = System.nanoTime();
                        lastSeen.set(last);
                    } else if (resp.getId() == r.getId() && resp.hasEnd()) {
                        break;
                    }
                }
                over.set(true);
                quiet.join();
                long dt = last - t0;
                Request cancel = c.request().setCancel(org.parasol.control.v1.StreamCancelRequest.newBuilder()
                        .setStreamId(r.getId())).build();
                c.send(cancel);
                while (true) {
                    Response resp = c.read();
                    if (resp.getId() == cancel.getId()) {
                        break;
                    }
                }
                if (n == expected && dt < bestNanos) {
                    bestNanos = dt;
                    lines = n;
                    bytes = b;
                }
            }
            if (bestNanos == Long.MAX_VALUE) {
                System.out.println("console stream: no round received all " + expected + " lines");
                return;
            }
            System.out.printf("console stream: %d lines (%d bytes) of history in %.1f ms: %.0f lines/s, %.2f MiB/s%n",
                    lines, bytes, bestNanos / 1e6, lines / (bestNanos / 1e9), bytes / (bestNanos / 1e9) / (1 << 20));
            c.call(c.request().setDestroy(org.parasol.control.v1.DestroyDomainRequest.newBuilder()
                    .setDomain(DomainRef.newBuilder().setName("fig-ticker"))).build());
            Files.deleteIfExists(tick);
        }
    }

    /** The lines of fig-ticker's console history: read for 3 s, then the stream is cancelled. */
    private static long countHistory(ControlClient c) throws IOException {
        Request r = c.request().setConsole(ConsoleAttachRequest.newBuilder()
                .setDomain(DomainRef.newBuilder().setName("fig-ticker")).setHistory(true)).build();
        c.send(r);
        Thread canceller = new Thread(() -> {
            try {
                Thread.sleep(3000);
                c.send(c.request().setCancel(org.parasol.control.v1.StreamCancelRequest.newBuilder()
                        .setStreamId(r.getId())).build());
            } catch (IOException | InterruptedException ignored) {
                // the count stays open-ended: the main thread's read fails
            }
        });
        canceller.start();
        long n = 0;
        while (true) {
            Response resp = c.read();
            if (resp.getId() == r.getId() && resp.hasConsole()) {
                n++;
            } else if (resp.getId() == r.getId() && resp.hasEnd()) {
                break;
            }
        }
        // the cancel's own reply
        Response done = c.read();
        if (done.hasError()) {
            throw new IOException(done.getError().toString());
        }
        return n;
    }

    /** Drains a create -c stream until its end (the domain destroyed). */
    private static void drain(ControlClient c, long id) throws IOException {
        while (true) {
            Response resp = c.read();
            if (resp.getId() == id && resp.hasEnd()) {
                return;
            }
        }
    }

    /** Nanoseconds from starting {@code cmd} to its first output line containing {@code marker}. */
    private static long firstLine(List<String> cmd, String marker) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        long at = -1;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            List<String> seen = new ArrayList<>();
            while ((line = r.readLine()) != null) {
                if (at < 0 && line.contains(marker)) {
                    at = System.nanoTime() - t0;
                }
                seen.add(line);
            }
            if (at < 0) {
                throw new IOException(cmd + ": no '" + marker + "' in " + seen);
            }
        }
        p.waitFor(60, TimeUnit.SECONDS);
        return at;
    }

    private static double pct(long[] sorted, int p) {
        return sorted[Math.min(sorted.length - 1, (int) ((long) sorted.length * p / 100))] / 1e3;
    }
}
