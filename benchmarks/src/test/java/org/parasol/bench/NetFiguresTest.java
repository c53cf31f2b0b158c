package org.parasol.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The network figures' parts: netbench's result lines parsed, the table's rows and ratios from
 * results and baselines written here, and a tiny run of each baseline. The boots themselves run
 * in {@code parasol bench --net}.
 */
class NetFiguresTest {
    @Test
    @DisplayName("stream and round-trip result lines parse into their fields; other lines do not")
    void shouldParseResultLines() {
        NetFigures.Result s = NetFigures.Result.parse("[source] netbench: result mode=stream size=1514 frames=1000"
                + " bytes=1514000 ns=1000000000 sent=1200 notifications=10");
        assertThat(s).isEqualTo(new NetFigures.Result("stream", 1514, 1000, 1_514_000, 1_000_000_000L, 1200, 0, 0, 0, 10));
        assertThat(s.packets()).isEqualTo(1000);
        NetFigures.Result r = NetFigures.Result.parse("netbench: result mode=rr size=64 rounds=2000 p50=100000"
                + " p99=300000 ns=250000000 notifications=2000");
        assertThat(r).isEqualTo(new NetFigures.Result("rr", 64, 0, 0, 250_000_000L, 0, 100_000, 300_000, 2000, 2000));
        assertThat(r.packets()).isEqualTo(2000);
        assertThat(NetFigures.Result.parse("netbench: timing stream size=64")).isNull();
    }

    @Test
    @DisplayName("each guest row beside the mean of its baselines, with the ratios and the per-frame counters")
    void shouldTabulate() {
        List<NetFigures.Run> runs = List.of(
                // 1514 B: 100 000 frames in 1 s = 1.2112 Gbit/s; floor 200 000/s (0.5x), UDP 400 000/s (0.25x)
                new NetFigures.Run(NetFigures.Result.parse("netbench: result mode=stream size=1514 frames=100000"
                        + " bytes=151400000 ns=1000000000 sent=100000 notifications=500"), 200_000, 1_000, 3_000),
                new NetFigures.Run(NetFigures.Result.parse("netbench: result mode=rr size=1514 rounds=1000 p50=100000"
                        + " p99=200000 ns=100000000 notifications=1000"), 10_000, 4_000, -1));
        List<NetFigures.Baseline> before = List.of(new NetFigures.Baseline("shared-memory ring (floor)", 1514, 150_000, 4_000, 9_000),
                new NetFigures.Baseline("host loopback UDP", 1514, 400_000, 20_000, 40_000));
        List<NetFigures.Baseline> after = List.of(new NetFigures.Baseline("shared-memory ring (floor)", 1514, 250_000, 6_000, 11_000),
                new NetFigures.Baseline("host loopback UDP", 1514, 400_000, 20_000, 40_000));

        String table = NetFigures.table(NetFigures.Sizes.QUICK, runs, before, after);

        assertThat(table).containsPattern("guest to guest, 1514-byte frames +100000 +1\\.211 +0\\.500x +0\\.250x +0\\.005"
                + " +2\\.00 +0\\.01 +0\\.03");
        assertThat(table).containsPattern("shared-memory ring \\(floor\\), 1514 B +200000 +2\\.422");
        // p50 100 us against the floor's 5 us (20x) and UDP's 20 us (5x); the sink's counter unknown is not shown
        assertThat(table).containsPattern("guest to guest, 1514-byte frames +100\\.0 +200\\.0 +20\\.0x +5\\.00x +1\\.000"
                + " +10\\.00 +4\\.00");
        assertThat(table).containsPattern("guest to guest, 64-byte frames +no result");
        assertThat(table).doesNotContain("2 queues");

        // With 2-queue runs: a row under the 1-queue one, against the same baselines (50 000/s: 0.25x floor).
        List<NetFigures.Run> two = List.of(new NetFigures.Run(NetFigures.Result.parse("netbench: result mode=stream"
                + " size=1514 frames=50000 bytes=75700000 ns=1000000000 sent=50000 notifications=1000"), 100_000, 1_000, 1_000));
        String both = NetFigures.table(NetFigures.Sizes.QUICK, runs, two, before, after);
        assertThat(both).containsPattern("guest to guest, 1514-byte frames +100000 +1\\.211 +0\\.500x[^\\n]*\\n"
                + " +2 queues, 1514-byte frames +50000 +0\\.606 +0\\.250x +0\\.125x +0\\.020 +2\\.00");
        assertThat(both).containsPattern("2 queues, 64-byte frames +no result");
        assertThat(both).doesNotContain("TX by grant map,");

        // With TX-by-map runs: a row under the copy row, before the 2-queue one (dom0: 3 hypercalls a frame).
        List<NetFigures.Run> map = List.of(new NetFigures.Run(NetFigures.Result.parse("netbench: result mode=stream"
                + " size=1514 frames=150000 bytes=227100000 ns=1000000000 sent=150000 notifications=1500"), 450_000, 1_000, 1_000),
                new NetFigures.Run(NetFigures.Result.parse("netbench: result mode=rr size=1514 rounds=1000 p50=80000"
                        + " p99=160000 ns=100000000 notifications=1000"), 12_000, 4_000, -1));
        String three = NetFigures.table(NetFigures.Sizes.QUICK, runs, two, map, before, after);
        assertThat(three).containsPattern("guest to guest, 1514-byte frames +100000 +1\\.211 +0\\.500x[^\\n]*\\n"
                + " +TX by grant map, 1514-byte frames +150000 +1\\.817 +0\\.750x +0\\.375x +0\\.010 +3\\.00[^\\n]*\\n"
                + " +2 queues, 1514-byte frames +50000");
        assertThat(three).containsPattern("guest to guest, 1514-byte frames +100\\.0 +200\\.0 [^\\n]*\\n"
                + " +TX by grant map, 1514-byte frames +80\\.0 +160\\.0 +16\\.0x +4\\.00x +1\\.000 +12\\.00 +4\\.00");
        assertThat(three).containsPattern("TX by grant map, 64-byte frames +no result");
    }

