package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * xenstored in dom0, end to end: dom0 builds domains with a store page and port, writes their
 * paths, introduces them, serves their rings, and releases them when they end; the
 * {@code xenstore-demo} guest uses the store through its kernel's xenbus client.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class Dom0StoreTest {
    /** What dom0 says once every domain it built is gone: its own nodes only, no ring. */
    private static final String STORE_EMPTY = "dom0: xenstored: 8 nodes left; /local/domain lists [0]; 0 rings connected";

    /** What dom0's watches on the special paths saw after two domains came and went. */
    private static final String TWO_INTRODUCED_AND_RELEASED =
            "dom0: xenstored: @introduceDomain fired 2 times, @releaseDomain 2 times";

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();
    private Hypervisor hv;
    private final CountDownLatch dom0Ended = new CountDownLatch(1);
    /** Each built domain's console, taken when it shut down (dom0 destroys it right after). */
    private final Map<Integer, List<String>> consoles = new ConcurrentHashMap<>();

    @BeforeEach
    void boot() {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(96L << 20)));
        hv.setKernelSource(TreeImages.dom0AndExamples());
        hv.onShutdown(d -> {
            if (d.domid() == 0) {
                dom0Ended.countDown();
            } else {
                consoles.put(d.domid(), List.copyOf(d.console().lines()));
            }
        });
    }

    @AfterEach
    void close() {
        hv.close();
    }

    private Domain runDom0(String cmdline) throws Exception {
        Domain dom0 = hv.createDom0(new DomainConfig("Domain-0", 16 * 1024, 16 * 1024, 1, "dom0", cmdline, true,
                DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE));
        assertThat(dom0Ended.await(60, TimeUnit.SECONDS)).as("dom0 powered off").isTrue();
        assertThat(dom0.shutdownReason()).as(String.join("\n", dom0.console().lines())).isEqualTo(Shutdown.POWEROFF);
        return dom0;
    }

    @Test
    @DisplayName("two guests each read their own domid and name from the store, write, list, watch (initial fire) and "
            + "commit a transaction; after the reap no /local/domain/<id> is left and every frame returns")
    void shouldServeTwoGuestsThroughTheirStoreRings() throws Exception {
        long free = hv.freeFrames();

        Domain dom0 = runDom0("build=xenstore-demo,xenstore-demo");

        List<String> lines = dom0.console().lines();
        assertThat(lines).as(String.join("\n", lines)).contains("dom0: xenstored up: 8 nodes")
                .anyMatch(l -> l.matches("dom0: built d1 \\(xenstore-demo\\) from xenstore-demo \\(4096 KiB, 1 vCPU\\)"))
                .anyMatch(l -> l.matches("dom0: built d2 \\(xenstore-demo-2\\) from xenstore-demo \\(4096 KiB, 1 vCPU\\)"))
                .anyMatch(l -> l.matches("dom0: d1 \\(xenstore-demo\\) shut down: poweroff; destroyed"))
                .anyMatch(l -> l.matches("dom0: d2 \\(xenstore-demo-2\\) shut down: poweroff; destroyed"))
                .contains(STORE_EMPTY, TWO_INTRODUCED_AND_RELEASED);
        assertDemoRan(1, "xenstore-demo");
        assertDemoRan(2, "xenstore-demo-2");
        hv.destroy(dom0);
        assertThat(hv.freeFrames()).as("every frame of dom0, of what it built and of the store pages").isEqualTo(free);
        assertThat(hv.unhandledExceptions()).isZero();
    }

    private void assertDemoRan(int domid, String name) {
        List<String> console = consoles.get(domid);
        assertThat(console).as("d%d's console", domid).isNotNull();
        assertThat(console).as(String.join("\n", console)).containsSubsequence(
                "xenstore-demo: domid " + domid,
                "xenstore-demo: domain path /local/domain/" + domid,
                "xenstore-demo: name " + name,
                "xenstore-demo: wrote data/greeting, read back 'hello from " + name + "'",
                "xenstore-demo: directory of /local/domain/" + domid
                        + ": attr,control,cpu,data,device,domid,drivers,error,feature,memory,name,vm",
                "xenstore-demo: writing name: refused, EACCES",
                "xenstore-demo: watch on data/counter fired at once: data/counter",
                "xenstore-demo: watch on data/counter fired after the commit: data/counter",
                "xenstore-demo: done");
        // The commit's reply and the event it fired reach the application as two tasks, in either order.
        assertThat(console.subList(console.indexOf("xenstore-demo: watch on data/counter fired at once: data/counter"),
                console.indexOf("xenstore-demo: done"))).contains("xenstore-demo: transaction committed: data/counter 0 -> 1");
    }

    @Test
    @DisplayName("a domain that crashes is released like one that powers off: its ring, port and paths go")
    void shouldReleaseACrashedDomain() throws Exception {
        long free = hv.freeFrames();

        Domain dom0 = runDom0("build=faulty,xenstore-demo");

        List<String> lines = dom0.console().lines();
        assertThat(lines).as(String.join("\n", lines))
                .anyMatch(l -> l.matches("dom0: d1 \\(faulty\\) shut down: crash; destroyed"))
                .anyMatch(l -> l.matches("dom0: d2 \\(xenstore-demo\\) shut down: poweroff; destroyed"))
                .contains(STORE_EMPTY, TWO_INTRODUCED_AND_RELEASED);
        assertThat(consoles.get(2)).contains("xenstore-demo: done");
        hv.destroy(dom0);
        assertThat(hv.freeFrames()).isEqualTo(free);
    }

    @Test
    @DisplayName("a guest that scribbles over its ring's indices loses its own connection (XENSTORE_ERROR_RINGIDX); "
            + "the well-behaved guest beside it completes")
    void shouldEndOnlyTheHostileGuestsConnection() throws Exception {
        long free = hv.freeFrames();

        Domain dom0 = runDom0("build=xenstore-scribbler,xenstore-demo");

        List<String> lines = dom0.console().lines();
        assertThat(lines).as(String.join("\n", lines))
                .anyMatch(l -> l.startsWith("xenstored: d1 broke its store ring (") && l.endsWith("); its connection is ended"))
                .noneMatch(l -> l.startsWith("xenstored: d2 broke"))
                .anyMatch(l -> l.matches("dom0: d1 \\(xenstore-scribbler\\) shut down: poweroff; destroyed"))
                .anyMatch(l -> l.matches("dom0: d2 \\(xenstore-demo\\) shut down: poweroff; destroyed"))
                .contains(STORE_EMPTY, TWO_INTRODUCED_AND_RELEASED);
        assertThat(consoles.get(1)).containsSubsequence("xenstore-scribbler: the store answered: data/before = ok",
                "xenstore-scribbler: xenstored ended our connection: error 2");
        assertThat(consoles.get(2)).contains("xenstore-demo: name xenstore-demo", "xenstore-demo: done");
        hv.destroy(dom0);
        assertThat(hv.freeFrames()).isEqualTo(free);
        assertThat(hv.unhandledExceptions()).isZero();
    }
}
