package org.parasol.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The lab's report runs every row in every configuration and counts what each path does. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class LabFiguresTest {

    @Test
    @DisplayName("each row appears bare, trap, bt and pv; a trapped PTE batch of 16 is 16 exits, a translated one "
            + "none (its instructions were translated during warm-up), pv's batch of 2048 is 32 mmu_update hypercalls "
            + "of 64; bare takes no exit; a demand-zero fault under trap is 4 exits and 2 shadow #PF exits, under bt the same shadow faults and no exit; "
            + "a lazy batch's PTE stores update the shadow in place under trap and bt; "
            + "a fork-like copy of 64 pages is 256 trapped PTE writes and 2 CR3 reloads; "
            + "the trap path's stages are tabled; --out writes lab.md with a ratio chart and a CDF per row")
    void shouldCountExitsAndHypercallsPerConfiguration(@TempDir Path dir) throws Exception {
        LabFigures.Run run = LabFigures.run(new LabFigures.Sizes(40, 200, 5, null));
        String report = LabFigures.format(run, null);
        for (String label : LabFigures.labels()) {
            for (String virt : new String[] {"bare", "trap", "bt  ", "pv  "}) {
                assertThat(report).as(label + " " + virt).containsPattern(
                        "\\| " + java.util.regex.Pattern.quote(label) + " +\\| " + virt + " \\|");
            }
        }
        assertThat(report).containsPattern("PTE update x16 \\(lazy batch\\) +\\| trap \\| +\\d+ \\| +\\d+ \\| +16\\.00 \\| +0\\.0000 \\| +0\\.00 \\|")
                .containsPattern("PTE update x16 \\(lazy batch\\) +\\| bt +\\| +\\d+ \\| +\\d+ \\| +0\\.00 \\| +0\\.0000 \\| +0\\.00 \\|")
                .containsPattern("PTE update x2048 \\(lazy batch\\) +\\| pv +\\| +\\d+ \\| +\\d+ \\| +0\\.00 \\| +0\\.0000 \\| +32\\.00 \\|")
                .containsPattern("privileged no-op \\(cpuid / xen_version\\) +\\| bare \\| +\\d+ \\| +\\d+ \\| +0\\.00 \\| +0\\.0000 \\| +0\\.00 \\| +1\\.00x")
                .containsPattern("console line \\(48 bytes\\) +\\| trap \\| +\\d+ \\| +\\d+ \\| +6\\.00 \\|")
                // 4 x 64 PTE stores and two CR3 reloads (mov from, mov to): 260 exits.
                .containsPattern("fork-like COW copy of 64 pages, and exit +\\| trap \\| +\\d+ \\| +\\d+ \\| +260\\.00 \\|")
                // pv: 2 batches of 128 entries, 64 per mmu_update, and 2 TLB flushes (mmuext_op).
                .containsPattern("fork-like COW copy of 64 pages, and exit +\\| pv +\\| +\\d+ \\| +\\d+ \\| +0\\.00 \\| +0\\.0000 \\| +6\\.00 \\|")
                // The handler's map and the unmap, each a PTE store and an invlpg; and the shadow's two
                // #PF exits: the load's miss reflected to the guest, and the retry's hidden fill.
                .containsPattern("demand-zero page fault \\(#PF, map, zero, unmap\\) +\\| trap \\| +\\d+ \\| +\\d+ \\| +6\\.00 \\|")
                .contains("Shadow paging under trap and bt, per operation")
                // hidden and reflected #PF, fills, 2 PT writes, in place, dropped, no resync: trap and bt alike,
                .containsPattern("demand-zero page fault \\(#PF, map, zero, unmap\\) +\\| trap \\| +1\\.00 \\| +1\\.00 \\| +[0-9.]+ \\| +2\\.00 \\| +[0-9.]+ \\| +[0-9.]+ \\| +0\\.00 \\|")
                .containsPattern("demand-zero page fault \\(#PF, map, zero, unmap\\) +\\| bt +\\| +1\\.00 \\| +1\\.00 \\| +[0-9.]+ \\| +2\\.00 \\| +[0-9.]+ \\| +[0-9.]+ \\| +0\\.00 \\|")
                // but under bt the shadow's faults are no exits.
                .containsPattern("demand-zero page fault \\(#PF, map, zero, unmap\\) +\\| bt +\\| +\\d+ \\| +\\d+ \\| +0\\.00 \\|")
                // A lazy batch's stores update the shadow in place: no entry is dropped, none refilled.
                .containsPattern("PTE update x16 \\(lazy batch\\) +\\| trap \\| +0\\.00 \\| +0\\.00 \\| +0\\.00 \\| +16\\.00 \\| +16\\.00 \\| +0\\.00 \\| +0\\.00 \\|")
                .containsPattern("PTE update x16 \\(lazy batch\\) +\\| bt +\\| +0\\.00 \\| +0\\.00 \\| +0\\.00 \\| +16\\.00 \\| +16\\.00 \\| +0\\.00 \\| +0\\.00 \\|")
                .containsPattern("demand-zero page fault \\(#PF, map, zero, unmap\\) +\\| bare \\| +\\d+ \\| +\\d+ \\| +0\\.00 \\|")
                .contains("The trap path by stage").contains("| exit ")
                .contains("12,733 cycles").contains("Tables 3-5");
        assertThat(report).containsAnyOf("This host's hardware (NativeProbe, measured", "This host's hardware: absent");

        LabFigures.write(run, dir);
        String md = Files.readString(dir.resolve("lab.md"));
        assertThat(md).startsWith("# Measurement lab report").contains("![p50 as a multiple of bare's](lab-ratio.png)");
        List<String> pngs = new java.util.ArrayList<>(List.of("lab-ratio.png"));
        for (int i = 1; i <= LabFigures.labels().size(); i++) {
            pngs.add(String.format("lab-cdf-%02d.png", i));
        }
        for (String png : pngs) {
            assertThat(md).contains("(" + png + ")");
            BufferedImage img = ImageIO.read(dir.resolve(png).toFile());
            assertThat(img).as(png).isNotNull();
            assertThat(img.getWidth()).as(png).isGreaterThanOrEqualTo(800);
        }
    }
}
