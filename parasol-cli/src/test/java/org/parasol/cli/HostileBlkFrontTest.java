package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A hostile block front end (the blk-liar image) against dom0's blkback, beside a well-behaved
 * guest (blkcheck) doing I/O on its own disk in the same host: every malformed request gets an
 * error (or "not supported") response, a broken ring index closes that one disk, the liar's
 * images are untouched, the good guest verifies its disk, and the run leaves nothing behind
 * ({@link RunOutcome}'s leak check: frames, grants, ports, store nodes).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HostileBlkFrontTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "ring index {0} ({1}), dom0 on {2} vCPU(s)")
    @CsvSource({"far-ahead, ring=ahead, 1", "backwards, ring=backwards, 1", "far-ahead, ring=ahead, 3",
        "backwards, ring=backwards, 3", "far-ahead, ring=ahead persistent=1, 1"})
    @DisplayName("every lie costs the liar its request; a broken ring closes its disk only; the neighbour's I/O is untouched,"
            + " also with each queue on a dom0 vCPU of its own")
    void shouldAnswerEveryLieAndSpareTheNeighbour(String name, String cmdline, int dom0Vcpus) throws IOException {
        Path a = image("a.img");
        Path b = image("b.img");
        Path c = image("c.img");
        Path liar = dir.resolve("liar.cfg");
        Files.writeString(liar, "name='liar'\nkernel='blk-liar'\nmemory=8\ncmdline='" + cmdline + "'\n"
                + "disk=[ 'vdev=xvda, access=rw, target=" + a + "', 'vdev=xvdb, access=ro, target=" + b + "' ]\n");
        Path good = dir.resolve("good.cfg");
        String persistent = dom0Vcpus > 1 ? " persistent=0" : "";
        Files.writeString(good, "name='good'\nkernel='blkcheck'\nmemory=16\ncmdline='seed=5 chunk=64" + persistent + "'\n"
                + "disk=[ 'vdev=xvda, access=rw, target=" + c + "' ]\n");

        RunOutcome o = RunOutcome.of("--dom0-vcpus", Integer.toString(dom0Vcpus), liar.toString(), good.toString());

        assertThat(o.status()).as(o.out() + o.err()).isZero();
        String out = o.out();
        if (dom0Vcpus > 1) {
            // The liar's two disks and the good guest's (without persistent grants, which stay on
            // the boot vCPU) take dom0's vCPUs in turn: the good disk shares one with a liar's.
            assertThat(out).containsPattern("blkback: xvda of d2: .*queues on vCPUs [12]; Connected")
                    .doesNotContain("queues on vCPUs 0");
        }
        assertThat(out).contains("[liar] blk-liar: ok-read: status 0").contains("[liar] blk-liar: indirect-ok: status 0");
        for (String lie : new String[] {"bad-gref", "foreign-gref", "too-many-segments", "first-after-last",
            "last-outside-page", "beyond-disk", "negative-sector", "indirect-not-owned", "indirect-zero",
            "indirect-foreign", "indirect-bad-seg", "discard-beyond", "write-read-only"}) {
            assertThat(out).contains("[liar] blk-liar: " + lie + ": status -1");
        }
        assertThat(out).contains("[liar] blk-liar: reserved-op: status -2").contains("[liar] blk-liar: unknown-op: status -2")
                .contains("[liar] blk-liar: req-prod-" + name + ": the back end went Closed")
                .contains("[liar] blk-liar: 17 lies answered")
                // Six reads in one run (one batch of grant I/O): the bad reference fails its own request only.
                .contains("[liar] blk-liar: run-with-bad-gref: statuses 0 0 0 0 -1 0")
                .contains("[Domain-0] blkback: xvda of d1: 22 requests served; queue 0: the front end broke the ring")
                .contains("[good] blkcheck: verified 1048576 bytes");
        if (cmdline.contains("persistent=1")) {
            // Kept mapped: the good page of ok-read (a data page), and indirect-ok's and
            // indirect-bad-seg's descriptor pages (read-only); indirect-foreign's could not be.
            assertThat(out).containsPattern("xvda of d1: 22 requests served; queue 0: the front end broke the ring[^\\n]*"
                    + "; Closed \\(unmapped 1 persistent grants and 2 indirect pages\\)");
        } else {
            assertThat(out).containsPattern("(?m)xvda of d1: 22 requests served; [^\\n]*; Closed$");
        }
        assertThat(out).containsPattern("(?m)^liar\\s+1 poweroff").containsPattern("(?m)^good\\s+2 poweroff");
        assertThat(Files.readAllBytes(a)).as("no lie wrote the read-write disk").containsOnly(0);
        assertThat(Files.readAllBytes(b)).as("the read-only disk").containsOnly(0);
    }

    private Path image(String name) throws IOException {
        Path p = dir.resolve(name);
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(1 << 20);
        }
        return p;
    }
}
