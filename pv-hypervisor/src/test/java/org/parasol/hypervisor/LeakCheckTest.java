package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GrantRef;
import org.parasol.hypercall.Mfn;
import org.parasol.hypercall.Port;
import org.parasol.hypercall.abi.Gntmap;
import org.parasol.hypercall.abi.Gntst;
import org.parasol.hypercall.abi.Gtf;
import org.parasol.hypercall.guest.ArgumentPage;
import org.parasol.hypercall.guest.EventChannelCalls;
import org.parasol.hypercall.guest.GrantTableCalls;
import org.parasol.hypervisor.testing.LeakCheck;
import org.parasol.hypervisor.time.ManualClock;

/**
 * The leak check itself: it must fail a test that leaks, and say what leaked. Each fixture
 * below is a small test class that leaks one thing on purpose; this class runs it through the
 * JUnit launcher and reads the failure. (The fixtures are nested classes, which surefire does
 * not run on its own, and are enabled only while this class runs them.)
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LeakCheckTest {
    private static volatile boolean runningFixtures;

    /** Whether a fixture is being run by this class (the fixtures' {@code @EnabledIf}). */
    static boolean runningFixtures() {
        return runningFixtures;
    }

    /** Runs {@code fixture}'s tests and returns each failure's message, by test name. */
    private static List<String> failuresOf(Class<?> fixture) {
        List<String> failures = new ArrayList<>();
        List<String> passed = new ArrayList<>();
        Launcher launcher = LauncherFactory.create();
        runningFixtures = true;
        try {
            launcher.execute(LauncherDiscoveryRequestBuilder.request().selectors(selectClass(fixture)).build(),
                    new TestExecutionListener() {
                        @Override
                        public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                            if (!id.isTest()) {
                                return;
                            }
                            if (result.getStatus() == TestExecutionResult.Status.FAILED) {
                                failures.add(id.getDisplayName() + ": "
                                        + result.getThrowable().map(Throwable::getMessage).orElse("(no message)"));
                            } else {
                                passed.add(id.getDisplayName() + ": " + result.getStatus());
                            }
                        }
                    });
        } finally {
            runningFixtures = false;
        }
        assertThat(failures.size() + passed.size()).as("the fixture's tests ran").isPositive();
        return failures;
    }

    @Test
    @DisplayName("A test that leaves its hypervisor open fails, naming where it was booted")
    void shouldFailATestThatLeavesItsHypervisorOpen() {
        assertThat(failuresOf(LeavesTheHypervisorOpen.class)).singleElement().asString()
                .contains("leak check: 1 leak")
                .contains("was not closed")
                .contains("LeavesTheHypervisorOpen.boot(")
                .contains("d1 'left-running'");
    }

    @Test
    @DisplayName("A destroyed domain's frame that a mapping in a live domain keeps is named, with its MFN")
    void shouldNameADestroyedDomainsFrameKeptByAMapping() {
        List<String> failures = failuresOf(KeepsADestroyedGrantersFrameMapped.class);
        assertThat(failures).singleElement().asString()
                .contains("was not closed")
                .contains("d1 'granter', destroyed, still holds 1 frame: " + Mfn.of(KeepsADestroyedGrantersFrameMapped.mfn)
                        + " (refs 1, writable x1) while the hypervisor runs");
    }

    @Test
    @DisplayName("A live domain's port still naming a destroyed peer is named, with the port, while the host is left open")
    void shouldNameAPortNamingADestroyedDomain() {
        List<String> failures = failuresOf(KeepsAPortToADestroyedPeer.class);
        assertThat(failures).singleElement().asString()
                .contains("was not closed")
                .contains("d2 'b' has " + Port.of(KeepsAPortToADestroyedPeer.port) + " (unbound for d1), naming destroyed d1");
    }

    @Test
    @DisplayName("A pin nobody released is named by grant reference, user and frame, even after close")
    void shouldNameAGrantPinAndItsFrameAfterClose() {
        List<String> failures = failuresOf(LeavesAGrantPinned.class);
        String mfn = Mfn.of(LeavesAGrantPinned.mfn).toString();
        assertThat(failures).singleElement().asString()
                .doesNotContain("not closed")
                .contains("d1 'granter', destroyed, has gref 8 in use by d2 (pin 0x1, " + mfn + ")")
                .contains("d1 still owns or shares 1 frame: " + mfn + " (refs 1, writable x1) after the hypervisor closed");
    }

    @Test
    @DisplayName("A reference to a destroyed domain's shared_info that nobody drops is named as that domain's frame")
    void shouldNameAHypervisorPageSharedWithADestroyedDomain() {
        List<String> failures = failuresOf(KeepsASharedInfoReference.class);
        assertThat(failures).singleElement().asString()
                .contains("d1 still owns or shares 1 frame: " + Mfn.of(KeepsASharedInfoReference.mfn)
                        + " (refs 1, writable x0, a hypervisor page) after the hypervisor closed");
    }

    @Test
    @DisplayName("A hypervisor in a field that was never given to the leak check fails the test")
    void shouldFailAnUntrackedHypervisor() {
        assertThat(failuresOf(ForgetsToTrack.class)).singleElement().asString()
                .contains("ForgetsToTrack.hv holds a hypervisor the leak check was not given");
    }

    @Test
    @DisplayName("A test that destroys what it built and closes its hypervisor passes")
    void shouldPassACleanTest() {
        assertThat(failuresOf(CleansUp.class)).isEmpty();
    }

    // ---------------------------------------------------------------- fixtures

    private static HostConfig host() {
        return HostConfig.defaults(16L << 20).withClock(new ManualClock()).withPcpus(1);
    }

    @EnabledIf("org.parasol.hypervisor.LeakCheckTest#runningFixtures")
    static class LeavesTheHypervisorOpen {
        @RegisterExtension
        final LeakCheck leaks = new LeakCheck();
        Hypervisor hv;

        @BeforeEach
        void boot() {
            hv = leaks.track(Hypervisor.boot(host()));
        }

        @Test
        void leak() throws Exception {
            BareGuest.create(hv, "left-running", 1024);
        }
    }

    /** The granter is destroyed while the mapper still maps its frame, and nobody closes the host. */
    @EnabledIf("org.parasol.hypervisor.LeakCheckTest#runningFixtures")
    static class KeepsADestroyedGrantersFrameMapped {
        static volatile long mfn;
        @RegisterExtension
        final LeakCheck leaks = new LeakCheck();
        Hypervisor hv;

        @Test
        void leak() throws Exception {
            hv = leaks.track(Hypervisor.boot(host()));
            BareGuest a = BareGuest.create(hv, "granter", 1024);
            BareGuest b = BareGuest.create(hv, "mapper", 1024);
            mfn = grant(hv, a, b);
            GrantTableCalls gb = new GrantTableCalls(b.cpu, new ArgumentPage(b.scratch));
            GrantTableCalls.MapResult m = gb.mapGrantRef(0x5C0000L, Gntmap.HOST_MAP, GrantRef.of(8),
                    DomId.of(a.domain.domid()));
            assertThat(m.status()).isEqualTo(Gntst.OKAY);
            assertThat(hv.destroy(a.domain)).isTrue();
        }
    }

    /** The peer of an interdomain channel is destroyed; the other end keeps its port, and the host is left open. */
    @EnabledIf("org.parasol.hypervisor.LeakCheckTest#runningFixtures")
    static class KeepsAPortToADestroyedPeer {
        static volatile int port;
        @RegisterExtension
        final LeakCheck leaks = new LeakCheck();
        Hypervisor hv;

        @Test
        void leak() throws Exception {
            hv = leaks.track(Hypervisor.boot(host()));
            BareGuest a = BareGuest.create(hv, "a", 1024);
            BareGuest b = BareGuest.create(hv, "b", 1024);
            a.domain.vcpu(0).attach();
            int offered = (int) new EventChannelCalls(a.cpu, new ArgumentPage(a.scratch))
                    .allocUnbound(DomId.SELF, DomId.of(b.domain.domid()));
            b.domain.vcpu(0).attach();
            port = (int) new EventChannelCalls(b.cpu, new ArgumentPage(b.scratch))
                    .bindInterdomain(DomId.of(a.domain.domid()), Port.of(offered));
            assertThat(port).isPositive();
            assertThat(hv.destroy(a.domain)).isTrue();
        }
    }

    /** A pin taken on the granter's entry and never released: what a lost unmap would leave. */
    @EnabledIf("org.parasol.hypervisor.LeakCheckTest#runningFixtures")
    static class LeavesAGrantPinned {
        static volatile long mfn;
        @RegisterExtension
        final LeakCheck leaks = new LeakCheck();
        Hypervisor hv;

        @AfterEach
        void close() {
            hv.close();
        }

        @Test
        void leak() throws Exception {
            hv = leaks.track(Hypervisor.boot(host()));
            BareGuest a = BareGuest.create(hv, "granter", 1024);
            BareGuest b = BareGuest.create(hv, "user", 1024);
            mfn = grant(hv, a, b);
            assertThat(a.domain.grants().acquire(8, b.domain.domid(), false)).isEqualTo(mfn);
        }
    }

    /** A general reference on the domain's shared_info page that nobody drops. */
    @EnabledIf("org.parasol.hypervisor.LeakCheckTest#runningFixtures")
    static class KeepsASharedInfoReference {
        static volatile long mfn;
        @RegisterExtension
        final LeakCheck leaks = new LeakCheck();
        Hypervisor hv;

        @AfterEach
        void close() {
            hv.close();
        }

        @Test
        void leak() throws Exception {
            hv = leaks.track(Hypervisor.boot(host()));
            BareGuest a = BareGuest.create(hv, "holder", 1024);
            mfn = a.domain.sharedInfoMfn();
            assertThat(hv.frames().getPage(mfn, a.domain.domid())).isTrue();
        }
    }

    @EnabledIf("org.parasol.hypervisor.LeakCheckTest#runningFixtures")
    static class ForgetsToTrack {
        @RegisterExtension
        final LeakCheck leaks = new LeakCheck();
        Hypervisor hv;

        @AfterEach
        void close() {
            hv.close();
        }

        @Test
        void leak() {
            hv = Hypervisor.boot(host());
        }
    }

    @EnabledIf("org.parasol.hypervisor.LeakCheckTest#runningFixtures")
    static class CleansUp {
        @RegisterExtension
        final LeakCheck leaks = new LeakCheck();
        Hypervisor hv;

        @AfterEach
        void close() {
            hv.close();
        }

        @Test
        void clean() throws Exception {
            hv = leaks.track(Hypervisor.boot(host()));
            BareGuest a = BareGuest.create(hv, "granter", 1024);
            BareGuest b = BareGuest.create(hv, "mapper", 1024);
            grant(hv, a, b);
            GrantTableCalls gb = new GrantTableCalls(b.cpu, new ArgumentPage(b.scratch));
            GrantTableCalls.MapResult m = gb.mapGrantRef(0x5C0000L, Gntmap.HOST_MAP, GrantRef.of(8),
                    DomId.of(a.domain.domid()));
            assertThat(m.status()).isEqualTo(Gntst.OKAY);
            assertThat(hv.destroy(a.domain)).as("Xen keeps the mapped frame alive: legal while b lives").isTrue();
            assertThat(hv.destroy(b.domain)).isTrue();
        }
    }

    /**
     * {@code a} sets up its grant table and grants {@code b} writable access to its second
     * scratch page as reference 8; returns that page's MFN.
     */
    private static long grant(Hypervisor hv, BareGuest a, BareGuest b) {
        GrantTableCalls ga = new GrantTableCalls(a.cpu, new ArgumentPage(a.scratch));
        long[] frames = new long[1];
        assertThat(ga.setupTable(DomId.SELF, frames).status()).isEqualTo(Gntst.OKAY);
        long mfn = a.domain.vcpu(0).mmu().translate(a.scratch2, false) >>> 12;
        new GrantFrame(hv.machine().segment(), frames[0]).grant(8, b.domain.domid(), mfn, Gtf.PERMIT_ACCESS);
        return mfn;
    }
}
