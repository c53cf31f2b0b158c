package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypervisor.HostConfig;
import org.parasol.hypervisor.Hypervisor;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * Disks attached to and detached from a running domain with xl's verbs typed at dom0's console
 * ({@code xl block-attach}, {@code block-detach}, {@code block-list}): a guest waiting for a disk
 * gets one and uses it; a disk detached while the guest's I/O is in flight fails that I/O (an
 * error, not a hang), both ends close, the nodes go, and nothing is left behind.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BlockAttachTest {
    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();
    @TempDir
    Path dir;
    private Hypervisor hv;
    private final CountDownLatch dom0Ended = new CountDownLatch(1);
    private final Map<Integer, Domain> built = new ConcurrentHashMap<>();
    private Domain dom0;

    @BeforeEach
    void boot() {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(160L << 20)));
        hv.setKernelSource(TreeImages.dom0AndExamples());
        hv.onDomainCreated(d -> {
            if (d.domid() != 0) {
                built.put(d.domid(), d);
            }
        });
        hv.onShutdown(d -> {
            if (d.domid() == 0) {
                dom0Ended.countDown();
            }
        });
    }

    @AfterEach
    void close() {
        hv.close();
    }

    private void startDom0(String module) throws Exception {
        dom0 = hv.createDom0(new DomainConfig("Domain-0", 16 * 1024, 16 * 1024, 1, "dom0", "", true,
                DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE),
                module.getBytes(StandardCharsets.UTF_8));
    }

    private Domain awaitBuilt(int domid) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline && !built.containsKey(domid)) {
            Thread.sleep(10);
        }
        assertThat(built).as(console(dom0)).containsKey(domid);
        return built.get(domid);
    }

    private static String console(Domain d) {
        return String.join("\n", d.console().lines());
    }

    private static void awaitLine(Domain d, Predicate<String> p, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (d.console().lines().stream().anyMatch(p)) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no line " + what + " on " + d.name() + "'s console:\n" + console(d));
    }

    private void awaitDom0PowerOff() throws InterruptedException {
        assertThat(dom0Ended.await(60, TimeUnit.SECONDS)).as("dom0 powered off\n%s", console(dom0)).isTrue();
    }

    private Path image(String name, long bytes) throws IOException {
        Path p = dir.resolve(name);
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(bytes);
        }
        return p;
    }

    @Test
    @DisplayName("xl block-attach gives a running guest a disk it then uses; block-list shows it; the nodes go with the domain")
    void shouldAttachADiskToARunningDomain() throws Exception {
        Path img = image("late.img", 2L << 20);
        startDom0(module("seed=3 wait=1"));
        Domain guest = awaitBuilt(1);
        awaitLine(guest, l -> l.equals("blkcheck: waiting for a disk to be attached"), "waiting");

        hv.consoleInput("xl block-attach blk vdev=xvdb access=rw target=" + img + "\n");

        awaitDom0PowerOff();
        assertThat(console(dom0)).contains("dom0: xl: d1: xvdb (51728) attached from " + img + ", served by d0")
                .contains("blkback: xvdb of d1: ").contains("dom0: d1 (blk) shut down: poweroff; destroyed")
                .contains("dom0: xenstored: 8 nodes left; /local/domain lists [0]; 0 rings connected");
        assertThat(guest.console().lines()).anyMatch(l -> l.startsWith("blkcheck: verified 2097152 bytes"));
        assertThat(guest.shutdownReason()).isEqualTo(Shutdown.POWEROFF);
        hv.destroy(dom0);
    }

    @Test
    @DisplayName("xl block-detach while the guest's I/O is in flight: its I/O fails (no hang), both ends close, the device's nodes go")
    void shouldDetachADiskWithIoInFlight() throws Exception {
        Path img = image("busy.img", 256L << 20);
        startDom0(module("seed=4 chunk=64 depth=8", "vbd:vdev=xvda,access=rw,backend=Domain-0,target=" + img));
        Domain guest = awaitBuilt(1);
        awaitLine(guest, l -> l.startsWith("blkcheck: xvda: "), "connected");
        hv.consoleInput("xl block-list blk\n");
        awaitLine(dom0, l -> l.startsWith("xvda   0   51712  4 "), "block-list's line for xvda, Connected");

        hv.consoleInput("xl block-detach blk xvda\n");

        awaitDom0PowerOff();
        assertThat(console(dom0)).contains("dom0: xl: d1's disk 51712: asked the back end to close")
                .contains("dom0: xl: d1's disk 51712 detached").contains("dom0: d1 (blk) shut down: crash; destroyed")
                .contains("dom0: xenstored: 8 nodes left; /local/domain lists [0]; 0 rings connected")
                .doesNotContain("did not close within");
        // In flight when the back end closed ("disk xvda: the back end went ..."), or submitted just
        // after the front end saw it close ("disk xvda is not connected: the back end went ..."):
        // either way the I/O fails, never hangs.
        assertThat(console(guest)).containsPattern(
                "blkcheck: (write|read) at byte \\d+ failed: disk xvda(:| is not connected:) the back end went");
        hv.destroy(dom0);
    }

    private String module(String cmdline, String... devices) {
        return new String(new Dom0Module().add(config("blk", "blkcheck", cmdline), DomainConfig.Action.DESTROY,
                DomainConfig.Action.DESTROY, DomainConfig.Action.DESTROY, java.util.List.of(devices)).bytes(),
                StandardCharsets.UTF_8);
    }

    private static DomainConfig config(String name, String image, String cmdline) {
        return new DomainConfig(name, 16 * 1024, 16 * 1024, 1, image, cmdline, false, DomainConfig.Action.PRESERVE,
                DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE);
    }
}