    @Test
    @DisplayName("the stream rows with dom0's vCPUs: frames/s and Gbit/s, then CPU time per frame received of dom0, the source"
            + " and the sink ('-' where unknown); 'no result' for a row without a run")
    void shouldTabulateTheSpreadRows() {
        // 100 000 frames of 1514 B in 1 s; dom0 200 ms of CPU (2 us a frame), the source's unknown, the sink 50 ms.
        List<NetFigures.Run> one = List.of(new NetFigures.Run(NetFigures.Result.parse("netbench: result mode=stream size=1514"
                + " frames=100000 bytes=151400000 ns=1000000000 sent=100000 notifications=500"), 1, 1, 1, 0,
                200_000_000L, -1, 50_000_000L));

        String table = NetFigures.spreadTable(one, List.of(), List.of());

        String nl = System.lineSeparator();
        assertThat(table).contains(String.format(java.util.Locale.ROOT, "%-40s %10.0f %9.3f %9s %9s %9s%n",
                "  1 queue, dom0 1 vCPU, 1514 B", 100_000.0, 1.2112, "2.00", "-", "0.50"));
        assertThat(table).contains(String.format(java.util.Locale.ROOT, "%-40s %10s%n", "  2 queues, dom0 1 vCPU, 1514 B",
                "no result"));
        assertThat(table).contains("  1 queue, dom0 1 vCPU, 64 B" + " ".repeat(40 - 28 + 1) + " no result" + nl);
    }

    @Test
    @DisplayName("a GSO stream's result line parses; its rows give frames, segments and wire Gbit/s of what the sink got,"
            + " ratios against the 1514-byte baselines and counters per frame and per segment")
    void shouldTabulateTheGsoStream() {
        NetFigures.GsoResult w = NetFigures.GsoResult.parse("[source] netbench: result mode=gso size=65226 mss=1448"
                + " frames=20000 segments=900000 bytes=1362600000 ns=1000000000 sent=20100 notifications=2000 gaps=3"
                + " lost=195480 bad=0 events=5");
        assertThat(w).isEqualTo(new NetFigures.GsoResult(65226, 1448, 20_000, 900_000, 1_362_600_000L, 1_000_000_000L,
                20_100, 2000, 3, 195_480, 0));
        assertThat(NetFigures.GsoResult.parse("netbench: result mode=stream size=1514 frames=1 bytes=1514 ns=1 sent=1"
                + " notifications=0")).isNull();
        NetFigures.GsoResult c = NetFigures.GsoResult.parse("netbench: result mode=gso size=65226 mss=1448 frames=450000"
                + " segments=450000 bytes=681300000 ns=1000000000 sent=10000 notifications=1000 gaps=0 lost=0 bad=2 events=5");
        List<NetFigures.Baseline> before = List.of(new NetFigures.Baseline("shared-memory ring (floor)", 1514, 1_800_000, 1, 1),
                new NetFigures.Baseline("host loopback UDP", 1514, 450_000, 1, 1));

        String table = NetFigures.gsoTable(new NetFigures.GsoRun(w, 40_000, 60_000, 20_000),
                new NetFigures.GsoRun(c, 900_000, -1, 450_000), before, before);

        assertThat(table).contains("TCP/IPv4 frames of 65226 bytes with a GSO extra at MSS 1448 (45 segments");
        // (a) 20 000 frames/s, 900 000 segments/s, 10.9 Gbit/s of wire bytes: 0.5x the floor, 2x UDP
        assertThat(table).containsPattern("\\(a\\) sink takes GSO: frames whole +20000 +900000 +10\\.901 +0\\.500x +2\\.00x"
                + " +3 +0 +0\\.100 +2\\.00 +3\\.00 +1\\.00\\n +per segment +0\\.002 +0\\.04 +0\\.07 +0\\.02");
        // (b) 450 000 segments/s of 1514 bytes: 5.45 Gbit/s; the source's counter unknown
        assertThat(table).containsPattern("\\(b\\) sink without GSO: 1514 B segments +450000 +450000 +5\\.450 +0\\.250x"
                + " +1\\.00x +0 +2 +0\\.002 +2\\.00 +- +1\\.00");
        assertThat(NetFigures.gsoTable(null, null, before, before)).containsPattern("\\(a\\) sink takes GSO: frames whole +no result");
    }

    @Test
    @DisplayName("a tiny run of each baseline gives frames and round trips")
    void shouldRunTheBaselines() throws Exception {
        NetFigures.Baseline floor = NetFigures.floor(64, 50, 200);
        NetFigures.Baseline udp = NetFigures.loopback(64, 50, 200);
        assertThat(floor.framesPerSecond()).isPositive();
        assertThat(floor.p50()).isPositive().isLessThanOrEqualTo(floor.p99());
        assertThat(udp.framesPerSecond()).isPositive();
        assertThat(udp.p50()).isPositive().isLessThanOrEqualTo(udp.p99());
    }
}
