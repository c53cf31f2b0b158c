package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypervisor.domain.Domain;

/**
 * blkback's grant I/O batch cuts, {@code xen_blkback.grant_io_batch} and
 * {@code xen_blkback.grant_io_batch_bytes} on dom0's command line, change how it batches, by
 * count: {@code blkbench} streams exactly 4096 random 4 KiB reads at QD32 by grant I/O
 * (registered buffers, no persistent grants), and the test reads dom0's {@code grant_table_op}
 * count (one hypercall moves one batch: {@code GuestMemory.grantIoBatch}, or one request's
 * pieces) in the guest's quiet gaps around the counted phase, as {@code BlkLockStepTest} does.
 *
 * <p>With the defaults (64 requests, 64 KiB) a batch holds every 4 KiB request the back end found
 * on the ring up to 16: about 0.07 hypercalls per I/O on a quiet host (docs/results.md, uring).
 * {@code grant_io_batch=1} makes each request its own batch, so at least one per I/O;
 * {@code grant_io_batch_bytes=8192} cuts a batch once it holds two 4 KiB requests, so at least
 * one per two I/Os. {@code BlkBackendOptionsTest} checks only how the words are parsed.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class BlkGrantIoBatchTest {
    /** 4096 I/Os of 4 KiB, counted: a count, no clock. */
    private static final String COUNTED = "runs=randread/4K/32 persistent=0 indirect=1 register=1 warmup=300 time=0"
            + " bytes=16M gap=100";
    private static final Pattern RESULT = Pattern.compile(
            "blkbench: result mode=(\\w+) bs=(\\d+) qd=(\\d+) .* persistent=([01]) .* ios=(\\d+) .* requests=(\\d+) ");

    @TempDir
    Path dir;

    /** One counted phase: its I/Os and blkif requests, and dom0's grant_table_op calls in it. */
    record Counts(String dom0Cmdline, long ios, long requests, long grantTableOps) {
        double perIo() {
            return (double) grantTableOps / Math.max(1, ios);
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "dom0 '%s': %d I/Os, %d requests; dom0's grant_table_op per I/O %.3f",
                    dom0Cmdline, ios, requests, perIo());
        }
    }

    private static long grantTableOps(Domain d) {
        long n = 0;
        for (var v : d.vcpus()) {
            n += v.hypercallCounts()[Hypercall.GRANT_TABLE_OP];
        }
        return n;
    }

    /** Boots dom0 with {@code dom0Cmdline} and blkbench; the counted phase's figures. */
    private Counts run(String dom0Cmdline) throws IOException {
        Path cfg = dir.resolve("batch.cfg");
        Files.writeString(cfg, "name = 'batch'\nkernel = 'blkbench'\nmemory = 16\ncmdline = '" + COUNTED
                + "'\ndisk = [ 'format=raw, vdev=xvda, access=rw, size=16M, target=disks/b.img' ]\n");
        List<Counts> out = Collections.synchronizedList(new ArrayList<>());
        AtomicReference<Domain> dom0 = new AtomicReference<>();
        RunOutcome o = RunOutcome.of(hv -> hv.onDomainCreated(d -> {
            if (d.domid() == 0) {
                dom0.set(d);
                return;
            }
            long[] mark = {-1};
            // "timing" comes before the counted phase and "result" after it, each followed by a
            // quiet gap with nothing in flight: the counter is read there.
            d.console().subscribe(line -> {
                if (line.contains("blkbench: timing ")) {
                    mark[0] = grantTableOps(dom0.get());
                    return;
                }
                Matcher m = RESULT.matcher(line);
                if (m.find() && mark[0] >= 0) {
                    out.add(new Counts(dom0Cmdline, Long.parseLong(m.group(5)), Long.parseLong(m.group(6)),
                            grantTableOps(dom0.get()) - mark[0]));
                    mark[0] = -1;
                }
            });
        }), "--dom0-cmdline=" + dom0Cmdline, cfg.toString());
        assertThat(o.status()).as(o.out() + o.err()).isZero();
        assertThat(out).as(o.out()).hasSize(1);
        Counts c = out.get(0);
        System.out.println("BlkGrantIoBatchTest: " + c);
        assertThat(c.ios()).as(c.toString()).isEqualTo(4096);
        assertThat(c.requests()).as("one blkif request per 4 KiB I/O: " + c).isEqualTo(4096);
        return c;
    }

    @Test
    @DisplayName("xen_blkback.grant_io_batch=1 moves each request by a grant_table_op of its own; the default batches"
            + " many per call")
    void shouldBatchLessWithGrantIoBatchOne() throws IOException {
        Counts byDefault = run("");
        Counts one = run("xen_blkback.grant_io_batch=1");

        assertThat(one.perIo()).as("one request per batch: " + one).isGreaterThanOrEqualTo(1.0);
        assertThat(byDefault.perIo()).as("batches of up to 64 requests: " + byDefault).isLessThanOrEqualTo(0.5);
    }

    @Test
    @DisplayName("xen_blkback.grant_io_batch_bytes=8192 cuts a batch at two 4 KiB requests")
    void shouldCutBatchesAtTheByteLimit() throws IOException {
        Counts two = run("xen_blkback.grant_io_batch_bytes=8192");

        assertThat(two.perIo()).as("two 4 KiB requests per batch at most: " + two).isBetween(0.5, 1.0);
    }
}
