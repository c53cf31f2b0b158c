package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code parasol host} in its own JVM, started as the launcher starts it, on a socket in
 * a fresh folder, and the real CLI run against it in JVMs of their own: what the tests of the
 * control API drive, with no mocks between them.
 */
final class HostProcess implements AutoCloseable {
    final Path dir;
    final Path socket;
    final Process process;
    private final Path outputFile;

    private HostProcess(Path dir, Process process) {
        this.dir = dir;
        this.socket = dir.resolve("control.sock");
        this.process = process;
        this.outputFile = dir.resolve("host.out");
    }

    /** Starts a host and waits (at most 30 s) until it serves. */
    static HostProcess start(String... extra) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "ph");
        List<String> args = new ArrayList<>(List.of("host", "--socket", dir.resolve("control.sock").toString(),
                "--memory", "256", "--shutdown-timeout", "2"));
        args.addAll(List.of(extra));
        // The host's output to a file, read whenever asked: nothing of it is lost when it exits.
        Process p = new ProcessBuilder(LauncherJvm.command(List.of("-XX:TieredStopAtLevel=1"), args.toArray(String[]::new)))
                .redirectErrorStream(true).redirectOutput(dir.resolve("host.out").toFile()).start();
        HostProcess h = new HostProcess(dir, p);
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!h.output().contains("serving the control API")) {
            if (!p.isAlive() || System.nanoTime() > until) {
                p.destroyForcibly();
                throw new AssertionError("the host did not start: " + h.output());
            }
            Thread.sleep(50);
        }
        return h;
    }

    String output() {
        try {
            return Files.readString(outputFile);
        } catch (IOException e) {
            return "";
        }
    }

    /** One run of the CLI: {@code parasol ARGS --socket SOCKET}, at most 60 s. */
    Result cli(String... args) throws IOException, InterruptedException {
        return cliWithInput(null, args);
    }

    /**
     * {@link #cli} with {@code input} as its standard input (then its end), or /dev/null when
     * {@code input} is null.
     */
    Result cliWithInput(byte[] input, String... args) throws IOException, InterruptedException {
        List<String> a = new ArrayList<>(List.of(args));
        // picocli: the socket option after the verb.
        a.add(1, "--socket=" + socket);
        ProcessBuilder pb = new ProcessBuilder(LauncherJvm.command(List.of("-XX:TieredStopAtLevel=1"), a.toArray(String[]::new)));
        if (input == null) {
            pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        }
        Process p = pb.start();
        if (input != null) {
            try (var in = p.getOutputStream()) {
                in.write(input);
            }
        }
        StringBuffer out = new StringBuffer();
        StringBuffer err = new StringBuffer();
        Thread to = new Thread(() -> pump(p.getInputStream(), out));
        Thread te = new Thread(() -> pump(p.getErrorStream(), err));
        to.start();
        te.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("parasol " + String.join(" ", args) + " did not end: " + out + err);
        }
        to.join(5000);
        te.join(5000);
        return new Result(p.exitValue(), out.toString(), err.toString());
    }

    record Result(int status, String out, String err) {
    }

    /** SIGTERM, and the exit status (at most 30 s). */
    int terminate() throws InterruptedException {
        process.destroy(); // SIGTERM
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("the host did not end on SIGTERM: " + output());
        }
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static void pump(InputStream in, StringBuffer to) {
        byte[] b = new byte[4096];
        try {
            int n;
            while ((n = in.read(b)) > 0) {
                to.append(new String(b, 0, n, StandardCharsets.UTF_8));
            }
        } catch (IOException ignored) {
            // the process ended
        }
    }

    static void assertServes(Path socket) throws IOException {
        try (org.parasol.control.client.ControlClient c = org.parasol.control.client.ControlClient.connect(socket)) {
            var r = c.call(c.request().setList(org.parasol.control.v1.ListDomainsRequest.getDefaultInstance()).build());
            assertThat(r.hasError()).as("list after the hostile client: %s", r).isFalse();
            assertThat(r.getDomains().getDomainsList()).extracting(org.parasol.control.v1.DomainInfo::getName)
                    .contains("Domain-0");
        }
    }
}
