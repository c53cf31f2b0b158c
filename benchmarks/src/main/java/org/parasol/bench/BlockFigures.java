package org.parasol.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypervisor.HostConfig;
import org.parasol.hypervisor.Hypervisor;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.domain.Virtualization;
import org.parasol.hypervisor.image.ImageLoader;
import org.parasol.hypervisor.image.ImageRepository;

/**
 * The block figures (issue 13): the {@code blkbench} guest reading and writing its virtual disk
 * through blkfront and dom0's blkback, against the same image file read and written directly
 * with {@link FileChannel} by this process (the host JVM dom0 runs in) right before and right
 * after each boot: same pattern, same request size, same file. Not JMH: whole domains, booted
 * as {@link StoreFigures} boots them, and what they print.
 *
 * <p>The baseline is one thread making positional {@code FileChannel} reads (writes) of the
 * request size into (from) a direct buffer, one after the other: what dom0's back end does per
 * segment, with no ring, no grant and no guest. It has no queue depth: a synchronous loop is
 * the direct path at any depth (the back end serves one request at a time too).
 *
 * <p>Page cache state: before the first boot the image file is written in full (pseudo-random
 * bytes, {@link FileChannel#force} after) and read once from end to end, so every test runs
 * warm, from the page cache; nothing is dropped in between. The image lives in
 * {@code java.io.tmpdir} and is deleted at the end.
 *
 * <p>JIT state: every boot loads the images through one {@link ImageLoader}, as a long
 * {@code parasol run} does, so the classes of dom0 and of the guest are compiled once for the
 * whole run, and two untimed boots come first; each test still warms up before it is timed.
 *
 * <p>Hypercalls per I/O: the guest goes idle for {@code gap=} ms around each timed phase and
 * says so on its console; this class reads both domains' hypercall counters
 * ({@link Domain#hypercalls}) when the console line arrives, inside that quiet gap.
 */
final class BlockFigures {
    private static final String IMAGE = "blkbench";
    private static final long GUEST_KIB = 16 * 1024;
    private static final long DOM0_KIB = 16 * 1024;
    /** Idle time around each timed phase in which the counters are read. */
    private static final int GAP_MS = 30;

    private static final Pattern RESULT = Pattern.compile("blkbench: result mode=(\\w+) bs=(\\d+) qd=(\\d+) queues=(\\d+)"
            + " slots=(\\d+) persistent=([01]) indirect=([01]) ios=(\\d+) bytes=(\\d+) ns=(\\d+) iops=\\d+ mibps=[\\d.]+"
            + " requests=(\\d+) notifications=(\\d+)");

    /**
     * How long the run is: the image's size, each guest test's warm-up and timed phase, and
     * each baseline phase (after a warm-up of a fifth of it).
     */
    record Sizes(int imageMib, int warmupMs, int timeMs, int baselineMs) {
        static final Sizes QUICK = new Sizes(64, 500, 300, 300);
        static final Sizes FULL = new Sizes(256, 2_000, 3_000, 2_000);
    }

    /** One test of the guest: a pattern, a request size, a queue depth. */
    record Test(String mode, int bs, int qd) {
        String spec() {
            return mode + "/" + bs + "/" + qd;
        }

        String pattern() {
            return mode + " " + bs;
        }
    }

    /**
     * One boot: the features the guest asks for, the tests it runs on one connection, and dom0's
     * vCPUs (more than one: blkback serves each queue on one of vCPUs 1.., as Linux runs a thread
     * per ring).
     */
    record Config(String name, int queues, boolean persistent, boolean indirect, boolean register, String dom0Cmdline,
            int dom0Vcpus, List<Test> tests) {
        Config(String name, int queues, boolean persistent, boolean indirect, boolean register, String dom0Cmdline,
                List<Test> tests) {
            this(name, queues, persistent, indirect, register, dom0Cmdline, 1, tests);
        }

        String cmdline(Sizes sizes) {
            return "runs=" + String.join(",", tests.stream().map(Test::spec).toList()) + " queues=" + queues
                    + " persistent=" + (persistent ? 1 : 0) + " indirect=" + (indirect ? 1 : 0) + " register="
                    + (register ? 1 : 0) + " warmup=" + sizes.warmupMs() + " time=" + sizes.timeMs() + " gap=" + GAP_MS;
        }
    }

