package org.parasol.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypervisor.HostConfig;
import org.parasol.hypervisor.Hypervisor;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.image.ImageLoader;
import org.parasol.hypervisor.image.ImageRepository;

/**
 * The store's figures (issue 12): requests per second over a guest's store ring, from one guest
 * and from {@value #GUESTS} at once, beside dom0's own requests straight into xenstored (no
 * ring) measured in the same run, and the watch-event latency from a write in one domain to the
 * event in another. Not JMH: the figures come from whole domains, so this boots a hypervisor
 * with dom0 (as {@code parasol run} does) four times and reads what the domains print.
 *
 * <pre>
 *  boot 0: dom0 xsbench=MS alone: the baseline, reads then writes for MS each on its
 *          toolstack connection straight into xenstored ({@code StoreBaseline} in dom0)
 *  boot 1: 1 xenstore-bench guest: read and write, 1 and 16 in flight, in timed windows
 *  boot 2: 2 guests, throughput off: d1 writes R stamps, d2 watches (latency alone)
 *  boot 3: 16 guests at once: the same windows as boot 1, then 8 pairs' watch latency at once
 * </pre>
 *
 * <p>The guests' phases are windows of the hypervisor's clock, one timebase for every domain,
 * fixed on their command line ({@code start=}, {@code phase=}): all sixteen measure the same
 * spans, whenever dom0 got round to building each. The aggregate of a phase is the requests
 * answered inside the windows over the span from the first window's start to the last one's
 * end (the same span, unless a guest booted late; the spread of starts is printed to show it).
 */
final class StoreFigures {
    /** Guests in the "at once" run: every one of them pipelines up to 16 requests. */
    static final int GUESTS = 16;
    /** Guest memory, KiB: the default of {@code parasol run}. */
    private static final long GUEST_KIB = 4096;
    private static final long DOM0_KIB = 16 * 1024;
    private static final String IMAGE = "xenstore-bench";

    private static final Pattern PHASE = Pattern.compile("xenstore-bench: (read|write), (\\d+) in flight: (\\d+) requests in "
            + "([\\d.]+) ms, (\\d+) req/s \\(system time (\\d+) to (\\d+) ns\\)");
    private static final Pattern WATCH = Pattern.compile("xenstore-bench: watch events from d(\\d+): (\\d+) in ([\\d.]+) ms, "
            + "p50 ([\\d.]+) us, p99 ([\\d.]+) us, max ([\\d.]+) us, min ([\\d.]+) us");
    private static final Pattern BASELINE = Pattern.compile("dom0: store baseline, no ring: (read|write): (\\d+) requests in "
            + "([\\d.]+) ms, (\\d+) req/s");

    /**
     * How long the run is: dom0's baseline phases ({@code baselineMs} of warm-up, then as long
     * for reads and for writes), the watch rounds, and the guests' timed windows (the first from
     * {@code startMs} after the hypervisor booted, each {@code phaseMs} long).
     */
    record Sizes(int baselineMs, int rounds, long startMs, long phaseMs) {
        static final Sizes QUICK = new Sizes(250, 200, 1_500, 250);
        static final Sizes FULL = new Sizes(2_000, 2_000, 3_000, 2_000);
    }

    /** One timed phase of one guest. */
    record Phase(int domid, String op, int depth, int requests, double ms, long rate, long start, long end) {
    }

    /** One watcher's latencies, microseconds. */
    record Watch(int domid, int from, int events, double p50, double p99, double max, double min) {
    }

    /** dom0's ring-less rate for {@code op}. */
    record Baseline(String op, int requests, double ms, long rate) {
    }

