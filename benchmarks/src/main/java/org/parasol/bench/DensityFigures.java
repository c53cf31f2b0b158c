package org.parasol.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;


import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.GuestMemoryBuffer;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.Port;
import org.parasol.hypercall.abi.EvtchnOp;
import org.parasol.hypercall.abi.VcpuOp;
import org.parasol.hypercall.guest.ArgumentPage;
import org.parasol.hypercall.guest.EventChannelCalls;
import org.parasol.hypercall.struct.EvtchnSend;
import org.parasol.hypercall.struct.SharedInfo;
import org.parasol.hypervisor.HostConfig;
import org.parasol.hypervisor.Hypervisor;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.image.ImageLoader;
import org.parasol.hypervisor.image.ImageRepository;
import org.parasol.hypervisor.image.KernelImage;

/**
 * {@code parasol bench --density}: how many idle domains one host holds and what each costs.
 * Boots domains of the {@code idle} image (the guest kernel's banner, one line, then blocked
 * with no timer armed) one after another in one host, in steps up to {@link Sizes#steps}'s
 * last, and reports per step:
 *
 * <ul>
 *   <li>create-to-first-console-line: from {@code createDomain} being called to the domain's
 *       first console line (the kernel's banner) reaching a console reader, p50 and p99 over
 *       the step's new domains, each created once the one before it had printed;</li>
 *   <li>Java heap (after a full GC), metaspace, live threads and the process's resident memory
 *       (VmRSS), each as the growth since before the first idle domain, divided by the live
 *       idle domains;</li>
 *   <li>an event-channel round trip between two domains while the rest idle: a bare domain
 *       driven by the benchmark thread sends, a kernel on its own vCPU that blocks between
 *       events echoes (the {@code BlockedPeer} of {@link EventBench}); p50 over
 *       {@link Sizes#pingPongs} round trips, and its ratio to the same pair's p50 before any
 *       idle domain existed (the target: no more than 2x).</li>
 * </ul>
 *
 * <p>Each idle domain has {@link #DOMAIN_KIB} of memory; the host's machine memory is sized
 * for the last step and, being sparse, commits only what the domains touch.
 */
final class DensityFigures {
    /** Memory of each idle domain: the guest kernel boots in it with room to spare. */
    static final long DOMAIN_KIB = 2048;

    /** How big a run is. */
    record Sizes(int[] steps, int pingPongs, boolean virtualThreads) {
        static final Sizes QUICK = new Sizes(new int[] {10, 50}, 2_000, false);
        static final Sizes FULL = new Sizes(new int[] {1, 10, 100, 1_000, 2_500, 5_000, 7_500, 10_000}, 20_000, false);

        Sizes withVirtualThreads(boolean v) {
            return new Sizes(steps, pingPongs, v);
        }

        int max() {
            return steps[steps.length - 1];
        }
    }

    /** One step's figures. */
    record Step(int domains, int reached, double buildP50Ms, double buildCpuP50Ms, double createP50Ms, double createP99Ms, double createMaxMs, double heapKiB,
            double metaspaceKiB, double threads, double rssKiB, double idleCpuPercent, double pingPongP50Us,
            double pingPongRatio) {
    }

    /** What a run measured: the steps, the baseline round trip, and the first domain's creation. */
    record Run(Sizes sizes, List<Step> steps, double baselinePingPongUs, double firstCreateMs, long threadsAtStart,
            double afterPingPongUs, double bareHeapKiB) {
    }

    /** Bare domains built at the end to weigh the hypervisor's own structures per domain. */
    static final int BARE_DOMAINS = 500;

    private DensityFigures() {
    }

    /** Runs the steps and returns the report's text; the chart goes to {@code chart} if not null. */
    static String report(Sizes sizes, Path chart) throws Exception {
        Run run = run(sizes);
        if (chart != null) {
            chart(run, chart);
        }
        return table(run);
    }

