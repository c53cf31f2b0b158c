package org.parasol.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The lab's report runs every row in every configuration and counts what each path does. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LabFiguresTest {

    @Test
    @DisplayName("each row appears bare, trap, bt and pv; a trapped PTE batch of 16 is 16 exits, a translated one "
            + "none (its instructions were translated during warm-up), pv's batch of 2048 is 32 mmu_update hypercalls "
            + "of 64; bare takes no exit; the trap path's stages are tabled")
    void shouldCountExitsAndHypercallsPerConfiguration() throws Exception {
        String report = LabFigures.report(new LabFigures.Sizes(40, 200));
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
                .contains("The trap path by stage").contains("| exit ");
    }
}
