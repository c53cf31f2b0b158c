package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import picocli.CommandLine;

/** {@code parasol run} against the packaged example images (built before this module). */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RunCommandTest {

    private record Outcome(int status, String out, String err) {
    }

    private static Outcome run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        RunCommand cmd = new RunCommand();
        new CommandLine(cmd).parseArgs(args);
        int status;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            status = cmd.run(o, e);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new AssertionError(ex);
        }
        return new Outcome(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void shouldRunFourHelloDomainsAndExitZeroWhenAllPowerOff() {
        Outcome o = run("hello", "--domains", "4", "--memory", "2");
        assertThat(o.status()).as(o.err()).isZero();
        for (int i = 1; i <= 4; i++) {
            assertThat(o.out()).contains("[hello-" + i + "] Parasol guest kernel")
                    .contains("[hello-" + i + "] Hello from Parasol!")
                    .contains("[hello-" + i + "] powering off")
                    .containsPattern("hello-" + i + " +\\d+ poweroff");
        }
    }

    @Test
    void shouldPassTheCommandLineToEveryDomain() {
        Outcome o = run("hello", "--cmdline", "console=hvc0 quiet");
        assertThat(o.status()).isZero();
        assertThat(o.out()).contains("[hello] Hello from Parasol!").contains("command line 'console=hvc0 quiet'");
    }

    @Test
    @DisplayName("faulty crashes with the page fault on its console while hello runs to its end; exit status 1")
    void shouldContainFaultysCrashAndLetHelloFinish() {
        Outcome o = run("faulty", "hello");
        assertThat(o.status()).as(o.out()).isEqualTo(1);
        assertThat(o.out()).contains("[faulty] *** page fault at 0x0: read of a not-present page")
                .containsPattern("\\[faulty\\] \tat .*org\\.parasol\\.examples\\.faulty\\.FaultyKernel")
                .containsPattern("faulty +\\d+ crash")
                .contains("[hello] powering off")
                .containsPattern("hello +\\d+ poweroff");
    }

    @Test
    @DisplayName("an exception escaping a task crashes the domain with the stack trace on the console")
    void shouldCrashWithTheStackTraceOfAnUncaughtTaskException() {
        Outcome o = run("faulty", "--cmdline", "exception");
        assertThat(o.status()).isEqualTo(1);
        assertThat(o.out()).contains("[faulty] *** guest crash: java.lang.IllegalStateException: faulty: this task fails on purpose")
                .containsPattern("\\[faulty\\] \tat .*org\\.parasol\\.examples\\.faulty\\.FaultyKernel")
                .containsPattern("faulty +\\d+ crash");
    }

    @Test
    @DisplayName("an exception escaping an event handler inside the upcall is a crash with the stack trace too")
    void shouldCrashWithTheStackTraceOfAFailingEventHandler() {
        Outcome o = run("faulty", "--cmdline", "handler");
        assertThat(o.status()).isEqualTo(1);
        assertThat(o.out()).contains("[faulty] *** guest crash in an event handler: java.lang.IllegalStateException: "
                + "faulty: this event handler fails on purpose")
                .containsPattern("\\[faulty\\] \tat .*org\\.parasol\\.guest\\.event\\.EventDispatcher\\.upcall")
                .containsPattern("faulty +\\d+ crash");
    }

    @Test
    @DisplayName("the tutorial's ticker: every tick arrives through its event channel, in order, then power-off")
    void shouldRunTheTickerFromTheTutorial() {
        Outcome o = run("ticker", "--cmdline", "ticks=3 period=20");
        assertThat(o.status()).as(o.out()).isZero();
        assertThat(o.out()).containsSubsequence("[ticker] ticker: 3 ticks, one every 20 ms", "[ticker] tick 1 at ",
                "[ticker] tick 2 at ", "[ticker] tick 3 at ", "[ticker] ticker: done")
                .containsPattern("ticker +\\d+ poweroff");
    }

    @Test
    void shouldRefuseAnUnknownImageWithTheKnownNames() {
        Outcome o = run("no-such-image");
        assertThat(o.status()).isEqualTo(2);
        assertThat(o.err()).contains("no-such-image").contains("hello");
    }
}
