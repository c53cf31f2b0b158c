package org.parasol.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.parasol.hypervisor.domain.Virtualization;
import org.parasol.hypervisor.image.ImageLoader;
import org.parasol.hypervisor.image.ImageRepository;

/**
 * The measurement lab's device rows (issue 15): the block and network benchmarks' own guests,
 * {@code blkbench} and {@code netbench}, booted by dom0 in each configuration with the module
 * line's {@code virt=} key — the same images, the same command lines, the same image file.
 *
 * <p>In the native configurations the kernels reach their disk and NIC as emulated devices: the
 * {@code disk=} entry is the ATA disk on the legacy ports and the {@code vif=} entry the NE2000
 * at {@code 0x300}, each register access and each {@code rep insw}/{@code outsw} a VM exit under
 * {@code trap}; under {@code pv} they are blkfront and netfront, with rings, grants and event
 * channels.
 *
 * <p>Block: sequential 64 KiB reads and writes at queue depth 8, random 4 KiB reads at QD1 and
 * QD32 ({@link BlockFigures}' tests), one connection with grant I/O, registered buffers and
 * indirect descriptors. Network: a stream of 1514-byte frames and round trips of 64-byte
 * frames between two guests on dom0's bridge ({@link NetFigures}' tests). A configuration in
 * which a guest does not boot or finish is reported with the reason, not left out.
 */
final class LabDevices {
    /** How long: the block and network benchmarks' own sizes. */
    record Sizes(BlockFigures.Sizes block, NetFigures.Sizes net, boolean warmBoots) {
        static final Sizes QUICK = new Sizes(BlockFigures.Sizes.QUICK, NetFigures.Sizes.QUICK, true);
        static final Sizes FULL = new Sizes(new BlockFigures.Sizes(256, 1_000, 2_000, 0), NetFigures.Sizes.FULL, true);
    }

    /** The block tests, in the order the guest runs them. */
    static final List<BlockFigures.Test> BLOCK_TESTS = List.of(new BlockFigures.Test("read", 65536, 8),
            new BlockFigures.Test("write", 65536, 8), new BlockFigures.Test("randread", 4096, 1),
            new BlockFigures.Test("randread", 4096, 32));

    private static final BlockFigures.Config BLOCK = new BlockFigures.Config("lab", 1, false, true, true, "",
            BLOCK_TESTS);

    /** One configuration's block runs, or why there are none. */
    record BlockRow(Virtualization virt, List<BlockFigures.Run> runs, String failure) {
    }

    /** One configuration's network runs, or why there are none. */
    record NetRow(Virtualization virt, List<NetFigures.Run> runs, String failure) {
    }

    /** What the device rows measured. */
    record Result(List<BlockRow> block, List<NetRow> net) {
    }

    private LabDevices() {
    }