    /** dom0's blkback by grant copy through bounce pages, as Linux's (no grant I/O). */
    private static final String GRANT_COPY = "xen_blkback.grant_io=0";

    private static final Test SEQ_READ = new Test("read", 65536, 8);
    private static final Test SEQ_WRITE = new Test("write", 65536, 8);
    private static final Test RAND_QD1 = new Test("randread", 4096, 1);
    private static final Test RAND_QD32 = new Test("randread", 4096, 32);

    /** The boots, in order. */
    static final List<Config> BOOTS = List.of(
            new Config("grant I/O, registered buffers, indirect, 1 queue", 1, false, true, true, "",
                    List.of(SEQ_READ, SEQ_WRITE, RAND_QD1, RAND_QD32)),
            new Config("grant I/O, a grant per page, indirect, 1 queue", 1, false, true, false, "",
                    List.of(SEQ_READ, SEQ_WRITE, RAND_QD32)),
            new Config("grant copy (xen_blkback.grant_io=0), indirect, 1 queue", 1, false, true, false, GRANT_COPY,
                    List.of(SEQ_READ, SEQ_WRITE, RAND_QD32)),
            new Config("persistent+indirect, 1 queue", 1, true, true, false, "", List.of(SEQ_READ, SEQ_WRITE, RAND_QD32)),
            new Config("persistent, no indirect, 1 queue", 1, true, false, false, "", List.of(SEQ_READ, SEQ_WRITE)),
            new Config("grant I/O, registered buffers, indirect, 2 queues", 2, false, true, true, "",
                    List.of(SEQ_READ, RAND_QD32)),
            new Config("grant I/O, registered buffers, indirect, 4 queues", 4, false, true, true, "",
                    List.of(SEQ_READ, RAND_QD32)),
            new Config("grant I/O, registered buffers, indirect, 2 queues, a dom0 vCPU per queue", 2, false, true,
                    true, "", 3, List.of(SEQ_READ, SEQ_WRITE, RAND_QD32)),
            new Config("grant I/O, a grant per page, indirect, 2 queues, a dom0 vCPU per queue", 2, false, true,
                    false, "", 3, List.of(SEQ_READ, SEQ_WRITE, RAND_QD32)),
            new Config("grant I/O, registered buffers, indirect, 4 queues on 2 dom0 vCPUs", 4, false, true, true, "",
                    3, List.of(SEQ_READ, RAND_QD32)));

