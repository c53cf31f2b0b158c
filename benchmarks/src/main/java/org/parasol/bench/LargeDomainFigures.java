package org.parasol.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;

import org.parasol.hypercall.GuestMemory;
import org.parasol.hypervisor.HostConfig;
import org.parasol.hypervisor.Hypervisor;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.mm.FrameTable;
import org.parasol.hypervisor.time.ManualClock;

/**
 * {@code parasol bench --large}: what a 4 GiB bare domain that touches ten pages costs to build
 * and to destroy, with the P2M list written at build (Xen's builder, the baseline) and written a
 * page at a time when first read (deviation 38), alternating in one host and one run so both
 * see the same machine and the same load:
 *
 * <ul>
 *   <li>CPU time of the building and of the destroying thread ({@code ThreadMXBean}, as the
 *       cost table in {@code docs/hypervisor.md} counts), median of the second half of the
 *       rounds (the first half warms the JIT);</li>
 *   <li>machine memory the host backs for the domain while it lives (its ten pages written and
 *       its P2M list's first entry read, as a guest reading one MFN does) and after its
 *       destroy: resident frames of the machine-memory mapping ({@code mincore}).</li>
 * </ul>
 */
final class LargeDomainFigures {
    private LargeDomainFigures() {
    }

    static final long DOMAIN_MIB = 4096;

    static String report(boolean quick) throws Exception {
        int rounds = quick ? 6 : 16;
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long[][] build = new long[2][rounds];
        long[][] destroy = new long[2][rounds];
        long[][] live = new long[2][rounds];
        long[][] after = new long[2][rounds];
        try (Hypervisor hv = Hypervisor.boot(HostConfig.defaults((DOMAIN_MIB + 64) << 20)
                .withClock(new ManualClock()).withPcpus(1))) {
            FrameTable frames = hv.frames();
            for (int r = 0; r < rounds; r++) {
                for (int i = 0; i < 2; i++) {
                    int mode = (r & 1) == 0 ? i : 1 - i; // 0 eager, 1 lazy; the order alternates
                    frames.setP2mWrittenAtBuild(mode == 0);
                    long resident0 = hv.machine().residentFrames();
                    long t0 = mx.getCurrentThreadCpuTime();
                    Domain d = hv.createBareDomain(DomainConfig.of("big", null, DOMAIN_MIB));
                    long t1 = mx.getCurrentThreadCpuTime();
                    d.vcpu(0).attach();
                    GuestMemory mem = d.vcpu(0).cpu().memory();
                    long free = d.layout().freeVa();
                    for (int p = 0; p < 10; p++) {
                        mem.putLong(free + 4096L * p, 0x5A5A_0000L + p);
                    }
                    long sink = mem.getLong(d.layout().p2mVa()); // P2M[0]: the list's first page read
                    live[mode][r] = hv.machine().residentFrames() - resident0;
                    long t2 = mx.getCurrentThreadCpuTime();
                    if (!hv.destroy(d)) {
                        throw new IllegalStateException("the 4 GiB domain did not go");
                    }
                    long t3 = mx.getCurrentThreadCpuTime();
                    after[mode][r] = hv.machine().residentFrames() - resident0;
                    build[mode][r] = t1 - t0;
                    destroy[mode][r] = t3 - t2;
                    if (sink == Long.MIN_VALUE) {
                        throw new AssertionError();
                    }
                }
            }
            frames.setP2mWrittenAtBuild(false);
        }
        int from = rounds / 2;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT,
                "Large domain (issue 17): a %d MiB bare domain touching ten pages, %d rounds each way alternating, "
                        + "medians of the last %d; load average %s%n%n",
                DOMAIN_MIB, rounds, rounds - from, loadAverage()));
        sb.append("| P2M list | build, CPU ms | destroy, CPU ms | resident while it lives | resident after destroy |\n");
        sb.append("|---|---|---|---|---|\n");
        String[] names = {"written at build (Xen's builder)", "written when first read (lazy)"};
        for (int mode = 0; mode < 2; mode++) {
            sb.append(String.format(Locale.ROOT, "| %s | %.2f (%.2f-%.2f) | %.2f (%.2f-%.2f) | %s | %s |%n", names[mode],
                    ms(median(build[mode], from)), ms(min(build[mode], from)), ms(max(build[mode], from)),
                    ms(median(destroy[mode], from)), ms(min(destroy[mode], from)), ms(max(destroy[mode], from)),
                    kib(median(live[mode], from)), kib(median(after[mode], from))));
        }
        sb.append(String.format(Locale.ROOT, "%nlazy / at build: build %.2fx, destroy %.2fx, resident while it lives %.4fx%n",
                (double) median(build[1], from) / median(build[0], from),
                (double) median(destroy[1], from) / median(destroy[0], from),
                (double) median(live[1], from) / median(live[0], from)));
        return sb.toString();
    }

    private static String kib(long frames) {
        return frames < 0 ? "n/a (no mincore)" : String.format(Locale.ROOT, "%d KiB", frames * 4);
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    private static long median(long[] v, int from) {
        long[] s = Arrays.copyOfRange(v, from, v.length);
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private static long min(long[] v, int from) {
        return Arrays.stream(v, from, v.length).min().orElseThrow();
    }

    private static long max(long[] v, int from) {
        return Arrays.stream(v, from, v.length).max().orElseThrow();
    }

    private static String loadAverage() {
        return String.format(Locale.ROOT, "%.1f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }
}