    static Run run(Sizes sizes) throws Exception {
        int max = sizes.max();
        long machine = (max + 16L) * DOMAIN_KIB * 1024 + (64L << 20);
        HostConfig cfg = HostConfig.defaults(machine).withPcpus(2).withVirtualThreads(sizes.virtualThreads());
        try (Hypervisor hv = Hypervisor.boot(cfg)) {
            KernelImage image = new ImageLoader(ImageRepository.standard()).load("idle");
            hv.setKernelSource((name, privileged) -> image::newKernel);
            PingPong pair = new PingPong(hv);
            pair.warm(sizes.pingPongs());
            double baseline = pair.p50Us(sizes.pingPongs());

            long heap0 = heapUsed();
            long meta0 = metaspaceUsed();
            long threads0 = ManagementFactory.getThreadMXBean().getThreadCount();
            long rss0 = rssKiB();

            List<Domain> idle = new ArrayList<>(max);
            AtomicLongArray firstLine = new AtomicLongArray(max);
            long[] created = new long[max];
            long[] built = new long[max];
            long[] builtCpu = new long[max];
            java.lang.management.ThreadMXBean tmx = ManagementFactory.getThreadMXBean();
            double firstCreateMs = Double.NaN;
            List<Step> steps = new ArrayList<>();
            int from = 0;
            for (int n : sizes.steps()) {
                for (int i = from; i < n; i++) {
                    final int idx = i;
                    long c0 = tmx.getCurrentThreadCpuTime();
                    long t0 = System.nanoTime();
                    Domain d = hv.createDomain(DomainConfig.of("idle" + (i + 1), "idle", 2).withMemoryKiB(DOMAIN_KIB));
                    AtomicInteger lines = new AtomicInteger();
                    Thread waiter = Thread.currentThread();
                    d.console().subscribe(line -> {
                        if (lines.getAndIncrement() == 0) {
                            firstLine.set(idx, System.nanoTime());
                            LockSupport.unpark(waiter);
                        }
                    });
                    created[i] = t0;
                    built[i] = System.nanoTime() - t0;
                    builtCpu[i] = tmx.getCurrentThreadCpuTime() - c0;
                    idle.add(d);
                    long deadline = t0 + 10_000_000_000L;
                    while (firstLine.get(i) == 0 && System.nanoTime() < deadline) {
                        LockSupport.parkNanos(1_000_000L); // parked, not spinning: the new domain needs the core
                    }
                    if (i == 0) {
                        firstCreateMs = (firstLine.get(0) - t0) / 1e6;
                    }
                }
                int reached = 0;
                double[] ms = new double[n - from];
                double[] buildMs = new double[n - from];
                double[] buildCpuMs = new double[n - from];
                for (int i = from; i < n; i++) {
                    long t = firstLine.get(i);
                    if (t != 0) {
                        reached++;
                    }
                    ms[i - from] = t == 0 ? Double.POSITIVE_INFINITY : (t - created[i]) / 1e6;
                    buildMs[i - from] = built[i] / 1e6;
                    buildCpuMs[i - from] = builtCpu[i] / 1e6;
                }
                for (int i = 0; i < from; i++) {
                    if (firstLine.get(i) != 0) {
                        reached++;
                    }
                }
                // The first domain of the image pays for its classes' loading and the JIT: the
                // figures are for the ones after it (the first one's time is reported apart).
                double[] sample = from == 0 && ms.length > 1 ? Arrays.copyOfRange(ms, 1, ms.length) : ms;
                Arrays.sort(sample);
                double p50 = percentile(sample, 0.50);
                double p99 = percentile(sample, 0.99);
                double worst = sample[sample.length - 1];
                double[] buildSample = from == 0 && buildMs.length > 1 ? Arrays.copyOfRange(buildMs, 1, buildMs.length) : buildMs;
                Arrays.sort(buildSample);
                double buildP50 = percentile(buildSample, 0.50);
                double[] buildCpuSample = from == 0 && buildCpuMs.length > 1 ? Arrays.copyOfRange(buildCpuMs, 1, buildCpuMs.length) : buildCpuMs;
                Arrays.sort(buildCpuSample);
                double buildCpuP50 = percentile(buildCpuSample, 0.50);
                double heap = (heapUsed() - heap0) / 1024.0 / n;
                double meta = (metaspaceUsed() - meta0) / 1024.0 / n;
                double threads = (double) (ManagementFactory.getThreadMXBean().getThreadCount() - threads0) / n;
                double rss = (double) (rssKiB() - rss0) / n;
                double idleCpu = idleCpuPercent();
                double pp = pair.p50Us(sizes.pingPongs());
                steps.add(new Step(n, reached, buildP50, buildCpuP50, p50, p99, worst, heap, meta, threads, rss, idleCpu, pp,
                        pp / baseline));
                from = n;
            }
            for (Domain d : idle) {
                hv.destroy(d);
            }
            idle.clear();
            // The pair alone again: the round trip with no idle domain, measured after the steps too.
            double after = pair.p50Us(sizes.pingPongs());
            // The hypervisor's part of an idle domain's heap: bare domains of the same size (built,
            // start-of-day page tables typed, no kernel instance, no thread, no argument area).
            int bareN = Math.min(BARE_DOMAINS, max);
            long heapBare0 = heapUsed();
            List<Domain> bare = new ArrayList<>(bareN);
            for (int i = 0; i < bareN; i++) {
                bare.add(hv.createBareDomain(DomainConfig.of("bare" + (i + 1), null, 2).withMemoryKiB(DOMAIN_KIB)));
            }
            double bareKiB = (heapUsed() - heapBare0) / 1024.0 / bareN;
            for (Domain d : bare) {
                hv.destroy(d);
            }
            return new Run(sizes, steps, baseline, firstCreateMs, threads0, after, bareKiB);
        }
    }

