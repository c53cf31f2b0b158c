package org.parasol.bench;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.HdrHistogram.Histogram;
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypervisor.HostConfig;
import org.parasol.hypervisor.Hypervisor;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.domain.Virtualization;
import org.parasol.hypervisor.image.ImageLoader;
import org.parasol.hypervisor.image.ImageRepository;

/**
 * The network figures (issue 14): the {@code netbench} guests (a source and a sink on dom0's
 * bridge, through netfront and netback) beside two baselines measured in the same run, right
 * before and right after the boot:
 *
 * <ul>
 *   <li>the floor: two host threads passing the same frames through a plain shared-memory
 *       ring (256 slots of 2 KiB, one copy in and one copy out per frame, spinning on the
 *       indices), which is what a ring between two cores costs with no grant, no event, no
 *       hypervisor and no guest;</li>
 *   <li>host loopback UDP: two threads, {@link DatagramChannel}s on 127.0.0.1, datagrams of the
 *       frame's size less 42 bytes (Ethernet, IPv4 and UDP headers), what a user would otherwise
 *       use between two processes.</li>
 * </ul>
 *
 * <p>After the raw rows, two boots stream TCP/IPv4 GSO frames of 64 KiB at MSS {@value #GSO_MSS}
 * (netbench's {@code mss=}, every segment a 1514-byte frame), as a Linux guest's TCP hands them to
 * netfront: (a) to a sink that takes them whole ({@code feature-gso-tcpv4}), (b) to one that gets
 * dom0's 1514-byte segments; each row counts only what the sink received and its check passed
 * ({@link #gsoTable}).
 *
 * <p>Stream throughput is what the receiving side got per second (frames it had no room for are
 * lost and not counted); round trips are one frame at a time, echoed. Hypercalls per frame:
 * each domain's counter read when the guest prints "netbench: timing" (after an idle gap) and
 * when it prints the result; notifications per frame are netfront's, of the source.
 */
final class NetFigures {
    private static final String IMAGE = "netbench";
    private static final long GUEST_KIB = 8 * 1024;
    private static final long DOM0_KIB = 16 * 1024;
    static final int[] SIZES = {1514, 64};
    /** dom0's command line for netback's TX by grant map. */
    static final String TX_MAP = "xen_netback.tx_map=1";

    private static final Pattern STREAM = Pattern.compile(
            "netbench: result mode=stream size=(\\d+) frames=(\\d+) bytes=(\\d+) ns=(\\d+) sent=(\\d+) notifications=(\\d+)");
    private static final Pattern GSO = Pattern.compile(
            "netbench: result mode=gso size=(\\d+) mss=(\\d+) frames=(\\d+) segments=(-?\\d+) bytes=(\\d+) ns=(\\d+)"
                    + " sent=(\\d+) notifications=(\\d+) gaps=(-?\\d+) lost=(-?\\d+) bad=(-?\\d+)");
    /** The GSO stream's MSS: every full segment a 1514-byte frame (a 32-byte TCP header with timestamps). */
    static final int GSO_MSS = 1448;
    private static final Pattern RR = Pattern.compile(
            "netbench: result mode=rr size=(\\d+) rounds=(\\d+) p50=(\\d+) p99=(\\d+) ns=(\\d+) notifications=(\\d+)");

    /** How long: the guest's warm-up and timed phase per test, its round trips, each baseline phase. */
    record Sizes(int warmupMs, int timeMs, int rounds, int baselineMs) {
        static final Sizes QUICK = new Sizes(300, 500, 1000, 300);
        /**
         * 2 s of warm-up per stream: with 1 s, on a loaded machine (load 7-9), the JIT was still
         * compiling the TX and RX paths in the timed window (its threads took 1-9 us of CPU per
         * frame there), and the rows measured the compiler more than the path.
         */
        static final Sizes FULL = new Sizes(2_000, 2_000, 10_000, 1_000);
    }

    /** A guest result: stream (frames, bytes, ns) or round trips (p50, p99); and the counters of its window. */
    record Result(String mode, int size, long frames, long bytes, long ns, long sent, long p50, long p99, long rounds,
            long notifications) {
        static Result parse(String line) {
            Matcher m = STREAM.matcher(line);
            if (m.find()) {
                return new Result("stream", Integer.parseInt(m.group(1)), Long.parseLong(m.group(2)),
                        Long.parseLong(m.group(3)), Long.parseLong(m.group(4)), Long.parseLong(m.group(5)), 0, 0, 0,
                        Long.parseLong(m.group(6)));
            }
            m = RR.matcher(line);
            if (m.find()) {
                return new Result("rr", Integer.parseInt(m.group(1)), 0, 0, Long.parseLong(m.group(5)), 0,
                        Long.parseLong(m.group(3)), Long.parseLong(m.group(4)), Long.parseLong(m.group(2)),
                        Long.parseLong(m.group(6)));
            }
            return null;
        }

        /** Frames the result is about: received for a stream, round trips for rr. */
        long packets() {
            return mode.equals("stream") ? frames : rounds;
        }
    }

