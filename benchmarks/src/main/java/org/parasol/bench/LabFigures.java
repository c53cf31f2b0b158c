package org.parasol.bench;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.Mfn;
import org.parasol.hypercall.StartOfDay;
import org.parasol.hypercall.abi.Mmu;
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
import org.parasol.hypervisor.mm.ShadowPageTables;
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
 * per operation, so their sum is near but not the row's p50; the shares are what to read. A
 * third gives the shadow page tables' work per operation under {@code trap} and {@code bt}:
 * hidden and reflected faults, fills, page-table writes and how many of their shadow entries
 * were updated in place or dropped.
 *
 * <p>Every cost is work the path does: no delay is injected anywhere. The clock is manual, so
 * no timer fires during a measurement; the console lines go to the domain's console log.
 */
final class LabFigures {
    /** How many operations are timed. */
    record Sizes(int warmup, int samples, long probeMs, LabDevices.Sizes devices) {
        static final Sizes QUICK = new Sizes(2_000, 5_000, 20, LabDevices.Sizes.QUICK);
        static final Sizes FULL = new Sizes(20_000, 50_000, 200, LabDevices.Sizes.FULL);

        /** The CPU and MMU rows alone: no probe of the host, no device rows. */
        Sizes(int warmup, int samples) {
            this(warmup, samples, 0, null);
        }
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
            new Row("demand-zero page fault (#PF, map, zero, unmap)", 1, (l, i) -> l.demandZero()),
            new Row("fork-like COW copy of " + Lab.FORK_PAGES + " pages, and exit", 4 * Lab.FORK_PAGES,
                    (l, i) -> l.forkAndExit()),
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
        /** Pages of the fork-like row: the parent's are the first of the PTE rows' slots. */
        static final int FORK_PAGES = 64;
        /** The child's L1 slots for those pages, and what they held. */
        final long[] childMaddr = new long[FORK_PAGES];
        final long[] childValue = new long[FORK_PAGES];
        /** Under the builder's L1 for 2..4 MiB and mapped by nobody (shared_info is at 2 MiB). */
        static final long FAULT_VA = StartOfDay.SHARED_INFO_VA + 0x2000;
        /** The frame the demand-zero row's handler maps, writable. */
        final long zeroPte;
        final GuestMemory mem;
        long faults;

