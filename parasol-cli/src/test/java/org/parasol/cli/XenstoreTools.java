package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's xenstore-utils (xenstore-ls, -read, -write, -rm, -list, -chmod, -watch, -exists)
 * run as real clients of a socket, each a process with a bounded run time. A machine without
 * them fails the test that needs them, loudly: {@code .ci/run} installs the package.
 */
final class XenstoreTools {
    /** How long one tool may take before the test fails. */
    static final long TIMEOUT_SECONDS = 30;

    private final Path socket;

    XenstoreTools(Path socket) {
        this.socket = socket;
    }

    /** What one tool did: its exit status and what it printed. */
    record Result(int status, String out, String err) {
        /** stdout's lines. */
        List<String> lines() {
            return out.isEmpty() ? List.of() : List.of(out.split("\n"));
        }
    }

    /**
     * The tool's path, from {@code /usr/bin}, {@code /usr/sbin} or {@code PATH}.
     *
     * @throws AssertionError naming the package when it is not installed
     */
    static Path tool(String name) {
        List<Path> candidates = new ArrayList<>(List.of(Path.of("/usr/bin", name), Path.of("/usr/sbin", name)));
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(":")) {
                if (!dir.isEmpty()) {
                    candidates.add(Path.of(dir, name));
                }
            }
        }
        for (Path p : candidates) {
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return fail(name + " is not installed: these tests run Debian's xenstore-utils as real clients of xenstored's"
                + " socket. Install it (apt-get install xenstore-utils); .ci/run does when it is missing");
    }

    /** Starts {@code name args...} with {@code XENSTORED_PATH} set to the socket. */
    Process start(String name, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(tool(name).toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("XENSTORED_PATH", socket.toString());
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        return pb.start();
    }

    /** Runs {@code name args...} to its end, at most {@link #TIMEOUT_SECONDS}. */
    Result run(String name, String... args) throws IOException, InterruptedException {
        Process p = start(name, args);
        // Both streams drained on their own threads, so a chatty tool never blocks on a full pipe.
        var out = new java.util.concurrent.CompletableFuture<String>();
        var err = new java.util.concurrent.CompletableFuture<String>();
        Thread.ofPlatform().daemon().start(() -> out.complete(drain(p.getInputStream())));
        Thread.ofPlatform().daemon().start(() -> err.complete(drain(p.getErrorStream())));
        if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(name + " " + String.join(" ", args) + " did not end within " + TIMEOUT_SECONDS + " s");
        }
        try {
            return new Result(p.exitValue(), out.get(5, TimeUnit.SECONDS), err.get(5, TimeUnit.SECONDS));
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new AssertionError(e);
        }
    }

    /** Runs a tool that must succeed; returns its stdout. */
    String ok(String name, String... args) throws IOException, InterruptedException {
        Result r = run(name, args);
        assertThat(r.status()).as(name + " " + String.join(" ", args) + ": " + r.err()).isZero();
        return r.out();
    }

    /** Waits (at most 60 s) until {@code xenstore-read path} succeeds, and returns the value. */
    String await(String path) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        Result r;
        do {
            r = run("xenstore-read", path);
            if (r.status() == 0) {
                return r.out().strip();
            }
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        return fail(path + " never appeared in the store: " + r.err());
    }

    private static String drain(java.io.InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }
}
