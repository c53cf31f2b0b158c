package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypervisor.HostConfig;
import org.parasol.hypervisor.Hypervisor;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.domain.DomainCreationException;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * dom0's image, packaged by pv-toolstack, booted as domain 0: it builds the domains its
 * command line names through domctl, each runs, and dom0 destroys each when it shuts down and
 * powers off after the last; every frame comes back.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class Dom0Test {
    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();
    private Hypervisor hv;
    private final CountDownLatch dom0Ended = new CountDownLatch(1);

    @BeforeEach
    void boot() {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(96L << 20)));
        hv.setKernelSource(TreeImages.dom0AndExamples());
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

    private static DomainConfig dom0(String cmdline) {
        // Preserved when it shuts down, so the test can look at it before destroying it.
        return new DomainConfig("Domain-0", 16 * 1024, 16 * 1024, 1, "dom0", cmdline, true, DomainConfig.Action.PRESERVE,
                DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE);
    }

    @Test
    @DisplayName("dom0 (domain 0, privileged) builds two domains by domctl; they run; it reaps both and powers off")
    void shouldBuildRunAndReapDomains() throws Exception {
        long free = hv.freeFrames();

        Domain dom0 = hv.createDom0(dom0("build=hello,ticker:8192"));

        assertThat(dom0.domid()).isZero();
        assertThat(dom0Ended.await(60, TimeUnit.SECONDS)).as("dom0 powered off").isTrue();
        assertThat(dom0.shutdownReason()).as(String.join("\n", dom0.console().lines())).isEqualTo(Shutdown.POWEROFF);
        List<String> lines = dom0.console().lines();
        assertThat(lines).anyMatch(l -> l.matches("dom0: built d1 \\(hello\\) from hello \\(4096 KiB, 1 vCPU\\)"))
                .anyMatch(l -> l.matches("dom0: built d2 \\(ticker\\) from ticker \\(8192 KiB, 1 vCPU\\)"))
                .anyMatch(l -> l.matches("dom0: d1 \\(hello\\) shut down: poweroff; destroyed"))
                .anyMatch(l -> l.matches("dom0: d2 \\(ticker\\) shut down: poweroff; destroyed"))
                .contains("dom0: every domain is gone; powering off");
        assertThat(hv.domains()).as("only dom0 is left, shut down").extracting(Domain::domid).containsOnly(0);
        hv.destroy(dom0);
        assertThat(hv.freeFrames()).as("every frame of dom0 and of what it built").isEqualTo(free);
        assertThat(hv.unhandledExceptions()).isZero();
    }

    @Test
    @DisplayName("dom0 builds the domains of its boot module (start_info.mod_start, a PFN) with their names, command lines "
            + "and on_* actions; the host hears of each, by name, before it runs")
    void shouldBuildTheBootModulesDomains() throws Exception {
        long free = hv.freeFrames();
        List<Domain> announced = new CopyOnWriteArrayList<>();
        hv.onDomainCreated(announced::add);
        byte[] module = """
                # two domains
                name=greeter image=hello memory=4096 cmdline=from%3Dmodule%20twice
                name=keeper image=faulty memory=4096 maxmem=8192 on_crash=preserve
                """.getBytes(StandardCharsets.UTF_8);

        Domain dom0 = hv.createDom0(dom0(""), module);

        assertThat(dom0Ended.await(60, TimeUnit.SECONDS)).as("dom0 powered off").isTrue();
        List<String> lines = dom0.console().lines();
        assertThat(lines).as(String.join("\n", lines)).contains("dom0: boot module: 2 domains")
                .contains("dom0: built d1 (greeter) from hello (4096 KiB, 1 vCPU)")
                .contains("dom0: built d2 (keeper) from faulty (4096 KiB, 1 vCPU)")
                .contains("dom0: d1 (greeter) shut down: poweroff; destroyed")
                .contains("dom0: d2 (keeper) shut down: crash; preserved");
        assertThat(announced).extracting(Domain::name).containsExactly("Domain-0", "greeter", "keeper");
        assertThat(announced.get(1).console().lines()).contains("Hello from Parasol! command line 'from=module twice'");
        Domain keeper = hv.domain("keeper").orElseThrow();
        assertThat(keeper.shutdownReason()).as("preserved, shut down").isEqualTo(Shutdown.CRASH);
        hv.destroy(keeper);
        hv.destroy(dom0);
        assertThat(hv.freeFrames()).isEqualTo(free);
    }

    @Test
    @DisplayName("a boot module with one hostile line is refused whole: dom0 names the line, builds nothing and powers off")
    void shouldRefuseAHostileModule() throws Exception {
        List<Domain> announced = new CopyOnWriteArrayList<>();
        hv.onDomainCreated(announced::add);

        Domain dom0 = hv.createDom0(dom0(""), "image=hello\nimage=hello cmdline=a=b\n".getBytes(StandardCharsets.UTF_8));

        assertThat(dom0Ended.await(60, TimeUnit.SECONDS)).isTrue();
        assertThat(dom0.shutdownReason()).isEqualTo(Shutdown.POWEROFF);
        assertThat(dom0.console().lines()).contains("dom0: boot module refused: line 2: a byte that must be escaped: 0x3d")
                .contains("dom0: every domain is gone; powering off");
        assertThat(announced).extracting(Domain::name).containsExactly("Domain-0");
    }

    @Test
    @DisplayName("a build that fails (no such image) leaves nothing behind, and dom0 says which step failed")
    void shouldReportAFailedBuild() throws Exception {
        long free = hv.freeFrames();

        Domain dom0 = hv.createDom0(dom0("build=no-such-image,hello"));

        assertThat(dom0Ended.await(60, TimeUnit.SECONDS)).isTrue();
        assertThat(dom0.console().lines()).anyMatch(l -> l.startsWith("dom0: cannot build no-such-image: load_image no-such-image failed ("))
                .anyMatch(l -> l.matches("dom0: d\\d+ \\(hello\\) shut down: poweroff; destroyed"));
        hv.destroy(dom0);
        assertThat(hv.freeFrames()).isEqualTo(free);
    }

    @Test
    @DisplayName("domain 0 is for a privileged domain only, and there is one")
    void shouldKeepDomainZeroForOnePrivilegedDomain() throws Exception {
        DomainConfig unprivileged = new DomainConfig("x", 4096, 4096, 1, "hello", "", false, null, null, null);
        assertThatThrownBy(() -> hv.createDom0(unprivileged)).isInstanceOf(DomainCreationException.class)
                .hasMessageContaining("must be privileged");
        hv.createDom0(dom0(""));
        assertThatThrownBy(() -> hv.createDom0(dom0("").withName("Domain-0b"))).isInstanceOf(DomainCreationException.class)
                .hasMessageContaining("domain id 0 is taken");
    }
}