        Lab(Virtualization virt) throws Exception {
            hv = Hypervisor.boot(HostConfig.defaults(24L << 20).withClock(new ManualClock()).withPcpus(1));
            domain = hv.createBareDomain(DomainConfig.of("lab-" + virt.key(), null, 16).withVirt(virt));
            vcpu = domain.vcpu(0);
            vcpu.attach();
            cpu = vcpu.cpu();
            mem = cpu.memory();
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
            // The rows' PTEs: the L1 slots of 256 mapped pages well past the kernel's own. They
            // are pages in use, as a process's are when its tables change: each is read once
            // first, so its PTE is Accessed and (trap, bt) its L1 is shadowed.
            for (int i = 0; i < SLOTS + FORK_PAGES; i++) {
                mem.getLong(freeVa + (64L + i) * 4096);
            }
            for (int i = 0; i < SLOTS; i++) {
                pteVa[i] = freeVa + (64L + i) * 4096;
                pteMaddr[i] = hv.pageTables().l1EntryAddress(domain.domid(), vcpu.baseMfn(), pteVa[i]);
                if (pteMaddr[i] < 0) {
                    throw new IllegalStateException("no L1 slot maps 0x" + Long.toHexString(pteVa[i]));
                }
                pteValue[i] = hv.machine().segment().get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, pteMaddr[i]);
            }
            // The fork-like row's child: the L1 slots of the pages right after the PTE rows'.
            for (int i = 0; i < FORK_PAGES; i++) {
                long va = freeVa + (64L + SLOTS + i) * 4096;
                childMaddr[i] = hv.pageTables().l1EntryAddress(domain.domid(), vcpu.baseMfn(), va);
                if (childMaddr[i] < 0) {
                    throw new IllegalStateException("no L1 slot maps 0x" + Long.toHexString(va));
                }
                childValue[i] = hv.machine().segment().get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED,
                        childMaddr[i]);
            }
            // The demand-zero row: the #PF handler the kernel installs its own way — a gate in
            // its IDT natively (delivered through it by the CPU side), set_trap_table under PV —
            // and a frame past the mapped ones.
            var layout = domain.layout();
            long frame = mem.getLong(layout.p2mVa() + 8 * layout.mappedPages());
            zeroPte = org.parasol.hypervisor.mm.MachineMemory.maddr(frame) | Mmu.PAGE_PRESENT | Mmu.PAGE_RW
                    | Mmu.PAGE_USER;
            ops.installTrapHandler(14, this::pageFault);
        }

        /** The kernel's #PF handler for the demand-zero row: maps the zero frame and zeroes it. */
        private void pageFault(Cpu c, int vector, long errorCode, long address) {
            long page = address & ~0xFFFL;
            if (page != FAULT_VA || (errorCode & 1) != 0) {
                throw new IllegalStateException("unexpected #PF at 0x" + Long.toHexString(address) + " code " + errorCode);
            }
            faults++;
            ops.setPteForVa(page, zeroPte);
            mem.fill(page, 4096, (byte) 0);
        }

        /** A load from the unmapped page: #PF, the handler maps and zeroes it, the load retries; then the unmap. */
        void demandZero() {
            long before = faults;
            var cpuSide = vcpu.vmExits();
            long throughIdt = cpuSide == null ? 0 : cpuSide.idtDeliveries();
            long v = mem.getLong(FAULT_VA + 8);
            ops.setPteForVa(FAULT_VA, 0);
            if (v != 0 || faults != before + 1) {
                throw new IllegalStateException("the demand-zero fault did not go through the handler");
            }
            if (cpuSide != null && cpuSide.idtDeliveries() != throughIdt + 1) {
                throw new IllegalStateException("the demand-zero fault did not go through the kernel's IDT");
            }
        }

        /**
         * A fork's page-table work, copy-on-write: in one lazy batch, each parent page's PTE loses
         * RW and the child's slot maps the same frame read-only; a TLB flush; then the child's
         * exit puts both back, a second batch and flush. {@code 4 * FORK_PAGES} PTE writes.
         */
        void forkAndExit() {
            ops.enterLazyMmu();
            for (int k = 0; k < FORK_PAGES; k++) {
                long ro = pteValue[k] & ~Mmu.PAGE_RW;
                ops.setPte(pteMaddr[k], ro);
                ops.setPte(childMaddr[k], ro);
            }
            ops.leaveLazyMmu();
            ops.flushTlb();
            ops.enterLazyMmu();
            for (int k = 0; k < FORK_PAGES; k++) {
                ops.setPte(childMaddr[k], childValue[k]);
                ops.setPte(pteMaddr[k], pteValue[k]);
            }
            ops.leaveLazyMmu();
            ops.flushTlb();
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

    /** One measured row of one configuration, with its latency histogram (ns per operation). */
    record Result(long p50, long p99, double exitsPerOp, double translationsPerOp, double hypercallsPerOp,
            Histogram histogram) {
    }

    /** What one run measured: each row per configuration, the trap path's stages, the host, the devices. */
    record Run(Sizes sizes, Map<String, Map<Virtualization, Result>> results, Map<String, long[]> stages,
            NativeProbe.HostCosts host, LabDevices.Result devices, Map<String, double[]> shadow) {
        Run(Sizes sizes, Map<String, Map<Virtualization, Result>> results, Map<String, long[]> stages,
                NativeProbe.HostCosts host, LabDevices.Result devices) {
            this(sizes, results, stages, host, devices, Map.of());
        }
    }

    /**
     * The shadow counters the trap and bt rows report per operation, in {@link Run#shadow}'s
     * order (keyed by {@link #shadowKey}).
     */
    static final String[] SHADOW_COUNTERS = {"hidden #PF", "reflected #PF", "fills", "PT writes", "in place",
        "dropped", "resyncs"};

    /** The shadow table's key of a row in one configuration. */
    static String shadowKey(String label, Virtualization virt) {
        return label + "\t" + virt.key();
    }

    private static long[] shadowCounters(Lab lab) {
        VmExits x = lab.vcpu.vmExits();
        ShadowPageTables s = x == null ? null : x.shadow();
        if (s == null) {
            return new long[SHADOW_COUNTERS.length];
        }
        return new long[] {s.hiddenFaults(), s.reflectedFaults(), s.fills(), s.writeUpdates(), s.inPlaceUpdates(),
            s.drops(), s.resyncs()};
    }

    /** Runs the lab and returns its report's text. */
    static String report(Sizes sizes) throws Exception {
        return format(run(sizes), null);
    }

    /**
     * Runs the lab and returns its report's text; with {@code out}, also writes it there as
     * {@code lab.md} with its PNG charts beside it (see {@link #write}).
     */
    static String report(Sizes sizes, Path out) throws Exception {
        Run run = run(sizes);
        if (out != null) {
            write(run, out);
        }
        return format(run, out == null ? null : "lab.md and its charts are in " + out);
    }

    static Run run(Sizes sizes) throws Exception {
        Map<String, Map<Virtualization, Result>> results = new LinkedHashMap<>();
        Map<String, long[]> stages = new LinkedHashMap<>();
        Map<String, double[]> shadow = new LinkedHashMap<>();
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
                measure(labs, results, stages, shadow, sizes);
            }
        } finally {
            for (Lab lab : labs.values()) {
                lab.close();
            }
        }
        NativeProbe.HostCosts host = sizes.probeMs() > 0 ? NativeProbe.run(sizes.probeMs()) : null;
        LabDevices.Result devices = sizes.devices() == null ? null : LabDevices.run(sizes.devices(), CONFIGS);
        return new Run(sizes, results, stages, host, devices, shadow);
    }

    /** One pass over every row, each configuration in turn; what it finds replaces the last pass's. */
    private static void measure(Map<Virtualization, Lab> labs, Map<String, Map<Virtualization, Result>> results,
            Map<String, long[]> stages, Map<String, double[]> shadow, Sizes sizes) {
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
                long[] shadow0 = shadowCounters(lab);
                for (int i = 0; i < samples; i++) {
                    long t0 = System.nanoTime();
                    row.op().run(lab, i);
                    h.recordValue(Math.max(0, System.nanoTime() - t0));
                }
                double ops = samples;
                if (virt.shadowPaging()) {
                    long[] shadow1 = shadowCounters(lab);
                    double[] perOp = new double[shadow1.length];
                    for (int k = 0; k < perOp.length; k++) {
                        perOp[k] = (shadow1[k] - shadow0[k]) / ops;
                    }
                    shadow.put(shadowKey(row.label(), virt), perOp);
                }
                results.computeIfAbsent(row.label(), k -> new LinkedHashMap<>()).put(virt,
                        new Result(h.getValueAtPercentile(50), h.getValueAtPercentile(99),
                                (lab.exits() - exits0) / ops, (lab.translations() - translations0) / ops,
                                (lab.vcpu.hypercalls() - calls0) / ops, h));
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
                }
            }
        }
    }

    private static int even(int n) {
        return n + (n & 1);
    }

    /**
     * The modelled cost of a row on this host's hardware: the JVM's p50 plus, per operation,
     * each VM exit as a trapped instruction and each hypercall as a system call (the probe's
     * figures). Binary translation and bare add nothing: they make no transition.
     */
    static double modelledNs(Result r, NativeProbe.HostCosts host) {
        return r.p50() + r.exitsPerOp() * host.sigillNs() + r.hypercallsPerOp() * host.syscallNs();
    }

    static String format(Run run, String written) {
        Map<String, Map<Virtualization, Result>> results = run.results();
        NativeProbe.HostCosts host = run.host() != null && run.host().present() ? run.host() : null;
        StringBuilder sb = new StringBuilder();
        sb.append("Measurement lab (issue 15): one kernel's operations per configuration, ")
                .append(run.sizes().samples()).append(" timed operations per row (batches: fewer), ns per operation\n");
        sb.append(String.format(Locale.ROOT, "machine: %d cores, load average %s, %s %s, JDK %s%n",
                Runtime.getRuntime().availableProcessors(), loadAverage(), System.getProperty("os.name"),
                System.getProperty("os.arch"), Runtime.version()));
        sb.append(String.format(Locale.ROOT, "%n| %-46s | %-4s | %9s | %9s | %8s | %15s | %13s | %8s |%s%n", "operation",
                "virt", "p50 ns", "p99 ns", "exits/op", "translations/op", "hypercalls/op", "x bare",
                host == null ? "" : " modelled ns | model x bare |"));
        sb.append("|").append("-".repeat(48))
                .append("|------|-----------|-----------|----------|-----------------|---------------|----------|")
                .append(host == null ? "" : "-------------|--------------|").append('\n');
        for (var e : results.entrySet()) {
            Result bare = e.getValue().get(Virtualization.BARE);
            for (var c : e.getValue().entrySet()) {
                Result r = c.getValue();
                sb.append(String.format(Locale.ROOT, "| %-46s | %-4s | %9d | %9d | %8.2f | %15.4f | %13.2f | %8s |",
                        e.getKey(), c.getKey().key(), r.p50(), r.p99(), r.exitsPerOp(), r.translationsPerOp(),
                        r.hypercallsPerOp(),
                        bare == null || bare.p50() == 0 ? "-" : BenchMain.ratio((double) r.p50() / bare.p50())));
                if (host != null) {
                    double m = modelledNs(r, host);
                    sb.append(String.format(Locale.ROOT, " %11.0f | %12s |", m,
                            bare == null || bare.p50() == 0 ? "-" : BenchMain.ratio(m / modelledNs(bare, host))));
                }
                sb.append('\n');
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
        for (var e : run.stages().entrySet()) {
            long[] ns = e.getValue();
            long total = 0;
            for (long v : ns) {
                total += v;
            }
            sb.append(String.format(Locale.ROOT, "| %-46s |", e.getKey()));
            for (long v : ns) {
                sb.append(String.format(Locale.ROOT, " %6d (%3.0f%%) |", v, total == 0 ? 0.0 : 100.0 * v / total));
            }
            sb.append('\n');
        }
        if (!run.shadow().isEmpty()) {
            sb.append(String.format(Locale.ROOT, "%nShadow paging under trap and bt, per operation (under trap hidden and"
                    + " reflected #PF are VM exits, in exits/op above; under bt they are the monitor's own faults, no"
                    + " exit; fills include the hypervisor's own copies'; PT writes are the kernel's page-table stores,"
                    + " whose shadow entries are updated in place or dropped)%n%n| %-46s | virt |", "operation"));
            for (String c : SHADOW_COUNTERS) {
                sb.append(String.format(Locale.ROOT, " %13s |", c));
            }
            sb.append('\n').append("|").append("-".repeat(48)).append("|------|");
            for (int i = 0; i < SHADOW_COUNTERS.length; i++) {
                sb.append("---------------|");
            }
            sb.append('\n');
            for (var e : run.shadow().entrySet()) {
                String[] key = e.getKey().split("\t", 2);
                sb.append(String.format(Locale.ROOT, "| %-46s | %-4s |", key[0], key.length > 1 ? key[1] : ""));
                for (double v : e.getValue()) {
                    sb.append(String.format(Locale.ROOT, " %13.2f |", v));
                }
                sb.append('\n');
            }
        }
        sb.append(hostSection(run.host()));
        sb.append(PUBLISHED);
        if (run.devices() != null) {
            sb.append(LabDevices.table(run.devices()));
        }
        if (written != null) {
            sb.append('\n').append(written).append('\n');
        }
        sb.append('\n');
        return sb.toString();
    }

    /** The host's own transition costs, beside the JVM's figures, and what the modelled columns add. */
    private static String hostSection(NativeProbe.HostCosts host) {
        if (host == null) {
            return "";
        }
        if (!host.present()) {
            return String.format(Locale.ROOT, "%nThis host's hardware: absent (%s); no modelled columns%n", host.absent());
        }
        return String.format(Locale.ROOT, "%nThis host's hardware (NativeProbe, measured, built with %s): system call"
                + " (getppid) %.1f ns, trapped instruction (ud2 -> SIGILL -> resume) %.1f ns, CPUID %.1f ns;"
                + " a trap costs %s a system call here.%n"
                + "modelled ns = p50 + exits/op x trapped instruction + hypercalls/op x system call: what the row would"
                + " cost if each VM exit were this host's trap and each hypercall its system call (a model, not a"
                + " measurement; bt and bare add nothing).%n",
                host.compiler(), host.syscallNs(), host.sigillNs(), host.cpuidNs(),
                BenchMain.ratio(host.sigillNs() / host.syscallNs()));
    }

    /** The published shapes to compare with, as the issue gives them. */
    static final String PUBLISHED = String.format(Locale.ROOT, "%nPublished shapes to compare with (not measured here):"
            + "%n- Xen, SOSP 2003 (Barham et al.), Tables 3-5 and Figure 3: paravirtual Xen within a few percent of"
            + " native Linux on whole workloads; trap-based systems (VMware Workstation, UML) 8-24x native on"
            + " MMU-heavy micro-operations (fork, exec, page faults, context switches)."
            + "%n- Adams and Agesen, ASPLOS 2006: one guest PTE write costs 12,733 cycles under first-generation VT-x"
            + " (an exit per write) against 391 under VMware's binary translator: 32.6x.%n"
            + "Measured here: every p50/p99, count and ratio in the tables, each a cost the path does in the JVM (no"
            + " injected delay). Modelled: the modelled columns only. The JVM has no ring transition, so its"
            + " trap/bare ratios sit far below hardware's; the modelled columns add the host's own transitions.%n");

    /**
     * Writes the report as Markdown ({@code lab.md}) with its charts beside it: the p50 ratio to
     * bare per operation and configuration ({@code lab-ratio.png}), the modelled ratio when the
     * host was probed ({@code lab-ratio-modelled.png}), the device rows' ratio to bare when they
     * ran ({@code lab-devices.png}), and a latency CDF per operation ({@code lab-cdf-NN.png}).
     */
    static void write(Run run, Path dir) throws IOException {
        Files.createDirectories(dir);
        List<String> images = new ArrayList<>();
        Map<String, Map<String, Double>> ratios = new LinkedHashMap<>();
        Map<String, Map<String, Double>> modelled = new LinkedHashMap<>();
        NativeProbe.HostCosts host = run.host() != null && run.host().present() ? run.host() : null;
        for (var e : run.results().entrySet()) {
            Result bare = e.getValue().get(Virtualization.BARE);
            Map<String, Double> row = new LinkedHashMap<>();
            Map<String, Double> mrow = new LinkedHashMap<>();
            for (var c : e.getValue().entrySet()) {
                if (bare != null && bare.p50() > 0) {
                    row.put(c.getKey().key(), (double) c.getValue().p50() / bare.p50());
                    if (host != null) {
                        mrow.put(c.getKey().key(), modelledNs(c.getValue(), host) / modelledNs(bare, host));
                    }
                }
            }
            ratios.put(e.getKey(), row);
            modelled.put(e.getKey(), mrow);
        }
        int height = 140 + 26 * 4 * ratios.size();
        Charts.ratioBars("p50 per operation as a multiple of bare's (measured, JVM)", "x bare (log)", ratios,
                dir.resolve("lab-ratio.png"), 1000, height);
        images.add("![p50 as a multiple of bare's](lab-ratio.png)");
        if (host != null) {
            Charts.ratioBars("modelled: p50 + this host's trap per exit and system call per hypercall, x bare",
                    "modelled x bare (log)", modelled, dir.resolve("lab-ratio-modelled.png"), 1000, height);
            images.add("![modelled ratio to bare](lab-ratio-modelled.png)");
        }
        if (run.devices() != null) {
            Map<String, Map<String, Double>> dev = new LinkedHashMap<>();
            var rows = new LinkedHashMap<String, Map<Virtualization, Double>>();
            rows.putAll(LabDevices.blockMibps(run.devices()));
            rows.putAll(LabDevices.netRates(run.devices()));
            for (var e : rows.entrySet()) {
                Double bare = e.getValue().get(Virtualization.BARE);
                Map<String, Double> row = new LinkedHashMap<>();
                for (var c : e.getValue().entrySet()) {
                    if (bare != null && bare > 0) {
                        row.put(c.getKey().key(), c.getValue() / bare);
                    }
                }
                dev.put(e.getKey(), row);
            }
            Charts.ratioBars("devices: throughput as a multiple of bare's (higher is faster)", "x bare (log)", dev,
                    dir.resolve("lab-devices.png"), 1000, 140 + 26 * 4 * dev.size());
            images.add("![device throughput as a multiple of bare's](lab-devices.png)");
        }
        int n = 0;
        for (var e : run.results().entrySet()) {
            Map<String, Histogram> h = new LinkedHashMap<>();
            for (var c : e.getValue().entrySet()) {
                h.put(c.getKey().key(), c.getValue().histogram());
            }
            String name = String.format(Locale.ROOT, "lab-cdf-%02d.png", ++n);
            Charts.cdf("latency CDF: " + e.getKey(), h, dir.resolve(name), 800, 420);
            images.add("![latency CDF: " + e.getKey() + "](" + name + ")");
        }
        StringBuilder md = new StringBuilder();
        md.append("# Measurement lab report\n\nWritten by `parasol bench --lab --out`; docs/lab.md says what each row"
                + " does and how to read it.\n\n");
        md.append(format(run, null));
        md.append("\n## Charts\n\n");
        for (String img : images) {
            md.append(img).append("\n\n");
        }
        Files.writeString(dir.resolve("lab.md"), md.toString());
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