    static Result run(Sizes sizes, List<Virtualization> configs) throws Exception {
        ImageLoader loader = new ImageLoader(ImageRepository.standardAfter(List.of()));
        List<BlockRow> block = new java.util.ArrayList<>();
        Path img = Files.createTempFile("parasol-lab-blk-", ".img");
        try {
            BlockFigures.prepare(img, (long) sizes.block().imageMib() << 20);
            BlockFigures.Sizes warm = new BlockFigures.Sizes(sizes.block().imageMib(), sizes.block().warmupMs(),
                    sizes.block().warmupMs(), 0);
            // Untimed: one boot per configuration compiles the paths they do not share.
            for (Virtualization v : sizes.warmBoots() ? configs : List.<Virtualization>of()) {
                try {
                    BlockFigures.boot(img, BLOCK.cmdline(warm), "", BLOCK_TESTS.size(), loader, v);
                } catch (IllegalStateException e) {
                    // reported by the timed boot below
                }
            }
            for (Virtualization v : configs) {
                try {
                    block.add(new BlockRow(v, BlockFigures.boot(img, BLOCK.cmdline(sizes.block()), "",
                            BLOCK_TESTS.size(), loader, v), null));
                } catch (IllegalStateException e) {
                    block.add(new BlockRow(v, List.of(), firstLine(e.getMessage())));
                }
            }
        } finally {
            Files.deleteIfExists(img);
        }
        List<NetRow> net = new java.util.ArrayList<>();
        NetFigures.Sizes warm = new NetFigures.Sizes(sizes.net().warmupMs(), sizes.net().warmupMs(),
                sizes.net().rounds() / 5, 0);
        for (Virtualization v : sizes.warmBoots() ? configs : List.<Virtualization>of()) {
            try {
                NetFigures.boot(warm, loader, v);
            } catch (IllegalStateException e) {
                // reported by the timed boot below
            }
        }
        for (Virtualization v : configs) {
            try {
                net.add(new NetRow(v, NetFigures.boot(sizes.net(), loader, v), null));
            } catch (IllegalStateException e) {
                net.add(new NetRow(v, List.of(), firstLine(e.getMessage())));
            }
        }
        return new Result(block, net);
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "failed";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** The throughput of each block test per configuration, for the ratio chart: test label to virt to MiB/s. */
    static Map<String, Map<Virtualization, Double>> blockMibps(Result r) {
        Map<String, Map<Virtualization, Double>> out = new LinkedHashMap<>();
        for (BlockFigures.Test t : BLOCK_TESTS) {
            Map<Virtualization, Double> row = new LinkedHashMap<>();
            for (BlockRow b : r.block()) {
                BlockFigures.Run run = find(b.runs(), t);
                if (run != null) {
                    row.put(b.virt(), run.result().mibps());
                }
            }
            out.put(label(t), row);
        }
        return out;
    }

    static String label(BlockFigures.Test t) {
        return (t.mode().equals("randread") ? "random 4 KiB read" : "sequential 64 KiB " + t.mode()) + ", QD" + t.qd();
    }

    private static BlockFigures.Run find(List<BlockFigures.Run> runs, BlockFigures.Test t) {
        return runs.stream().filter(x -> x.result().mode().equals(t.mode()) && x.result().bs() == t.bs()
                && x.result().qd() == t.qd()).findFirst().orElse(null);
    }

    private static NetFigures.Run find(List<NetFigures.Run> runs, String mode, int size) {
        return runs.stream().filter(x -> x.result().mode().equals(mode) && x.result().size() == size).findFirst()
                .orElse(null);
    }

    /** The network rows as value per configuration: stream frames/s at 1514 B and round trips/s at 64 B. */
    static Map<String, Map<Virtualization, Double>> netRates(Result r) {
        Map<String, Map<Virtualization, Double>> out = new LinkedHashMap<>();
        Map<Virtualization, Double> stream = new LinkedHashMap<>();
        Map<Virtualization, Double> rr = new LinkedHashMap<>();
        for (NetRow n : r.net()) {
            NetFigures.Run s = find(n.runs(), "stream", 1514);
            if (s != null) {
                stream.put(n.virt(), s.result().frames() * 1e9 / s.result().ns());
            }
            NetFigures.Run q = find(n.runs(), "rr", 64);
            if (q != null && q.result().p50() > 0) {
                rr.put(n.virt(), 1e9 / q.result().p50());
            }
        }
        out.put("net stream, 1514-byte frames", stream);
        out.put("net round trip, 64-byte frames (1/p50)", rr);
        return out;
    }

    static String table(Result r) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%nDevices per configuration: blkbench and netbench booted by dom0 with virt="
                + " (pv: blkfront and netfront; trap, bare, bt: the ATA disk and the NE2000; see docs/lab.md)%n%n"));
        sb.append(String.format(Locale.ROOT, "| %-34s | %-4s | %10s | %9s | %8s | %12s | %12s |%n", "block test", "virt",
                "MiB/s", "IOPS", "x bare", "exits/io", "hypercalls/io"));
        sb.append("|------------------------------------|------|------------|-----------|----------|--------------|"
                + "--------------|\n");
        for (BlockFigures.Test t : BLOCK_TESTS) {
            Double bare = null;
            for (BlockRow b : r.block()) {
                BlockFigures.Run run = find(b.runs(), t);
                if (b.virt() == Virtualization.BARE && run != null) {
                    bare = run.result().mibps();
                }
            }
            for (BlockRow b : r.block()) {
                BlockFigures.Run run = find(b.runs(), t);
                if (run == null) {
                    sb.append(String.format(Locale.ROOT, "| %-34s | %-4s | %s |%n", label(t), b.virt().key(),
                            b.failure() == null ? "no result" : "did not finish: " + b.failure().replace('|', '/')));
                    continue;
                }
                BlockFigures.Result x = run.result();
                double ios = Math.max(1, x.ios());
                sb.append(String.format(Locale.ROOT, "| %-34s | %-4s | %10.1f | %9.0f | %8s | %12s | %12s |%n", label(t),
                        b.virt().key(), x.mibps(), x.iops(), bare == null ? "-" : BenchMain.ratio(x.mibps() / bare),
                        per(run.guestExits(), ios), per(run.guestHypercalls(), ios)));
            }
        }
        sb.append(String.format(Locale.ROOT, "%n| %-34s | %-4s | %10s | %9s | %8s | %12s | %12s |%n", "network test", "virt",
                "frames/s", "p50/p99 us", "x bare", "exits/frame", "hypercalls/f"));
        sb.append("|------------------------------------|------|------------|-----------|----------|--------------|"
                + "--------------|\n");
        for (String mode : new String[] {"stream", "rr"}) {
            int size = mode.equals("stream") ? 1514 : 64;
            String label = mode.equals("stream") ? "stream of 1514-byte frames" : "round trip, 64-byte frames";
            Double bare = null;
            for (NetRow n : r.net()) {
                NetFigures.Run run = find(n.runs(), mode, size);
                if (n.virt() == Virtualization.BARE && run != null) {
                    bare = mode.equals("stream") ? run.result().frames() * 1e9 / run.result().ns()
                            : (double) run.result().p50();
                }
            }
            for (NetRow n : r.net()) {
                NetFigures.Run run = find(n.runs(), mode, size);
                if (run == null) {
                    sb.append(String.format(Locale.ROOT, "| %-34s | %-4s | %s |%n", label, n.virt().key(),
                            n.failure() == null ? "no result" : "did not finish: " + n.failure().replace('|', '/')));
                    continue;
                }
                NetFigures.Result x = run.result();
                double per = Math.max(1, x.packets());
                if (mode.equals("stream")) {
                    double fps = x.frames() * 1e9 / x.ns();
                    sb.append(String.format(Locale.ROOT, "| %-34s | %-4s | %10.0f | %9s | %8s | %12s | %12s |%n", label,
                            n.virt().key(), fps, "-", bare == null ? "-" : BenchMain.ratio(fps / bare),
                            per(run.sourceExits(), per), per(run.sourceHypercalls(), per)));
                } else {
                    // A round trip's cost is its time: the ratio is p50 over bare's p50.
                    sb.append(String.format(Locale.ROOT, "| %-34s | %-4s | %10s | %9s | %8s | %12s | %12s |%n", label,
                            n.virt().key(), "-", String.format(Locale.ROOT, "%.1f/%.1f", x.p50() / 1e3, x.p99() / 1e3),
                            bare == null ? "-" : BenchMain.ratio(x.p50() / bare), per(run.sourceExits(), per),
                            per(run.sourceHypercalls(), per)));
                }
            }
        }
        sb.append("x bare: throughput over bare's (block, stream), p50 over bare's p50 (round trip); exits and hypercalls"
                + " are the source's or the block guest's, per I/O or frame, in the timed phase\n");
        return sb.toString();
    }

    private static String per(long count, double n) {
        return count < 0 ? "-" : String.format(Locale.ROOT, "%.2f", count / n);
    }
}
