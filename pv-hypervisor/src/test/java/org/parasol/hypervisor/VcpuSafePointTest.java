package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypercall.abi.XenVersion;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.domain.Vcpu;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * The vCPU's poll word and counters as other threads see them: a flush request is acknowledged
 * without a safe point, other requests are safe points, and the counters the vCPU writes
 * without fences can be read from any thread.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class VcpuSafePointTest {
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

    @Test
    @DisplayName("A flush asked from another thread is acknowledged at the vCPU's next access, which is no safe point; a preempt request is one")
    void shouldAcknowledgeAFlushWithoutPassingASafePoint() throws Exception {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(16L << 20)));
        Domain d = hv.createBareDomain(DomainConfig.of("flush", null, 1));
        Vcpu v = d.vcpu(0);
        v.attach();
        long va = d.layout().freeVa();
        v.mmu().getLong(va);
        long before = v.safePoints();

        long generation = CompletableFuture.supplyAsync(v::requestFlush).get(10, TimeUnit.SECONDS);
        assertThat(v.mmu().flushAcked()).isLessThan(generation);
        v.mmu().getLong(va);

        assertThat(v.mmu().flushAcked()).isEqualTo(generation);
        assertThat(v.safePoints()).as("a flush alone is no safe point").isEqualTo(before);
        CompletableFuture.runAsync(v::requestPreempt).get(10, TimeUnit.SECONDS);
        v.mmu().getLong(va);
        assertThat(v.safePoints()).isEqualTo(before + 1);
    }

    @Test
    @DisplayName("Hypercall counts read from another thread while the guest runs never go backwards and add up to the calls it made")
    void shouldPublishCountsToOtherThreads() throws Exception {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(16L << 20)));
        int calls = 200_000;
        AtomicBoolean started = new AtomicBoolean();
        Domain d = hv.createDomain(DomainConfig.of("counted", null, 1), (Cpu cpu, long si) -> {
            long scratch = TestKernels.scratch(cpu, si);
            started.set(true);
            for (int i = 0; i < calls; i++) {
                cpu.hypercall(Hypercall.XEN_VERSION, XenVersion.VERSION, 0);
            }
            TestKernels.shutdown(cpu, scratch, Shutdown.POWEROFF);
        });
        Vcpu v = d.vcpu(0);
        List<Long> seen = new ArrayList<>();
        while (!started.get()) {
            Thread.onSpinWait();
        }
        while (d.mayRun()) {
            seen.add(v.hypercallCounts()[Hypercall.XEN_VERSION]);
            seen.add(v.safePoints());
        }
        assertThat(d.awaitDeath(20, TimeUnit.SECONDS)).isTrue();

        List<Long> counts = new ArrayList<>();
        List<Long> safePoints = new ArrayList<>();
        for (int i = 0; i < seen.size(); i += 2) {
            counts.add(seen.get(i));
            safePoints.add(seen.get(i + 1));
        }
        assertThat(counts).isSorted();
        assertThat(safePoints).isSorted();
        assertThat(v.hypercallCounts()[Hypercall.XEN_VERSION]).isEqualTo(calls);
        assertThat(v.hypercalls()).isEqualTo(calls + 1L); // and the shutdown
        assertThat(d.hypercalls()).isEqualTo(calls + 1L);
    }
}