    /** What one boot printed: dom0's lines and each guest's, by domain id. */
    record Boot(List<String> dom0, Map<Integer, List<String>> guests) {
        List<Phase> phases() {
            List<Phase> out = new ArrayList<>();
            guests.forEach((id, lines) -> {
                for (String l : lines) {
                    Matcher m = PHASE.matcher(l);
                    if (m.find()) {
                        out.add(new Phase(id, m.group(1), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)),
                                Double.parseDouble(m.group(4)), Long.parseLong(m.group(5)), Long.parseLong(m.group(6)),
                                Long.parseLong(m.group(7))));
                    }
                }
            });
            return out;
        }

        List<Watch> watches() {
            List<Watch> out = new ArrayList<>();
            guests.forEach((id, lines) -> {
                for (String l : lines) {
                    Matcher m = WATCH.matcher(l);
                    if (m.find()) {
                        out.add(new Watch(id, Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                                Double.parseDouble(m.group(4)), Double.parseDouble(m.group(5)),
                                Double.parseDouble(m.group(6)), Double.parseDouble(m.group(7))));
                    }
                }
            });
            out.sort(Comparator.comparingInt(Watch::domid));
            return out;
        }

        List<Baseline> baselines() {
            List<Baseline> out = new ArrayList<>();
            for (String l : dom0) {
                Matcher m = BASELINE.matcher(l);
                if (m.find()) {
                    out.add(new Baseline(m.group(1), Integer.parseInt(m.group(2)), Double.parseDouble(m.group(3)),
                            Long.parseLong(m.group(4))));
                }
            }
            return out;
        }
    }

    private StoreFigures() {
    }

    /** The four boots and their table. */
    static String report(Sizes sizes) throws Exception {
        Boot baseline = boot(0, "xsbench=" + sizes.baselineMs(), "");
        String windows = " start=" + sizes.startMs() + " phase=" + sizes.phaseMs();
        Boot alone = boot(1, "", "rounds=0" + windows);
        Boot pair = boot(2, "", "requests=0 rounds=" + sizes.rounds());
        Boot many = boot(GUESTS, "", "rounds=" + sizes.rounds() + windows);
        return table(sizes, baseline, alone, pair, many);
    }

    /** The table of the three boots' figures. */
    static String table(Sizes sizes, Boot baseline, Boot alone, Boot pair, Boot many) {
        String nl = System.lineSeparator();
        StringBuilder sb = new StringBuilder(nl);
        sb.append(String.format(Locale.ROOT, "Store over the ring (issue 12): %s guests, %d ms per phase from %d ms after"
                + " boot, %d watch rounds; dom0's baseline %d ms per phase%n", IMAGE, sizes.phaseMs(), sizes.startMs(),
                sizes.rounds(), sizes.baselineMs()));
        sb.append(String.format(Locale.ROOT, "%-46s %10s %8s   %-24s %10s %8s %9s%n", "store requests", "req/s", "us/req",
                "baseline (same run)", "req/s", "us/req", "ring cost"));
        List<Baseline> baselines = baseline.baselines();
        for (String op : List.of("read", "write")) {
            Baseline base = baselines.stream().filter(b -> b.op().equals(op)).findFirst().orElse(null);
            for (int depth : List.of(1, 16)) {
                List<Phase> one = select(alone.phases(), op, depth);
                if (one.size() == 1) {
                    row(sb, String.format(Locale.ROOT, "%s, 1 guest, %d in flight", op, depth), one.get(0).rate(), base);
                }
            }
            for (int depth : List.of(1, 16)) {
                List<Phase> all = select(many.phases(), op, depth);
                if (all.isEmpty()) {
                    continue;
                }
                long first = all.stream().mapToLong(Phase::start).min().orElseThrow();
                long last = all.stream().mapToLong(Phase::end).max().orElseThrow();
                long latestStart = all.stream().mapToLong(Phase::start).max().orElseThrow();
                long requests = all.stream().mapToLong(Phase::requests).sum();
                double aggregate = requests * 1e9 / Math.max(1, last - first);
                row(sb, String.format(Locale.ROOT, "%s, %d guests at once, %d in flight", op, all.size(), depth),
                        Math.round(aggregate), base);
                sb.append(String.format(Locale.ROOT, "    (guest rates %d..%d req/s; window starts spread over %.1f ms)%n",
                        all.stream().mapToLong(Phase::rate).min().orElseThrow(),
                        all.stream().mapToLong(Phase::rate).max().orElseThrow(), (latestStart - first) / 1e6));
            }
        }
        sb.append(String.format(Locale.ROOT, "%-46s %10s %10s %10s %8s%n", "watch event: write in dN -> event in dN+1",
                "p50 us", "p99 us", "max us", "events"));
        for (Watch w : pair.watches()) {
            sb.append(String.format(Locale.ROOT, "%-46s %10.1f %10.1f %10.1f %8d%n",
                    "1 pair alone (d" + w.from() + " -> d" + w.domid() + ")", w.p50(), w.p99(), w.max(), w.events()));
        }
        List<Watch> pairs = many.watches();
        if (!pairs.isEmpty()) {
            sb.append(String.format(Locale.ROOT, "%-46s %10s %10s %10s %8d%n", pairs.size() + " pairs of " + GUESTS
                    + " guests at once (range)", range(pairs, Watch::p50), range(pairs, Watch::p99),
                    range(pairs, Watch::max), pairs.stream().mapToInt(Watch::events).sum()));
        }
        return sb.toString();
    }

    private static String range(List<Watch> ws, java.util.function.ToDoubleFunction<Watch> f) {
        double lo = ws.stream().mapToDouble(f).min().orElseThrow();
        double hi = ws.stream().mapToDouble(f).max().orElseThrow();
        return String.format(Locale.ROOT, "%.0f-%.0f", lo, hi);
    }

    private static List<Phase> select(List<Phase> phases, String op, int depth) {
        return phases.stream().filter(p -> p.op().equals(op) && p.depth() == depth).toList();
    }

    private static void row(StringBuilder sb, String label, long rate, Baseline base) {
        double us = 1e6 / rate;
        if (base == null) {
            sb.append(String.format(Locale.ROOT, "%-46s %10d %8.2f   %-24s%n", label, rate, us, "-"));
            return;
        }
        double baseUs = 1e6 / base.rate();
        sb.append(String.format(Locale.ROOT, "%-46s %10d %8.2f   %-24s %10d %8.3f %9s%n", label, rate, us,
                "dom0 " + base.op() + ", no ring", base.rate(), baseUs, BenchMain.ratio(us / baseUs)));
    }

    /**
     * Boots a hypervisor and dom0 with {@code dom0Cmdline}, which builds {@code guests}
     * xenstore-bench domains with {@code guestCmdline}; returns what they printed once dom0
     * powered off after the last of them.
     *
     * @throws IllegalStateException if dom0 did not power off in time, or a guest did not
     *     power off
     */
    static Boot boot(int guests, String dom0Cmdline, String guestCmdline) throws Exception {
        StringBuilder module = new StringBuilder("# parasol bench: the store figures' guests\n");
        for (int i = 1; i <= guests; i++) {
            module.append("name=").append(IMAGE).append('-').append(i).append(" image=").append(IMAGE)
                    .append(" memory=").append(GUEST_KIB).append(" cmdline=")
                    .append(guestCmdline.replace("=", "%3D").replace(" ", "%20")).append('\n');
        }
        byte[] bytes = module.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        long dom0Kib = DOM0_KIB + (bytes.length + 4095) / 4096 * 4;
        long hostBytes = (guests * GUEST_KIB + dom0Kib) * 1024 + (16L << 20);
        try (Hypervisor hv = Hypervisor.boot(HostConfig.defaults(hostBytes))) {
            hv.setKernelSource(Hypervisor.images(new ImageLoader(ImageRepository.standardAfter(List.of()))));
            CountDownLatch dom0Ended = new CountDownLatch(1);
            Map<Integer, List<String>> consoles = new ConcurrentHashMap<>();
            Map<Integer, Integer> reasons = new ConcurrentHashMap<>();
            hv.onShutdown(d -> {
                if (d.domid() == 0) {
                    dom0Ended.countDown();
                } else {
                    consoles.put(d.domid(), List.copyOf(d.console().lines()));
                    reasons.put(d.domid(), d.shutdownReason());
                }
            });
            DomainConfig.Action keep = DomainConfig.Action.PRESERVE;
            Domain dom0 = hv.createDom0(new DomainConfig("Domain-0", dom0Kib, dom0Kib, 1, "dom0", dom0Cmdline, true,
                    keep, keep, keep), bytes);
            if (!dom0Ended.await(10, TimeUnit.MINUTES) || dom0.shutdownReason() != Shutdown.POWEROFF) {
                throw new IllegalStateException("dom0 did not power off: " + String.join("\n", dom0.console().lines()));
            }
            List<String> dom0Lines = List.copyOf(dom0.console().lines());
            if (reasons.size() != guests || reasons.values().stream().anyMatch(r -> r != Shutdown.POWEROFF)) {
                throw new IllegalStateException("a guest did not power off: " + reasons + "\n" + String.join("\n", dom0Lines)
                        + "\n" + consoles);
            }
            hv.destroy(dom0);
            return new Boot(dom0Lines, new java.util.TreeMap<>(consoles));
        }
    }
}
