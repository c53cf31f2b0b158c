package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The blkbench image through {@code parasol run}: its result lines and what its writes left in
 * the image file. How fast it is, is {@code parasol bench --block}'s business; these runs are
 * short and only check that the figures are made of real I/O.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class BlkbenchRunTest {
    private static final Pattern RESULT = Pattern.compile("blkbench: result mode=(\\w+) bs=(\\d+) qd=(\\d+) queues=(\\d+)"
            + " slots=\\d+ persistent=([01]) indirect=([01]) ios=(\\d+) bytes=(\\d+) ns=(\\d+) iops=\\d+ mibps=[\\d.]+"
            + " requests=(\\d+) notifications=(\\d+) req/io=[\\d.]+ notif/io=[\\d.]+");

    @TempDir
    Path dir;

    private Path config(String cmdline, String size) throws IOException {
        Path cfg = dir.resolve("bench.cfg");
        Files.writeString(cfg, "name = 'bench'\nkernel = 'blkbench'\nmemory = 16\ncmdline = '" + cmdline + "'\n"
                + "disk = [ 'format=raw, vdev=xvda, access=rw, size=" + size + ", target=disks/b.img' ]\n");
        return cfg;
    }

    @Test
    @DisplayName("a byte-bounded sequential write covers the disk once with the guest's buffers, and says so in one line")
    void shouldWriteTheWholeDiskOnce() throws IOException {
        Path cfg = config("runs=write/64K/4 warmup=0 time=0 bytes=1M gap=0 persistent=0", "1M");

        RunOutcome o = RunOutcome.of(cfg.toString());

        assertThat(o.status()).as(o.out() + o.err()).isZero();
        Matcher m = RESULT.matcher(o.out());
        assertThat(m.find()).as(o.out()).isTrue();
        assertThat(m.group(1)).isEqualTo("write");
        assertThat(m.group(5)).isEqualTo("0");
        assertThat(Long.parseLong(m.group(7))).isEqualTo(16);
        assertThat(Long.parseLong(m.group(8))).isEqualTo(1 << 20);
        assertThat(Long.parseLong(m.group(10))).isGreaterThanOrEqualTo(16);
        assertThat(m.find()).isFalse();
        // Every 64 KiB of the image came from one of the guest's buffers: word o of a buffer is
        // 0x5A5A << 48 | slot << 24 | o.
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(dir.resolve("disks/b.img"))).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(b.capacity()).isEqualTo(1 << 20);
        for (int i = 0; i < b.capacity(); i += 8) {
            long w = b.getLong(i);
            if (w >>> 48 != 0x5A5A || (w & 0xFF_FFFF) != i % 65536 || (w >>> 24 & 0xFFFF) > 3) {
                throw new AssertionError("image word at byte " + i + " is " + Long.toHexString(w));
            }
        }
    }

    @Test
    @DisplayName("several timed tests on one connection of two queues, each with its I/Os, requests and notifications")
    void shouldRunSeveralTimedTests() throws IOException {
        Path cfg = config("runs=randread/4K/8,read/64K/2,randwrite/8K/4 queues=2 warmup=20 time=100 gap=5", "4M");

        RunOutcome o = RunOutcome.of(cfg.toString());

        assertThat(o.status()).as(o.out() + o.err()).isZero();
        Matcher m = RESULT.matcher(o.out());
        for (String want : new String[] {"randread 4096 8", "read 65536 2", "randwrite 8192 4"}) {
            assertThat(m.find()).as(o.out()).isTrue();
            assertThat(m.group(1) + " " + m.group(2) + " " + m.group(3)).isEqualTo(want);
            assertThat(m.group(4)).isEqualTo("2");
            long ios = Long.parseLong(m.group(7));
            assertThat(ios).isPositive();
            assertThat(Long.parseLong(m.group(8))).isEqualTo(ios * Long.parseLong(m.group(2)));
            assertThat(Long.parseLong(m.group(9))).isGreaterThanOrEqualTo(100_000_000L);
            assertThat(Long.parseLong(m.group(10))).isGreaterThanOrEqualTo(ios);
            assertThat(Long.parseLong(m.group(11))).isPositive().isLessThanOrEqualTo(Long.parseLong(m.group(10)));
        }
    }

    @Test
    @DisplayName("the reads that one response event's completions issue go onto the ring together: at QD32 a push"
            + " carries several requests (each read pushed on its own would be one push per request)")
    void shouldPushTheRequestsOfOneTurnTogether() throws IOException {
        Path cfg = config("runs=randread/4K/32 warmup=0 time=0 bytes=16M gap=0 register=1", "4M");

        RunOutcome o = RunOutcome.of(cfg.toString());

        assertThat(o.status()).as(o.out() + o.err()).isZero();
        Matcher m = Pattern.compile(RESULT.pattern() + " pushes=(\\d+) push/io=[\\d.]+").matcher(o.out());
        assertThat(m.find()).as(o.out()).isTrue();
        long ios = Long.parseLong(m.group(7));
        long requests = Long.parseLong(m.group(10));
        long pushes = Long.parseLong(m.group(12));
        assertThat(ios).isEqualTo(4096);
        assertThat(requests).isEqualTo(4096);
        // The back end answers by runs and the front end takes every response published when it
        // looks, so most events complete several reads. The bound leaves room for a loaded host,
        // where a guest can be woken for one response more often.
        assertThat(pushes).as(m.group()).isPositive().isLessThanOrEqualTo(requests / 2);
    }

    @Test
    @DisplayName("an option out of range stops the guest with the reason")
    void shouldRefuseABadOption() throws IOException {
        Path cfg = config("qd=0", "1M");

        RunOutcome o = RunOutcome.of(cfg.toString());

        assertThat(o.status()).isNotZero();
        assertThat(o.out() + o.err()).contains("qd 0 is out of range 1..256");
    }
}