    /**
     * A GSO stream's result ({@code mode=gso}): the sink's count of {@code frames} ({@code size}
     * bytes each when whole, or dom0's segments), the {@code segments} they stand for and their
     * wire {@code bytes} (Ethernet frames of at most 1514 bytes), in {@code ns}; the source's
     * {@code sent} frames and notifications; the sink's gaps in the sequence numbers, the payload
     * bytes they skipped, and the frames that failed its check (not counted).
     */
    record GsoResult(int size, int mss, long frames, long segments, long bytes, long ns, long sent, long notifications,
            long gaps, long lost, long bad) {
        static GsoResult parse(String line) {
            Matcher m = GSO.matcher(line);
            if (!m.find()) {
                return null;
            }
            long[] v = new long[11];
            for (int i = 0; i < v.length; i++) {
                v[i] = Long.parseLong(m.group(i + 1));
            }
            return new GsoResult((int) v[0], (int) v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10]);
        }
    }

    /** A GSO stream's result with the hypercalls of dom0, the source and the sink in its window (-1: unknown). */
    record GsoRun(GsoResult result, long dom0Hypercalls, long sourceHypercalls, long sinkHypercalls) {
    }

    /** A result with the hypercalls of dom0, the source and the sink in its window (-1: unknown). */
    record Run(Result result, long dom0Hypercalls, long sourceHypercalls, long sinkHypercalls, long sourceExits,
            long dom0CpuNs, long sourceCpuNs, long sinkCpuNs) {
        Run(Result result, long dom0Hypercalls, long sourceHypercalls, long sinkHypercalls, long sourceExits) {
            this(result, dom0Hypercalls, sourceHypercalls, sinkHypercalls, sourceExits, -1, -1, -1);
        }

        Run(Result result, long dom0Hypercalls, long sourceHypercalls, long sinkHypercalls) {
            this(result, dom0Hypercalls, sourceHypercalls, sinkHypercalls, -1);
        }
    }

    /** dom0's vCPUs for the row of 2 queues spread over dom0's vCPUs (netback's queues on vCPUs 1 and 2). */
    static final int SPREAD_DOM0_VCPUS = 3;

    /** A baseline at one size: stream frames/s and round-trip percentiles (ns). */
    record Baseline(String name, int size, double framesPerSecond, long p50, long p99) {
        double gbps() {
            return framesPerSecond * size * 8 / 1e9;
        }
    }

    private NetFigures() {
    }

    static String report(Sizes sizes) throws Exception {
        for (int size : SIZES) { // untimed: this JVM compiles the baselines' loops
            floor(size, sizes.baselineMs() / 2, sizes.rounds() / 2);
            loopback(size, sizes.baselineMs() / 2, sizes.rounds() / 2);
        }
        ImageLoader loader = new ImageLoader(ImageRepository.standardAfter(List.of()));
        Sizes warm = new Sizes(sizes.warmupMs(), sizes.warmupMs(), sizes.rounds() / 5, 0);
        boot(warm, loader); // untimed: compiles the hypervisor's, dom0's and the guests' paths
        // Untimed again: a boot runs branches of shared hot code that a stream never takes (the
        // domain builder's large copies, first frames), so the first boot after the warm one
        // deoptimizes that code and the JIT compiles it again inside the boot's first stream.
        // A second untimed boot takes that once; the timed boots then start compiled.
        boot(warm, loader);
        List<Baseline> before = baselines(sizes);
        List<Run> runs = boot(sizes, loader);
        List<Run> txMap = boot(sizes, loader, Virtualization.PV, 1, TX_MAP);
        List<Run> twoQueues = boot(sizes, loader, Virtualization.PV, 2);
        List<Run> spread = boot(sizes, loader, Virtualization.PV, 2, "", SPREAD_DOM0_VCPUS);
        GsoRun whole = bootGso(sizes, loader, true);
        GsoRun cut = bootGso(sizes, loader, false);
        List<Baseline> after = baselines(sizes);
        return table(sizes, runs, twoQueues, txMap, before, after) + spreadTable(runs, twoQueues, spread)
                + gsoTable(whole, cut, before, after);
    }

    private static List<Baseline> baselines(Sizes sizes) throws Exception {
        List<Baseline> out = new ArrayList<>();
        for (int size : SIZES) {
            out.add(floor(size, sizes.baselineMs(), sizes.rounds()));
            out.add(loopback(size, sizes.baselineMs(), sizes.rounds()));
        }
        return out;
    }

    // ---------------------------------------------------------------- the floor: a plain shared-memory ring

    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    private static final int SLOTS = 256;
    private static final int SLOT = 2048;

    /**
     * A single-producer single-consumer ring in shared memory: {@code [prod][pad][cons][pad]}
     * then 256 slots of {@code [len][frame]}; release on publish, acquire on read.
     */
    static final class Ring {
        final MemorySegment seg;

        Ring(Arena arena) {
            seg = arena.allocate(128 + (long) SLOTS * SLOT, 64);
        }

        long prod() {
            return (long) LONG.getAcquire(seg, 0L);
        }

        long cons() {
            return (long) LONG.getAcquire(seg, 64L);
        }

        void put(long p, MemorySegment frame, int len) {
            long at = 128 + (p % SLOTS) * SLOT;
            seg.set(ValueLayout.JAVA_INT, at, len);
            MemorySegment.copy(frame, 0, seg, at + 4, len);
            LONG.setRelease(seg, 0L, p + 1);
        }

        int get(long c, MemorySegment into) {
            long at = 128 + (c % SLOTS) * SLOT;
            int len = seg.get(ValueLayout.JAVA_INT, at);
            MemorySegment.copy(seg, at + 4, into, 0, len);
            LONG.setRelease(seg, 64L, c + 1);
            return len;
        }
    }

    /**
     * Waits a little: spins first, then yields the core, so two spinning threads on a loaded
     * 2-core machine do not starve each other for a whole time slice.
     */
    static int backOff(int spins) {
        if (spins < 200) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
        return spins + 1;
    }

    /** How much longer than asked a baseline's window waits for its reader (consumer) to take a first frame. */
    private static final long READER_WAIT_NS = TimeUnit.SECONDS.toNanos(10);

    /** Two threads, one ring each way for round trips, one ring for the stream. */
    static Baseline floor(int size, int ms, int rounds) throws InterruptedException {
        try (Arena arena = Arena.ofShared()) {
            Ring ring = new Ring(arena);
            MemorySegment frame = arena.allocate(SLOT);
            MemorySegment sink = arena.allocate(SLOT);
            AtomicLong received = new AtomicLong();
            long[] window = new long[2];
            Thread consumer = Thread.ofPlatform().start(() -> {
                long c = 0;
                int spins = 0;
                long deadline = System.nanoTime() + (ms + ms / 5 + 1000) * 1_000_000L + READER_WAIT_NS;
                while (System.nanoTime() < deadline) {
                    if (ring.prod() == c) {
                        spins = backOff(spins);
                        continue;
                    }
                    spins = 0;
                    int len = ring.get(c++, sink);
                    if (len == 0) {
                        break;
                    }
                    received.lazySet(received.get() + 1); // one writer
                }
            });
            long p = 0;
            long warmEnd = System.nanoTime() + ms * 200_000L;
            long end = warmEnd + ms * 1_000_000L;
            boolean timing = false;
            long r0 = 0;
            while (true) {
                long now = (p & 63) == 0 ? System.nanoTime() : 0;
                if (now != 0 && !timing && now >= warmEnd) {
                    timing = true;
                    r0 = received.get();
                    window[0] = now;
                }
                // As loopback's window: until the consumer has taken a frame in it, at most READER_WAIT_NS more.
                if (now != 0 && timing && now >= end && (received.get() != r0 || now >= end + READER_WAIT_NS)) {
                    window[1] = now;
                    break;
                }
                for (int spins = 0; p - ring.cons() >= SLOTS; ) {
                    spins = backOff(spins);
                }
                ring.put(p++, frame, size);
            }
            long got = received.get() - r0;
            for (int spins = 0; p - ring.cons() >= SLOTS; ) {
                spins = backOff(spins);
            }
            ring.put(p, frame, 0); // stop
            consumer.join();
            double fps = got * 1e9 / (window[1] - window[0]);
            long[] pct = floorRoundTrips(arena, size, rounds);
            return new Baseline("shared-memory ring (floor)", size, fps, pct[0], pct[1]);
        }
    }

    private static long[] floorRoundTrips(Arena arena, int size, int rounds) throws InterruptedException {
        Ring there = new Ring(arena);
        Ring back = new Ring(arena);
        MemorySegment frame = arena.allocate(SLOT);
        MemorySegment echo = arena.allocate(SLOT);
        int total = rounds + rounds / 10;
        Thread echoer = Thread.ofPlatform().start(() -> {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            for (long i = 0; i < total && System.nanoTime() < deadline; i++) {
                for (int spins = 0; there.prod() == i; ) {
                    spins = backOff(spins);
                }
                int len = there.get(i, echo);
                back.put(i, echo, len);
            }
        });
        Histogram h = new Histogram(3);
        MemorySegment in = arena.allocate(SLOT);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (long i = 0; i < total && System.nanoTime() < deadline; i++) {
            long t0 = System.nanoTime();
            there.put(i, frame, size);
            for (int spins = 0; back.prod() == i; ) {
                spins = backOff(spins);
            }
            back.get(i, in);
            if (i >= rounds / 10) {
                h.recordValue(System.nanoTime() - t0);
            }
        }
        echoer.join();
        return new long[] {h.getValueAtPercentile(50), h.getValueAtPercentile(99)};
    }

    // ---------------------------------------------------------------- host loopback UDP

    static Baseline loopback(int size, int ms, int rounds) throws IOException, InterruptedException {
        int payload = size - 42;
        try (DatagramChannel rx = DatagramChannel.open(); DatagramChannel tx = DatagramChannel.open()) {
            rx.bind(new InetSocketAddress("127.0.0.1", 0));
            rx.setOption(StandardSocketOptions.SO_RCVBUF, 4 << 20);
            tx.bind(new InetSocketAddress("127.0.0.1", 0));
            tx.connect(rx.getLocalAddress());
            rx.connect(tx.getLocalAddress());
            AtomicLong received = new AtomicLong();
            Thread reader = Thread.ofPlatform().start(() -> {
                ByteBuffer b = ByteBuffer.allocateDirect(2048);
                try {
                    while (true) {
                        b.clear();
                        rx.read(b);
                        if (b.position() == 1) {
                            return;
                        }
                        received.incrementAndGet();
                    }
                } catch (IOException e) {
                    // closed
                }
            });
            ByteBuffer out = ByteBuffer.allocateDirect(payload);
            long warmEnd = System.nanoTime() + ms * 200_000L;
            long window = ms * 1_000_000L;
            long t0 = 0;
            long r0 = 0;
            boolean timing = false;
            long now;
            // The window lasts ms from its first send and until the reader has taken a frame in it
            // (at most READER_WAIT_NS more): on a loaded host a short window can pass with the
            // reader never run, and 0 frames/s would be the host's scheduling, not loopback's.
            while (true) {
                now = System.nanoTime();
                if (!timing && now >= warmEnd) {
                    timing = true;
                    t0 = now;
                    r0 = received.get();
                }
                if (timing && now - t0 >= window && (received.get() != r0 || now - t0 >= window + READER_WAIT_NS)) {
                    break;
                }
                out.clear();
                tx.write(out);
            }
            long got = received.get() - r0;
            double fps = got * 1e9 / (now - t0);
            tx.write(ByteBuffer.allocate(1));
            reader.join(2000);
            if (reader.isAlive()) {
                rx.close(); // the stop datagram was lost: end the reader
                reader.join();
            }
            long[] pct = loopbackRoundTrips(payload, rounds);
            return new Baseline("host loopback UDP", size, fps, pct[0], pct[1]);
        }
    }

    private static long[] loopbackRoundTrips(int payload, int rounds) throws IOException, InterruptedException {
        try (DatagramChannel a = DatagramChannel.open(); DatagramChannel b = DatagramChannel.open()) {
            a.bind(new InetSocketAddress("127.0.0.1", 0));
            b.bind(new InetSocketAddress("127.0.0.1", 0));
            a.connect(b.getLocalAddress());
            b.connect(a.getLocalAddress());
            int total = rounds + rounds / 10;
            Thread echoer = Thread.ofPlatform().start(() -> {
                ByteBuffer buf = ByteBuffer.allocateDirect(2048);
                try {
                    for (int i = 0; i < total; i++) {
                        buf.clear();
                        b.read(buf);
                        buf.flip();
                        b.write(buf);
                    }
                } catch (IOException e) {
                    // closed
                }
            });
            Histogram h = new Histogram(3);
            ByteBuffer out = ByteBuffer.allocateDirect(payload);
            ByteBuffer in = ByteBuffer.allocateDirect(2048);
            for (int i = 0; i < total; i++) {
                long t0 = System.nanoTime();
                out.clear();
                a.write(out);
                in.clear();
                a.read(in);
                if (i >= rounds / 10) {
                    h.recordValue(System.nanoTime() - t0);
                }
            }
            echoer.join();
            return new long[] {h.getValueAtPercentile(50), h.getValueAtPercentile(99)};
        }
    }

    // ---------------------------------------------------------------- the guests

    /** Boots dom0 with a sink and a source on xenbr0; returns the source's results with their counters. */
    static List<Run> boot(Sizes sizes, ImageLoader loader) throws Exception {
        return boot(sizes, loader, Virtualization.PV);
    }

    /**
     * {@link #boot} with both guests in configuration {@code virt} (the module lines'
     * {@code virt=} key): the measurement lab's network rows. Each run also carries the
     * source's VM exits in its timed phase.
     */
    static List<Run> boot(Sizes sizes, ImageLoader loader, Virtualization virt) throws Exception {
        return boot(sizes, loader, virt, 1);
    }

    /**
     * {@link #boot(Sizes, ImageLoader, Virtualization)} with both guests' vifs on {@code queues}
     * queues (netbench's {@code queues=}: the stream is one flow per queue).
     */
    static List<Run> boot(Sizes sizes, ImageLoader loader, Virtualization virt, int queues) throws Exception {
        return boot(sizes, loader, virt, queues, "");
    }

    /** {@link #boot(Sizes, ImageLoader, Virtualization, int)} with {@code dom0Cmdline} on dom0's command line. */
    static List<Run> boot(Sizes sizes, ImageLoader loader, Virtualization virt, int queues, String dom0Cmdline)
            throws Exception {
        return boot(sizes, loader, virt, queues, dom0Cmdline, 1);
    }

    /** {@link #boot(Sizes, ImageLoader, Virtualization, int, String)} with dom0 on {@code dom0Vcpus} vCPUs. */
    static List<Run> boot(Sizes sizes, ImageLoader loader, Virtualization virt, int queues, String dom0Cmdline, int dom0Vcpus)
            throws Exception {
        String v = virt.nativeKernel() ? " virt=" + virt.key() : "";
        String sizeList = String.join(",", java.util.Arrays.stream(SIZES).mapToObj(Integer::toString).toList());
        String source = "role=source sizes=" + sizeList + " warmup=" + sizes.warmupMs() + " time=" + sizes.timeMs()
                + " rounds=" + sizes.rounds() + " gap=30" + (queues > 1 ? " queues=" + queues : "");
        return boot(loader, "role=sink" + (queues > 1 ? " queues=" + queues : ""), source, v, dom0Cmdline, dom0Vcpus,
                2 * SIZES.length, Result::parse,
                (r, delta) -> new Run(r, delta[0], delta[1], delta[2], delta[3], delta[4], delta[5], delta[6]));
    }

    /**
     * Boots dom0 with a sink and a source sending a TCP/IPv4 GSO stream at MSS {@value #GSO_MSS}
     * (netbench's {@code mss=}); the sink takes the frames whole ({@code sinkGso}: it offers
     * {@code feature-gso-tcpv4}) or as dom0's 1514-byte segments. Its one result with its counters.
     */
    static GsoRun bootGso(Sizes sizes, ImageLoader loader, boolean sinkGso) throws Exception {
        String source = "role=source mss=" + GSO_MSS + " warmup=" + sizes.warmupMs() + " time=" + sizes.timeMs() + " gap=30";
        String sink = "role=sink mss=" + GSO_MSS + " gso=" + (sinkGso ? 1 : 0);
        return boot(loader, sink, source, "", "", 1, 1, GsoResult::parse, (r, delta) -> new GsoRun(r, delta[0], delta[1], delta[2]))
                .getFirst();
    }

    /**
     * Boots dom0 with netbench's sink ({@code sinkCmdline}) and source ({@code sourceCmdline}) on
     * xenbr0 and collects the {@code expected} results the source prints ({@code parse} gives
     * null for other lines), each with the counters' changes over its window: dom0's, the
     * source's and the sink's hypercalls, the source's VM exits ({@code make}).
     */
    private static <R, T> List<T> boot(ImageLoader loader, String sinkCmdline, String source, String v, String dom0Cmdline,
            int dom0Vcpus, int expected,
            java.util.function.Function<String, R> parse, java.util.function.BiFunction<R, long[], T> make) throws Exception {
        String module = "# parasol bench: the network figures' guests\n"
                + "name=sink image=" + IMAGE + " memory=" + GUEST_KIB + " cmdline="
                + BlockFigures.escape(sinkCmdline) + v
                + " device=vif%3Abridge%3Dxenbr0\n"
                + "name=source image=" + IMAGE + " memory=" + GUEST_KIB + " cmdline=" + BlockFigures.escape(source) + v
                + " device=vif%3Abridge%3Dxenbr0\n";
        byte[] bytes = module.getBytes(StandardCharsets.UTF_8);
        long dom0Kib = DOM0_KIB + (bytes.length + 4095) / 4096 * 4;
        long hostBytes = (2 * GUEST_KIB + dom0Kib) * 1024 + (16L << 20);
        try (Hypervisor hv = Hypervisor.boot(HostConfig.defaults(hostBytes))) {
            hv.setKernelSource(Hypervisor.images(loader));
            CountDownLatch dom0Ended = new CountDownLatch(1);
            AtomicReference<Domain> dom0Ref = new AtomicReference<>();
            AtomicReference<Domain> sinkRef = new AtomicReference<>();
            Map<Integer, Integer> reasons = new ConcurrentHashMap<>();
            Map<Integer, List<String>> consoles = new ConcurrentHashMap<>();
            List<T> runs = java.util.Collections.synchronizedList(new ArrayList<>());
            hv.onDomainCreated(d -> {
                if (d.domid() == 0) {
                    dom0Ref.set(d);
                    return;
                }
                long[] mark = {-1, -1, -1, -1, -1, -1, -1};
                d.console().subscribe(line -> {
                    if (line.contains("netbench: sink as")) {
                        sinkRef.set(d);
                    }
                    boolean timing = line.contains("netbench: timing ");
                    R r = timing ? null : parse.apply(line);
                    if (!timing && r == null) {
                        return;
                    }
                    Domain dom0 = dom0Ref.get();
                    Domain sink = sinkRef.get();
                    long[] now = {dom0 == null ? -1 : dom0.hypercalls(), d.hypercalls(), sink == null ? -1 : sink.hypercalls(),
                        d.vmExits(), cpuNs(dom0), cpuNs(d), cpuNs(sink)};
                    if (timing) {
                        System.arraycopy(now, 0, mark, 0, mark.length);
                        return;
                    }
                    long[] delta = new long[mark.length];
                    for (int i = 0; i < mark.length; i++) {
                        delta[i] = mark[i] < 0 || now[i] < 0 ? -1 : now[i] - mark[i];
                        mark[i] = -1;
                    }
                    runs.add(make.apply(r, delta));
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
            if (reasons.size() != 2 || reasons.values().stream().anyMatch(r -> r != Shutdown.POWEROFF)) {
                throw new IllegalStateException("the netbench guests did not power off: " + reasons + "\n"
                        + String.join("\n", dom0.console().lines()) + "\n" + consoles);
            }
            hv.destroy(dom0);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (runs.size() < expected && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            if (runs.size() != expected) {
                throw new IllegalStateException("netbench printed " + runs.size() + " results of " + expected + ": "
                        + consoles);
            }
            return List.copyOf(runs);
        }
    }

    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();

    /** The CPU time of {@code d}'s vCPU threads so far (ns; -1 when the JVM cannot read one). */
    static long cpuNs(Domain d) {
        if (d == null || !THREADS.isThreadCpuTimeSupported()) {
            return -1;
        }
        long sum = 0;
        for (var v : d.vcpus()) {
            Thread t = v.thread();
            if (t == null) {
                continue;
            }
            long c = t.isVirtual() ? -1 : THREADS.getThreadCpuTime(t.threadId());
            if (c < 0) {
                return -1;
            }
            sum += c;
        }
        return sum;
    }

    /**
     * The stream rows again with dom0's vCPUs and the CPU time per frame received of dom0, the
     * source and the sink: 1 queue and 2 queues with dom0 on one vCPU (every queue on its run
     * loop), and 2 queues with dom0 on {@value #SPREAD_DOM0_VCPUS} (the queues on vCPUs 1 and 2).
     */
    static String spreadTable(List<Run> runs, List<Run> twoQueues, List<Run> spread) {
        String nl = System.lineSeparator();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-40s %10s %9s %9s %9s %9s%n", "stream, netback's queues on dom0's vCPUs",
                "frames/s", "Gbit/s", "us d0/f", "us src/f", "us snk/f"));
        for (int size : SIZES) {
            for (int row = 0; row < 3; row++) {
                List<Run> of = row == 0 ? runs : row == 1 ? twoQueues : spread;
                String label = (row == 0 ? "  1 queue, dom0 1 vCPU, " : row == 1 ? "  2 queues, dom0 1 vCPU, "
                        : "  2 queues, dom0 " + SPREAD_DOM0_VCPUS + " vCPUs, ") + size + " B";
                sb.append(streamRow(label, of.isEmpty() ? null : find(of, "stream", size), size, (run, fps, per) ->
                        String.format(Locale.ROOT, " %9s %9s %9s", usPerFrame(run.dom0CpuNs(), per),
                                usPerFrame(run.sourceCpuNs(), per), usPerFrame(run.sinkCpuNs(), per))));
            }
        }
        sb.append("  us d0/f, us src/f, us snk/f: CPU time of the domain's vCPU threads in the timed stream per frame received"
                + " (dom0 on " + SPREAD_DOM0_VCPUS + " vCPUs: the boot vCPU and the two serving the queues)").append(nl);
        return sb.toString();
    }

    /** The columns a stream table adds after frames/s and Gbit/s: from the run, its frames/s and its frames received (at least 1). */
    @FunctionalInterface
    private interface StreamColumns {
        String columns(Run run, double framesPerSecond, double frames);
    }

    /**
     * One row of a stream table ({@link #table}, {@link #spreadTable}): the label and "no result"
     * without a run, else its frames received per second and their Gbit/s at {@code size} bytes,
     * then the table's own {@code more} columns.
     */
    private static String streamRow(String label, Run run, int size, StreamColumns more) {
        if (run == null) {
            return String.format(Locale.ROOT, "%-40s %10s%n", label, "no result");
        }
        Result r = run.result();
        double fps = r.frames() * 1e9 / r.ns();
        return String.format(Locale.ROOT, "%-40s %10.0f %9.3f", label, fps, fps * size * 8 / 1e9)
                + more.columns(run, fps, Math.max(1, r.frames())) + System.lineSeparator();
    }

    private static String usPerFrame(long ns, double frames) {
        return ns < 0 ? "-" : String.format(Locale.ROOT, "%.2f", ns / 1e3 / frames);
    }

    // ---------------------------------------------------------------- the table

    static String table(Sizes sizes, List<Run> runs, List<Baseline> before, List<Baseline> after) {
        return table(sizes, runs, List.of(), before, after);
    }

    /** The table, with the 2-queue runs (if any) in a row under each 1-queue row, against the same baselines. */
    static String table(Sizes sizes, List<Run> runs, List<Run> twoQueues, List<Baseline> before, List<Baseline> after) {
        return table(sizes, runs, twoQueues, List.of(), before, after);
    }

    /**
     * The table, with the 2-queue runs and the runs with TX by grant map (if any) each in a row
     * under the 1-queue, TX-by-copy row, against the same baselines.
     */
    static String table(Sizes sizes, List<Run> runs, List<Run> twoQueues, List<Run> txMap, List<Baseline> before,
            List<Baseline> after) {
        String nl = System.lineSeparator();
        StringBuilder sb = new StringBuilder(nl);
        sb.append(String.format(Locale.ROOT, "Network: guest to guest through netfront + netback + dom0's bridge (issue 14),"
                + " %s;%n  guests: raw Ethernet frames, 1 queue (and 2: one flow per queue), TX by grant copy (and by map: "
                + TX_MAP + "), RX by grant copy, %d ms warm-up and %d ms timed"
                + " per stream, %d round trips; baselines %d ms each, right before and right after the boot"
                + " (mean; round trips: the mean of the two p50s and p99s)%n",
                LocalDate.now(ZoneOffset.UTC), sizes.warmupMs(), sizes.timeMs(), sizes.rounds(), sizes.baselineMs()));
        sb.append(String.format(Locale.ROOT, "%-40s %10s %9s %9s %9s %8s %8s %8s %8s%n", "stream (frames received)",
                "frames/s", "Gbit/s", "x floor", "x UDP", "ntf/f", "hc d0", "hc src", "hc sink"));
        for (int size : SIZES) {
            double floor = mean(before, after, "shared-memory ring (floor)", size, Baseline::framesPerSecond);
            double udp = mean(before, after, "host loopback UDP", size, Baseline::framesPerSecond);
            for (int q = 1; q <= 3; q++) {
                List<Run> of = q == 1 ? runs : q == 2 ? txMap : twoQueues;
                if (q > 1 && of.isEmpty()) {
                    continue;
                }
                String label = q == 1 ? "  guest to guest, " + size + "-byte frames"
                        : q == 2 ? "    TX by grant map, " + size + "-byte frames" : "    2 queues, " + size + "-byte frames";
                sb.append(streamRow(label, find(of, "stream", size), size, (run, fps, per) ->
                        String.format(Locale.ROOT, " %9s %9s %8.3f %8s %8s %8s", BenchMain.ratio(fps / floor),
                                BenchMain.ratio(fps / udp), run.result().notifications() / per,
                                perFrame(run.dom0Hypercalls(), per), perFrame(run.sourceHypercalls(), per),
                                perFrame(run.sinkHypercalls(), per))));
            }
            sb.append(String.format(Locale.ROOT, "%-40s %10.0f %9.3f%n", "  shared-memory ring (floor), " + size + " B",
                    floor, floor * size * 8 / 1e9));
            sb.append(String.format(Locale.ROOT, "%-40s %10.0f %9.3f%n", "  host loopback UDP, " + size + " B", udp,
                    udp * (size - 42) * 8 / 1e9));
        }
        sb.append(String.format(Locale.ROOT, "%-40s %10s %9s %9s %9s %8s %8s %8s%n", "round trip (one frame at a time)",
                "p50 us", "p99 us", "x floor", "x UDP", "ntf/rt", "hc d0", "hc src"));
        for (int size : SIZES) {
            double floor = mean(before, after, "shared-memory ring (floor)", size, b -> (double) b.p50());
            double floor99 = mean(before, after, "shared-memory ring (floor)", size, b -> (double) b.p99());
            double udp = mean(before, after, "host loopback UDP", size, b -> (double) b.p50());
            double udp99 = mean(before, after, "host loopback UDP", size, b -> (double) b.p99());
            for (int m = 0; m < (txMap.isEmpty() ? 1 : 2); m++) {
                Run run = find(m == 0 ? runs : txMap, "rr", size);
                String label = m == 0 ? "  guest to guest, " + size + "-byte frames" : "    TX by grant map, " + size + "-byte frames";
                if (run == null) {
                    sb.append(String.format(Locale.ROOT, "%-40s %10s%n", label, "no result"));
                } else {
                    Result r = run.result();
                    double per = Math.max(1, r.rounds());
                    sb.append(String.format(Locale.ROOT, "%-40s %10.1f %9.1f %9s %9s %8.3f %8s %8s%n", label, r.p50() / 1e3,
                            r.p99() / 1e3, BenchMain.ratio(r.p50() / floor), BenchMain.ratio(r.p50() / udp),
                            r.notifications() / per, perFrame(run.dom0Hypercalls(), per), perFrame(run.sourceHypercalls(), per)));
                }
            }
            sb.append(String.format(Locale.ROOT, "%-40s %10.1f %9.1f%n", "  shared-memory ring (floor), " + size + " B",
                    floor / 1e3, floor99 / 1e3));
            sb.append(String.format(Locale.ROOT, "%-40s %10.1f %9.1f%n", "  host loopback UDP, " + size + " B", udp / 1e3,
                    udp99 / 1e3));
        }
        sb.append("  x floor, x UDP: the guests' frames/s over the baseline's (stream), their p50 over the baseline's"
                + " p50 (round trip); targets: 1514 B >= 10 Gbit/s and >= 0.5x floor").append(nl);
        sb.append("  ntf/f, ntf/rt: netfront notifications of the source per frame received or round trip; hc: hypercalls"
                + " per frame of dom0, the source and the sink; UDP Gbit/s counts its payload").append(nl);
        return sb.toString();
    }

    /**
     * The GSO stream's rows: (a) a sink that takes the 64 KiB frames whole, (b) one that gets
     * dom0's 1514-byte segments; per row what the sink received per second (frames, the 1514-byte
     * segments they are or stand for, and their wire Gbit/s), the segments' rate over the 1514-byte
     * floor's and host UDP's, the gaps the sink counted in the sequence numbers and the frames its
     * check refused, and notifications and hypercalls per frame received and per segment.
     */
    static String gsoTable(GsoRun whole, GsoRun cut, List<Baseline> before, List<Baseline> after) {
        String nl = System.lineSeparator();
        StringBuilder sb = new StringBuilder();
        GsoResult any = whole != null ? whole.result() : cut != null ? cut.result() : null;
        sb.append(String.format(Locale.ROOT, "GSO stream: TCP/IPv4 frames of %s bytes with a GSO extra at MSS %d (%s"
                + " segments, each a 1514-byte frame), 1 queue, TX by grant copy, checksum offload%n",
                any == null ? "?" : Integer.toString(any.size()), GSO_MSS,
                any == null ? "?" : Integer.toString((any.size() - 66 + GSO_MSS - 1) / GSO_MSS)));
        sb.append(String.format(Locale.ROOT, "%-40s %10s %10s %9s %9s %9s %6s %5s %8s %8s %8s %8s%n",
                "stream (what the sink received)", "frames/s", "segs/s", "Gbit/s", "x floor", "x UDP", "gaps", "bad",
                "ntf/f", "hc d0/f", "hc src/f", "hc snk/f"));
        double floor = mean(before, after, "shared-memory ring (floor)", 1514, Baseline::framesPerSecond);
        double udp = mean(before, after, "host loopback UDP", 1514, Baseline::framesPerSecond);
        GsoRun[] rows = {whole, cut};
        String[] labels = {"  (a) sink takes GSO: frames whole", "  (b) sink without GSO: 1514 B segments"};
        for (int i = 0; i < 2; i++) {
            GsoRun run = rows[i];
            if (run == null) {
                sb.append(String.format(Locale.ROOT, "%-40s %10s%n", labels[i], "no result"));
                continue;
            }
            GsoResult r = run.result();
            double fps = r.frames() * 1e9 / r.ns();
            double sps = r.segments() * 1e9 / r.ns();
            double per = Math.max(1, r.frames());
            sb.append(String.format(Locale.ROOT, "%-40s %10.0f %10.0f %9.3f %9s %9s %6d %5d %8.3f %8s %8s %8s%n", labels[i],
                    fps, sps, r.bytes() * 8.0 / r.ns(), BenchMain.ratio(sps / floor), BenchMain.ratio(sps / udp), r.gaps(),
                    r.bad(), r.notifications() / per, perFrame(run.dom0Hypercalls(), per),
                    perFrame(run.sourceHypercalls(), per), perFrame(run.sinkHypercalls(), per)));
            double segs = Math.max(1, r.segments());
            sb.append(String.format(Locale.ROOT, "%-40s %10s %10s %9s %9s %9s %6s %5s %8.3f %8s %8s %8s%n",
                    "      per segment", "", "", "", "", "", "", "", r.notifications() / segs,
                    perFrame(run.dom0Hypercalls(), segs), perFrame(run.sourceHypercalls(), segs),
                    perFrame(run.sinkHypercalls(), segs)));
        }
        sb.append("  Gbit/s: the wire bytes of the 1514-byte segments the sink got ((b)) or that its whole frames stand for"
                + " ((a): each segment's headers counted); x floor, x UDP: segments/s over the 1514 B baselines' frames/s")
                .append(nl);
        sb.append("  gaps: jumps in the sink's sequence numbers (what they skipped is not counted); bad: frames its check"
                + " refused; ntf: the source's netfront notifications; hc: hypercalls of dom0, the source and the sink")
                .append(nl);
        return sb.toString();
    }

    private static Run find(List<Run> runs, String mode, int size) {
        return runs.stream().filter(r -> r.result().mode().equals(mode) && r.result().size() == size).findFirst()
                .orElse(null);
    }

    private static double mean(List<Baseline> before, List<Baseline> after, String name, int size,
            java.util.function.ToDoubleFunction<Baseline> f) {
        List<Baseline> all = new ArrayList<>(before);
        all.addAll(after);
        return all.stream().filter(b -> b.name().equals(name) && b.size() == size).mapToDouble(f).average()
                .orElse(Double.NaN);
    }

    private static String perFrame(long count, double frames) {
        return count < 0 ? "-" : String.format(Locale.ROOT, "%.2f", count / frames);
    }
}
