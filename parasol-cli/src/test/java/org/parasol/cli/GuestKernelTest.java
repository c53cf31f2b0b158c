package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.parasol.hypercall.abi.Runstate;
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypervisor.HostConfig;
import org.parasol.hypervisor.Hypervisor;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.domain.Vcpu;
import org.parasol.hypervisor.image.ImageLoader;
import org.parasol.hypervisor.image.KernelImage;
import org.parasol.hypervisor.image.ImageRepository;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * The guest kernel on a real hypervisor, through the packaged {@code selftest} image: the
 * kernel's own self-test (allocator over every frame, heap, events under load, timers), and
 * the run loop's idle blocking measured by the hypervisor's runstate accounting.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GuestKernelTest {
    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();
    private Hypervisor hv;
    private final CountDownLatch ended = new CountDownLatch(1);

    @BeforeEach
    void boot() {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(64L << 20)));
        hv.setKernelSource(Hypervisor.images(new ImageLoader(ImageRepository.standard())));
        hv.onShutdown(d -> ended.countDown());
    }

    @AfterEach
    void close() {
        hv.close();
    }

    private Domain selftest(long memoryMiB, String cmdline) throws Exception {
        return selftest(memoryMiB, 1, cmdline);
    }

    private Domain selftest(long memoryMiB, int vcpus, String cmdline) throws Exception {
        return hv.createDomain(DomainConfig.of("selftest", "selftest", memoryMiB).withVcpus(vcpus).withCmdline(cmdline));
    }

    private static boolean printed(Domain d, String text) {
        return d.console().lines().stream().anyMatch(l -> l.contains(text));
    }

    @Test
    @DisplayName("the kernel's self-test passes on a 16 MiB domain: allocator (mapping what the builder left unmapped), heap, grants (copy and mapping), events under load, timers")
    void shouldPassTheSelfTestOnASixteenMegabyteDomain() throws Exception {
        Domain d = selftest(16, "events=20000");

        assertThat(ended.await(60, TimeUnit.SECONDS)).as("the domain ends").isTrue();
        hv.drainConsole();
        List<String> console = d.console().lines();
        assertThat(d.shutdownReason()).as(String.join("\n", console)).isEqualTo(Shutdown.POWEROFF);
        assertThat(console).anyMatch(l -> l.startsWith("Parasol guest kernel"));
        assertThat(console).anyMatch(l -> l.matches("selftest: allocator ok: \\d+ frames, [1-9]\\d* mapped on demand"));
        assertThat(console).anyMatch(l -> l.startsWith("selftest: heap ok"));
        assertThat(console).anyMatch(l -> l.startsWith("selftest: grants ok: 4096 bytes copied through gref")
                && l.endsWith("4096 bytes seen through a grant mapping"));
        assertThat(console).anyMatch(l -> l.startsWith("selftest: events ok: 20000 sent, 20000 seen"));
        assertThat(console).anyMatch(l -> l.startsWith("selftest: timers ok: 200 fired in deadline order"));
        assertThat(console).contains("selftest: all passed");
    }

    @Test
    @DisplayName("every example image built on the kernel passes the bytecode checks and shares one loader among its domains")
    void shouldLoadEveryExampleImageWithASharedLoader() {
        ImageLoader loader = new ImageLoader(ImageRepository.standard());
        for (String name : List.of("hello", "faulty", "selftest", "ticker", "pingpong")) {
            KernelImage image = loader.load(name);
            assertThat(image.sharesLoader()).as(name + ": " + image.staticStateFindings()).isTrue();
        }
    }

    @Test
    @DisplayName("dom0's image and the bench guests' images share one loader among their domains: a later boot in one JVM runs the classes, and so the code, an earlier boot compiled")
    void shouldShareOneLoaderForDom0AndTheBenchImages() {
        ImageLoader loader = new ImageLoader(ImageRepository.standardAfter(List.of()));
        for (String name : List.of("dom0", "netbench", "blkbench")) {
            KernelImage image = loader.load(name);
            assertThat(image.sharesLoader()).as(name + ": " + image.staticStateFindings()).isTrue();
            assertThat(image.newKernel(1).getClass()).as(name).isSameAs(image.newKernel(2).getClass());
        }
    }

    @Test
    @DisplayName("the reboot path: SCHEDOP_shutdown(reboot) after the console is flushed")
    void shouldRebootWhenTheApplicationAsks() throws Exception {
        Domain d = selftest(2, "only=idle end=reboot");

        assertThat(ended.await(30, TimeUnit.SECONDS)).isTrue();
        hv.drainConsole();
        assertThat(d.shutdownReason()).isEqualTo(Shutdown.REBOOT);
        assertThat(d.console().lines()).endsWith("selftest: rebooting");
    }

    @Test
    @DisplayName("an idle domain blocks: over a second of idleness no running time and no upcalls")
    void shouldTakeNoUpcallsAndNoRunningTimeWhileIdle() throws Exception {
        Domain d = selftest(2, "only=idle idle=4000");
        assertIdleForASecond(d, d.vcpu(0));

        assertThat(ended.await(30, TimeUnit.SECONDS)).isTrue();
        hv.drainConsole();
        assertThat(d.shutdownReason()).isEqualTo(Shutdown.POWEROFF);
        assertThat(d.console().lines()).contains("selftest: idle done");
    }

    @Test
    @DisplayName("two vCPUs on the kernel: tasks posted across with IPIs, and both idle without running time or upcalls")
    void shouldRunASecondVcpuAndIdleBoth() throws Exception {
        Domain d = selftest(4, 2, "only=idle vcpus=2 idle=4000");
        assertIdleForASecond(d, d.vcpu(0), d.vcpu(1));

        assertThat(ended.await(30, TimeUnit.SECONDS)).isTrue();
        hv.drainConsole();
        assertThat(d.shutdownReason()).as(String.join("\n", d.console().lines())).isEqualTo(Shutdown.POWEROFF);
        assertThat(d.console().lines()).contains("selftest: vCPU 1 timer fired on vCPU 1",
                "selftest: smp ok: 10 tasks round-tripped to vCPU 1", "selftest: idle done");
    }

    @Test
    @DisplayName("the self-test's SMP stage: a thousand tasks round-trip between vCPU 0 and vCPU 1")
    void shouldRoundTripTasksBetweenVcpus() throws Exception {
        Domain d = selftest(4, 2, "vcpus=2 events=1000");

        assertThat(ended.await(60, TimeUnit.SECONDS)).isTrue();
        hv.drainConsole();
        assertThat(d.shutdownReason()).as(String.join("\n", d.console().lines())).isEqualTo(Shutdown.POWEROFF);
        assertThat(d.console().lines()).contains("selftest: smp ok: 1000 tasks round-tripped to vCPU 1",
                "selftest: all passed");
    }

    /**
     * Waits for the "idling" line and every vCPU blocked, then checks that over one second
     * none of them runs, takes an upcall or makes a hypercall.
     */
    private void assertIdleForASecond(Domain d, Vcpu... vcpus) throws InterruptedException {
        while (!printed(d, "selftest: idling")) {
            hv.drainConsole();
            Thread.sleep(5);
        }
        for (Vcpu v : vcpus) {
            while (v.sched().runstate() != Runstate.BLOCKED) {
                Thread.sleep(1);
            }
        }
        long[][] before = new long[vcpus.length][];
        for (int i = 0; i < vcpus.length; i++) {
            Vcpu v = vcpus[i];
            before[i] = new long[] {v.sched().runstateTimes()[Runstate.RUNNING], v.upcalls(), v.hypercalls()};
        }

        Thread.sleep(1000);

        for (int i = 0; i < vcpus.length; i++) {
            Vcpu v = vcpus[i];
            assertThat(v.sched().runstateTimes()[Runstate.RUNNING] - before[i][0]).as("vCPU %d running ns while idle", i).isZero();
            assertThat(v.upcalls() - before[i][1]).as("vCPU %d upcalls while idle", i).isZero();
            assertThat(v.hypercalls() - before[i][2]).as("vCPU %d hypercalls while idle", i).isZero();
            assertThat(v.sched().runstate()).isEqualTo(Runstate.BLOCKED);
        }
    }
}
