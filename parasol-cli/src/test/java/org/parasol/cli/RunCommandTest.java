package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.parasol.hypervisor.image.ImageRepository;

/** {@code parasol run} against the packaged example images (built before this module). */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RunCommandTest {

    private static RunOutcome run(String... args) {
        return RunOutcome.of(args);
    }

    @Test
    void shouldRunFourHelloDomainsAndExitZeroWhenAllPowerOff() {
        RunOutcome o = run("hello", "--domains", "4", "--memory", "2");
        assertThat(o.status()).as(o.err()).isZero();
        for (int i = 1; i <= 4; i++) {
            assertThat(o.out()).contains("[hello-" + i + "] Parasol guest kernel")
                    .contains("[hello-" + i + "] Hello from Parasol!")
                    .contains("[hello-" + i + "] powering off")
                    .containsPattern("hello-" + i + " +\\d+ poweroff");
        }
    }

    @Test
    @DisplayName("--hypercalls: each domain's hypercalls by name after the summary, summing to its total")
    void shouldBreakHypercallsDownByName() {
        RunOutcome o = run("hello", "--domains", "2", "--hypercalls");
        assertThat(o.status()).as(o.err()).isZero();
        for (int i = 1; i <= 2; i++) {
            var total = java.util.regex.Pattern.compile("hello-" + i + " +\\d+ poweroff +[\\d.]+ +(\\d+)").matcher(o.out());
            assertThat(total.find()).as(o.out()).isTrue();
            var line = java.util.regex.Pattern.compile("(?m)^hello-" + i + ":(.*)$").matcher(o.out());
            assertThat(line.find()).as(o.out()).isTrue();
            assertThat(line.group(1)).contains(" console_io=").contains(" sched_op=").contains(" update_va_mapping=");
            long sum = java.util.Arrays.stream(line.group(1).trim().split(" "))
                    .mapToLong(kv -> Long.parseLong(kv.substring(kv.indexOf('=') + 1))).sum();
            assertThat(sum).isEqualTo(Long.parseLong(total.group(1)));
        }
    }

    @Test
    void shouldPassTheCommandLineToEveryDomain() {
        RunOutcome o = run("hello", "--cmdline", "console=hvc0 quiet");
        assertThat(o.status()).isZero();
        assertThat(o.out()).contains("[hello] Hello from Parasol!").contains("command line 'console=hvc0 quiet'");
    }

    @Test
    @DisplayName("faulty crashes with the page fault on its console while hello runs to its end; exit status 1")
    void shouldContainFaultysCrashAndLetHelloFinish() {
        RunOutcome o = run("faulty", "hello");
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
        RunOutcome o = run("faulty", "--cmdline", "exception");
        assertThat(o.status()).isEqualTo(1);
        assertThat(o.out()).contains("[faulty] *** guest crash: java.lang.IllegalStateException: faulty: this task fails on purpose")
                .containsPattern("\\[faulty\\] \tat .*org\\.parasol\\.examples\\.faulty\\.FaultyKernel")
                .containsPattern("faulty +\\d+ crash");
    }

    @Test
    @DisplayName("an exception escaping an event handler inside the upcall is a crash with the stack trace too")
    void shouldCrashWithTheStackTraceOfAFailingEventHandler() {
        RunOutcome o = run("faulty", "--cmdline", "handler");
        assertThat(o.status()).isEqualTo(1);
        assertThat(o.out()).contains("[faulty] *** guest crash in an event handler: java.lang.IllegalStateException: "
                + "faulty: this event handler fails on purpose")
                .containsPattern("\\[faulty\\] \tat .*org\\.parasol\\.guest\\.event\\.EventDispatcher\\.upcall")
                .containsPattern("faulty +\\d+ crash");
    }

    @Test
    @DisplayName("the tutorial's ticker: every tick arrives through its event channel, in order, then power-off")
    void shouldRunTheTickerFromTheTutorial() {
        RunOutcome o = run("ticker", "--cmdline", "ticks=3 period=20");
        assertThat(o.status()).as(o.out()).isZero();
        assertThat(o.out()).containsSubsequence("[ticker] ticker: 3 ticks, one every 20 ms", "[ticker] tick 1 at ",
                "[ticker] tick 2 at ", "[ticker] tick 3 at ", "[ticker] ticker: done")
                .containsPattern("ticker +\\d+ poweroff");
    }

    @Test
    @DisplayName("--timeout shuts the run's domains down as crashed; dom0 reaps them and powers off; exit status 1")
    void shouldEndTheRunAtTheTimeoutThroughDom0() {
        RunOutcome o = run("ticker", "--timeout", "1", "--cmdline", "ticks=1000 period=100");

        assertThat(o.status()).as(o.out() + o.err()).isEqualTo(1);
        assertThat(o.err()).contains("parasol run: timed out after 1 s; destroying the remaining domains");
        assertThat(o.out()).containsPattern("\\[Domain-0\\] dom0: d\\d+ \\(ticker\\) shut down: crash; destroyed")
                .contains("[Domain-0] dom0: every domain is gone; powering off")
                .containsPattern("(?m)^ticker +\\d+ crash .*\\(timed out\\)$");
    }

    @Test
    void shouldRefuseAnUnknownImageWithTheKnownNames() {
        RunOutcome o = run("no-such-image");
        assertThat(o.status()).isEqualTo(2);
        assertThat(o.err()).contains("no-such-image").contains("hello");
    }

    @Test
    @DisplayName("pingpong: the launcher passes the first domain's offer to the second, they exchange the rounds and print percentiles, both power off")
    void shouldRunPingpongFromTheOfferToTheLatencyLine() {
        RunOutcome o = run("pingpong", "--cmdline", "rounds=300");

        assertThat(o.status()).as(o.out() + o.err()).isZero();
        Matcher offer = Pattern.compile("\\[ping\\] pingpong: offer gref=(\\d+) port=(\\d+) peer=(\\d+)").matcher(o.out());
        assertThat(offer.find()).as(o.out()).isTrue();
        Matcher ids = Pattern.compile("(?m)^ping +(\\d+) poweroff.*\\R^pong +(\\d+) poweroff").matcher(o.out());
        assertThat(ids.find()).as(o.out()).isTrue();
        String ping = ids.group(1);
        String pong = ids.group(2);
        assertThat(offer.group(3)).as("the offer is for the accepting domain").isEqualTo(pong);
        assertThat(o.out())
                .contains("[ping] Parasol guest kernel").contains("command line 'peer=" + pong + " rounds=300'")
                .contains("[pong] Parasol guest kernel").contains("command line 'peer=" + ping + " gref=" + offer.group(1)
                        + " port=" + offer.group(2) + " rounds=300'")
                .contains("[pong] pingpong: accepted gref " + offer.group(1) + " and port " + offer.group(2)
                        + " of domain " + ping)
                .contains("[pong] pingpong: answered 300 pings; ring unmapped, port closed")
                .containsPattern("\\[ping\\] pingpong: 300 round trips in \\d+\\.\\d ms: "
                        + "p50 \\d+\\.\\d us, p99 \\d+\\.\\d us, max \\d+\\.\\d us")
                .doesNotContain("still mapped")
                .doesNotContain("zombie");
    }

    @Test
    @DisplayName("an image named twice runs twice, numbered")
    void shouldNumberTheDomainsOfAnImageNamedTwice() {
        RunOutcome o = run("hello", "hello");

        assertThat(o.status()).as(o.err()).isZero();
        assertThat(o.out()).containsPattern("hello-1 +\\d+ poweroff").containsPattern("hello-2 +\\d+ poweroff");
    }

    @Test
    @DisplayName("--domains 2 on pingpong runs two pairs, each with its own offer")
    void shouldRunOnePingpongPairPerInstance() {
        RunOutcome o = run("pingpong", "--domains", "2", "--cmdline", "rounds=50");

        assertThat(o.status()).as(o.out() + o.err()).isZero();
        for (String pair : new String[] {"1", "2"}) {
            assertThat(o.out()).contains("[ping-" + pair + "] pingpong: offer gref=")
                    .contains("[pong-" + pair + "] pingpong: answered 50 pings")
                    .containsPattern("\\[ping-" + pair + "\\] pingpong: 50 round trips in ")
                    .containsPattern("ping-" + pair + " +\\d+ poweroff")
                    .containsPattern("pong-" + pair + " +\\d+ poweroff");
        }
    }

    @Test
    @DisplayName("--images adds folders before the default one: images from each run side by side, repeatable")
    void shouldAddImageFoldersToTheDefault(@TempDir Path dir) throws IOException {
        Path standard = ImageRepository.defaultDirectory();
        Path first = Files.createDirectories(dir.resolve("first"));
        Path second = Files.createDirectories(dir.resolve("second"));
        Files.writeString(first.resolve("greeter.image"), "kernel=org.parasol.examples.hello.HelloKernel\n"
                + "classpath=" + standard.resolve("lib") + "/*\n");
        Files.writeString(second.resolve("metronome.image"), "kernel=org.parasol.examples.ticker.TickerKernel\n"
                + "classpath=" + standard.resolve("lib") + "/*\n");

        RunOutcome o = run("greeter", "metronome", "hello", "--images", first.toString(), "--images", second.toString(),
                "--cmdline", "ticks=1 period=10");

        assertThat(o.status()).as(o.out() + o.err()).isZero();
        assertThat(o.out()).contains("[greeter] Hello from Parasol!").contains("[metronome] ticker: done")
                .contains("[hello] Hello from Parasol!");
    }

    @Test
    @DisplayName("an image in none of the folders: exit status 2 naming every folder searched and the images known")
    void shouldNameEveryFolderForAnUnknownImage(@TempDir Path dir) {
        RunOutcome o = run("no-such-image", "--images", dir.toString());

        assertThat(o.status()).isEqualTo(2);
        assertThat(o.err()).startsWith("parasol run: unknown image 'no-such-image' in " + dir.toAbsolutePath().normalize()
                        + " or " + ImageRepository.defaultDirectory().toAbsolutePath().normalize())
                .contains("known images: ").contains("hello");
    }

    /** An images folder with {@code image}'s descriptor (its class path made absolute) and {@code launch} as its plan. */
    private static Path imagesWithPlan(Path dir, String image, String launch) throws IOException {
        Path standard = ImageRepository.defaultDirectory();
        String descriptor = Files.readString(standard.resolve(image + ".image"))
                .replace("classpath=lib/*", "classpath=" + standard.resolve("lib") + "/*");
        Files.writeString(dir.resolve(image + ".image"), descriptor);
        Files.writeString(dir.resolve(image + ".launch"), launch);
        return dir;
    }

    @Test
    @DisplayName("an offering domain whose offer line is malformed: a clear error and exit status 2, not a hang")
    void shouldExitTwoOnAMalformedOffer(@TempDir Path dir) throws IOException {
        // hello's greeting, taken as the offer line: "command line '...'" is no gref=/port=/peer=.
        imagesWithPlan(dir, "hello", "launch=offer-accept\noffer.line=Hello from Parasol!\noffer.timeout=60\n");

        RunOutcome o = run("hello", "--images", dir.toString());

        assertThat(o.status()).as(o.out() + o.err()).isEqualTo(2);
        assertThat(o.err()).startsWith("parasol run: domain 'hello-offer' (")
                .contains("printed a malformed offer line 'Hello from Parasol! command line 'peer=")
                .contains("unexpected word 'command'");
    }

    @Test
    @DisplayName("an offering domain that powers off without an offer: a clear error and exit status 2 at once")
    void shouldExitTwoWhenTheOfferNeverComes(@TempDir Path dir) throws IOException {
        imagesWithPlan(dir, "hello", "launch=offer-accept\noffer.line=hello: offer\noffer.timeout=600\n");

        RunOutcome o = run("hello", "--images", dir.toString());

        assertThat(o.status()).isEqualTo(2);
        assertThat(o.err()).matches("parasol run: domain 'hello-offer' \\(\\d+\\) powered off before it printed its offer line\\R");
    }

    @Test
    @DisplayName("an offering domain that runs on without an offer: the plan's timeout, a clear error and exit status 2")
    void shouldExitTwoWhenTheOfferTimesOut(@TempDir Path dir) throws IOException {
        imagesWithPlan(dir, "ticker", "launch=offer-accept\noffer.line=ticker: offer\noffer.timeout=1\n");

        RunOutcome o = run("ticker", "--images", dir.toString(), "--cmdline", "ticks=1000 period=100");

        assertThat(o.status()).isEqualTo(2);
        assertThat(o.err()).contains("parasol run: domain 'ticker-offer' (")
                .contains("printed no offer line ('ticker: offer gref=<n> port=<p> peer=<domid>') within 1 s");
    }
}
