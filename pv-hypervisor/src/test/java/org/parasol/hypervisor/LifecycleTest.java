package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypercall.GuestAbort;
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainCreationException;
import org.parasol.hypervisor.domain.DomainState;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parasol.hypervisor.testing.LeakCheck;

/** Domains with threads of their own: boot, shutdown, crash containment, reclamation. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LifecycleTest {
    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();
    private Hypervisor hv;

    private Hypervisor boot(HostConfig cfg) {
        hv = leaks.track(Hypervisor.boot(cfg));
        return hv;
    }

    @AfterEach
    void close() {
        if (hv != null) {
            assertThat(hv.unhandledExceptions()).isZero();
            hv.close();
        }
    }

    private static DomainConfig cfg(String name) {
        return DomainConfig.of(name, null, 1).withMemoryKiB(1024);
    }

    private static Domain awaitEnd(Domain d) throws InterruptedException {
        assertThat(d.awaitDeath(20, TimeUnit.SECONDS)).as("%s ended", d.name()).isTrue();
        return d;
    }

    private void bootMany(int n) throws Exception {
        boot(HostConfig.defaults((n + 8L) << 20));
        long free = hv.frames().freeFrames();
        List<Domain> ds = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ds.add(hv.createDomain(cfg("d" + i), TestKernels.poweroff("hello from d" + i)));
        }
        for (Domain d : ds) {
            awaitEnd(d);
            assertThat(d.shutdownReason()).isEqualTo(Shutdown.POWEROFF);
            assertThat(d.console().lines()).containsExactly("hello from " + d.name());
            assertThat(d.state()).isEqualTo(DomainState.DEAD);
        }
        assertThat(hv.frames().freeFrames()).as("every frame returned").isEqualTo(free);
        assertThat(hv.domains()).isEmpty();
    }

    @Test
    void shouldBootOneDomain() throws Exception {
        bootMany(1);
    }

    @Test
    void shouldBootTwoDomainsAtOnce() throws Exception {
        bootMany(2);
    }

    @Test
    void shouldBootSixtyFourDomainsAtOnce() throws Exception {
        bootMany(64);
    }

    @Test
    void shouldCrashOnlyTheDomainWhoseKernelThrowsAndReclaimIt() throws Exception {
        boot(HostConfig.defaults(16L << 20));
        long free = hv.frames().freeFrames();
        Domain bad = hv.createDomain(cfg("bad"), TestKernels.throwing());
        Domain good = hv.createDomain(cfg("good"), TestKernels.poweroff("still here"));
        awaitEnd(bad);
        awaitEnd(good);
        assertThat(bad.shutdownReason()).isEqualTo(Shutdown.CRASH);
        assertThat(bad.crashCause()).contains("guest bug on purpose");
        assertThat(good.shutdownReason()).isEqualTo(Shutdown.POWEROFF);
        assertThat(good.console().lines()).containsExactly("still here");
        assertThat(hv.frames().freeFrames()).isEqualTo(free);
    }

    @Test
    void shouldCrashOnStackOverflow() throws Exception {
        boot(HostConfig.defaults(16L << 20));
        Domain d = awaitEnd(hv.createDomain(cfg("deep"), TestKernels.recursing()));
        assertThat(d.shutdownReason()).isEqualTo(Shutdown.CRASH);
        assertThat(d.crashCause()).contains("stack overflow");
    }

    @Test
    void shouldCrashOnAPageFaultWithNoHandler() throws Exception {
        boot(HostConfig.defaults(16L << 20));
        Domain d = awaitEnd(hv.createDomain(cfg("nullptr"), TestKernels.faulting()));
        assertThat(d.shutdownReason()).isEqualTo(Shutdown.CRASH);
        assertThat(d.crashCause()).contains("page fault").contains("no handler");
    }

    @Test
    void shouldCrashAKernelThatReturnsFromBoot() throws Exception {
        boot(HostConfig.defaults(16L << 20));
        Domain d = awaitEnd(hv.createDomain(cfg("returns"), TestKernels.returning()));
        assertThat(d.shutdownReason()).isEqualTo(Shutdown.CRASH);
    }

    @Test
    void shouldCrashTheDomainWhenItsCpuIsUsedFromAnotherThread() throws Exception {
        boot(HostConfig.defaults(16L << 20));
        AtomicReference<Throwable> thief = new AtomicReference<>();
        Domain d = awaitEnd(hv.createDomain(cfg("leaky"), TestKernels.leakingCpu(thief)));
        assertThat(d.shutdownReason()).isEqualTo(Shutdown.CRASH);
        assertThat(d.crashCause()).contains("not its own").doesNotContain("hypervisor exception");
        assertThat(thief.get()).isInstanceOf(GuestAbort.class);
    }

    @Test
    void shouldPauseAtSafePointsAndResumeOnUnpause() throws Exception {
        boot(HostConfig.defaults(16L << 20));
        AtomicBoolean started = new AtomicBoolean();
        Domain d = hv.createDomain(cfg("busy"), TestKernels.busy(started));
        Eventually.until(Duration.ofSeconds(10), started::get);
        d.pause();
        assertThat(d.awaitQuiescent(TimeUnit.SECONDS.toNanos(5))).as("vCPUs still in guest code").isEmpty();
        long runningBefore = d.vcpu(0).sched().runstateTimes()[0];
        Thread.sleep(50);
        assertThat(d.vcpu(0).sched().runstateTimes()[0] - runningBefore).as("no running time while paused").isZero();
        d.unpause();
        Eventually.until(Duration.ofSeconds(10), () -> d.vcpu(0).inGuest());
        long free = hv.frames().freeFrames();
        assertThat(hv.destroy(d)).isTrue();
        assertThat(d.state()).isEqualTo(DomainState.DEAD);
        assertThat(hv.frames().freeFrames()).isGreaterThan(free);
    }

    @Test
    void shouldReportAndCrashAStuckVcpuAtItsNextSafePoint() throws Exception {
        boot(HostConfig.defaults(16L << 20).withStuckThreshold(Duration.ofMillis(100)));
        AtomicBoolean started = new AtomicBoolean();
        Domain d = hv.createDomain(cfg("spinner"), TestKernels.spinning(1500, started));
        awaitEnd(d);
        assertThat(d.shutdownReason()).isEqualTo(Shutdown.CRASH);
        assertThat(d.crashCause()).contains("stuck");
    }

    @Test
    @DisplayName("a vCPU whose thread burns no CPU in guest code for 2.5 thresholds (as a thread the host starves) is not crashed as stuck")
    void shouldNotCrashAVcpuWhoseThreadTheHostHeldBack() throws Exception {
        boot(HostConfig.defaults(16L << 20).withStuckThreshold(Duration.ofMillis(100)));
        Domain d = hv.createDomain(cfg("starved"), TestKernels.waiting(250));
        awaitEnd(d);
        assertThat(d.crashCause()).as("crash cause").isNull();
        assertThat(d.shutdownReason()).isEqualTo(Shutdown.POWEROFF);
    }

    @Test
    @DisplayName("a vCPU that waits in guest code holding its pCPU for six thresholds of wall time is crashed as stuck, CPU or not")
    void shouldCrashAVcpuThatWaitsHoldingItsPcpu() throws Exception {
        boot(HostConfig.defaults(16L << 20).withStuckThreshold(Duration.ofMillis(100)));
        Domain d = hv.createDomain(cfg("sleeper"), TestKernels.waiting(1500)); // the crash unwinds it at its power-off
        awaitEnd(d);
        assertThat(d.shutdownReason()).isEqualTo(Shutdown.CRASH);
        assertThat(d.crashCause()).contains("stuck");
    }

    @Test
    void shouldLeaveAVcpuThatNeverReturnsAsAZombieHoldingItsFrames() throws Exception {
        boot(HostConfig.defaults(16L << 20).withDestroyTimeout(Duration.ofMillis(200)));
        AtomicBoolean started = new AtomicBoolean();
        AtomicBoolean release = new AtomicBoolean();
        try {
            Domain d = hv.createDomain(cfg("zombie").withActions(DomainConfig.Action.PRESERVE,
                    DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE), TestKernels.stuck(started, release));
            Eventually.until(Duration.ofSeconds(10), started::get);
            long owned = d.pages().totPages();
            assertThat(hv.destroy(d)).isFalse();
            assertThat(d.state()).isEqualTo(DomainState.ZOMBIE);
            assertThat(hv.domains()).contains(d);
            assertThat(d.pages().totPages()).isEqualTo(owned);
            release.set(true);
            Eventually.until(Duration.ofSeconds(10), () -> hv.destroy(d));
            assertThat(d.state()).isEqualTo(DomainState.DEAD);
        } finally {
            release.set(true);
        }
    }

    @Test
    void shouldRunTheOnPoweroffActionAndNotifyListeners() throws Exception {
        boot(HostConfig.defaults(16L << 20));
        CountDownLatch seen = new CountDownLatch(1);
        hv.onShutdown(d -> seen.countDown());
        Domain d = hv.createDomain(cfg("kept").withActions(DomainConfig.Action.PRESERVE, null, null),
                TestKernels.poweroff("bye"));
        assertThat(seen.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(d.state()).isEqualTo(DomainState.SHUTDOWN);
        assertThat(hv.domains()).contains(d);
        assertThat(hv.destroy(d)).isTrue();
    }

    @Test
    void shouldRefuseADuplicateNameAndMemoryItCannotHave() throws Exception {
        boot(HostConfig.defaults(8L << 20));
        hv.createBareDomain(cfg("one"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> hv.createBareDomain(cfg("one")))
                .isInstanceOf(DomainCreationException.class).hasMessageContaining("already exists");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> hv.createBareDomain(DomainConfig.of("huge", null, 64)))
                .isInstanceOf(DomainCreationException.class).hasMessageContaining("memory");
    }

    @Test
    @DisplayName("Two creations of one name racing: exactly one domain gets it, the other is refused")
    void shouldGiveARacedNameToExactlyOneCreation() throws Exception {
        boot(HostConfig.defaults(64L << 20));
        for (int round = 0; round < 50; round++) {
            String name = "twin" + round;
            CountDownLatch go = new CountDownLatch(1);
            AtomicInteger created = new AtomicInteger();
            AtomicInteger refused = new AtomicInteger();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        go.await();
                        hv.createBareDomain(cfg(name).withMemoryKiB(256));
                        created.incrementAndGet();
                    } catch (DomainCreationException e) {
                        refused.incrementAndGet();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }));
            }
            go.countDown();
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(20));
            }
            assertThat(created.get()).as("round %d", round).isEqualTo(1);
            assertThat(refused.get()).as("round %d", round).isEqualTo(1);
            assertThat(hv.domains().stream().filter(d -> d.name().equals(name))).hasSize(1);
            assertThat(hv.destroy(hv.domain(name).orElseThrow())).isTrue();
        }
    }

    @Test
    @DisplayName("A destroyed domain's name can be used again, once its memory is free")
    void shouldFreeTheNameWithTheDomain() throws Exception {
        boot(HostConfig.defaults(8L << 20));
        long free = hv.freeFrames();
        Domain first = hv.createBareDomain(cfg("again"));
        assertThat(hv.destroy(first)).isTrue();
        assertThat(hv.freeFrames()).isEqualTo(free);
        Domain second = hv.createBareDomain(cfg("again"));
        assertThat(second.name()).isEqualTo("again");
        assertThat(first.state()).isEqualTo(DomainState.DEAD);
    }

}
