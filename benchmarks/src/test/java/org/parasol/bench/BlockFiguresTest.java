package org.parasol.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The block figures' parts: blkbench's result line parsed, the table's rows and ratios from
 * results and direct phases written here, and a tiny direct run on a real file. The boots
 * themselves run in {@code parasol bench --block}; {@code BlkbenchRunTest} (parasol-cli) runs
 * the image.
 */
class BlockFiguresTest {

    private static String line(String mode, int bs, int qd, int queues, boolean persistent, long ios, long ns,
            long requests, long notifications) {
        long bytes = ios * bs;
        return String.format(java.util.Locale.ROOT, "blkbench: result mode=%s bs=%d qd=%d queues=%d slots=32"
                + " persistent=%d indirect=1 ios=%d bytes=%d ns=%d iops=%.0f mibps=%.1f requests=%d notifications=%d"
                + " req/io=%.3f notif/io=%.3f", mode, bs, qd, queues, persistent ? 1 : 0, ios, bytes, ns, ios * 1e9 / ns,
                bytes * 1e9 / ns / (1 << 20), requests, notifications, (double) requests / ios,
                (double) notifications / ios);
    }

    @Test
    @DisplayName("a result line parses into its fields; other lines do not")
    void shouldParseAResultLine() {
        BlockFigures.Result r = BlockFigures.Result.parse(line("randread", 4096, 32, 2, true, 100_000, 1_000_000_000L,
                100_000, 2_500));

        assertThat(r).isEqualTo(new BlockFigures.Result("randread", 4096, 32, 2, 32, true, true, 100_000,
                409_600_000, 1_000_000_000L, 100_000, 2_500));
        assertThat(r.iops()).isEqualTo(100_000.0);
        assertThat(BlockFigures.Result.parse("blkbench: timing mode=randread bs=4096 qd=32")).isNull();
    }

    @Test
    @DisplayName("each guest test beside the mean of its pattern's direct phases, the ratio, and the per-I/O counters")
    void shouldTabulateTheBoots() {
        BlockFigures.Config one = BlockFigures.BOOTS.get(0);
        // 64 KiB reads: 16 000 in 1 s = 1000 MiB/s, against direct 1000 and 1500 MiB/s (mean 1250): 0.8x.
        List<BlockFigures.Run> runs = List.of(
                new BlockFigures.Run(BlockFigures.Result.parse(line("read", 65536, 8, 1, true, 16_000, 1_000_000_000L,
                        16_000, 800)), 32_000, 16_000, 80_000_000, 40_000_000),
                new BlockFigures.Run(BlockFigures.Result.parse(line("randread", 4096, 32, 1, true, 50_000,
                        1_000_000_000L, 50_000, 5_000)), -1, -1, -1, -1));
        List<BlockFigures.Direct> before = List.of(new BlockFigures.Direct("read", 65536, 16_000, 1_000_000_000L,
                        160_000_000L), new BlockFigures.Direct("randread", 4096, 100_000, 1_000_000_000L, 900_000_000L));
        List<BlockFigures.Direct> after = List.of(new BlockFigures.Direct("read", 65536, 24_000, 1_000_000_000L,
                        240_000_000L), new BlockFigures.Direct("randread", 4096, 100_000, 1_000_000_000L, 900_000_000L));

        String table = BlockFigures.table(BlockFigures.Sizes.QUICK, "/tmp (ext4), warm",
                List.of(new BlockFigures.Boot(one, runs, before, after)));

        assertThat(table).contains("64 MiB raw image in /tmp (ext4), warm").contains(" boot: " + one.name());
        // Counters: 2 and 1 hypercalls an I/O; 5 and 2.5 us of CPU an I/O, against 10 us direct: 1.33x.
        assertThat(table).containsPattern("seq read 64 KiB, QD8 \\[1q 32 pers ind\\] +1000 +16000 +1250 "
                + "\\(1000-1500\\) +0\\.800x +1\\.00 +0\\.050 +2\\.00 +1\\.00 +5\\.00 +2\\.50 +10\\.00 +1\\.33x");
        // 50 000 x 4 KiB against 100 000: half, and no counters read.
        assertThat(table).containsPattern("rand read 4 KiB, QD32 \\[1q 32 pers ind\\] +195 +50000 +391 "
                + "\\(391-391\\) +0\\.500x +1\\.00 +0\\.100 +- +- +- +- +9\\.00 +-");
        // Tests of the boot that printed nothing say so.
        assertThat(table).containsPattern("seq write 64 KiB, QD8 +no result");
    }

    @Test
    @DisplayName("a tiny direct run: the file written and read once, then timed reads and writes of it")
    void shouldRunDirectPhasesOnAFile(@TempDir Path dir) throws Exception {
        Path img = dir.resolve("tiny.img");
        Files.createFile(img);
        BlockFigures.prepare(img, 1 << 20);
        assertThat(Files.size(img)).isEqualTo(1 << 20);

        for (String mode : List.of("read", "write", "randread")) {
            BlockFigures.Direct d = BlockFigures.direct(img, mode, mode.startsWith("rand") ? 4096 : 65536, 20);
            assertThat(d.ios()).as(mode).isPositive();
            assertThat(d.ns()).as(mode).isGreaterThanOrEqualTo(20_000_000L);
        }
        assertThat(Files.size(img)).isEqualTo(1 << 20);
    }

    @Test
    @DisplayName("parasol.bench.block.tests keeps only the named tests of each boot, drops boots left empty, refuses a spec naming none")
    void shouldRunOnlyTheNamedTests() {
        List<BlockFigures.Config> all = BlockFigures.BOOTS;
        assertThat(BlockFigures.onlyTests(all, "")).isSameAs(all);
        List<BlockFigures.Config> seq = BlockFigures.onlyTests(BlockFigures.chosen("1,6"), " read/65536/8 ");
        assertThat(seq).hasSize(2).allSatisfy(c -> assertThat(c.tests()).extracting(BlockFigures.Test::spec)
                .containsExactly("read/65536/8"));
        assertThat(seq.get(0).name()).isEqualTo(all.get(0).name());
        assertThat(seq.get(0).cmdline(BlockFigures.Sizes.QUICK)).startsWith("runs=read/65536/8 queues=1 ");
        // Boot 5 (persistent, no indirect) runs no random test: it is dropped, not run empty.
        assertThat(BlockFigures.onlyTests(BlockFigures.chosen("4,5"), "randread/4096/32"))
                .extracting(BlockFigures.Config::name).containsExactly(all.get(3).name());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> BlockFigures.onlyTests(all, "randwrite/512/2"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("dom0's module escaping: a device spec with a path becomes one word")
    void shouldEscapeForDom0sModule() {
        assertThat(BlockFigures.escape("vbd:vdev=xvda,target=/tmp/a b.img"))
                .isEqualTo("vbd%3Avdev%3Dxvda%2Ctarget%3D%2Ftmp%2Fa%20b.img");
    }
}
