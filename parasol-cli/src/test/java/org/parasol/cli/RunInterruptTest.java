package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Timeout;
import org.parasol.hypervisor.Hypervisor;
import org.parasol.hypervisor.domain.Domain;
import picocli.CommandLine;

/**
 * {@code parasol run} and Ctrl-C: the first asks every domain to shut down through dom0
 * ({@code xl shutdown -a} at the hypervisor's console), the second destroys them; the exit
 * status says a signal ended the run. In this JVM through {@link RunCommand#interrupt}, and in
 * a fresh one with the launcher's module path and a real {@code kill -INT}.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RunInterruptTest {

    /** Runs {@code parasol run ARGS} in this JVM on another thread; {@code during} runs once the host is up. */
    private static RunOutcome runInterrupted(RunCommand cmd, java.util.function.Consumer<Hypervisor> during, String... args)
            throws Exception {
        try (BackgroundRun run = BackgroundRun.start(cmd, args)) {
            during.accept(run.awaitBoot(30));
            int s = run.status(90);
            run.verifyLeaks();
            return new RunOutcome(s, run.out().text(), run.err().text());
        }
    }

    /** Waits (bounded) until a domain named {@code name} has a console line {@code p} accepts. */
    private static void awaitLine(Hypervisor hv, String name, Predicate<String> p) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            Domain d = hv.domain(name).orElse(null);
            if (d != null && d.console().lines().stream().anyMatch(p)) {
                return;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("no such line on " + name + "'s console");
    }

    @Test
    @DisplayName("Ctrl-C: every domain hears xl shutdown and powers off, dom0 powers off, the run exits 130 (128 + SIGINT)")
    void shouldShutDownCooperativelyOnInterrupt() throws Exception {
        RunCommand cmd = new RunCommand();

        RunOutcome o = runInterrupted(cmd, hv -> {
            awaitLine(hv, "ticker", l -> l.startsWith("tick 2 "));
            cmd.interrupt(RunCommand.SIGINT);
        }, "--cmdline", "ticks=100000 period=20", "ticker");

        assertThat(o.status()).as(o.out() + o.err()).isEqualTo(130);
        assertThat(o.err()).contains("parasol run: SIGINT: asking every domain to shut down")
                .contains("parasol run: ended by SIGINT; every domain shut down");
        assertThat(o.out()).contains("[ticker] xen: shutdown request from the toolstack: poweroff")
                .contains("[Domain-0] dom0: d1 (ticker) shut down: poweroff; destroyed")
                .containsPattern("(?m)^ticker\\s+1 poweroff");
    }

    @Test
    @DisplayName("Ctrl-C twice: a domain that ignores the request is destroyed at once, not after the shutdown timeout")
    void shouldDestroyAtTheSecondInterrupt() throws Exception {
        RunCommand cmd = new RunCommand();
        long[] took = new long[1];

        RunOutcome o = runInterrupted(cmd, hv -> {
            awaitLine(hv, "stubborn", l -> l.equals("stubborn: still here (1)"));
            long t0 = System.nanoTime();
            cmd.interrupt(RunCommand.SIGINT);
            awaitLine(hv, "stubborn", l -> l.equals("stubborn: asked to poweroff; not going"));
            cmd.interrupt(RunCommand.SIGINT);
            took[0] = t0;
        }, "--shutdown-timeout", "60", "--cmdline", "period=50", "stubborn");

        assertThat(o.status()).as(o.out() + o.err()).isEqualTo(130);
        assertThat((System.nanoTime() - took[0]) / 1_000_000_000L).as("well before the 60 s timeout").isLessThan(30);
        assertThat(o.err()).contains("parasol run: interrupted again: destroying every domain (xl destroy)")
                .contains("parasol run: ended by SIGINT; not every domain shut down");
        assertThat(o.out()).contains("[Domain-0] dom0: d1 (stubborn) destroyed")
                .containsPattern("(?m)^stubborn\\s+1 destroyed");
    }

    @Test
    @DisplayName("a signal before anything booted ends the run at once with 128 + the signal, and nothing is built")
    void shouldEndARunInterruptedBeforeBoot() throws Exception {
        RunCommand cmd = new RunCommand();
        AtomicReference<Hypervisor> booted = new AtomicReference<>();
        cmd.booted = booted::set;
        cmd.interrupt(RunCommand.SIGTERM);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        new CommandLine(cmd).parseArgs("hello");
        int status = cmd.run(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true,
                StandardCharsets.UTF_8));
        assertThat(status).isEqualTo(143);
        assertThat(booted.get()).as("no hypervisor booted").isNull();
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("parasol run: SIGTERM before dom0 started; nothing was built");
        assertThat(out.toString(StandardCharsets.UTF_8)).doesNotContain("[hello]").doesNotContain("xenstored socket");
    }

    @Test
    @DisplayName("the pingpong pair mid-run hears the request through the store: both power off, nothing left; exit 143")
    void shouldShutDownThePingpongPairOnInterrupt() throws Exception {
        RunCommand cmd = new RunCommand();

        RunOutcome o = runInterrupted(cmd, hv -> {
            awaitLine(hv, "pong", l -> l.startsWith("pingpong: mapped gref") && l.endsWith("Connected"));
            cmd.interrupt(RunCommand.SIGTERM);
        }, "--cmdline", "rounds=1000000", "pingpong");

        assertThat(o.status()).as(o.out() + o.err()).isEqualTo(143);
        assertThat(o.err()).contains("parasol run: SIGTERM: asking every domain to shut down")
                .contains("parasol run: ended by SIGTERM; every domain shut down");
        assertThat(o.out()).containsPattern("(?m)^pong\\s+1 poweroff").containsPattern("(?m)^ping\\s+2 poweroff")
                .contains("[Domain-0] dom0: xenstored: 8 nodes left; /local/domain lists [0]; 0 rings connected");
    }

    @Test
    @DisplayName("a real SIGINT (kill -INT) to parasol run on the launcher's module path: the domains shut down "
            + "cooperatively and the process exits 130 by itself")
    void shouldHandleARealSigint(@TempDir Path tmp) throws Exception {
        List<String> cmd = LauncherJvm.command("run", "--timeout", "120", "--xenstored-socket",
                tmp.resolve("xenstored").toString(),
                "--cmdline", "ticks=100000 period=20", "ticker");
        // A shell without job control starts a background job with SIGINT ignored, the JVMs
        // after it inherit that, and the launcher then keeps it ignored as POSIX asks (HotSpot
        // installs no handler for an ignored SIGINT): this test, run in such a job, would wait
        // for an exit that never comes. The launcher is started with SIGINT's default (coreutils
        // env) as a user's shell starts it.
        cmd.addAll(0, List.of("env", "--default-signal=INT"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        List<String> lines = new CopyOnWriteArrayList<>();
        Thread reader = Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                    lines.add(l);
                }
            } catch (IOException e) {
                // the process ended
            }
        });
        try {
            // A fresh JVM's start and the host's boot take CPU time, which a loaded machine hands
            // out slowly (59 s to the run's first line at a load of 25): the wait is bounded by the
            // run's own --timeout, which ends it if it hangs, not by a guess at the machine's speed.
            while (lines.stream().noneMatch(l -> l.startsWith("[ticker] tick 2 ")) && p.isAlive()) {
                Thread.sleep(20);
            }
            assertThat(lines).as("ticker ticks").anyMatch(l -> l.startsWith("[ticker] tick 2 "));

            Process kill = new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).inheritIO().start();
            assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();

            assertThat(p.waitFor(50, TimeUnit.SECONDS)).as("the host exited by itself").isTrue();
            reader.join(5000);
            String out = String.join("\n", lines);
            assertThat(p.exitValue()).as(out).isEqualTo(130);
            assertThat(out).contains("[ticker] xen: shutdown request from the toolstack: poweroff")
                    .contains("[Domain-0] dom0: d1 (ticker) shut down: poweroff; destroyed")
                    .contains("parasol run: ended by SIGINT; every domain shut down")
                    .containsPattern("(?m)^ticker\\s+1 poweroff");
        } finally {
            p.destroyForcibly();
        }
    }
}
