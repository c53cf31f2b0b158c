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
 * Cooperative shutdown through the store, end to end: xl's verbs typed at the hypervisor's
 * console, read by dom0 ({@code VIRQ_CONSOLE}, {@code CONSOLEIO_read}), written into a domain's
 * {@code control/shutdown}, heard and acknowledged by its kernel, and the domain reaped with its
 * reason, or destroyed when it ignores the request past dom0's shutdown timeout.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class Dom0ShutdownTest {
    /** What dom0 says once every domain it built is gone: its own nodes only, no ring. */
    private static final String STORE_EMPTY = "dom0: xenstored: 8 nodes left; /local/domain lists [0]; 0 rings connected";

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();
    private Hypervisor hv;
    private final CountDownLatch dom0Ended = new CountDownLatch(1);
    /** Every domain dom0 built, by name then id, for their consoles after they are gone. */
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

    private Domain startDom0(String cmdline, String module) throws Exception {
        dom0 = hv.createDom0(new DomainConfig("Domain-0", 16 * 1024, 16 * 1024, 1, "dom0", cmdline, true,
                DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE),
                module.getBytes(StandardCharsets.UTF_8));
        return dom0;
    }

    private void awaitDom0PowerOff() throws InterruptedException {
        assertThat(dom0Ended.await(60, TimeUnit.SECONDS)).as("dom0 powered off\n%s", dom0Console()).isTrue();
        assertThat(dom0.shutdownReason()).as(dom0Console()).isEqualTo(Shutdown.POWEROFF);
    }

    private String dom0Console() {
        return String.join("\n", dom0.console().lines());
    }

    /** Waits (bounded) until {@code d}'s console has a line {@code p} accepts. */
    private static void awaitLine(Domain d, Predicate<String> p, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (d.console().lines().stream().anyMatch(p)) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no line " + what + " on " + d.name() + "'s console:\n"
                + String.join("\n", d.console().lines()));
    }

    private Domain awaitBuilt(int domid) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline && !built.containsKey(domid)) {
            Thread.sleep(10);
        }
        assertThat(built).as(dom0Console()).containsKey(domid);
        return built.get(domid);
    }

    @Test
    @DisplayName("xl shutdown: the guest kernel acknowledges control/shutdown (writes \"\") and powers off; dom0 reaps it "
            + "with reason poweroff well within the timeout, and nothing of it is left")
    void shouldShutDownACooperativeDomain() throws Exception {
        long free = hv.freeFrames();
        startDom0("shutdown_timeout=30", "name=ticker image=ticker cmdline=ticks%3D100000%20period%3D20\n");
        Domain ticker = awaitBuilt(1);
        awaitLine(ticker, l -> l.startsWith("tick 3 "), "tick 3");
        long asked = System.nanoTime();

        hv.consoleInput("xl shutdown ticker\n");

        awaitDom0PowerOff();
        long tookMs = (System.nanoTime() - asked) / 1_000_000;
        assertThat(tookMs).as("shut down in time, not destroyed after 30 s").isLessThan(20_000);
        assertThat(dom0.console().lines()).as(dom0Console())
                .contains("dom0: shutting down d1 (ticker); destroyed if still up in 30 s")
                .contains("dom0: d1 (ticker) acknowledged poweroff")
                .contains("dom0: d1 (ticker) shut down: poweroff; destroyed")
                .contains(STORE_EMPTY)
                .noneMatch(l -> l.contains("did not shut down"));
        assertThat(ticker.console().lines()).contains("xen: shutdown request from the toolstack: poweroff")
                .noneMatch(l -> l.contains("ticker: done"));
        assertThat(ticker.shutdownReason()).isEqualTo(Shutdown.POWEROFF);
        hv.destroy(dom0);
        assertThat(hv.freeFrames()).isEqualTo(free);
        assertThat(hv.unhandledExceptions()).isZero();
    }

    @Test
    @DisplayName("xl reboot of a domain with on_reboot=restart: it shuts down with reason reboot and dom0 builds it again "
            + "from its spec; xl shutdown then ends the new one")
    void shouldRestartARebootedDomain() throws Exception {
        startDom0("", "name=t image=ticker cmdline=ticks%3D100000%20period%3D20 on_reboot=restart\n");
        Domain first = awaitBuilt(1);
        awaitLine(first, l -> l.startsWith("tick 2 "), "tick 2");

        hv.consoleInput("xl reboot 1\n");

        Domain second = awaitBuilt(2);
        assertThat(second.name()).isEqualTo("t");
        awaitLine(second, l -> l.startsWith("tick 2 "), "the new domain's tick 2");
        assertThat(first.shutdownReason()).isEqualTo(Shutdown.REBOOT);
        assertThat(first.console().lines()).contains("xen: shutdown request from the toolstack: reboot");

        hv.consoleInput("xl shutdown t\n");

        awaitDom0PowerOff();
        assertThat(dom0.console().lines()).as(dom0Console())
                .contains("dom0: rebooting d1 (t); destroyed if still up in 60 s")
                .contains("dom0: d1 (t) shut down: reboot; destroyed; restarting")
                .contains("dom0: built d2 (t) from ticker (4096 KiB, 1 vCPU)")
                .contains("dom0: d2 (t) shut down: poweroff; destroyed")
                .contains(STORE_EMPTY);
        hv.destroy(dom0);
    }

    @Test
    @DisplayName("a domain whose application never completes its shutdown hook is destroyed when dom0's timeout runs out; "
            + "its store nodes, ring, port, grants and frames are gone (LeakCheck)")
    void shouldDestroyADomainThatIgnoresTheRequest() throws Exception {
        long free = hv.freeFrames();
        startDom0("shutdown_timeout=2500ms", "name=stubborn image=stubborn cmdline=period%3D50\n"
                + "name=ticker image=ticker cmdline=ticks%3D100000%20period%3D20\n");
        Domain stubborn = awaitBuilt(1);
        Domain ticker = awaitBuilt(2);
        awaitLine(stubborn, l -> l.equals("stubborn: still here (2)"), "still here (2)");

        hv.consoleInput("xl shutdown -a -w\n");

        awaitDom0PowerOff();
        assertThat(dom0.console().lines()).as(dom0Console())
                .contains("dom0: xl: waiting for 2 domains")
                .contains("dom0: shutting down d1 (stubborn); destroyed if still up in 2500 ms")
                .contains("dom0: d1 (stubborn) acknowledged poweroff")
                .contains("dom0: d1 (stubborn) did not shut down within 2500 ms of the poweroff request; destroyed")
                .contains("dom0: d2 (ticker) shut down: poweroff; destroyed")
                .contains("dom0: xl: domain 1 has been destroyed", "dom0: xl: domain 2 has been shut down, reason code 0",
                        "dom0: xl: done waiting")
                .contains(STORE_EMPTY);
        assertThat(stubborn.console().lines()).containsSubsequence("xen: shutdown request from the toolstack: poweroff",
                "stubborn: asked to poweroff; not going");
        assertThat(stubborn.shutdownReason()).as("destroyed, never shut down").isNotEqualTo(Shutdown.POWEROFF);
        assertThat(ticker.shutdownReason()).isEqualTo(Shutdown.POWEROFF);
        hv.destroy(dom0);
        assertThat(hv.freeFrames()).as("every frame of both domains and their store pages").isEqualTo(free);
        assertThat(hv.unhandledExceptions()).isZero();
    }

    @Test
    @DisplayName("a request dom0 did not write (here the domain writes its own control/shutdown, as any store client "
            + "may) is timed the same way: dom0's watch sees it, and the domain that never complies is destroyed")
    void shouldTimeARequestAnyClientWrote() throws Exception {
        long free = hv.freeFrames();
        startDom0("shutdown_timeout=500ms", "name=stubborn image=stubborn cmdline=period%3D50%20ask%3Dpoweroff\n");
        Domain stubborn = awaitBuilt(1);

        awaitDom0PowerOff();

        assertThat(dom0.console().lines()).as(dom0Console())
                .noneMatch(l -> l.startsWith("dom0: shutting down"))
                .contains("dom0: d1 (stubborn) acknowledged poweroff")
                .contains("dom0: d1 (stubborn) did not shut down within 500 ms of the poweroff request; destroyed")
                .contains(STORE_EMPTY);
        assertThat(stubborn.console().lines()).contains("stubborn: wrote 'poweroff' into control/shutdown",
                "stubborn: asked to poweroff; not going");
        hv.destroy(dom0);
        assertThat(hv.freeFrames()).isEqualTo(free);
    }

    @Test
    @DisplayName("suspend, which the kernel cannot do, is left unacknowledged; when the timeout runs out dom0 cancels the "
            + "request (empties the node, as libxl) and the domain runs on")
    void shouldCancelAnUnacknowledgedSuspend() throws Exception {
        startDom0("shutdown_timeout=300ms", "name=stubborn image=stubborn cmdline=period%3D50%20ask%3Dsuspend\n");
        Domain stubborn = awaitBuilt(1);
        awaitLine(dom0, l -> l.equals("dom0: d1 (stubborn) did not acknowledge suspend; request cancelled"),
                "the cancelled suspend");
        awaitLine(stubborn, l -> l.equals("stubborn: still here (20)"), "still here (20)");

        hv.consoleInput("xl destroy 1\n");

        awaitDom0PowerOff();
        assertThat(stubborn.console().lines()).contains("Ignoring shutdown request: suspend")
                .noneMatch(l -> l.startsWith("xen: shutdown request"));
        assertThat(dom0.console().lines()).as(dom0Console()).contains("dom0: d1 (stubborn) destroyed")
                .noneMatch(l -> l.contains("did not shut down"));
        hv.destroy(dom0);
    }

    @Test
    @DisplayName("a suspend the guest wrote into its own node first does not shield it: xl shutdown's poweroff replaces "
            + "the pending suspend, and the domain that never complies is destroyed after the timeout")
    void shouldNotLetAPendingSuspendOutliveXlShutdown() throws Exception {
        long free = hv.freeFrames();
        startDom0("shutdown_timeout=5s", "name=stubborn image=stubborn cmdline=period%3D50%20ask%3Dsuspend\n");
        Domain stubborn = awaitBuilt(1);
        awaitLine(stubborn, l -> l.equals("Ignoring shutdown request: suspend"), "the ignored suspend");

        hv.consoleInput("xl shutdown stubborn\n");

        awaitDom0PowerOff();
        assertThat(dom0.console().lines()).as(dom0Console())
                .contains("dom0: shutting down d1 (stubborn); destroyed if still up in 5 s")
                .anyMatch(l -> l.startsWith("dom0: d1 (stubborn) did not shut down within 5 s of the poweroff request"))
                .noneMatch(l -> l.contains("was asked already"))
                .contains(STORE_EMPTY);
        hv.destroy(dom0);
        assertThat(hv.freeFrames()).isEqualTo(free);
    }

    @Test
    @DisplayName("after xl shutdown -a no domain is restarted, whatever its on_* action: one with on_poweroff=restart "
            + "powers off and stays off, and dom0 powers off after it")
    void shouldNotRestartAfterShutdownAll() throws Exception {
        startDom0("", "name=ticker image=ticker cmdline=ticks%3D100000%20period%3D50 on_poweroff=restart\n");
        Domain ticker = awaitBuilt(1);
        awaitLine(ticker, l -> l.startsWith("tick 2 "), "tick 2");

        hv.consoleInput("xl shutdown -a\n");

        awaitDom0PowerOff();
        assertThat(dom0.console().lines()).as(dom0Console())
                .contains("dom0: d1 (ticker) shut down: poweroff; destroyed; not restarted (xl shutdown -a)")
                .noneMatch(l -> l.contains("restarting"))
                .contains(STORE_EMPTY);
        assertThat(built).containsOnlyKeys(1);
        hv.destroy(dom0);
    }

    @Test
    @DisplayName("hostile console lines are refused with one line each (too long, control bytes, not xl, unknown verbs, "
            + "options and domains); xl list lists the domains; xl destroy ends one without asking it")
    void shouldRefuseHostileConsoleInput() throws Exception {
        startDom0("", "name=ticker image=ticker cmdline=ticks%3D100000%20period%3D20\n");
        Domain ticker = awaitBuilt(1);
        awaitLine(ticker, l -> l.startsWith("tick 1 "), "tick 1");

        hv.consoleInput("x".repeat(5000 / 2) + "\n");
        hv.consoleInput("xl shutdown \u0007ticker\n");
        hv.consoleInput("rm -rf /\n");
        hv.consoleInput("xl create evil.cfg\n");
        hv.consoleInput("xl shutdown -R ticker\n");
        hv.consoleInput("xl shutdown ../../etc\n");
        hv.consoleInput("xl shutdown nosuch\n");
        hv.consoleInput("xl shutdown 0\n");
        hv.consoleInput("xl shutdown\n");
        hv.consoleInput("xl list\n");
        awaitLine(dom0, l -> l.startsWith("ticker "), "xl list's ticker row");
        assertThat(ticker.mayRun()).as("nothing above shut it down").isTrue();

        hv.consoleInput("xl destroy ticker\n");

        awaitDom0PowerOff();
        assertThat(dom0.console().lines()).as(dom0Console())
                .contains("dom0: xl: a line longer than 2048 bytes is not read")
                .contains("dom0: xl: a line with the byte 0x07 is not read")
                .contains("dom0: xl: not an xl command: 'rm -rf /'; dom0's console takes " + "xl shutdown|reboot [-a] [-w] "
                        + "[-F] <name|domid>, xl destroy <name|domid>, xl list, xl block-attach <name|domid> <disk spec>,"
                        + " xl block-detach <name|domid> <vdev>, xl block-list <name|domid>")
                .contains("dom0: xl: create refused: line 1: 'evil.cfg' is not key=value")
                .contains("dom0: xl: shutdown: unknown option '-R'")
                .contains("dom0: xl: '../../etc' is an invalid domain identifier")
                .contains("dom0: xl: 'nosuch' is an invalid domain identifier")
                .contains("dom0: xl: not domain 0: dom0 powers off by itself after its last domain")
                .contains("dom0: xl: shutdown: you must specify -a or a domain id")
                .contains("Name                                        ID   Mem VCPUs\tState\tTime(s)")
                .anyMatch(l -> l.matches("Domain-0 +0 +\\d+ +1 +[-rb]{2}-{4} +\\d+\\.\\d"))
                .anyMatch(l -> l.matches("ticker +1 +4 +1 +[-rb]{2}-{4} +\\d+\\.\\d"))
                .contains("dom0: d1 (ticker) destroyed")
                .contains(STORE_EMPTY);
        assertThat(ticker.console().lines()).noneMatch(l -> l.startsWith("xen: shutdown request"));
        hv.destroy(dom0);
        assertThat(hv.unhandledExceptions()).isZero();
    }
}
