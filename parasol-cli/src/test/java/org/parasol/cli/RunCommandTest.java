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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
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
    @DisplayName("--domains 1000 --memory 1024 is refused before anything boots, naming what this host is short of")
    void shouldRefuseARunThatDoesNotFitThisHost() {
        RunOutcome o = run("hello", "--domains", "1000", "--memory", "1024");
        assertThat(o.status()).as(o.err()).isEqualTo(2);
        assertThat(o.err()).contains("parasol run: refused: 1000 domains (1001 vCPUs with dom0's");
        assertThat(o.err()).as("1000 GiB of machine memory fits no test machine's /dev/shm")
                .containsPattern("machine memory: needs 100\\d GiB");
        assertThat(o.out()).doesNotContain("[Domain-0]").doesNotContain("xenstored socket");
    }

    @Test
    @DisplayName("--domains 100000 is refused up front naming the host's shortfalls, the domain ids and dom0's boot module; a host with room is refused for the module alone")
    void shouldNameTheRealLimitsOfAHundredThousandDomains() {
        var roomy = new org.parasol.hypervisor.HostLimits(Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE);
        RunOutcome o = RunOutcome.of(roomy, "hello", "--domains", "100000", "--memory", "1");
        assertThat(o.status()).isEqualTo(2);
        assertThat(o.err()).contains("parasol run: refused: 100000 domains")
                .contains("domain ids: needs 100001 with dom0's, Xen's ids are 0..32751")
                .contains("dom0's boot module: lists at most 1024 domains a run (DomainList.DOMAINS_MAX), this run has 100000")
                .doesNotContain("machine memory:").doesNotContain("JVM heap:").doesNotContain("threads:");
        RunOutcome module = RunOutcome.of(roomy, "hello", "--domains", "1025", "--memory", "1");
        assertThat(module.status()).isEqualTo(2);
        assertThat(module.err()).contains("dom0's boot module: lists at most 1024").doesNotContain("domain ids");
        var small = new org.parasol.hypervisor.HostLimits(1L << 30, 256L << 20, 200);
        RunOutcome host = RunOutcome.of(small, "hello", "--domains", "100000", "--memory", "1");
        assertThat(host.status()).isEqualTo(2);
        assertThat(host.err()).contains("machine memory: needs").contains("JVM heap: needs about")
                .contains("threads: needs 100001").contains("domain ids:").contains("dom0's boot module:");
        assertThat(host.out()).doesNotContain("[Domain-0]");
    }

    @Test
    @DisplayName("admission names each limit a run passes: machine memory, heap, threads")
    void shouldNameEveryShortfall() {
        var tight = new org.parasol.hypervisor.HostLimits(64L << 20, 32L << 20, 3);
        RunOutcome o = RunOutcome.of(tight, "hello", "--domains", "4", "--memory", "32");
        assertThat(o.status()).isEqualTo(2);
        assertThat(o.err()).contains("machine memory: needs 160 MiB, the host can back 64 MiB")
                .contains("JVM heap: needs about")
                .contains("threads: needs 5 (a platform thread per vCPU), the host allows 3 more");
        RunOutcome fits = RunOutcome.of(new org.parasol.hypervisor.HostLimits(1L << 30, 1L << 30, 100),
                "hello", "--domains", "2", "--memory", "2");
        assertThat(fits.status()).as(fits.err()).isZero();
        assertThat(fits.err()).doesNotContain("refused");
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
    @DisplayName("--runstate: each domain's vcpu_runstate_info times after the summary; ticker, asleep for most of its five"
            + " 100 ms periods, was blocked at least 0.4 s, and its four times add up to at least its uptime")
    void shouldGiveEachDomainsRunstateTimes() {
        RunOutcome o = run("ticker", "--runstate");
        assertThat(o.status()).as(o.err()).isZero();
        var summary = java.util.regex.Pattern.compile("(?m)^ticker +\\d+ poweroff +([\\d.]+) ").matcher(o.out());
        assertThat(summary.find()).as(o.out()).isTrue();
        var line = java.util.regex.Pattern.compile("(?m)^ticker: running=([\\d.]+) runnable=([\\d.]+) blocked=([\\d.]+)"
                + " offline=([\\d.]+)$").matcher(o.out());
        assertThat(line.find()).as(o.out()).isTrue();
        double[] t = new double[4];
        for (int i = 0; i < 4; i++) {
            t[i] = Double.parseDouble(line.group(i + 1));
        }
        assertThat(t[0]).as("running").isPositive();
        assertThat(t[2]).as("blocked: the timers fire no earlier than due").isGreaterThanOrEqualTo(0.4);
        assertThat(t[0] + t[1] + t[2] + t[3]).as("every state's time")
                .isGreaterThanOrEqualTo(Double.parseDouble(summary.group(1)) - 0.05);
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
    @DisplayName("an image refuses the words of its command line it does not know, all named in one line, and a bad number"
            + " naming its key: the domain crashes with the reason before it starts")
    void shouldCrashAnImageOnAWordItDoesNotKnow() {
        RunOutcome unknown = run("ticker", "--cmdline", "tick=3 period=20 colour=blue");
        RunOutcome range = run("ticker", "--cmdline", "ticks=3 period=5000000");

        assertThat(unknown.status()).as(unknown.out()).isEqualTo(1);
        assertThat(unknown.out()).contains("[ticker] *** guest crash: org.parasol.guest.kernel.CommandLine$BadParameter: ticker:"
                + " unknown parameters 'tick=3', 'colour=blue'; ticker takes ticks, period (and the kernel's clock)")
                .doesNotContain("ticker: 3 ticks").containsPattern("ticker +\\d+ crash");
        assertThat(range.status()).as(range.out()).isEqualTo(1);
        assertThat(range.out()).contains("ticker: period 5000000 is out of range 0..3600000").containsPattern("ticker +\\d+ crash");
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
    @DisplayName("pingpong: dom0 builds pong, then ping with a pingpong device served by pong; they meet through the "
            + "store, exchange the rounds and print percentiles, both power off, and the store is as at boot")
    void shouldRunPingpongThroughTheStore() {
        RunOutcome o = run("pingpong", "--cmdline", "rounds=300");

        assertThat(o.status()).as(o.out() + o.err()).isZero();
        Matcher ids = Pattern.compile("(?m)^pong +(\\d+) poweroff.*\\R^ping +(\\d+) poweroff").matcher(o.out());
        assertThat(ids.find()).as(o.out()).isTrue();
        String pong = ids.group(1);
        String ping = ids.group(2);
        assertThat(o.out())
                .contains("[pong] Parasol guest kernel").contains("[ping] Parasol guest kernel")
                .contains("command line 'rounds=300'").doesNotContain("peer=").doesNotContain("gref=")
                .contains("[Domain-0] dom0: d" + ping + " (ping): pingpong 0 served by d" + pong + " (pong)")
                .contains("[ping] pingpong: front end of device/pingpong/0, served by domain " + pong)
                .contains("[pong] pingpong: serving backend/pingpong/" + ping + "/0 for domain " + ping)
                .containsPattern("\\[pong\\] pingpong: mapped gref \\d+ of domain " + ping + " at 0x[0-9a-f]+, bound its port "
                        + "\\d+ as local port \\d+; Connected")
                .contains("[pong] pingpong: answered 300 pings; ring unmapped, port closed")
                .containsPattern("\\[ping\\] pingpong: 300 round trips in \\d+\\.\\d ms: "
                        + "p50 \\d+\\.\\d us, p99 \\d+\\.\\d us, max \\d+\\.\\d us")
                .doesNotContain("still mapped")
                .doesNotContain("zombie");
        Matcher up = Pattern.compile("\\[Domain-0\\] dom0: xenstored up: (\\d+) nodes").matcher(o.out());
        Matcher left = Pattern.compile("\\[Domain-0\\] dom0: xenstored: (\\d+) nodes left").matcher(o.out());
        assertThat(up.find() && left.find()).as(o.out()).isTrue();
        assertThat(left.group(1)).as("no store node of the device is left").isEqualTo(up.group(1));
    }

    @Test
    @DisplayName("an image named twice runs twice, numbered")
    void shouldNumberTheDomainsOfAnImageNamedTwice() {
        RunOutcome o = run("hello", "hello");

        assertThat(o.status()).as(o.err()).isZero();
        assertThat(o.out()).containsPattern("hello-1 +\\d+ poweroff").containsPattern("hello-2 +\\d+ poweroff");
    }

    @Test
    @DisplayName("--domains 2 on pingpong runs two pairs, each front end served by its own back end")
    void shouldRunOnePingpongPairPerInstance() {
        RunOutcome o = run("pingpong", "--domains", "2", "--cmdline", "rounds=50");

        assertThat(o.status()).as(o.out() + o.err()).isZero();
        for (String pair : new String[] {"1", "2"}) {
            assertThat(o.out()).containsPattern("\\[Domain-0\\] dom0: d\\d+ \\(ping-" + pair + "\\): pingpong 0 served by d\\d+ "
                            + "\\(pong-" + pair + "\\)")
                    .contains("[pong-" + pair + "] pingpong: answered 50 pings")
                    .containsPattern("\\[ping-" + pair + "\\] pingpong: 50 round trips in ")
                    .containsPattern("ping-" + pair + " +\\d+ poweroff")
                    .containsPattern("pong-" + pair + " +\\d+ poweroff");
        }
    }

    @Test
    @DisplayName("pingpong-liar: the back end refuses a garbage ring-ref with a message and crashes, the liar powers "
            + "off, dom0 reaps both; exit status 1")
    void shouldRunTheLiarAgainstAPingpongBackEnd() {
        RunOutcome o = run("pingpong-liar", "--cmdline", "lie=ring-ref");

        assertThat(o.status()).as(o.out() + o.err()).isEqualTo(1);
        assertThat(o.out()).contains("[liar] pingpong-liar: lying to domain ")
                .contains("[pong] *** guest crash: java.lang.IllegalStateException: pingpong: the front end's ring: "
                        + "ring-ref 'banana' is not a decimal number")
                .containsPattern("\\[liar\\] pingpong-liar: the back end answered the lie with (Closed \\(6\\)|Unknown)")
                .containsPattern("(?m)^pong +\\d+ crash").containsPattern("(?m)^liar +\\d+ poweroff");
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

    @Test
    @DisplayName("a launch descriptor whose device names a back end listed after its front end: exit status 2 before boot")
    void shouldRefuseAPlanWhoseBackEndComesLater(@TempDir Path dir) throws IOException {
        Path standard = ImageRepository.defaultDirectory();
        Files.writeString(dir.resolve("hello.image"), Files.readString(standard.resolve("hello.image"))
                .replace("classpath=lib/*", "classpath=" + standard.resolve("lib") + "/*"));
        Files.writeString(dir.resolve("hello.launch"), "domains=a b\na.device=pingpong:backend=b\n");

        RunOutcome o = run("hello", "--images", dir.toString());

        assertThat(o.status()).isEqualTo(2);
        assertThat(o.err()).contains("hello.launch: a.device 'pingpong:backend=b': the back end 'b' must be a domain "
                + "listed before a").doesNotContain("Domain-0");
        assertThat(o.out()).doesNotContain("Parasol guest kernel");
    }

    /** A folder with pingpong's descriptor (its class path made absolute) and {@code launch} as its plan. */
    private static Path pingpongWithPlan(Path dir, String launch) throws IOException {
        Path standard = ImageRepository.defaultDirectory();
        Files.writeString(dir.resolve("pingpong.image"), Files.readString(standard.resolve("pingpong.image"))
                .replace("classpath=lib/*", "classpath=" + standard.resolve("lib") + "/*"));
        Files.writeString(dir.resolve("pingpong.launch"), launch);
        return dir;
    }

    @ParameterizedTest(name = "{0}")
    @DisplayName("no end of pingpong waits for ever: a missing, silent or dying peer ends the run with a message; exit 1")
    @CsvSource(delimiter = '|', textBlock = """
            no front end           | domains=pong                                  | timeout=1                       | [pong] *** guest crash: java.lang.IllegalStateException: pingpong: no front end appeared under backend/pingpong within 1 s
            a back end that never answers | domains=idle ping%nidle.image=ticker%nping.device=pingpong:backend=idle | ticker.ticks=25 ticker.period=100 pingpong.timeout=1 | [ping] *** guest crash: java.lang.IllegalStateException: pingpong: the back end made no progress for 1 s (waiting for it to reach InitWait)
            a back end that dies   | domains=brief ping%nbrief.image=ticker%nping.device=pingpong:backend=brief | ticker.ticks=5 ticker.period=200 | [ping] *** guest crash: java.lang.IllegalStateException: pingpong: the back end went Unknown (its state node gone or garbled) before it was ready
            """)
    void shouldBoundEveryWaitOfPingpong(String what, String launch, String cmdline, String message, @TempDir Path dir)
            throws IOException {
        pingpongWithPlan(dir, launch.replace("%n", "\n") + "\n");

        RunOutcome o = run("pingpong", "--images", dir.toString(), "--cmdline", cmdline, "--timeout", "60");

        assertThat(o.status()).as(o.out() + o.err()).isEqualTo(1);
        assertThat(o.out()).contains(message).doesNotContain("timed out");
        Matcher up = Pattern.compile("\\[Domain-0\\] dom0: xenstored up: (\\d+) nodes").matcher(o.out());
        Matcher left = Pattern.compile("\\[Domain-0\\] dom0: xenstored: (\\d+) nodes left").matcher(o.out());
        assertThat(up.find() && left.find()).as(o.out()).isTrue();
        assertThat(left.group(1)).isEqualTo(up.group(1));
    }
}
