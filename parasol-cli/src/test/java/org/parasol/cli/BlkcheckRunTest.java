package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.parasol.architecture.ParasolModules;

/**
 * The split block driver end to end: {@code parasol run} with a disk in xl.cfg's syntax; dom0's
 * blkback serves the image file, the blkcheck guest writes a pattern through blkfront, flushes,
 * reads it back and verifies it; then this test reads the image file itself and checks every
 * word against the pattern computed here, independently of the guest's code. Each run is
 * checked for leaks ({@link RunOutcome}).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class BlkcheckRunTest {
    private static final long SIZE = 4L << 20;

    @TempDir
    Path dir;

    /** SplitMix64 at word {@code i}, as the example's documentation defines the pattern. */
    private static long expected(long seed, long i) {
        long z = seed + (i + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static void assertPattern(Path image, long seed, long zeroesUpTo) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(image)).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(b.capacity()).isEqualTo(SIZE);
        for (int i = 0; i < b.capacity() / 8; i++) {
            long got = b.getLong(i * 8);
            long want = i * 8L < zeroesUpTo ? 0 : expected(seed, i);
            if (got != want) {
                throw new AssertionError("image word " + i + " (byte " + i * 8L + ") is " + Long.toHexString(got)
                        + ", the pattern says " + Long.toHexString(want));
            }
        }
    }

    private Path config(String cmdline, String diskSpec) throws IOException {
        Path cfg = dir.resolve("blk.cfg");
        Files.writeString(cfg, "name = 'blk'\nkernel = 'blkcheck'\nmemory = 16\ncmdline = '" + cmdline + "'\n"
                + "disk = [ '" + diskSpec + "' ]\n");
        return cfg;
    }

    @Test
    @DisplayName("the example config runs blkcheck over its disk, prints the verified bytes and exits 0")
    void shouldRunTheExampleConfig() {
        Path cfg = ParasolModules.root().resolve("examples/configs/blkcheck.cfg");

        RunOutcome o = RunOutcome.of(cfg.toString());

        assertThat(o.status()).as(o.out() + o.err()).isZero();
        assertThat(o.out()).contains("[blkcheck] blkcheck: verified 16777216 bytes")
                .contains("[Domain-0] blkback: xvda of d1: ").containsPattern("(?m)^blkcheck\\s+\\d+ poweroff");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
        "persistent=0 indirect=0",
        "persistent=1 indirect=0 depth=8 chunk=64",
        "persistent=0 indirect=1 queues=2 order=2",
        "persistent=1 indirect=1 queues=4 order=1 chunk=1024",
        "persistent=1 indirect=1 discard=1",
        "persistent=0 indirect=1 register=1 chunk=64 depth=4",
        "persistent=1 indirect=0 register=1 chunk=32 depth=8",
    })
    @DisplayName("every feature combination writes the pattern the host finds in the image file, created sparse when missing")
    void shouldWriteThePatternIntoTheImage(String options) throws IOException {
        Path image = dir.resolve("disks/d.img");
        Path cfg = config("seed=42 " + options, "format=raw, vdev=xvda, access=rw, size=4M, target=disks/d.img");

        RunOutcome o = RunOutcome.of(cfg.toString());

        assertThat(o.status()).as(o.out() + o.err()).isZero();
        assertThat(o.out()).contains("created " + image).contains("blkcheck: verified " + SIZE + " bytes");
        if (options.contains("register=1")) {
            assertThat(o.out()).contains("blkcheck: registered 64 buffer pages");
        }
        boolean discarded = options.contains("discard=1");
        if (discarded) {
            assertThat(o.out()).contains("blkcheck: discarded 65536 bytes, read back zeroes");
        }
        assertPattern(image, 42, discarded ? 65536 : 0);
    }

    @Test
    @DisplayName("blkback by grant copy through bounce pages (xen_blkback.grant_io=0), as Linux's, writes the same pattern")
    void shouldWriteThePatternByGrantCopy() throws IOException {
        Path image = dir.resolve("disks/c.img");
        Path cfg = config("seed=7 persistent=0 indirect=1 chunk=256",
                "format=raw, vdev=xvda, access=rw, size=4M, target=disks/c.img");

        RunOutcome o = RunOutcome.of("--dom0-cmdline", "xen_blkback.grant_io=0", cfg.toString());

        assertThat(o.status()).as(o.out() + o.err()).isZero();
        assertThat(o.out()).contains("grant copy; Connected").contains("blkcheck: verified " + SIZE + " bytes");
        assertPattern(image, 7, 0);
    }

    @Test
    @DisplayName("every read by asynchronous grant I/O (xen_blkback.grant_io_async_bytes=512: the hypervisor's io-wq"
            + " workers copy, blkback answers when it reaps), discard and flush after reads in flight: the same pattern")
    void shouldReadThePatternByAsynchronousGrantIo() throws IOException {
        Path image = dir.resolve("disks/a.img");
        Path cfg = config("seed=11 persistent=0 indirect=1 chunk=256 depth=8 discard=1",
                "format=raw, vdev=xvda, access=rw, size=4M, target=disks/a.img");

        RunOutcome o = RunOutcome.of("--dom0-cmdline", "xen_blkback.grant_io_async_bytes=512", cfg.toString());

        assertThat(o.status()).as(o.out() + o.err()).isZero();
        assertThat(o.out()).contains("grant I/O").contains("blkcheck: verified " + SIZE + " bytes")
                .contains("blkcheck: discarded 65536 bytes, read back zeroes");
        assertPattern(image, 11, 65536);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
        "persistent=0 indirect=1 queues=2 chunk=256 depth=8",
        "persistent=0 indirect=0 queues=4 order=1 chunk=64 depth=8 register=1 discard=1",
    })
    @DisplayName("with dom0 on 3 vCPUs, each queue is served on vCPU 1 or 2 (a thread per ring, as Linux's blkback) and"
            + " writes the same pattern")
    void shouldServeQueuesOnDom0sOtherVcpus(String options) throws IOException {
        Path image = dir.resolve("disks/v.img");
        Path cfg = config("seed=9 " + options, "format=raw, vdev=xvda, access=rw, size=4M, target=disks/v.img");

        RunOutcome o = RunOutcome.of("--dom0-vcpus", "3", cfg.toString());

        assertThat(o.status()).as(o.out() + o.err()).isZero();
        // Both are up long before the guest connects; whichever is, no queue runs on vCPU 0.
        String on = options.contains("queues=4") ? "[12],[12],[12],[12]" : "[12],[12]";
        assertThat(o.out()).contains("dom0: 3 vCPUs; vCPUs 1-2 serve block queues")
                .containsPattern("grant I/O, queues on vCPUs " + on + "; Connected")
                .contains("blkcheck: verified " + SIZE + " bytes");
        boolean discarded = options.contains("discard=1");
        assertPattern(image, 9, discarded ? 65536 : 0);
    }

    @Test
    @DisplayName("with dom0 on 3 vCPUs, a guest destroyed (xl destroy) while its 2 queues are served on vCPUs 1 and 2: dom0"
            + " powers off only once both have stopped there and let go on the boot vCPU (the disk's closing line before"
            + " dom0's last lines), as Linux's xen_blkif_disconnect waits for each ring's thread")
    void shouldPowerOffOnlyOnceQueuesOnOtherVcpusHaveClosed() throws IOException {
        Path cfg = config("seed=5 persistent=0 indirect=1 queues=2 chunk=256 depth=8",
                "format=raw, vdev=xvda, access=rw, size=64M, target=disks/d.img"); // long enough to be destroyed mid-write
        java.util.concurrent.atomic.AtomicBoolean destroyed = new java.util.concurrent.atomic.AtomicBoolean();

        RunOutcome o = RunOutcome.of(hv -> hv.onDomainCreated(d -> {
            if (d.domid() == 0) {
                return;
            }
            d.console().subscribe(line -> {
                // The disk is connected and the pattern is being written: requests are on both queues.
                if (line.contains("blkcheck: xvda: ") && destroyed.compareAndSet(false, true)) {
                    Thread.ofPlatform().daemon().start(() -> {
                        try {
                            Thread.sleep(50);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        hv.consoleInput("xl destroy blk\n");
                    });
                }
            });
        }), "--dom0-vcpus", "3", cfg.toString());

        assertThat(destroyed).as(o.out()).isTrue();
        String out = o.out();
        assertThat(out).containsPattern("grant I/O, queues on vCPUs [12],[12]; Connected")
                .contains("dom0: d1 (blk) destroyed")
                .doesNotContain("back-end queues still closing");
        java.util.regex.Matcher closing = java.util.regex.Pattern.compile("blkback: xvda of d1: \\d+ requests served; [^\\n]*Closed")
                .matcher(out);
        assertThat(closing.find()).as("the disk's closing line%n%s", out).isTrue();
        assertThat(out.indexOf("dom0: every domain is gone; powering off")).as(out).isGreaterThan(closing.start());
    }

    @Test
    @DisplayName("with dom0 on 2 vCPUs, a disk with persistent grants stays on the boot vCPU (dom0's grant mapper is its own)")
    void shouldKeepPersistentGrantsOnTheBootVcpu() throws IOException {
        Path image = dir.resolve("disks/p.img");
        Path cfg = config("seed=3 persistent=1 indirect=1 queues=2",
                "format=raw, vdev=xvda, access=rw, size=4M, target=disks/p.img");

        RunOutcome o = RunOutcome.of("--dom0-vcpus", "2", cfg.toString());

        assertThat(o.status()).as(o.out() + o.err()).isZero();
        assertThat(o.out()).contains("persistent grants, queues on vCPUs 0,0; Connected")
                .contains("blkcheck: verified " + SIZE + " bytes");
        assertPattern(image, 3, 0);
    }

    @Test
    @DisplayName("an existing image is served as it is, and a read-only disk refuses the guest's writes without touching the file")
    void shouldServeAReadOnlyDiskReadOnly() throws IOException {
        Path image = dir.resolve("ro.img");
        byte[] before = new byte[(int) SIZE];
        before[12345] = 7;
        Files.write(image, before);
        Path cfg = config("seed=1", "vdev=xvdb, access=ro, target=" + image);

        RunOutcome o = RunOutcome.of(cfg.toString());

        assertThat(o.out()).contains("blkback: xvdb of d1: " + image + " (ro, 8192 sectors)")
                .contains("blkcheck: the disk is read-only");
        assertThat(Files.readAllBytes(image)).isEqualTo(before);
    }

    @Test
    @DisplayName("a disk whose image is missing, with no size to create it, stops the run before anything boots")
    void shouldRefuseAMissingImage() throws IOException {
        Path cfg = config("seed=1", "vdev=xvda, target=nothing-here.img");

        RunOutcome o = RunOutcome.of(cfg.toString());

        assertThat(o.status()).isEqualTo(2);
        assertThat(o.err()).contains("disk xvda: ").contains("nothing-here.img: no such file (give size=");
        assertThat(o.out()).isEmpty();
    }
}
