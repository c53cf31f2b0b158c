package org.parasol.bench;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.HdrHistogram.Histogram;
import org.parasol.guest.mm.PageTables;
import org.parasol.guest.pvops.PvOps;
import org.parasol.guest.pvops.XenPvOps;
import org.parasol.guest.x86.NativeOps;
import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.Mfn;
import org.parasol.hypercall.StartOfDay;
import org.parasol.hypercall.guest.ArgumentPage;
import org.parasol.hypercall.guest.XenVersionCalls;
import org.parasol.hypercall.struct.StartInfo;
import org.parasol.hypervisor.HostConfig;
import org.parasol.hypervisor.Hypervisor;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.domain.Vcpu;
import org.parasol.hypervisor.domain.Virtualization;
import org.parasol.hypervisor.domain.VmExits;
import org.parasol.hypervisor.time.ManualClock;

/**
 * {@code parasol bench --lab}: issue 15's measurement lab. The same kernel operations — the
 * guest kernel's own {@link PvOps} implementations, {@link XenPvOps} and {@link NativeOps} —
 * run on one vCPU attached to the bench thread in each configuration: {@code bare} (the
 * machine model, no exits), {@code trap} (each privileged instruction a VM exit) and {@code pv}
 * (hypercalls). Each row gives p50 and p99 (HdrHistogram, nanoseconds per operation), the VM
 * exits and hypercalls one operation takes, and its p50 as a multiple of bare's. A second
 * table breaks the trap path into its stages (exit, decode, emulate, device, shadow, resume)
 * with the per-stage clock on, which adds two clock reads per stage: the median of each stage
 * per operation, so their sum is near but not the row's p50; the shares are what to read.
 *
 * <p>Every cost is work the path does: no delay is injected anywhere. The clock is manual, so
 * no timer fires during a measurement; the console lines go to the domain's console log.
 */
final class LabFigures {
    /** How many operations are timed. */
    record Sizes(int warmup, int samples) {
        static final Sizes QUICK = new Sizes(2_000, 5_000);
        static final Sizes FULL = new Sizes(20_000, 50_000);
    }

    /** The configurations, reference first. */
    static final List<Virtualization> CONFIGS = List.of(Virtualization.BARE, Virtualization.TRAP, Virtualization.BT,
            Virtualization.PV);

    /** One operation of the table, run {@code batch} times per sample where it says so. */
    private interface Op {
        void run(Lab lab, int i);
    }

    private record Row(String label, int batch, Op op) {
    }

    private static final byte[] LINE = "lab: one line of console output, 48 bytes long\n".getBytes(StandardCharsets.US_ASCII);

    private static final List<Row> ROWS = List.of(
            new Row("privileged no-op (cpuid / xen_version)", 1, (l, i) -> l.nullOp()),
            new Row("interrupt-flag toggle (save+disable, restore)", 1, (l, i) -> {
                boolean on = l.ops.saveAndDisableEvents();
                l.ops.restoreEvents(on);
            }),
            new Row("PTE update x1", 1, (l, i) -> l.ptes(1, i)),
            new Row("PTE update x16 (lazy batch)", 16, (l, i) -> l.ptes(16, i)),
            new Row("PTE update x256 (lazy batch)", 256, (l, i) -> l.ptes(256, i)),
            new Row("PTE update x2048 (lazy batch)", 2048, (l, i) -> l.ptes(2048, i)),
            new Row("address-space switch (CR3 reload)", 1, (l, i) -> l.ops.switchAddressSpace(l.l4)),
            new Row("TLB entry flush (invlpg)", 1, (l, i) -> l.ops.flushTlbOne(l.pteVa[0])),
            new Row("timer program (one-shot)", 1, (l, i) -> l.ops.programTimer(1_000_000_000_000L + i)),
            new Row("console line (48 bytes)", 1, (l, i) -> l.ops.consoleWrite(l.line, 0, LINE.length)));

    private LabFigures() {
    }

    /** One configuration's domain, its kernel operations and the PTE slots the rows write. */
    private static final class Lab implements AutoCloseable {
        static final int SLOTS = 256;
        final Hypervisor hv;
        final Domain domain;
        final Vcpu vcpu;
        final Cpu cpu;
        final PvOps ops;
        /** The native ops: {@link NativeOps}, or its binary-translated copy for {@code bt}. */
        final PvOps nativeOps;
        final XenVersionCalls version;
        final Mfn l4;
        final long[] pteMaddr = new long[SLOTS];
        final long[] pteVa = new long[SLOTS];
        final long[] pteValue = new long[SLOTS];
        final MemorySegment line = MemorySegment.ofArray(LINE.clone());

