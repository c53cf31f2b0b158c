package org.parasol.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code parasol bench --density} at a small size: 50 idle domains of the {@code idle} image in
 * one host, in two steps. Checks the report's shape and that every domain printed its first
 * console line; the figures themselves are the bench's to report, not this test's to judge.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class DensityFiguresTest {

    @Test
    @DisplayName("50 idle domains in two steps: each reaches its first console line; per step the creation percentiles,"
            + " memory, threads and a ping-pong are reported, and the chart is drawn")
    void shouldBootFiftyIdleDomainsAndReportEachStep(@TempDir Path dir) throws Exception {
        DensityFigures.Run run = DensityFigures.run(new DensityFigures.Sizes(new int[] {10, 50}, 500, false));

        assertThat(run.steps()).hasSize(2);
        assertThat(run.steps()).extracting(DensityFigures.Step::domains).containsExactly(10, 50);
        for (DensityFigures.Step s : run.steps()) {
            assertThat(s.reached()).as("domains that printed their first console line, of %d", s.domains()).isEqualTo(s.domains());
            assertThat(s.createP50Ms()).isPositive().isLessThanOrEqualTo(s.createP99Ms());
            assertThat(s.createP99Ms()).isLessThanOrEqualTo(s.createMaxMs()).isLessThan(10_000);
            assertThat(s.buildP50Ms()).isPositive().isLessThanOrEqualTo(s.createMaxMs());
            assertThat(s.buildCpuP50Ms()).as("the creating thread's CPU time in createDomain, ms").isPositive();
            assertThat(s.heapKiB()).as("heap per idle domain, KiB").isFinite();
            assertThat(s.threads()).as("platform threads per idle domain: its vCPU's").isBetween(0.9, 1.2);
            assertThat(s.pingPongP50Us()).isPositive();
            assertThat(s.idleCpuPercent()).as("CPU of the idling host, %% of a core").isNotNegative();
        }
        // The live heap is read after full collections; a JDK cache released between two readings
        // (a soft reference, a thread's buffer) is noise of a megabyte or two, more than ten or
        // fifty idle domains hold (about 30 KiB each). So the steps' heap is only reported; the
        // heap is judged on the 500 bare domains below (about 7 MiB), which the noise cannot hide.
        assertThat(run.baselinePingPongUs()).isPositive();
        assertThat(run.firstCreateMs()).isPositive();
        assertThat(run.afterPingPongUs()).isPositive();
        assertThat(run.bareHeapKiB()).as("the hypervisor's heap per bare domain, KiB").isPositive();

        String table = DensityFigures.table(run);
        assertThat(table).contains("Density: idle domains of the 'idle' image").contains("platform vCPU threads");
        assertThat(table).containsPattern("(?m)^ +10 +10 +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+");
        assertThat(table).containsPattern("(?m)^ +50 +50 +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+");

        Path png = dir.resolve("density.png");
        DensityFigures.chart(run, png);
        BufferedImage img = ImageIO.read(png.toFile());
        assertThat(img.getWidth()).isEqualTo(900);
        assertThat(img.getHeight()).isEqualTo(520);
    }
}
