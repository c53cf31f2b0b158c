package org.parasol.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * {@code parasol bench}: runs the JMH suite and prints one row per benchmark with its score,
 * its baseline measured in the same run, the ratio between them, and the bytes it allocates
 * per operation (JMH's gc profiler; hot paths must show 0).
 *
 * <pre>
 *   parasol bench            3 forks, 5 x 1 s warm-up, 5 x 1 s measurement
 *   parasol bench --quick    1 fork, 1 x 200 ms warm-up, 2 x 200 ms measurement (smoke check)
 *   parasol bench --save F   also writes the table to F
 *   parasol bench REGEX      only benchmarks whose name matches
 * </pre>
 * Ratios are reported, never asserted.
 */
public final class BenchMain {

    /** A row of the report: a benchmark beside its baseline. */
    record Row(String label, String benchmark, String baseline) {
    }

    /** Every row, in the order the report prints them. Later issues add theirs here. */
    static final List<Row> ROWS = List.of(
            new Row("null hypercall (xen_version)", "HypercallBench.nullHypercall", "HypercallBench.megamorphicCall"),
            new Row("hypercall copying in+out (evtchn status)", "HypercallBench.structHypercall", "HypercallBench.megamorphicCall"),
            new Row("guest load, TLB hit", "MmuBench.tlbHit", "MmuBench.segmentLoad"),
            new Row("guest load, TLB miss (4-level walk)", "MmuBench.tlbMiss", "MmuBench.segmentLoadStrided"),
            new Row("create+destroy 1 MiB domain, shared loader", "DomainCreateBench.createAndDestroy:shared", null),
            new Row("create+destroy 1 MiB domain, own loader", "DomainCreateBench.createAndDestroy:perDomain",
                    "DomainCreateBench.createAndDestroy:shared"),
            new Row("mmu_update x1 vs trapped PTE write x1", "PteBench.mmuUpdate1", "PteBench.trappedWrite1"),
            new Row("mmu_update x16 vs trapped PTE write x16", "PteBench.mmuUpdate16", "PteBench.trappedWrite16"),
            new Row("mmu_update x256 vs trapped PTE write x256", "PteBench.mmuUpdate256", "PteBench.trappedWrite256"),
            new Row("mmu_update x2048 vs trapped PTE write x2048", "PteBench.mmuUpdate2048", "PteBench.trappedWrite2048"),
            new Row("evtchn send, interdomain, peer running", "EventBench.sendToRunningVcpu", "HypercallBench.nullHypercall"),
            new Row("evtchn round trip, peer blocked", "EventBench.roundTripBlockedPeer", "EventBench.parkUnparkRoundTrip"),
            new Row("evtchn round trip, peer polling", "EventBench.roundTripPollingPeer", "EventBench.spinRoundTrip"),
            new Row("grant map+unmap, 1 page", "GrantMapBench.mapUnmapOne", "GrantMapBench.ownMapUnmapOne"),
            new Row("grant map+unmap, batch of 32", "GrantMapBench.mapUnmap32", "GrantMapBench.ownMapUnmap32"),
            new Row("grant copy 4 KiB", "GrantBench.copy4k", "GrantBench.segmentCopy4k"),
            new Row("grant copy 64 KiB in 4 KiB pieces", "GrantBench.copy64kIn4kPieces", "GrantBench.segmentCopy64k"));

    private BenchMain() {
    }

    public static void main(String[] args) throws Exception {
        boolean quick = false;
        Path save = null;
        List<String> includes = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--save" -> {
                    if (i + 1 >= args.length) {
                        usage("--save needs a file");
                    }
                    save = Path.of(args[++i]);
                }
                case "-h", "--help" -> {
                    usage(null);
                    return;
                }
                default -> {
                    if (args[i].startsWith("-")) {
                        usage("unknown option " + args[i]);
                    }
                    includes.add(args[i]);
                }
            }
        }
        ChainedOptionsBuilder b = new OptionsBuilder().addProfiler(GCProfiler.class).shouldFailOnError(true);
        if (includes.isEmpty()) {
            b.include("org\\.parasol\\.bench\\..*");
        } else {
            includes.forEach(b::include);
        }
        if (quick) {
            b.forks(1).warmupIterations(1).warmupTime(TimeValue.milliseconds(200))
                    .measurementIterations(2).measurementTime(TimeValue.milliseconds(200));
        } else {
            b.forks(3).warmupIterations(5).warmupTime(TimeValue.seconds(1))
                    .measurementIterations(5).measurementTime(TimeValue.seconds(1));
        }
        String home = System.getProperty("parasol.home");
        if (home != null) {
            b.jvmArgsAppend("-Dparasol.home=" + home);
        }
        Collection<RunResult> results = new Runner(b.build()).run();
        String table = report(results, quick);
        if (includes.isEmpty()) {
            table += Footprint.report();
        }
        System.out.println();
        System.out.print(table);
        if (save != null) {
            Files.writeString(save, table);
        }
    }

    private static void usage(String error) {
        PrintStream out = error == null ? System.out : System.err;
        if (error != null) {
            out.println("parasol bench: " + error);
        }
        out.println("Usage: parasol bench [--quick] [--save FILE] [REGEX...]");
        if (error != null) {
            System.exit(2);
        }
    }

    /** Formats the report: one row per benchmark beside its baseline. */
    static String report(Collection<RunResult> results, boolean quick) {
        Map<String, RunResult> byName = new HashMap<>();
        for (RunResult r : results) {
            String full = r.getParams().getBenchmark();
            String key = full.substring(full.lastIndexOf('.', full.lastIndexOf('.') - 1) + 1);
            for (String p : r.getParams().getParamsKeys()) {
                key += ":" + r.getParams().getParam(p);
            }
            byName.put(key, r);
        }
        StringBuilder sb = new StringBuilder();
        Runtime rt = Runtime.getRuntime();
        sb.append(String.format(Locale.ROOT, "Parasol bench (%s) on %s %s, %d cores, JDK %s%n",
                quick ? "quick: 1 fork, 1x200ms warm-up, 2x200ms" : "full: 3 forks, 5x1s warm-up, 5x1s",
                System.getProperty("os.name"), System.getProperty("os.arch"), rt.availableProcessors(),
                Runtime.version()));
        sb.append(String.format(Locale.ROOT, "%-44s %12s %10s   %-32s %12s %8s%n",
                "benchmark", "time/op", "B/op", "baseline", "time/op", "ratio"));
        for (Row row : ROWS) {
            RunResult r = byName.get(row.benchmark());
            RunResult base = row.baseline() == null ? null : byName.get(row.baseline());
            if (r == null) {
                continue;
            }
            double score = r.getPrimaryResult().getScore();
            double baseScore = base == null ? Double.NaN : base.getPrimaryResult().getScore();
            String unit = r.getPrimaryResult().getScoreUnit().replace("/op", "");
            sb.append(String.format(Locale.ROOT, "%-44s %9.2f %-2s %10s   %-32s %12s %8s%n",
                    row.label(), score, unit, alloc(r), row.baseline() == null ? "-" : row.baseline(),
                    base == null ? "-" : String.format(Locale.ROOT, "%.2f %s", baseScore, unit),
                    base == null ? "-" : String.format(Locale.ROOT, "%.1fx", score / baseScore)));
        }
        return sb.toString();
    }

    private static String alloc(RunResult r) {
        Result<?> norm = r.getSecondaryResults().get("gc.alloc.rate.norm");
        return norm == null ? "-" : String.format(Locale.ROOT, "%.1f", norm.getScore());
    }
}
