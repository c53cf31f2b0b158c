package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.parasol.control.v1.Progress;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ProgressBarTest {

    @Test
    @DisplayName("a bar shows its stage, cells in proportion, the percentage and the counts, clamped to the total")
    void shouldRenderInProportion() {
        assertThat(ProgressBar.render("memory", 0, 100, "pages"))
                .isEqualTo("memory         [------------------------------]   0%  0/100 pages");
        assertThat(ProgressBar.render("memory", 50, 100, "pages"))
                .isEqualTo("memory         [###############---------------]  50%  50/100 pages");
        assertThat(ProgressBar.render("memory", 262144, 262144, "pages")).contains("[" + "#".repeat(30) + "]", "100%");
        assertThat(ProgressBar.render("memory", 500, 100, "pages")).contains("100%", "100/100");
        assertThat(ProgressBar.render("image and disks plus", 1, 0, "steps")).isEqualTo("image and disk 1 steps");
    }

    @Test
    @DisplayName("without a terminal nothing is drawn, so scripts reading standard error see only errors")
    void shouldDrawNothingWithoutATerminal() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressBar bar = new ProgressBar(new PrintStream(bytes, true, StandardCharsets.UTF_8), false);
        bar.update(Progress.newBuilder().setStage("memory").setDone(1).setTotal(2).setUnit("pages").build());
        bar.finish();
        assertThat(bytes.size()).isZero();
    }
}
