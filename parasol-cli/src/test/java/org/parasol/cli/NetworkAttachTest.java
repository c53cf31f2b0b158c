package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parasol.hypervisor.HostConfig;
import org.parasol.hypervisor.Hypervisor;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * vifs attached to and detached from a running domain with xl's verbs at dom0's console
 * ({@code xl network-attach}, {@code network-detach}, {@code network-list}): the device's nodes
 * are written as at build time (the back end takes them up), listed, and removed once the back
 * end has closed; the domain's other vif is untouched; nothing is left behind.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NetworkAttachTest {
    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();
    private Hypervisor hv;
    private final CountDownLatch dom0Ended = new CountDownLatch(1);
    private final Map<Integer, Domain> built = new ConcurrentHashMap<>();
    private Domain dom0;

    @BeforeEach
    void boot() {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(96L << 20)));
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

    private static long count(Domain d, Predicate<String> p) {
        return d.console().lines().stream().filter(p).count();
    }

    @ParameterizedTest(name = "dom0 on {0} vCPU(s)")
    @ValueSource(ints = {1, 3})
    @DisplayName("xl network-attach adds a vif to a running domain, network-list shows both, network-detach removes it "
            + "once the back end has closed")
    void shouldAttachListAndDetachAVif(int dom0Vcpus) throws Exception {
        String module = new String(new Dom0Module().add(new DomainConfig("srv", 8 * 1024, 8 * 1024, 1, "netecho",
                "ip=10.0.0.2/24", false, DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE,
                DomainConfig.Action.PRESERVE), DomainConfig.Action.DESTROY, DomainConfig.Action.DESTROY,
                DomainConfig.Action.DESTROY, java.util.List.of("vif:bridge=xenbr0")).bytes(), StandardCharsets.UTF_8);
        dom0 = hv.createDom0(new DomainConfig("Domain-0", 16 * 1024, 16 * 1024, dom0Vcpus, "dom0", "", true,
                DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE),
                module.getBytes(StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!built.containsKey(1) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        Domain srv = built.get(1);
        assertThat(srv).as(console(dom0)).isNotNull();
        awaitLine(srv, l -> l.startsWith("netecho: 10.0.0.2/24 on 00:16:3e:00:01:00, echoing"), "echoing");

        hv.consoleInput("xl network-attach srv bridge=xenbr1 mac=00:16:3e:00:00:99\n");
        awaitLine(dom0, l -> l.equals("dom0: xl: d1: vif 1 (00:16:3e:00:00:99) attached to bridge xenbr1, served by d0"),
                "attached");
        hv.consoleInput("xl network-list srv\n");
        // netecho hot-plugs the new vif: netfront connects it (state 4) as the toolstack adds it.
        awaitLine(srv, l -> l.equals("netecho: hot-plugged vif 1 (00:16:3e:00:00:99): connected"), "vif 1 hot-plugged");
        awaitLine(dom0, l -> l.startsWith("netback: vif1.1: on bridge xenbr1; Connected"), "netback's vif1.1 Connected");
        hv.consoleInput("xl network-list srv\n");
        awaitLine(dom0, l -> l.startsWith("1   0  00:16:3e:00:00:99 1      4 "), "network-list's line for vif 1, Connected");
        awaitLine(dom0, l -> l.startsWith("0   0  00:16:3e:00:01:00 0      4 "), "network-list's line for vif 0, Connected");

        hv.consoleInput("xl network-detach srv 00:16:3e:00:00:99\n");
        awaitLine(dom0, l -> l.equals("dom0: xl: d1's vif 1 detached"), "detached");
        awaitLine(dom0, l -> l.startsWith("netback: vif1.1: ") && l.endsWith("the front end is closing; Closed"),
                "the hot-plugged front end closed on detach");
        hv.consoleInput("xl network-list srv\n");
        awaitLine(dom0, l -> count(dom0, x -> x.startsWith("Idx BE Mac Addr.")) == 3
                && count(dom0, x -> x.startsWith("0   0  00:16:3e:00:01:00")) == 3, "the third list");
        assertThat(count(dom0, l -> l.startsWith("1   0  00:16:3e:00:00:99"))).as(console(dom0)).isEqualTo(2);
        hv.consoleInput("xl network-detach srv 7\n");
        awaitLine(dom0, l -> l.equals("dom0: xl: network-detach: d1 has no vif '7'"), "no such vif");

        hv.consoleInput("xl shutdown -a\n");
        assertThat(dom0Ended.await(60, TimeUnit.SECONDS)).as(console(dom0)).isTrue();
        assertThat(console(dom0)).contains("dom0: xl: d1's vif 1: asked the back end to close")
                .doesNotContain("did not close within")
                .contains("dom0: xenstored: 8 nodes left; /local/domain lists [0]; 0 rings connected");
        hv.destroy(dom0);
    }
}
