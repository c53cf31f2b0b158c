package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.parasol.hypervisor.Hypervisor;
import org.parasol.hypervisor.testing.LeakCheck;

import picocli.CommandLine;

/**
 * {@code parasol run ARGS} in this JVM on a thread of its own, its output readable while it
 * runs: for the tests that act on a running host (type at it, signal it, reach it from the
 * host's own tools). The run is under a {@link LeakCheck}, which {@link #verifyLeaks} checks
 * once it has ended; {@link #close} ends a run that is still up (two interrupts, as Ctrl-C
 * twice), so that a failed test leaves no host running behind it.
 */
final class BackgroundRun implements AutoCloseable {
    /** Output the test reads while the run writes it. */
    static final class Captured extends ByteArrayOutputStream {
        synchronized String text() {
            return toString(StandardCharsets.UTF_8);
        }
    }

    private final RunCommand cmd;
    private final Captured out = new Captured();
    private final Captured err = new Captured();
    private final LeakCheck leaks = new LeakCheck();
    private final AtomicReference<Hypervisor> hv = new AtomicReference<>();
    private final CompletableFuture<Integer> status;

    private BackgroundRun(RunCommand cmd) {
        this.cmd = cmd;
        cmd.booted = h -> {
            leaks.track(h);
            hv.set(h);
        };
        status = CompletableFuture.supplyAsync(() -> {
            try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
                return cmd.run(o, e);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return -1;
            }
        });
    }

    /** Parses {@code args} as the command line does and starts the run. */
    static BackgroundRun start(String... args) {
        return start(new RunCommand(), args);
    }

    /** {@link #start(String...)} with a command the test holds (to interrupt it). */
    static BackgroundRun start(RunCommand cmd, String... args) {
        new CommandLine(cmd).parseArgs(args);
        return new BackgroundRun(cmd);
    }

    /** Standard output so far: the consoles, then the summary. */
    Captured out() {
        return out;
    }

    /** Standard error so far. */
    Captured err() {
        return err;
    }

    /** Waits (at most {@code seconds}) for the hypervisor to boot; fails if the run ends first. */
    Hypervisor awaitBoot(long seconds) throws InterruptedException {
        await(ignored -> hv.get() != null, seconds, "the host booted");
        return hv.get();
    }

    /** Waits (at most {@code seconds}) until standard output contains {@code text}; fails if the run ends first. */
    void awaitOut(String text, long seconds) throws InterruptedException {
        await(o -> o.contains(text), seconds, "the line '" + text + "'");
    }

    /** Waits (at most {@code seconds}) until {@code pattern} finds a match in standard output; fails if the run ends first. */
    Matcher awaitOut(Pattern pattern, long seconds) throws InterruptedException {
        await(o -> pattern.matcher(o).find(), seconds, "a match of " + pattern);
        Matcher m = pattern.matcher(out.text());
        assertThat(m.find()).isTrue();
        return m;
    }

    private void await(Predicate<String> done, long seconds, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!done.test(out.text())) {
            assertThat(System.nanoTime()).as("%s within %d s:%n%s%s", what, seconds, out.text(), err.text())
                    .isLessThan(deadline);
            assertThat(status).as("%s before the run ended:%n%s%s", what, out.text(), err.text()).isNotDone();
            Thread.sleep(20);
        }
    }

    /** The run's exit status, waiting at most {@code seconds} for it to end. */
    int status(long seconds) throws InterruptedException, ExecutionException, TimeoutException {
        return status.get(seconds, TimeUnit.SECONDS);
    }

    /** Whether the run has ended. */
    boolean ended() {
        return status.isDone();
    }

    /** Fails if the ended run left frames, grants, ports or threads behind. */
    void verifyLeaks() {
        leaks.verify();
    }

    /** Ends a run still up, as Ctrl-C twice (destroying every domain), and waits at most 20 s for it. */
    @Override
    public void close() {
        if (!status.isDone()) {
            cmd.interrupt(RunCommand.SIGINT);
            cmd.interrupt(RunCommand.SIGINT);
            try {
                status.get(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                // what the test asserts has failed it already; the run is told to end regardless
            }
        }
    }
}
