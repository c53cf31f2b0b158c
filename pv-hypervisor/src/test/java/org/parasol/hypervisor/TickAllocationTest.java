package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.testing.LeakCheck;
import org.parasol.hypervisor.time.ManualClock;

/**
 * The scheduler tick on the hypervisor's timer path allocates nothing while a vCPU runs guest
 * code: the stuck-vCPU watch keeps its state in the vCPU, made once with it, not in a map entry
 * looked up (or made) with a fresh function each tick.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TickAllocationTest {
    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();
    private Hypervisor hv;
    private final AtomicBoolean release = new AtomicBoolean();

    @AfterEach
    void close() {
        release.set(true);
        if (hv != null) {
            assertThat(hv.unhandledExceptions()).isZero();
            hv.close();
        }
    }

    @Test
    @DisplayName("the tick that watches a vCPU in guest code for being stuck allocates nothing in the steady state")
    void shouldNotAllocateOnTheTickWhileAVcpuRunsGuestCode() throws Exception {
        // A manual clock: the tick runs only when this test calls it, on this thread, and time stands
        // still, so the spinning vCPU is watched at every tick and never reaches the threshold.
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(16L << 20).withClock(new ManualClock()).withPcpus(1)));
        AtomicBoolean started = new AtomicBoolean();
        Domain d = hv.createDomain(DomainConfig.of("spinner", null, 1).withMemoryKiB(1024), TestKernels.stuck(started, release));
        Eventually.until(Duration.ofSeconds(10), () -> started.get() && d.vcpu(0).inGuest());
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (int i = 0; i < 30_000; i++) { // warm up: let the JIT compile the tick
            hv.tick();
        }

        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 30_000; i++) {
            hv.tick();
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        System.out.printf("[tick] 30000 ticks with a vCPU in guest code allocated %d bytes%n", allocated);

        assertThat(d.vcpu(0).inGuest()).as("the vCPU was in guest code throughout").isTrue();
        // 30,000 ticks: one object a tick (a capturing lambda is 24 bytes) would be 720 KB.
        assertThat(allocated).as("bytes the tick allocated over 30,000 ticks").isLessThan(30_000);
    }
}