    /** The report's text. */
    static String table(Run run) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%nDensity: idle domains of the 'idle' image (%d KiB each), %s vCPU threads,"
                + " 2 pCPUs; the first domain's create-to-first-line %.1f ms (class loading, JIT); ping-pong with no idle"
                + " domain p50 %.1f us before the steps, %.1f us after them (pp x: against the before figure);"
                + " the hypervisor's own heap per domain (a bare domain of the same size) %.1f KiB%n", DOMAIN_KIB,
                run.sizes().virtualThreads() ? "virtual" : "platform", run.firstCreateMs(), run.baselinePingPongUs(),
                run.afterPingPongUs(), run.bareHeapKiB()));
        sb.append(String.format(Locale.ROOT, "%8s %8s %10s %10s %10s %10s %10s %10s %10s %9s %10s %8s %10s %8s%n", "domains",
                "reached", "build ms", "build CPU", "p50 ms", "p99 ms", "max ms", "heap KiB", "meta KiB", "threads", "RSS KiB", "idle CPU",
                "pp p50 us", "pp x"));
        sb.append("  (build: createDomain's return, p50; build CPU: the creating thread's CPU time in it, ms, p50 (what the load does not stretch); p50/p99/max: create-to-first-console-line over the step's new domains; heap, metaspace, threads and RSS per live idle domain; idle CPU: the process's CPU time over 1 s of idling, % of a core)")
                .append(System.lineSeparator());
        for (Step s : run.steps()) {
            sb.append(String.format(Locale.ROOT, "%8d %8d %10.3f %10.3f %10.3f %10.3f %10.3f %10.1f %10.2f %9.2f %10.1f %7.1f%% %10.1f %8.2f%n",
                    s.domains(), s.reached(), s.buildP50Ms(), s.buildCpuP50Ms(), s.createP50Ms(), s.createP99Ms(), s.createMaxMs(), s.heapKiB(),
                    s.metaspaceKiB(), s.threads(), s.rssKiB(), s.idleCpuPercent(), s.pingPongP50Us(), s.pingPongRatio()));
        }
        return sb.toString();
    }

    private static double percentile(double[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    /**
     * The live heap after full collections, repeated until two readings agree within 64 KiB (at most
     * eight): a single collection can leave soft references and objects the running vCPUs were
     * holding, which a later reading no longer counts, and a small step's difference then comes out
     * negative.
     */
    static long heapUsed() {
        long last = Long.MAX_VALUE;
        for (int i = 0; i < 8; i++) {
            System.gc();
            long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            if (Math.abs(last - used) < 64 * 1024) {
                return Math.min(last, used);
            }
            last = used;
        }
        return last;
    }

    /** The process's CPU time over a second of the host idling (the benchmark thread asleep), in percent of one core. */
    static double idleCpuPercent() throws InterruptedException {
        if (!(ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os)) {
            return Double.NaN;
        }
        long cpu0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        Thread.sleep(1000);
        return 100.0 * (os.getProcessCpuTime() - cpu0) / (System.nanoTime() - t0);
    }

    static long metaspaceUsed() {
        long used = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getName().equals("Metaspace")) {
                used += pool.getUsage().getUsed();
            }
        }
        return used;
    }

    /** The process's resident set ({@code VmRSS} of {@code /proc/self/status}), in KiB; 0 where there is none. */
    static long rssKiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    // ---------------------------------------------------------------- the ping-pong pair

    /**
     * Two domains of the host: A bare, driven by the benchmark thread (it sends, then spins on
     * its pending bit); B a kernel on its own vCPU that blocks between events and echoes each.
     */
    private static final class PingPong {
        private final Cpu cpu;
        private final long sendArg;
        private final int port;
        private final SharedInfo shared;

        PingPong(Hypervisor hv) throws Exception {
            Domain a = hv.createBareDomain(DomainConfig.of("ping", null, 2));
            a.vcpu(0).attach();
            cpu = a.vcpu(0).cpu();
            GuestMemory mem = cpu.memory();
            long si = a.startInfoVa();
            BareHost.mapSharedInfo(cpu, si);
            long free = BareHost.firstFreeVa(mem, si);
            EventChannelCalls ev = new EventChannelCalls(cpu, new ArgumentPage(free));
            cpu.hypercall(Hypercall.VCPU_OP, VcpuOp.STOP_PERIODIC_TIMER, 0, 0);
            AtomicInteger published = new AtomicInteger();
            Domain b = hv.createDomain(DomainConfig.of("pong", null, 2), EventBench.echo(published, a.domid(), true));
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (published.get() == 0) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the echo domain did not publish its port");
                }
                Thread.onSpinWait();
            }
            port = (int) ev.bindInterdomain(DomId.of(b.domid()), Port.of(published.get()));
            sendArg = free + 8192;
            new EvtchnSend().wrap(new GuestMemoryBuffer(mem, sendArg, EvtchnSend.SIZE), 0).port(port);
            shared = EventBench.sharedInfo(mem);
            shared.testAndClearPending(port);
        }

        long roundTrip() {
            long t0 = System.nanoTime();
            cpu.hypercall(Hypercall.EVENT_CHANNEL_OP, EvtchnOp.SEND, sendArg);
            while (!shared.testAndClearPending(port)) {
                Thread.onSpinWait();
            }
            return System.nanoTime() - t0;
        }

        void warm(int n) {
            for (int i = 0; i < n; i++) {
                roundTrip();
            }
        }

        double p50Us(int n) {
            long[] t = new long[n];
            for (int i = 0; i < n; i++) {
                t[i] = roundTrip();
            }
            Arrays.sort(t);
            return t[n / 2] / 1e3;
        }
    }

    // ---------------------------------------------------------------- the chart

    /**
     * Draws the host's memory for its idle domains (heap and RSS grown since before the first,
     * MiB, left axis) and create-to-first-console-line p50 and p99 (ms, right axis) against the
     * number of live idle domains, all three axes logarithmic, as a 900x520 PNG, with JFreeChart
     * ({@link Charts#logLines}).
     */
    static void chart(Run run, Path png) throws IOException {
        List<Step> steps = run.steps();
        List<Charts.Line> lines = List.of(
                line("heap MiB", false, steps, st -> st.heapKiB() * st.domains() / 1024),
                line("RSS MiB", false, steps, st -> st.rssKiB() * st.domains() / 1024),
                line("create p50 ms", true, steps, Step::createP50Ms),
                line("create p99 ms", true, steps, Step::createP99Ms));
        Charts.logLines("Idle domains in one host (" + (run.sizes().virtualThreads() ? "virtual" : "platform")
                + " vCPU threads): memory and create-to-first-console-line", "live idle domains (log scale)",
                "MiB (log)", "ms (log)", lines, png, 900, 520);
    }

    private static Charts.Line line(String name, boolean rightAxis, List<Step> steps,
            java.util.function.ToDoubleFunction<Step> value) {
        List<double[]> points = new java.util.ArrayList<>();
        for (Step st : steps) {
            points.add(new double[] {Math.max(1, st.domains()), value.applyAsDouble(st)});
        }
        return new Charts.Line(name, rightAxis, points);
    }
}
