package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parasol.hypercall.GuestKernel;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.StartOfDay;
import org.parasol.hypercall.Virq;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.abi.Runstate;
import org.parasol.hypercall.abi.Uvmf;
import org.parasol.hypercall.guest.ArgumentPage;
import org.parasol.hypercall.guest.EventChannelCalls;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.sched.CpuMask;
import org.parasol.hypervisor.sched.CreditScheduler;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * The credit scheduler with real domains on their own threads: CPU-bound guests (a loop of
 * guest memory writes, each of which polls the preempt word) share pCPUs as their weights,
 * caps, pools and affinities say. Every share is read from the vCPUs' runstate times, the
 * scheduler's own accounting on the host clock, over a window of a few seconds: never from
 * the wall-clock time of the test. Each test is bounded in time.
 *
 * <p>The window and the slice can be set for a longer measurement
 * ({@code -Dparasol.fairness.seconds=20 -Dparasol.fairness.sliceMs=30}); the figure it prints
 * is what {@code docs/results.md} reports.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CreditSchedulingTest {
    private static final long WINDOW_MS = Long.getLong("parasol.fairness.seconds", 3) * 1000;
    private static final long SLICE_MS = Long.getLong("parasol.fairness.sliceMs", 10);
    private static final long SHARED = StartOfDay.SHARED_INFO_VA;

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();
    private Hypervisor hv;

    @AfterEach
    void close() {
        if (hv != null) {
            assertThat(hv.unhandledExceptions()).isZero();
            hv.close();
        }
    }

    private Hypervisor boot(int pcpus) {
        return boot(pcpus, SLICE_MS);
    }

    private Hypervisor boot(int pcpus, long sliceMs) {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(64L << 20).withPcpus(pcpus)
                .withTimeSlice(Duration.ofMillis(sliceMs))));
        return hv;
    }

    /** A CPU-bound domain, running once this returns. */
    private Domain busy(String name) {
        AtomicBoolean started = new AtomicBoolean();
        Domain d;
        try {
            d = hv.createDomain(DomainConfig.of(name, null, 1).withMemoryKiB(1024), TestKernels.busy(started));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        Eventually.until(Duration.ofSeconds(10), started::get);
        return d;
    }

    private static long running(Domain d) {
        return d.vcpu(0).sched().runstateTimes()[Runstate.RUNNING];
    }

    /** Running time each domain gets over the window, after the shares have settled for a second. */
    private static long[] measure(Domain... ds) throws InterruptedException {
        Thread.sleep(1000);
        long[] before = new long[ds.length];
        for (int i = 0; i < ds.length; i++) {
            before[i] = running(ds[i]);
        }
        Thread.sleep(WINDOW_MS);
        long[] got = new long[ds.length];
        for (int i = 0; i < ds.length; i++) {
            got[i] = running(ds[i]) - before[i];
        }
        return got;
    }

    @Test
    @DisplayName("two CPU-bound domains of weights 256 and 512 on one pCPU get 1:2 of its time, within 5%")
    void shouldShareOnePcpuByWeight() throws Exception {
        boot(1);
        Domain light = busy("light");
        Domain heavy = busy("heavy");
        CreditScheduler s = hv.scheduler();
        s.setParams(light.scheduling(), 256, 0);
        s.setParams(heavy.scheduling(), 512, 0);

        long[] t = measure(light, heavy);

        double ratio = (double) t[1] / t[0];
        System.out.printf("credit fairness: weights 256:512 on 1 pCPU, slice %d ms, %d ms window: %.1f ms : %.1f ms = 1 : %.3f%n",
                SLICE_MS, WINDOW_MS, t[0] / 1e6, t[1] / 1e6, ratio);
        assertThat(ratio).isCloseTo(2.0, within(2.0 * 0.05));
        assertThat(t[0] + t[1]).as("the pCPU was busy all the while").isGreaterThan(WINDOW_MS * 1_000_000L * 9 / 10);
    }

    @Test
    @DisplayName("BOOST: a domain that blocks for its 10 ms timer tick beside two CPU-bound ones on one pCPU is BOOSTed as it"
            + " wakes, preempts the running one, and handles every tick with little waiting for the pCPU")
    void shouldBoostAVcpuWakingFromBlock() throws Exception {
        boot(1, 30);
        Domain hog = busy("hog");
        busy("hog2"); // two CPU-bound domains: the one running is mostly the one with credit left (UNDER)
        AtomicLong ticks = new AtomicLong();
        AtomicBoolean started = new AtomicBoolean();
        GuestKernel io = (cpu, si) -> {
            long s = TestKernels.scratch(cpu, si);
            long rc = cpu.hypercall(Hypercall.UPDATE_VA_MAPPING, SHARED,
                    cpu.memory().getLong(si + 40) | Mmu.PAGE_PRESENT | Mmu.PAGE_RW | Mmu.PAGE_USER, Uvmf.INVLPG);
            if (rc != 0) {
                throw new IllegalStateException("update_va_mapping of shared_info: " + rc);
            }
            int port = (int) new EventChannelCalls(cpu, new ArgumentPage(s)).bindVirq(Virq.TIMER, 0);
            started.set(true);
            for (;;) {
                EventConcurrencyTest.await(cpu, port); // the default periodic timer: every 10 ms
                ticks.incrementAndGet();
            }
        };
        Domain waker = hv.createDomain(DomainConfig.of("io", null, 1).withMemoryKiB(1024), io);
        Eventually.until(Duration.ofSeconds(10), started::get);

        Thread.sleep(500);
        long before = ticks.get();
        long runnableBefore = waker.vcpu(0).sched().runstateTimes()[Runstate.RUNNABLE];
        Thread.sleep(WINDOW_MS);
        long woken = ticks.get() - before;
        long waited = waker.vcpu(0).sched().runstateTimes()[Runstate.RUNNABLE] - runnableBefore;

        long expected = WINDOW_MS / 10;
        System.out.printf("credit boost: %d timer wake-ups of %d in %d ms; waited for the pCPU %.1f ms in all%n", woken,
                expected, WINDOW_MS, waited / 1e6);
        // The rule itself (a woken vCPU outranks a running UNDER one) is CreditSchedulerTest's, exactly. Here the
        // waiting is real and includes the host's own latency to run a woken thread on a shared machine (a
        // millisecond or so under load), so the bounds only tell prompt preemption from waiting for a slice to end
        // (15 ms on average, and ticks lost): one run measured 32 ms of waiting in all with BOOST, 133 ms with it
        // switched off (docs/results.md).
        assertThat(woken).as("timer ticks handled").isGreaterThan(expected / 2);
        assertThat(waited / woken).as("average wait for the pCPU after a wake-up, ns").isLessThan(5_000_000L);
        assertThat(hv.scheduler().boosts(waker.vcpu(0).sched().unit())).isGreaterThan(expected / 2);
        assertThat(running(hog)).as("the CPU-bound domain still runs").isPositive();
    }

    @Test
    @DisplayName("a domain capped at 25% of a pCPU runs a quarter of the time, though the pCPU is otherwise idle")
    void shouldHoldACappedDomainToItsCap() throws Exception {
        boot(1);
        Domain capped = busy("capped");
        hv.scheduler().setParams(capped.scheduling(), 0, 25);

        long[] t = measure(capped);

        double share = (double) t[0] / (WINDOW_MS * 1_000_000L);
        assertThat(share).isCloseTo(0.25, within(0.05));
        assertThat(hv.scheduler().parks(capped.vcpu(0).sched().unit())).isPositive();
    }

    @Test
    @DisplayName("a domain in a cpupool of its own has its pCPU to itself; the domains of Pool-0 share the other")
    void shouldRunPooledDomainsOnTheirPoolOnly() throws Exception {
        boot(2);
        int pool = hv.scheduler().createPool("solo", CpuMask.of(1));
        Domain a = busy("a");
        Domain b = busy("b");
        Domain solo = busy("solo");
        hv.scheduler().moveDomain(solo.scheduling(), pool);

        long[] t = measure(a, b, solo);

        long window = WINDOW_MS * 1_000_000L;
        assertThat((double) t[2] / window).as("solo: all of pCPU 1").isGreaterThan(0.9);
        assertThat((double) (t[0] + t[1]) / window).as("a and b: pCPU 0 between them").isCloseTo(1.0, within(0.1));
        assertThat((double) t[0] / t[1]).isCloseTo(1.0, within(0.1));
        assertThat(solo.vcpu(0).sched().unit().pcpu()).isIn(-1, 1);
    }

    @Test
    @DisplayName("two domains pinned (hard affinity) to pCPU 0 of two share it, while a third has pCPU 1 alone")
    void shouldKeepPinnedVcpusOnTheirPcpus() throws Exception {
        boot(2);
        CreditScheduler s = hv.scheduler();
        Domain p1 = busy("p1");
        Domain p2 = busy("p2");
        Domain free = busy("free");
        s.setAffinity(p1.vcpu(0).sched().unit(), CpuMask.of(0), null);
        s.setAffinity(p2.vcpu(0).sched().unit(), CpuMask.of(0), null);

        long[] t = measure(p1, p2, free);

        long window = WINDOW_MS * 1_000_000L;
        assertThat((double) (t[0] + t[1]) / window).as("the pinned two: pCPU 0 between them").isCloseTo(1.0, within(0.1));
        assertThat((double) t[2] / window).as("the free one: pCPU 1").isGreaterThan(0.9);
    }
}