        Lab(Virtualization virt) throws Exception {
            hv = Hypervisor.boot(HostConfig.defaults(24L << 20).withClock(new ManualClock()).withPcpus(1));
            domain = hv.createBareDomain(DomainConfig.of("lab-" + virt.key(), null, 16).withVirt(virt));
            vcpu = domain.vcpu(0);
            vcpu.attach();
            cpu = vcpu.cpu();
            GuestMemory mem = cpu.memory();
            long si = domain.startInfoVa();
            long freeVa = BareHost.firstFreeVa(mem, si);
            BareHost.mapSharedInfo(cpu, si);
            ArgumentPage args = new ArgumentPage(freeVa);
            version = new XenVersionCalls(cpu, args);
            if (virt == Virtualization.PV) {
                nativeOps = null;
                ops = new XenPvOps(cpu, args, StartOfDay.SHARED_INFO_VA);
            } else if (virt == Virtualization.BT) {
                nativeOps = TranslatedNativeOps.create(cpu, args, StartOfDay.SHARED_INFO_VA, freeVa + 4096);
                ops = nativeOps;
            } else {
                nativeOps = new NativeOps(cpu, args, StartOfDay.SHARED_INFO_VA, freeVa + 4096);
                ops = nativeOps;
            }
            // The kernel's view of its bootstrap tables, as Kernel.boot adopts them.
            long ptBase = mem.getLong(si + StartInfo.PT_BASE_OFFSET);
            long nrPt = mem.getLong(si + StartInfo.NR_PT_FRAMES_OFFSET);
            l4 = Mfn.of(vcpu.baseMfn());
            PageTables tables = new PageTables(mem, ops, vcpu.baseMfn(), ptBase);
            for (long i = 1; i < nrPt; i++) {
                long va = ptBase + i * 4096;
                tables.adoptTable(vcpu.mmu().translate(va, false) >>> 12, va);
            }
            if (nativeOps != null) {
                TranslatedNativeOps.useTables(nativeOps, tables);
            }
            // The rows' PTEs: the L1 slots of 256 mapped pages well past the kernel's own.
            for (int i = 0; i < SLOTS; i++) {
                pteVa[i] = freeVa + (64L + i) * 4096;
                pteMaddr[i] = hv.pageTables().l1EntryAddress(domain.domid(), vcpu.baseMfn(), pteVa[i]);
                if (pteMaddr[i] < 0) {
                    throw new IllegalStateException("no L1 slot maps 0x" + Long.toHexString(pteVa[i]));
                }
                pteValue[i] = hv.machine().segment().get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, pteMaddr[i]);
            }
        }

        void nullOp() {
            if (nativeOps != null) {
                TranslatedNativeOps.cpuid(nativeOps, 0);
            } else {
                version.version();
            }
        }

        /** {@code n} PTE writes in one lazy batch: round {@code i} unmaps the pages, the next maps them again. */
        void ptes(int n, int i) {
            boolean unmap = (i & 1) == 0;
            if (n > 1) {
                ops.enterLazyMmu();
            }
            for (int k = 0; k < n; k++) {
                int s = k % SLOTS;
                ops.setPte(pteMaddr[s], unmap ? 0 : pteValue[s]);
            }
            if (n > 1) {
                ops.leaveLazyMmu();
            }
        }

        long exits() {
            VmExits x = vcpu.vmExits();
            return x == null ? 0 : x.exits();
        }

        long translations() {
            VmExits x = vcpu.vmExits();
            return x == null ? 0 : x.translations();
        }

