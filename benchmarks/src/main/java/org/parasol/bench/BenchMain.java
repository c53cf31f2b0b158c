package org.parasol.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.Runner;
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
 *   parasol bench --store    only the store's figures (issue 12, {@link StoreFigures}): whole
 *                            domains, not JMH; a full or quick run without REGEX prints them last
 *   parasol bench --net      only the network figures (issue 14, {@link NetFigures}): netbench
 *                            guests beside a shared-memory ring and loopback UDP, raw frames and
 *                            a TCP/IPv4 GSO stream; printed last
 *   parasol bench --block    only the block figures (issue 13, {@link BlockFigures}): the blkbench
 *                            guest beside direct FileChannel I/O on the same image file; a full
 *                            or quick run without REGEX prints them after the store's
 *   parasol bench --lab      only the measurement lab (issue 15, {@link LabFigures}): one
 *                            kernel's operations bare, trapped, translated and paravirtual,
 *                            the host's own transition costs, and the block and network guests
 *                            in each configuration; a full or quick run without REGEX prints it
 *                            after the network figures; --out DIR also writes it as DIR/lab.md
 *                            with PNG charts (JFreeChart) beside it
 *   parasol bench --large    only the large-domain figures (issue 17, {@link LargeDomainFigures}):
 *                            a 4 GiB bare domain touching ten pages, built and destroyed with the
 *                            P2M list written at build and lazily, alternating: CPU and resident memory
 *   parasol bench --density  only the density figures (issue 17, {@link DensityFigures}): idle
 *                            domains booted in steps up to 10,000 (--quick: 10 and 50; --steps
 *                            N,N,... to choose), creation time, memory and threads per domain,
 *                            a ping-pong while the rest idle; --chart F.png draws them,
 *                            --virtual-threads runs the vCPUs on virtual threads
 *   parasol bench REGEX      only benchmarks whose name matches (JMH's include: found anywhere
 *                            in the full name); a pattern that matches none is an error, exit 2
 * </pre>
 * Ratios are reported, never asserted, with at least three significant digits ({@link #ratio}).
 *
 * <p>When rows that stand for ring transitions ran ({@link #TRANSITIONS}: the PV MMU's
 * hypercall-versus-trap rows), {@link NativeProbe} then builds and runs a small C program with
 * the system C compiler, and a second table prints those rows three ways: the JVM figure,
 * the host's measured transition costs, and a modelled figure that adds them. Without a C
 * compiler that table is replaced by one line saying the native column is absent. When
 * {@link TrapStageBench} ran, a third table breaks one trapped PTE write into its stages.
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
            new Row("address-space switch: new_baseptr + 1 load", "AddressSpaceBench.switchAddressSpace",
                    "AddressSpaceBench.flushAndRefill"),
            new Row("TLB refill: tlb_flush_local + 1 load", "AddressSpaceBench.flushAndRefill", "AddressSpaceBench.flushOnly"),
            new Row("demand-zero #PF, guest handler maps+zeroes", "DemandZeroBench.demandZero", "DemandZeroBench.eagerZero"),
            new Row("evtchn send, interdomain, peer running", "EventBench.sendToRunningVcpu", "HypercallBench.nullHypercall"),
            new Row("evtchn round trip, peer blocked", "EventBench.roundTripBlockedPeer", "EventBench.parkUnparkRoundTrip"),
            new Row("evtchn round trip, peer polling", "EventBench.roundTripPollingPeer", "EventBench.spinRoundTrip"),
            new Row("ring request+response, page as segment", "RingBench.segmentPageRound", null),
            new Row("ring request+response, page via guest memory", "RingBench.guestPageRound",
                    "RingBench.segmentPageRound"),
            new Row("grant map+unmap, 1 page", "GrantMapBench.mapUnmapOne", "GrantMapBench.ownMapUnmapOne"),
            new Row("grant map+unmap, batch of 32", "GrantMapBench.mapUnmap32", "GrantMapBench.ownMapUnmap32"),
            new Row("grant copy 4 KiB", "GrantBench.copy4k", "GrantBench.segmentCopy4k"),
            new Row("grant copy 64 KiB in 4 KiB pieces", "GrantBench.copy64kIn4kPieces", "GrantBench.segmentCopy64k"));

    /**
     * The hardware transitions a benchmark would make on a real PV host: traps (an exception
     * into the hypervisor and back: a {@code #PF}) and hypercalls (a {@code syscall} into the
     * hypervisor and back; a 64-bit PV guest kernel runs in ring 3, so this is the instruction
     * a hypercall uses). The modelled column adds the host's measured cost of each.
     */
    record Transitions(String benchmark, int traps, int hypercalls) {
    }

    /** Benchmarks that stand for a guest operation with ring transitions, for the modelled column. */
    static final List<Transitions> TRANSITIONS = List.of(
            new Transitions("PteBench.mmuUpdate1", 0, 1),
            new Transitions("PteBench.trappedWrite1", 1, 0),
            new Transitions("PteBench.mmuUpdate16", 0, 1),
            new Transitions("PteBench.trappedWrite16", 16, 0),
            new Transitions("PteBench.mmuUpdate256", 0, 1),
            new Transitions("PteBench.trappedWrite256", 256, 0),
            new Transitions("PteBench.mmuUpdate2048", 0, 1),
            new Transitions("PteBench.trappedWrite2048", 2048, 0),
            new Transitions("AddressSpaceBench.switchAddressSpace", 0, 1),
            new Transitions("AddressSpaceBench.flushAndRefill", 0, 1),
            new Transitions("AddressSpaceBench.flushOnly", 0, 1),
            // The #PF bounces to the guest's handler, which returns with HYPERVISOR_iret (a
            // hypercall on 64-bit PV) and makes two update_va_mapping calls (map, unmap).
            new Transitions("DemandZeroBench.demandZero", 1, 3),
            new Transitions("DemandZeroBench.eagerZero", 0, 2));

    /**
     * A stage of the trap path and what it stands for on hardware and in Xen. With an empty
     * {@code less} it is the benchmark's own figure; otherwise it is a remainder: the
     * benchmark's figure minus those of {@code less}.
     */
    record Stage(String label, String benchmark, List<String> less, String counterpart) {
        static Stage measured(String label, String benchmark, String counterpart) {
            return new Stage(label, benchmark, List.of(), counterpart);
        }
    }

    /** The stage breakdown of one trapped PTE write ({@link TrapStageBench}). */
    static final List<Stage> STAGES = List.of(
            Stage.measured("whole trapped PTE write", "TrapStageBench.trappedWrite", "#PF + Xen ptwr + iret"),
            Stage.measured(" 1 fault found + trap record (no emulation)", "TrapStageBench.faultAndRecord", ""),
            Stage.measured("   1a vCPU entry checks + TLB probe", "TrapStageBench.tlbProbe",
                    "TLB lookup (hw); thread/poll checks: JVM"),
            Stage.measured("   1b 4-level walk, RW clear in the L1e", "TrapStageBench.faultWalk", "page walk (hw)"),
            new Stage("   1c trap record + hand-off = 1-1a-1b", "TrapStageBench.faultAndRecord",
                    List.of("TrapStageBench.tlbProbe", "TrapStageBench.faultWalk"),
                    "exception entry (hw); no decode: JVM"),
            Stage.measured(" 2 hypervisor side (Vcpu.emulateStore)", "TrapStageBench.emulateStore", ""),
            Stage.measured("   2a ptwr re-walk to the entry", "TrapStageBench.ptwrRewalk", "Xen guest_get_eff_l1e"),
            Stage.measured("   2b recognise, validate, apply", "TrapStageBench.ptwrEmulate", "Xen ptwr_emulated_update"),
            new Stage(" 3 resume = whole-1-2", "TrapStageBench.trappedWrite",
                    List.of("TrapStageBench.faultAndRecord", "TrapStageBench.emulateStore"),
                    "iret (hw); a Java return: JVM"));

    private static final String BENCH_PACKAGE = "org.parasol.bench.";

    private BenchMain() {
    }

    public static void main(String[] args) throws Exception {
        int status = run(args, System.out, System.err);
        if (status != 0) {
            System.exit(status);
        }
    }

    /**
     * Runs the command: 0 when the suite ran, 2 for a usage error (an unknown option, a pattern
     * that is no regular expression or matches no benchmark), with one line on {@code err}.
     */
    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        boolean quick = false;
        boolean storeOnly = false;
        boolean blockOnly = false;
        boolean labOnly = false;
        boolean density = false;
        boolean large = false;
        boolean virtualThreads = false;
        int[] steps = null;
        Path chart = null;
        boolean netOnly = false;
        Path save = null;
        Path labOut = null;
        List<String> includes = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--store" -> storeOnly = true;
                case "--block" -> blockOnly = true;
                case "--lab" -> labOnly = true;
                case "--density" -> density = true;
                case "--large" -> large = true;
                case "--virtual-threads" -> virtualThreads = true;
                case "--steps" -> {
                    if (i + 1 >= args.length) {
                        return usage(err, "--steps needs a list of domain counts, such as 10,100,1000");
                    }
                    try {
                        steps = java.util.Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                    } catch (NumberFormatException e) {
                        return usage(err, "--steps takes increasing domain counts separated by commas: " + args[i]);
                    }
                    for (int k = 0; k < steps.length; k++) {
                        if (steps[k] < 1 || k > 0 && steps[k] <= steps[k - 1]) {
                            return usage(err, "--steps takes increasing domain counts separated by commas: " + args[i]);
                        }
                    }
                }
                case "--chart" -> {
                    if (i + 1 >= args.length) {
                        return usage(err, "--chart needs a file");
                    }
                    chart = Path.of(args[++i]);
                }
                case "--net" -> netOnly = true;
                case "--out" -> {
                    if (i + 1 >= args.length) {
                        return usage(err, "--out needs a folder");
                    }
                    labOut = Path.of(args[++i]);
                }
                case "--save" -> {
                    if (i + 1 >= args.length) {
                        return usage(err, "--save needs a file");
                    }
                    save = Path.of(args[++i]);
                }
                case "-h", "--help" -> {
                    return usage(out, null);
                }
                default -> {
                    if (args[i].startsWith("-")) {
                        return usage(err, "unknown option " + args[i]);
                    }
                    includes.add(args[i]);
                }
            }
        }
        if (large) {
            if (density || !includes.isEmpty() || storeOnly || blockOnly || netOnly || labOnly || labOut != null
                    || steps != null || chart != null || virtualThreads) {
                return usage(err, "--large runs the large-domain figures alone; it takes only --quick and --save");
            }
            return print(LargeDomainFigures.report(quick), out, save);
        }
        if (density) {
            if (!includes.isEmpty() || storeOnly || blockOnly || netOnly || labOnly || labOut != null) {
                return usage(err, "--density runs the density figures alone; it takes no REGEX, --store, --block, --net"
                        + ", --lab or --out");
            }
            DensityFigures.Sizes sizes = quick ? DensityFigures.Sizes.QUICK : DensityFigures.Sizes.FULL;
            if (steps != null) {
                sizes = new DensityFigures.Sizes(steps, sizes.pingPongs(), false);
            }
            return print(DensityFigures.report(sizes.withVirtualThreads(virtualThreads), chart), out, save);
        }
        if (labOut != null && (!labOnly && !includes.isEmpty() || storeOnly || blockOnly || netOnly)) {
            return usage(err, "--out writes the lab's report: it goes with --lab, or with a whole run");
        }
        if (steps != null || chart != null || virtualThreads) {
            return usage(err, "--steps, --chart and --virtual-threads go with --density");
        }
        if (storeOnly || blockOnly || netOnly || labOnly) {
            if (!includes.isEmpty()) {
                return usage(err, (storeOnly ? "--store" : blockOnly ? "--block" : netOnly ? "--net" : "--lab") + " runs "
                        + (storeOnly ? "the store's" : blockOnly ? "the block" : netOnly ? "the network" : "the lab's")
                        + " figures alone;"
                        + " it takes no REGEX");
            }
            String table = "";
            if (labOnly) {
                table += LabFigures.report(quick ? LabFigures.Sizes.QUICK : LabFigures.Sizes.FULL, labOut);
            }
            if (storeOnly) {
                table += StoreFigures.report(quick ? StoreFigures.Sizes.QUICK : StoreFigures.Sizes.FULL);
            }
            if (blockOnly) {
                table += BlockFigures.report(quick ? BlockFigures.Sizes.QUICK : BlockFigures.Sizes.FULL);
            }
            if (netOnly) {
                table += NetFigures.report(quick ? NetFigures.Sizes.QUICK : NetFigures.Sizes.FULL);
            }
            return print(table, out, save);
        }
        String unmatched = unmatchedPattern(includes, benchmarkNames());
        if (unmatched != null) {
            err.println("parasol bench: " + unmatched);
            return 2;
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
        // The hypervisor reads the stack pointer through FFM (its stack-headroom check).
        b.jvmArgsAppend("--enable-native-access=ALL-UNNAMED");
        String home = System.getProperty("parasol.home");
        if (home != null) {
            b.jvmArgsAppend("-Dparasol.home=" + home);
        }
        Collection<RunResult> results = new Runner(b.build()).run();
        String table = report(results, quick);
        if (results.stream().anyMatch(r -> transitions(key(r)) != null)) {
            NativeProbe.HostCosts host = NativeProbe.run(quick ? 20 : 200);
            table += hostReport(results, host);
        }
        table += stageReport(results);
        if (includes.isEmpty()) {
            table += Footprint.report();
            table += StoreFigures.report(quick ? StoreFigures.Sizes.QUICK : StoreFigures.Sizes.FULL);
            table += BlockFigures.report(quick ? BlockFigures.Sizes.QUICK : BlockFigures.Sizes.FULL);
            table += NetFigures.report(quick ? NetFigures.Sizes.QUICK : NetFigures.Sizes.FULL);
            table += LabFigures.report(quick ? LabFigures.Sizes.QUICK : LabFigures.Sizes.FULL, labOut);
        }
        return print(table, out, save);
    }

    private static int print(String table, PrintStream out, Path save) throws IOException {
        out.println();
        out.print(table);
        if (save != null) {
            Files.writeString(save, table);
        }
        return 0;
    }

    private static int usage(PrintStream out, String error) {
        if (error != null) {
            out.println("parasol bench: " + error);
        }
        out.println("Usage: parasol bench [--quick] [--save FILE] [--store] [--block] [--net] [--lab] [REGEX...]");
        out.println("       parasol bench --lab [--quick] [--out DIR] [--save FILE]");
        out.println("       parasol bench --large [--quick] [--save FILE]");
        out.println("       parasol bench --density [--quick] [--steps N,N,...] [--virtual-threads] [--chart FILE.png] [--save FILE]");
        return error == null ? 0 : 2;
    }

    /** The full names of the benchmarks in this jar, from JMH's generated list, sorted. */
    static List<String> benchmarkNames() throws IOException {
        try (InputStream in = BenchMain.class.getResourceAsStream(BenchmarkList.BENCHMARK_LIST)) {
            if (in == null) {
                throw new IOException(BenchmarkList.BENCHMARK_LIST
                        + " is missing: the benchmarks were built without JMH's annotation processor");
            }
            return BenchmarkList.readBenchmarkList(in).stream().map(BenchmarkListEntry::getUsername)
                    .distinct().sorted().toList();
        }
    }

    /**
     * The error for the first pattern that is no regular expression or matches none of
     * {@code names} the way JMH matches includes (a regex found anywhere in the full name), or
     * {@code null} when every pattern matches. The message is one line and lists the names
     * without their package.
     */
    static String unmatchedPattern(List<String> patterns, List<String> names) {
        for (String p : patterns) {
            Pattern regex;
            try {
                regex = Pattern.compile(p);
            } catch (PatternSyntaxException e) {
                return "'" + p + "' is not a regular expression: " + e.getDescription();
            }
            if (names.stream().noneMatch(n -> regex.matcher(n).find())) {
                return "no benchmark matches '" + p + "'; the benchmarks are: "
                        + String.join(", ", names.stream().map(BenchMain::shortName).toList());
            }
        }
        return null;
    }

    private static String shortName(String fullName) {
        return fullName.startsWith(BENCH_PACKAGE) ? fullName.substring(BENCH_PACKAGE.length()) : fullName;
    }

    /**
     * A ratio with at least three significant digits, so that small ratios keep theirs:
     * {@code 0.00512x}, {@code 0.731x}, {@code 3.40x}, {@code 10.2x}, {@code 208x}; {@code -}
     * when it is undefined.
     */
    static String ratio(double r) {
        if (Double.isNaN(r) || Double.isInfinite(r) || r < 0) {
            return "-";
        }
        if (r == 0) {
            return "0x";
        }
        int decimals = Math.max(0, 2 - (int) Math.floor(Math.log10(r)));
        return String.format(Locale.ROOT, "%." + decimals + "fx", r);
    }

    /** Formats the report: one row per benchmark beside its baseline. */
    static String report(Collection<RunResult> results, boolean quick) {
        Map<String, RunResult> byName = byName(results);
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
                    base == null ? "-" : ratio(score / baseScore)));
        }
        return sb.toString();
    }

    /** {@code Class.method[:param...]}, the name rows use. */
    static String key(RunResult r) {
        String full = r.getParams().getBenchmark();
        String key = full.substring(full.lastIndexOf('.', full.lastIndexOf('.') - 1) + 1);
        for (String p : r.getParams().getParamsKeys()) {
            key += ":" + r.getParams().getParam(p);
        }
        return key;
    }

    private static Map<String, RunResult> byName(Collection<RunResult> results) {
        Map<String, RunResult> byName = new HashMap<>();
        for (RunResult r : results) {
            byName.put(key(r), r);
        }
        return byName;
    }

    private static Transitions transitions(String benchmark) {
        for (Transitions t : TRANSITIONS) {
            if (t.benchmark().equals(benchmark)) {
                return t;
            }
        }
        return null;
    }

    private static double nanos(RunResult r) {
        double score = r.getPrimaryResult().getScore();
        return switch (r.getPrimaryResult().getScoreUnit()) {
            case "us/op" -> score * 1e3;
            case "ms/op" -> score * 1e6;
            default -> score;
        };
    }

    /**
     * The rows that stand for ring transitions, three ways: the JVM figure, the host's measured
     * transition costs (native probe), and the modelled sum of the two, each beside its baseline.
     */
    static String hostReport(Collection<RunResult> results, NativeProbe.HostCosts host) {
        Map<String, RunResult> byName = byName(results);
        StringBuilder sb = new StringBuilder();
        sb.append(System.lineSeparator());
        if (!host.present()) {
            sb.append("Native column absent: ").append(host.absent()).append(System.lineSeparator());
            return sb.toString();
        }
        sb.append(String.format(Locale.ROOT, "Native probe (this host, built with %s): system call (getppid) %.1f ns,"
                + " trapped instruction (ud2 -> SIGILL handler -> resume) %.1f ns, CPUID %.1f ns%n",
                host.compiler(), host.syscallNs(), host.sigillNs(), host.cpuidNs()));
        sb.append("modelled = JVM time + traps x trapped instruction + hypercalls x system call"
                + System.lineSeparator());
        sb.append(String.format(Locale.ROOT, "%-44s %11s %5s %5s %12s   %11s %5s %5s %12s %7s %8s%n",
                "benchmark", "JVM ns/op", "traps", "hcall", "modelled ns", "base JVM", "traps", "hcall",
                "modelled ns", "JVM x", "model x"));
        for (Row row : ROWS) {
            Transitions t = transitions(row.benchmark());
            Transitions bt = row.baseline() == null ? null : transitions(row.baseline());
            RunResult r = byName.get(row.benchmark());
            RunResult base = row.baseline() == null ? null : byName.get(row.baseline());
            if (t == null || r == null) {
                continue;
            }
            double jvm = nanos(r);
            double modelled = jvm + t.traps() * host.sigillNs() + t.hypercalls() * host.syscallNs();
            if (base == null || bt == null) {
                sb.append(String.format(Locale.ROOT, "%-44s %11.1f %5d %5d %12.1f%n",
                        row.label(), jvm, t.traps(), t.hypercalls(), modelled));
                continue;
            }
            double bjvm = nanos(base);
            double bmodelled = bjvm + bt.traps() * host.sigillNs() + bt.hypercalls() * host.syscallNs();
            sb.append(String.format(Locale.ROOT, "%-44s %11.1f %5d %5d %12.1f   %11.1f %5d %5d %12.1f %7s %8s%n",
                    row.label(), jvm, t.traps(), t.hypercalls(), modelled, bjvm, bt.traps(), bt.hypercalls(),
                    bmodelled, ratio(jvm / bjvm), ratio(modelled / bmodelled)));
        }
        return sb.toString();
    }

    /** The stage breakdown of the trap path, when TrapStageBench ran. */
    static String stageReport(Collection<RunResult> results) {
        Map<String, RunResult> byName = byName(results);
        if (byName.get("TrapStageBench.trappedWrite") == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        sb.append(System.lineSeparator()).append("Trap path stages (TrapStageBench: one trapped PTE write)")
                .append(System.lineSeparator());
        sb.append(String.format(Locale.ROOT, "%-46s %10s %6s   %s%n", "stage", "ns/op", "B/op", "stands for"));
        for (Stage st : STAGES) {
            double ns = stage(byName, st.benchmark());
            for (String part : st.less()) {
                ns -= stage(byName, part);
            }
            RunResult r = byName.get(st.benchmark());
            String alloc = r == null ? "-" : st.less().isEmpty() ? alloc(r) : "";
            String time = Double.isNaN(ns) ? "-" : String.format(Locale.ROOT, "%.1f", ns);
            sb.append(String.format(Locale.ROOT, "%-46s %10s %6s   %s%n", st.label(), time, alloc, st.counterpart()));
        }
        return sb.toString();
    }

    private static double stage(Map<String, RunResult> byName, String benchmark) {
        RunResult r = byName.get(benchmark);
        return r == null ? Double.NaN : nanos(r);
    }

    private static String alloc(RunResult r) {
        Result<?> norm = r.getSecondaryResults().get("gc.alloc.rate.norm");
        return norm == null ? "-" : String.format(Locale.ROOT, "%.1f", norm.getScore());
    }
}