    /** A result line of the guest. */
    record Result(String mode, int bs, int qd, int queues, int slots, boolean persistent, boolean indirect, long ios,
            long bytes, long ns, long requests, long notifications) {
        double iops() {
            return ios * 1e9 / ns;
        }

        double mibps() {
            return bytes * 1e9 / ns / (1 << 20);
        }

        static Result parse(String line) {
            Matcher m = RESULT.matcher(line);
            if (!m.find()) {
                return null;
            }
            return new Result(m.group(1), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)),
                    Integer.parseInt(m.group(4)), Integer.parseInt(m.group(5)), m.group(6).equals("1"),
                    m.group(7).equals("1"), Long.parseLong(m.group(8)), Long.parseLong(m.group(9)),
                    Long.parseLong(m.group(10)), Long.parseLong(m.group(11)), Long.parseLong(m.group(12)));
        }
    }

    /**
     * A guest test's result, and the hypercalls both domains made and the CPU time their vCPU
     * threads used in its timed phase (-1: unknown).
     */
    record Run(Result result, long dom0Hypercalls, long guestHypercalls, long dom0CpuNs, long guestCpuNs,
            long guestExits) {
        Run(Result result, long dom0Hypercalls, long guestHypercalls, long dom0CpuNs, long guestCpuNs) {
            this(result, dom0Hypercalls, guestHypercalls, dom0CpuNs, guestCpuNs, -1);
        }
    }

    /** One direct phase: {@code ios} requests of {@code bs} bytes in {@code ns}, using {@code cpuNs} of CPU. */
    record Direct(String mode, int bs, long ios, long ns, long cpuNs) {
        double mibps() {
            return (double) ios * bs * 1e9 / ns / (1 << 20);
        }

        double iops() {
            return ios * 1e9 / ns;
        }
    }

    /** What one boot measured, and the direct phases right before and right after it. */
    record Boot(Config config, List<Run> runs, List<Direct> before, List<Direct> after) {
        Run run(Test t) {
            return runs.stream().filter(r -> r.result().mode().equals(t.mode()) && r.result().bs() == t.bs()
                    && r.result().qd() == t.qd()).findFirst().orElse(null);
        }

        /** The direct phases of {@code t}'s pattern, before and after. */
        List<Direct> direct(Test t) {
            List<Direct> out = new ArrayList<>();
            for (List<Direct> l : List.of(before, after)) {
                l.stream().filter(d -> d.mode().equals(t.mode()) && d.bs() == t.bs()).forEach(out::add);
            }
            return out;
        }
    }

    private BlockFigures() {
    }

    /** The image, the boots with their direct phases, and their table. */
    static String report(Sizes sizes) throws Exception {
        List<Config> chosen = onlyTests(chosen(System.getProperty("parasol.bench.block.boots", "")),
                System.getProperty("parasol.bench.block.tests", ""));
        Path img = Files.createTempFile("parasol-blkbench-", ".img");
        try {
            long t0 = System.nanoTime();
            prepare(img, (long) sizes.imageMib() << 20);
            String state = String.format(Locale.ROOT, "warm (written in full and read once, %.1f s, before the first boot)",
                    (System.nanoTime() - t0) / 1e9);
            for (Config c : chosen) {
                direct(img, c, sizes.baselineMs()); // the direct loop's first, untimed: this JVM compiles it
            }
            // One loader for every boot, as in one parasol run: the images' classes are loaded
            // and compiled once, and two untimed boots (mapped and copied grants) compile the
            // hypervisor's, dom0's and the guest's paths before any figure is taken.
            ImageLoader loader = new ImageLoader(ImageRepository.standardAfter(List.of()));
            Sizes warm = new Sizes(sizes.imageMib(), sizes.warmupMs(), sizes.warmupMs(), sizes.baselineMs());
            for (Config c : chosen.subList(0, Math.min(2, chosen.size()))) {
                boot(img, c.cmdline(warm), c.dom0Cmdline(), c.dom0Vcpus(), c.tests().size(), loader);
            }
            List<Boot> boots = new ArrayList<>();
            for (Config c : chosen) {
                List<Direct> before = direct(img, c, sizes.baselineMs());
                List<Run> runs = boot(img, c.cmdline(sizes), (c.dom0Cmdline() + " " + EXTRA_DOM0_CMDLINE).strip(),
                        c.dom0Vcpus(), c.tests().size(), loader);
                List<Direct> after = direct(img, c, sizes.baselineMs());
                boots.add(new Boot(c, runs, before, after));
            }
            return table(sizes, where(img) + ", " + state, boots);
        } finally {
            Files.deleteIfExists(img);
        }
    }

    /**
     * The boots whose numbers (1 = the first of {@link #BOOTS}) are listed in {@code spec}, comma
     * separated, in {@link #BOOTS}' order; every boot for an empty spec. The property
     * {@code parasol.bench.block.boots} sets it, to measure one path again without the others.
     *
     * @throws IllegalArgumentException for a number that names no boot
     */
    static List<Config> chosen(String spec) {
        if (spec.isBlank()) {
            return BOOTS;
        }
        java.util.TreeSet<Integer> picked = new java.util.TreeSet<>();
        for (String s : spec.split(",")) {
            int n = Integer.parseInt(s.strip());
            if (n < 1 || n > BOOTS.size()) {
                throw new IllegalArgumentException("no block boot " + n + " (1.." + BOOTS.size() + ")");
            }
            picked.add(n - 1);
        }
        return picked.stream().map(BOOTS::get).toList();
    }

    /**
     * {@code boots} with only the tests listed in {@code spec} (comma separated, as blkbench's
     * {@code runs=} names them: {@code read/65536/8}, {@code randread/4096/32}), boots left with
     * none dropped; all of them for an empty spec. The property {@code parasol.bench.block.tests}
     * sets it, to profile one test alone.
     */
    static List<Config> onlyTests(List<Config> boots, String spec) {
        if (spec.isBlank()) {
            return boots;
        }
        List<String> wanted = java.util.Arrays.stream(spec.split(",")).map(String::strip).toList();
        List<Config> out = new ArrayList<>();
        for (Config c : boots) {
            List<Test> tests = c.tests().stream().filter(t -> wanted.contains(t.spec())).toList();
            if (!tests.isEmpty()) {
                out.add(new Config(c.name(), c.queues(), c.persistent(), c.indirect(), c.register(), c.dom0Cmdline(),
                        c.dom0Vcpus(), tests));
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no chosen boot runs any of the tests " + spec);
        }
        return out;
    }

    private static String where(Path img) {
        try {
            FileStore fs = Files.getFileStore(img);
            return img.getParent() + " (" + fs.type() + ")";
        } catch (IOException e) {
            return img.getParent().toString();
        }
    }

    /** Writes {@code bytes} of pseudo-random data, forces it, and reads it all once. */
    static void prepare(Path img, long bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(img, StandardOpenOption.READ, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
            long seed = 42;
            for (long pos = 0; pos < bytes; pos += buf.capacity()) {
                buf.clear();
                while (buf.hasRemaining()) {
                    seed += 0x9E3779B97F4A7C15L;
                    buf.putLong(mix(seed));
                }
                buf.flip();
                while (buf.hasRemaining()) {
                    ch.write(buf, pos + buf.position());
                }
            }
            ch.force(true);
            for (long pos = 0; pos < bytes; pos += buf.capacity()) {
                buf.clear();
                while (buf.hasRemaining() && ch.read(buf, pos + buf.position()) > 0) {
                    // the first pass: the page cache holds the image from here on
                }
            }
        }
    }

    /** The direct phases for {@code c}'s patterns (each distinct mode and size once). */
    private static List<Direct> direct(Path img, Config c, int ms) throws IOException {
        List<Direct> out = new ArrayList<>();
        List<String> done = new ArrayList<>();
        for (Test t : c.tests()) {
            if (!done.contains(t.pattern())) {
                done.add(t.pattern());
                out.add(direct(img, t.mode(), t.bs(), ms));
            }
        }
        return out;
    }

    /**
     * One thread's positional FileChannel I/O of {@code bs} bytes through a direct buffer, for
     * {@code ms} after {@code ms / 5} of warm-up; the offsets as blkbench picks them.
     */
    static Direct direct(Path img, String mode, int bs, int ms) throws IOException {
        boolean random = mode.startsWith("rand");
        boolean write = mode.endsWith("write");
        try (FileChannel ch = FileChannel.open(img, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = ch.size();
            long blocks = size / bs;
            ByteBuffer buf = ByteBuffer.allocateDirect(bs);
            for (int i = 0; i < bs; i += 8) {
                buf.putLong(i, 0x5A5A_0000_0000_0000L | i);
            }
            java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
            long cpu0 = 0;
            long rng = 1;
            long seq = 0;
            long ios = 0;
            long start = 0;
            long end = 0;
            long now = System.nanoTime();
            long warmEnd = now + ms * 200_000L;
            boolean timing = false;
            while (true) {
                if ((ios & 15) == 0) {
                    now = System.nanoTime();
                    if (!timing && now >= warmEnd) {
                        timing = true;
                        ios = 0;
                        cpu0 = threads.getCurrentThreadCpuTime();
                        start = now;
                        end = now + ms * 1_000_000L;
                    } else if (timing && now >= end) {
                        return new Direct(mode, bs, ios, now - start, threads.getCurrentThreadCpuTime() - cpu0);
                    }
                }
                long pos;
                if (random) {
                    rng += 0x9E3779B97F4A7C15L;
                    pos = Long.remainderUnsigned(mix(rng), blocks) * bs;
                } else {
                    if (seq > size - bs) {
                        seq = 0;
                    }
                    pos = seq;
                    seq += bs;
                }
                buf.clear();
                while (buf.hasRemaining()) {
                    int n = write ? ch.write(buf, pos + buf.position()) : ch.read(buf, pos + buf.position());
                    if (n < 0) {
                        throw new IOException("end of " + img + " at " + (pos + buf.position()));
                    }
                }
                ios++;
            }
        }
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The table: one row per guest test beside its direct phases, then the features compared. */
    static String table(Sizes sizes, String imageState, List<Boot> boots) {
        String nl = System.lineSeparator();
        StringBuilder sb = new StringBuilder(nl);
        sb.append(String.format(Locale.ROOT, "Block device through blkfront + blkback (issue 13), %s: %d MiB raw image in %s;"
                + "%n  guest: %d ms warm-up, %d ms timed per test; direct: 1 thread, positional FileChannel I/O, %d ms"
                + " right before and %d ms right after each boot (mean, and range)%n", LocalDate.now(ZoneOffset.UTC),
                sizes.imageMib(), imageState, sizes.warmupMs(), sizes.timeMs(), sizes.baselineMs(), sizes.baselineMs()));
        sb.append(String.format(Locale.ROOT, "%-46s %7s %7s  %-19s %7s %6s %6s %6s %6s   %6s %6s %6s %7s%n",
                "block I/O [queues, ring slots, features]", "MiB/s", "IOPS", "direct MiB/s", "ratio", "req/io", "ntf/io",
                "hc d0", "hc g", "cpu d0", "cpu g", "direct", "cpu x"));
        for (Boot b : boots) {
            sb.append(String.format(Locale.ROOT, " boot: %s%n", b.config().name()));
            for (Test t : b.config().tests()) {
                Run run = b.run(t);
                List<Direct> direct = b.direct(t);
                String label = String.format(Locale.ROOT, "  %s %s, QD%d", label(t.mode()), size(t.bs()), t.qd());
                if (run == null) {
                    sb.append(String.format(Locale.ROOT, "%-46s %7s%n", label, "no result"));
                    continue;
                }
                Result r = run.result();
                double mean = direct.stream().mapToDouble(Direct::mibps).average().orElse(Double.NaN);
                double lo = direct.stream().mapToDouble(Direct::mibps).min().orElse(Double.NaN);
                double hi = direct.stream().mapToDouble(Direct::mibps).max().orElse(Double.NaN);
                long dios = direct.stream().mapToLong(Direct::ios).sum();
                long dcpu = direct.stream().mapToLong(Direct::cpuNs).sum();
                double per = Math.max(1, r.ios());
                double cpuRatio = run.dom0CpuNs() < 0 || run.guestCpuNs() < 0 || dios == 0 ? Double.NaN
                        : (double) dcpu / dios / ((run.dom0CpuNs() + run.guestCpuNs()) / per);
                sb.append(String.format(Locale.ROOT, "%-46s %7.0f %7.0f  %-19s %7s %6.2f %6.3f %6s %6s %6s %6s %6s %7s%n",
                        label + " [" + features(r) + "]", r.mibps(), r.iops(),
                        direct.isEmpty() ? "-" : String.format(Locale.ROOT, "%.0f (%.0f-%.0f)", mean, lo, hi),
                        BenchMain.ratio(r.mibps() / mean), r.requests() / per, r.notifications() / per,
                        perIo(run.dom0Hypercalls(), per, 1), perIo(run.guestHypercalls(), per, 1),
                        perIo(run.dom0CpuNs(), per, 1e3), perIo(run.guestCpuNs(), per, 1e3),
                        dios == 0 ? "-" : perIo(dcpu, dios, 1e3), BenchMain.ratio(cpuRatio)));
            }
        }
        sb.append("  ratio: the guest's MiB/s over the mean direct MiB/s (same pattern, request size and file);"
                + " targets: sequential 64 KiB >= 0.95x, random 4 KiB QD32 >= 0.80x").append(nl);
        sb.append("  req/io, ntf/io: blkif requests and notifications to the back end per I/O (blkfront's counters);"
                + " hc d0, hc g: hypercalls per I/O").append(nl);
        sb.append("  of dom0 and of the guest; cpu d0, cpu g, direct: CPU microseconds per I/O of dom0's and the guest's"
                + " vCPU threads (dom0's with the kernel's io_uring workers), and of the direct loop's thread;").append(nl);
        sb.append("  cpu x: the direct loop's CPU per I/O over dom0's and the guest's together (the ratio a host with a"
                + " core free for each thread would not move; ratio moves with the share of the cores each side gets)")
                .append(nl);
        return sb.toString();
    }

    private static String perIo(long count, double ios, double unit) {
        return count < 0 ? "-" : String.format(Locale.ROOT, "%.2f", count / ios / unit);
    }

    private static String features(Result r) {
        return r.queues() + "q " + r.slots() + (r.persistent() ? " pers" : " gnt") + (r.indirect() ? " ind" : "");
    }

    private static String label(String mode) {
        return switch (mode) {
            case "read" -> "seq read";
            case "write" -> "seq write";
            case "randread" -> "rand read";
            default -> "rand write";
        };
    }

    private static String size(int bs) {
        return bs % 1024 == 0 ? bs / 1024 + " KiB" : bs + " B";
    }

    /**
     * Boots a hypervisor and dom0, which builds one blkbench guest with {@code img} as its disk
     * and {@code cmdline}; returns its results with the hypercalls of its timed phases.
     *
     * @throws IllegalStateException if a domain did not power off, or a result is missing
     */
    static List<Run> boot(Path img, String cmdline, String dom0Cmdline, int dom0Vcpus, int tests, ImageLoader loader)
            throws Exception {
        return boot(img, cmdline, dom0Cmdline, dom0Vcpus, tests, loader, Virtualization.PV);
    }

    /** {@link #boot} with dom0 on one vCPU and the guest in configuration {@code virt}. */
    static List<Run> boot(Path img, String cmdline, String dom0Cmdline, int tests, ImageLoader loader,
            Virtualization virt) throws Exception {
        return boot(img, cmdline, dom0Cmdline, 1, tests, loader, virt);
    }

    /**
     * {@link #boot} with the guest in configuration {@code virt} (the module line's {@code virt=}
     * key, as xl.cfg's): the measurement lab's block rows. Each run also carries the guest's VM
     * exits in its timed phase.
     */
    static List<Run> boot(Path img, String cmdline, String dom0Cmdline, int dom0Vcpus, int tests, ImageLoader loader,
            Virtualization virt) throws Exception {
        String device = "vbd:vdev=xvda,access=rw,backend=Domain-0,target=" + img.toAbsolutePath();
        String module = "# parasol bench: the block figures' guest\nname=" + IMAGE + " image=" + IMAGE + " memory="
                + GUEST_KIB + " cmdline=" + escape(cmdline) + (virt.nativeKernel() ? " virt=" + virt.key() : "") + " device="
                + escape(device) + "\n";
        byte[] bytes = module.getBytes(StandardCharsets.UTF_8);
        long dom0Kib = DOM0_KIB + (bytes.length + 4095) / 4096 * 4;
        long hostBytes = (GUEST_KIB + dom0Kib) * 1024 + (16L << 20);
        try (Hypervisor hv = Hypervisor.boot(HostConfig.defaults(hostBytes))) {
            hv.setKernelSource(Hypervisor.images(loader));
            CountDownLatch dom0Ended = new CountDownLatch(1);
            AtomicReference<Domain> dom0Ref = new AtomicReference<>();
            Map<Integer, List<String>> consoles = new ConcurrentHashMap<>();
            Map<Integer, Integer> reasons = new ConcurrentHashMap<>();
            List<Run> runs = java.util.Collections.synchronizedList(new ArrayList<>());
            hv.onDomainCreated(d -> {
                if (d.domid() == 0) {
                    dom0Ref.set(d);
                    return;
                }
                long[] mark = {-1, -1, -1, -1, -1, -1};
                long[][] markCounts = new long[2][];
                d.console().subscribe(line -> {
                    boolean timing = line.contains("blkbench: timing ");
                    Result r = timing ? null : Result.parse(line);
                    if (!timing && r == null) {
                        return;
                    }
                    Domain dom0 = dom0Ref.get();
                    long[] now = {dom0 == null ? -1 : dom0.hypercalls(), d.hypercalls(), dom0Cpu(),
                        cpu(d.name() + "-vcpu"), d.vmExits(), ioWorkersCpu()};
                    if (BY_TYPE) {
                        long[][] counts = {dom0 == null ? null : counts(dom0), counts(d)};
                        if (timing) {
                            markCounts[0] = counts[0];
                            markCounts[1] = counts[1];
                        } else if (r != null && markCounts[0] != null && counts[0] != null) {
                            System.err.println("blkbench hypercalls per I/O, " + r.mode() + " " + r.bs() + " QD" + r.qd()
                                    + ": dom0 " + byType(markCounts[0], counts[0], r.ios()) + "; guest "
                                    + byType(markCounts[1], counts[1], r.ios()));
                        }
                    }
                    if (timing) {
                        System.arraycopy(now, 0, mark, 0, mark.length);
                        return;
                    }
                    long[] delta = new long[mark.length];
                    for (int i = 0; i < mark.length; i++) {
                        delta[i] = mark[i] < 0 || now[i] < 0 ? -1 : now[i] - mark[i];
                        mark[i] = -1;
                    }
                    runs.add(new Run(r, delta[0], delta[1], delta[2], delta[3], delta[4]));
                    if (BY_TYPE && delta[2] >= 0 && delta[5] >= 0 && r.ios() > 0) {
                        // Of dom0's CPU, the part the kernel's io_uring workers used (clock ticks: 10 ms each).
                        System.err.println(String.format(Locale.ROOT,
                                "blkbench dom0 CPU per I/O, %s %d QD%d: %.2f us, of which io-wq workers %.2f us",
                                r.mode(), r.bs(), r.qd(), delta[2] / 1e3 / r.ios(), delta[5] / 1e3 / r.ios()));
                    }
                });
            });
            hv.onShutdown(d -> {
                if (d.domid() == 0) {
                    dom0Ended.countDown();
                } else {
                    consoles.put(d.domid(), List.copyOf(d.console().lines()));
                    reasons.put(d.domid(), d.shutdownReason());
                }
            });
            DomainConfig.Action keep = DomainConfig.Action.PRESERVE;
            Domain dom0 = hv.createDom0(new DomainConfig("Domain-0", dom0Kib, dom0Kib, dom0Vcpus, "dom0", dom0Cmdline, true,
                    keep, keep, keep), bytes);
            if (!dom0Ended.await(10, TimeUnit.MINUTES) || dom0.shutdownReason() != Shutdown.POWEROFF) {
                throw new IllegalStateException("dom0 did not power off: " + String.join("\n", dom0.console().lines()));
            }
            List<String> dom0Lines = List.copyOf(dom0.console().lines());
            if (reasons.size() != 1 || reasons.values().stream().anyMatch(r -> r != Shutdown.POWEROFF)) {
                throw new IllegalStateException("the blkbench guest did not power off: " + reasons + "\n"
                        + String.join("\n", dom0Lines) + "\n" + consoles);
            }
            hv.destroy(dom0);
            // The console readers run on their own thread: the last result may still be on its way.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (runs.size() < tests && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            if (runs.size() != tests) {
                throw new IllegalStateException("blkbench printed " + runs.size() + " results of " + tests + ": "
                        + consoles);
            }
            return List.copyOf(runs);
        }
    }

    /**
     * Whether each test's hypercalls per I/O are printed by type (to standard error), both
     * domains: {@code -Dparasol.bench.block.hypercalls=true}.
     */
    private static final boolean BY_TYPE = Boolean.getBoolean("parasol.bench.block.hypercalls");
    /**
     * Words added to every timed boot's dom0 command line ({@code -Dparasol.bench.block.dom0Cmdline},
     * for measuring: {@code xen_blkback.grant_io_async_bytes=0} turns asynchronous grant I/O off).
     */
    private static final String EXTRA_DOM0_CMDLINE = System.getProperty("parasol.bench.block.dom0Cmdline", "");

    /** A domain's hypercalls by number, summed over its vCPUs. */
    private static long[] counts(Domain d) {
        long[] sum = null;
        for (var v : d.vcpus()) {
            long[] c = v.hypercallCounts();
            if (sum == null) {
                sum = c;
            } else {
                for (int i = 0; i < c.length; i++) {
                    sum[i] += c[i];
                }
            }
        }
        return sum;
    }

    /** The hypercalls made between two readings, per I/O, by name. */
    private static String byType(long[] before, long[] after, long ios) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < after.length; i++) {
            long n = after[i] - before[i];
            if (n > 0) {
                sb.append(sb.isEmpty() ? "" : ", ").append(org.parasol.hypercall.Hypercall.name(i))
                        .append(String.format(Locale.ROOT, " %.3f", (double) n / Math.max(1, ios)));
            }
        }
        return sb.isEmpty() ? "none" : sb.toString();
    }

    /**
     * dom0's CPU time: its vCPU threads', plus that of the kernel's io-wq workers of this process
     * ({@code iou-wrk-*} threads, which run the host I/O blkback's io_uring batches hand them;
     * read from {@code /proc/self/task}, in clock ticks), or -1 without a vCPU thread. A worker
     * that exits between two readings takes its time with it (they exit only after being idle).
     */
    private static long dom0Cpu() {
        long vcpus = cpu("Domain-0-vcpu");
        return vcpus < 0 ? vcpus : vcpus + ioWorkersCpu();
    }

    /** Nanoseconds of CPU of this process's io_uring worker threads now alive (0 where /proc has none). */
    static long ioWorkersCpu() {
        long ticks = 0;
        try (var tasks = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/task"))) {
            for (java.nio.file.Path t : (Iterable<java.nio.file.Path>) tasks::iterator) {
                try {
                    String comm = java.nio.file.Files.readString(t.resolve("comm")).strip();
                    if (!comm.startsWith("iou-wrk")) {
                        continue;
                    }
                    String stat = java.nio.file.Files.readString(t.resolve("stat"));
                    // Fields after the command's closing parenthesis: state is field 3, utime 14, stime 15.
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
                } catch (java.io.IOException | RuntimeException e) {
                    // the worker exited meanwhile
                }
            }
        } catch (java.io.IOException e) {
            return 0;
        }
        return ticks * 10_000_000L; // USER_HZ is 100 on Linux
    }

    /** The CPU time of the threads named {@code prefix...} (a domain's vCPUs), or -1 without one. */
    private static long cpu(String prefix) {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        long sum = -1;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith(prefix)) {
                long ns = mx.getThreadCpuTime(t.threadId());
                if (ns >= 0) {
                    sum = Math.max(sum, 0) + ns;
                }
            }
        }
        return sum;
    }

    /** dom0's module escaping: every byte outside {@code [A-Za-z0-9._-]} as {@code %XX}. */
    static String escape(String s) {
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xFF;
            if (c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
                sb.append((char) c);
            } else {
                sb.append(String.format(Locale.ROOT, "%%%02X", c));
            }
        }
        return sb.toString();
    }
}