        @Override
        public void close() {
            hv.close();
        }
    }

    /** One measured row of one configuration. */
    private record Result(long p50, long p99, double exitsPerOp, double translationsPerOp, double hypercallsPerOp) {
    }

    static String report(Sizes sizes) throws Exception {
        Map<String, Map<Virtualization, Result>> results = new LinkedHashMap<>();
        Map<String, long[]> stages = new LinkedHashMap<>();
        Map<String, Integer> stageOps = new LinkedHashMap<>();
        Map<Virtualization, Lab> labs = new LinkedHashMap<>();
        try {
            for (Virtualization virt : CONFIGS) {
                labs.put(virt, new Lab(virt));
            }
            // Every configuration warms up before any is measured: the JIT compiles the shared
            // code (the decoder, the MMU) once for all, not during the first one's samples.
            for (Lab lab : labs.values()) {
                for (Row row : ROWS) {
                    int warmup = even(Math.max(20, sizes.warmup() / row.batch()));
                    for (int i = 0; i < warmup; i++) {
                        row.op().run(lab, i);
                    }
                }
            }
            // Row by row, each configuration in turn, twice: the first pass is discarded, so the
            // JIT's last compilations and the first pass's garbage fall on no configuration.
            for (int pass = 0; pass < 2; pass++) {
                measure(labs, results, stages, stageOps, sizes);
            }
        } finally {
            for (Lab lab : labs.values()) {
                lab.close();
            }
        }
        return format(results, stages, stageOps, sizes);
    }

    /** One pass over every row, each configuration in turn; what it finds replaces the last pass's. */
    private static void measure(Map<Virtualization, Lab> labs, Map<String, Map<Virtualization, Result>> results,
            Map<String, long[]> stages, Map<String, Integer> stageOps, Sizes sizes) {
            for (Row row : ROWS) {
                for (var entry : labs.entrySet()) {
                    Virtualization virt = entry.getKey();
                    Lab lab = entry.getValue();
                    // Even counts: the PTE rows leave every page as they found it.
                    int samples = even(Math.max(20, sizes.samples() / row.batch()));
                    Histogram h = new Histogram(3_600_000_000_000L, 3);
                    long exits0 = lab.exits();
                    long translations0 = lab.translations();
                    long calls0 = lab.vcpu.hypercalls();
                    for (int i = 0; i < samples; i++) {
                        long t0 = System.nanoTime();
                        row.op().run(lab, i);
                        h.recordValue(Math.max(0, System.nanoTime() - t0));
                    }
                    double ops = samples;
                    results.computeIfAbsent(row.label(), k -> new LinkedHashMap<>()).put(virt,
                            new Result(h.getValueAtPercentile(50), h.getValueAtPercentile(99),
                                    (lab.exits() - exits0) / ops, (lab.translations() - translations0) / ops,
                                    (lab.vcpu.hypercalls() - calls0) / ops));
                    if (virt == Virtualization.TRAP) {
                        // Per operation, each stage's time; the median of each is kept, so a
                        // preemption of the loaded machine inside one stage of one operation
                        // does not make that stage look expensive.
                        VmExits x = lab.vcpu.vmExits();
                        Histogram[] perStage = new Histogram[VmExits.STAGES.length];
                        for (int s = 0; s < perStage.length; s++) {
                            perStage[s] = new Histogram(3_600_000_000_000L, 3);
                        }
                        x.profile(true);
                        int n = even(Math.max(20, samples / 4));
                        for (int i = 0; i < n; i++) {
                            long[] before = x.stageNanos();
                            row.op().run(lab, i);
                            long[] after = x.stageNanos();
                            for (int s = 0; s < after.length; s++) {
                                perStage[s].recordValue(Math.max(0, after[s] - before[s]));
                            }
                        }
                        x.profile(false);
                        long[] medians = new long[perStage.length];
                        for (int s = 0; s < medians.length; s++) {
                            medians[s] = perStage[s].getValueAtPercentile(50);
                        }
                        stages.put(row.label(), medians);
                        stageOps.put(row.label(), 1);
                    }
                }
            }
    }

    private static int even(int n) {
        return n + (n & 1);
    }

    private static String format(Map<String, Map<Virtualization, Result>> results, Map<String, long[]> stages,
            Map<String, Integer> stageOps, Sizes sizes) {
        StringBuilder sb = new StringBuilder();
        sb.append("Measurement lab (issue 15): one kernel's operations per configuration, ")
                .append(sizes.samples()).append(" timed operations per row (batches: fewer), ns per operation\n");
        sb.append(String.format(Locale.ROOT, "machine: %d cores, load average %s%n",
                Runtime.getRuntime().availableProcessors(), loadAverage()));
        sb.append(String.format(Locale.ROOT, "%n| %-46s | %-4s | %9s | %9s | %8s | %15s | %13s | %8s |%n", "operation",
                "virt", "p50 ns", "p99 ns", "exits/op", "translations/op", "hypercalls/op", "x bare"));
        sb.append("|").append("-".repeat(48))
                .append("|------|-----------|-----------|----------|-----------------|---------------|----------|\n");
        for (var e : results.entrySet()) {
            Result bare = e.getValue().get(Virtualization.BARE);
            for (var c : e.getValue().entrySet()) {
                Result r = c.getValue();
                sb.append(String.format(Locale.ROOT, "| %-46s | %-4s | %9d | %9d | %8.2f | %15.4f | %13.2f | %8s |%n",
                        e.getKey(), c.getKey().key(), r.p50(), r.p99(), r.exitsPerOp(), r.translationsPerOp(),
                        r.hypercallsPerOp(),
                        bare == null || bare.p50() == 0 ? "-" : BenchMain.ratio((double) r.p50() / bare.p50())));
            }
        }
        sb.append(String.format(Locale.ROOT, "%nThe trap path by stage (per-stage clock on; the median ns of each stage per"
                + " operation, and its share of their sum)%n%n| %-46s |", "operation"));
        for (String s : VmExits.STAGES) {
            sb.append(String.format(Locale.ROOT, " %-13s |", s));
        }
        sb.append('\n').append("|").append("-".repeat(48)).append("|");
        for (int i = 0; i < VmExits.STAGES.length; i++) {
            sb.append("---------------|");
        }
        sb.append('\n');
        for (var e : stages.entrySet()) {
            long[] ns = e.getValue();
            long total = 0;
            for (long v : ns) {
                total += v;
            }
            int n = stageOps.get(e.getKey());
            sb.append(String.format(Locale.ROOT, "| %-46s |", e.getKey()));
            for (long v : ns) {
                sb.append(String.format(Locale.ROOT, " %6.0f (%3.0f%%) |", (double) v / n,
                        total == 0 ? 0.0 : 100.0 * v / total));
            }
            sb.append('\n');
        }
        sb.append('\n');
        return sb.toString();
    }

    private static String loadAverage() {
        try {
            String[] f = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (java.io.IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /** For the tests: the row labels, in order. */
    static List<String> labels() {
        List<String> out = new ArrayList<>();
        for (Row r : ROWS) {
            out.add(r.label());
        }
        return out;
    }
}
