package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypervisor.HostConfig;
import org.parasol.hypervisor.Hypervisor;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.image.ImageLoader;
import org.parasol.hypervisor.image.ImageRepository;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * The {@code xenstore-bench} example run briefly, and dom0's ring-less baseline beside it: the
 * shape of what they print and that the figures are positive and agree with each other. No
 * figure is compared with a speed: how fast the store is, is {@code parasol bench --store}'s
 * to say, not a test's.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class XenstoreBenchTest {
    private static final Pattern PHASE = Pattern.compile("\\[(xenstore-bench-\\d)\\] xenstore-bench: (read|write), (\\d+) in "
            + "flight: (\\d+) requests in (-?[\\d.]+) ms, (\\d+) req/s \\(system time (\\d+) to (\\d+) ns\\)");
    private static final Pattern WATCH = Pattern.compile("\\[xenstore-bench-2\\] xenstore-bench: watch events from d1: "
            + "(\\d+) in ([\\d.]+) ms, p50 ([\\d.]+) us, p99 ([\\d.]+) us, max ([\\d.]+) us, min ([\\d.]+) us");

    /** One phase line: who, what, and its figures. */
    private record Phase(String domain, String op, int depth, long requests, double ms, long rate, long start, long end) {
    }

    private static List<Phase> phases(String out) {
        List<Phase> phases = new ArrayList<>();
        Matcher m = PHASE.matcher(out);
        while (m.find()) {
            phases.add(new Phase(m.group(1), m.group(2), Integer.parseInt(m.group(3)), Long.parseLong(m.group(4)),
                    Double.parseDouble(m.group(5)), Long.parseLong(m.group(6)), Long.parseLong(m.group(7)),
                    Long.parseLong(m.group(8))));
        }
        return phases;
    }

    @Test
    @DisplayName("two guests: each times 300 reads and 300 writes, 1 and 16 in flight, and d2 watches d1's 50 stamps; "
            + "rates agree with their counts and times, percentiles are ordered, and the run leaves nothing behind")
    void shouldMeasureThroughputAndWatchLatencyBetweenAPair() {
        RunOutcome run = RunOutcome.of("xenstore-bench", "--domains", "2", "--cmdline", "requests=300 rounds=50",
                "--timeout", "100");

        assertThat(run.status()).as(run.out() + run.err()).isZero();
        List<Phase> phases = phases(run.out());
        assertThat(phases).as(run.out()).hasSize(8);
        for (String domain : List.of("xenstore-bench-1", "xenstore-bench-2")) {
            assertThat(phases.stream().filter(p -> p.domain().equals(domain)).map(p -> p.op() + " " + p.depth()))
                    .as(domain).containsExactly("read 1", "read 16", "write 1", "write 16");
        }
        for (Phase p : phases) {
            assertThat(p.requests()).as("%s", p).isEqualTo(300);
            assertThat(p.ms()).as("%s", p).isPositive();
            assertThat(p.rate()).as("%s", p).isPositive();
            assertThat(p.end()).as("%s", p).isGreaterThan(p.start());
            // The printed time is the span between the printed system times, and the rate is
            // the requests over that span (both rounded as printed).
            assertThat(p.ms()).as("%s", p).isCloseTo((p.end() - p.start()) / 1e6, org.assertj.core.data.Offset.offset(0.06));
            assertThat((double) p.rate()).as("%s", p)
                    .isCloseTo(p.requests() * 1e9 / (p.end() - p.start()), org.assertj.core.data.Offset.offset(0.51));
        }
        Matcher w = WATCH.matcher(run.out());
        assertThat(w.find()).as(run.out()).isTrue();
        assertThat(Integer.parseInt(w.group(1))).isEqualTo(50);
        double p50 = Double.parseDouble(w.group(3));
        double p99 = Double.parseDouble(w.group(4));
        double max = Double.parseDouble(w.group(5));
        double min = Double.parseDouble(w.group(6));
        assertThat(min).as("a watch event comes after its write").isPositive();
        assertThat(List.of(min, p50, p99, max)).isSorted();
        assertThat(run.out()).contains("[xenstore-bench-1] xenstore-bench: wrote 50 stamps, watched by d2",
                "[xenstore-bench-1] xenstore-bench: done", "[xenstore-bench-2] xenstore-bench: done",
                "[Domain-0] dom0: xenstored: 8 nodes left; /local/domain lists [0]; 0 rings connected");
    }

    @Test
    @DisplayName("with start= and phase=, both guests time the same four windows of the hypervisor's clock, back to back")
    void shouldTimeTheSameWindowsInEveryGuest() {
        // The windows start 7 s after the hypervisor's boot: dom0, xenstored and both guests have
        // booted by then on a 2-core machine at a load of 11 (a guest arrived at 4 s), not at 16
        // (both at 10 s, every window already past). A guest that boots after the start says so;
        // then the run could not show what this test is for, and it runs again with the windows
        // twice as late (at most 28 s: each run is as long as its start).
        long startMs = 7000;
        // Windows of 500 ms: a window's last answers are waited for before the next window starts,
        // and at a load of 17 one came 103 ms after its window's end, so that the next 100 ms
        // window was past before it began (0 requests, a negative span); 500 ms leaves five times
        // that, for 1.6 s more a run.
        long phaseMs = 500;
        RunOutcome run;
        while (true) {
            run = RunOutcome.of("xenstore-bench", "--domains", "2", "--cmdline", "rounds=0 start=" + startMs + " phase=" + phaseMs,
                    "--timeout", "100");
            if (!run.out().contains("booted after start=") || startMs >= 28_000) {
                break;
            }
            startMs *= 2;
        }
        long startNs = startMs * 1_000_000L;
        long phaseNs = phaseMs * 1_000_000L;

        assertThat(run.status()).as(run.out() + run.err()).isZero();
        List<Phase> phases = phases(run.out());
        assertThat(phases).as(run.out()).hasSize(8).allSatisfy(p -> {
            assertThat(p.requests()).as("%s", p).isPositive();
            assertThat(p.rate()).as("%s", p).isPositive();
        });
        for (String domain : List.of("xenstore-bench-1", "xenstore-bench-2")) {
            List<Phase> mine = phases.stream().filter(p -> p.domain().equals(domain)).toList();
            assertThat(mine.stream().map(p -> p.op() + " " + p.depth())).containsExactly("read 1", "read 16", "write 1",
                    "write 16");
            for (int i = 0; i < 4; i++) {
                // Each window ends on the grid; it starts on it too unless the guest got there late.
                assertThat(mine.get(i).end()).as("%s", mine.get(i)).isEqualTo(startNs + (i + 1) * phaseNs);
                assertThat(mine.get(i).start()).as("%s", mine.get(i)).isBetween(startNs + i * phaseNs,
                        mine.get(i).end() - 1);
            }
        }
        assertThat(run.out()).doesNotContain("booted after start=");
    }

    @Test
    @DisplayName("dom0's xsbench=MS: reads, then writes, straight into xenstored for MS each, printed before any domain; "
            + "its node goes again")
    void shouldMeasureTheRinglessBaselineInDom0() throws Exception {
        LeakCheck leaks = new LeakCheck();
        try (Hypervisor hv = leaks.track(Hypervisor.boot(HostConfig.defaults(48L << 20)))) {
            hv.setKernelSource(Hypervisor.images(new ImageLoader(ImageRepository.standardAfter(List.of()))));
            CountDownLatch ended = new CountDownLatch(1);
            hv.onShutdown(d -> {
                if (d.domid() == 0) {
                    ended.countDown();
                }
            });
            long free = hv.freeFrames();
            Domain dom0 = hv.createDom0(new DomainConfig("Domain-0", 16 * 1024, 16 * 1024, 1, "dom0", "xsbench=50", true,
                    DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE));
            assertThat(ended.await(60, TimeUnit.SECONDS)).isTrue();
            List<String> lines = dom0.console().lines();
            assertThat(dom0.shutdownReason()).as(String.join("\n", lines)).isEqualTo(Shutdown.POWEROFF);
            Pattern baseline = Pattern.compile("dom0: store baseline, no ring: (read|write): (\\d+) requests in ([\\d.]+) ms, "
                    + "(\\d+) req/s");
            List<String> ops = new ArrayList<>();
            for (String l : lines) {
                Matcher m = baseline.matcher(l);
                if (m.matches()) {
                    ops.add(m.group(1));
                    long requests = Long.parseLong(m.group(2));
                    double ms = Double.parseDouble(m.group(3));
                    assertThat(requests).as(l).isPositive();
                    assertThat(ms).as("a phase lasts at least its 50 ms: " + l).isGreaterThanOrEqualTo(50.0);
                    assertThat((double) Long.parseLong(m.group(4))).as(l).isCloseTo(requests * 1e3 / ms,
                            org.assertj.core.data.Offset.offset(requests * 1e3 / ms * 0.002 + 1));
                }
            }
            assertThat(ops).as(String.join("\n", lines)).containsExactly("read", "write");
            assertThat(lines).contains("dom0: xenstored: 8 nodes left; /local/domain lists [0]; 0 rings connected");
            hv.destroy(dom0);
            assertThat(hv.freeFrames()).isEqualTo(free);
        }
        leaks.verify();
    }
}
