package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestKernel;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.VcpuEntry;
import org.parasol.hypercall.abi.SchedOp;
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypercall.abi.VcpuOp;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainConfig;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parasol.hypervisor.testing.LeakCheck;

/** Secondary vCPUs: VCPUOP_initialise from a vcpu_guest_context, VCPUOP_up, is_up, down. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SmpTest {
    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();
    /** vcpu_guest_context (x86-64) offsets Parasol models. */
    static final long CTX_RSI = 520 + 13 * 8;
    static final long CTX_RIP = 520 + 128;
    static final long CTX_CR3 = 4984 + 3 * 8;

    private Hypervisor hv;

    @AfterEach
    void close() {
        if (hv != null) {
            assertThat(hv.unhandledExceptions()).isZero();
            hv.close();
        }
    }

    /** vCPU 0 brings up every other vCPU, each adds its id to a counter, then powers off. */
    static GuestKernel smp(int vcpus) {
        return (Cpu cpu, long si) -> {
            GuestMemory m = cpu.memory();
            long scratch = TestKernels.scratch(cpu, si);
            long counter = scratch + 8;
            long ctx = scratch + 4096; // two pages for the 5168-byte context
            long cr3 = m.getLong(si + 88); // pt_base: the L4's VA; its MFN via the P2M list
            long l4Pfn = (cr3 - 0x40_0000L) >>> 12;
            long l4Mfn = m.getLong(m.getLong(si + 104) + 8 * l4Pfn);
            VcpuEntry entry = (c, arg) -> {
                c.memory().getAndAddLong(arg, c.vcpuId());
                c.hypercall(Hypercall.VCPU_OP, VcpuOp.DOWN, c.vcpuId(), 0);
                throw new AssertionError("VCPUOP_down on self returned");
            };
            long rip = cpu.registerCode(entry);
            long expected = 0;
            for (int v = 1; v < vcpus; v++) {
                m.fill(ctx, 5168, (byte) 0);
                m.putLong(ctx + CTX_RIP, rip);
                m.putLong(ctx + CTX_RSI, counter);
                m.putLong(ctx + CTX_CR3, l4Mfn << 12);
                check(cpu.hypercall(Hypercall.VCPU_OP, VcpuOp.INITIALISE, v, ctx));
                check(cpu.hypercall(Hypercall.VCPU_OP, VcpuOp.UP, v, 0));
                expected += v;
            }
            while (m.getLongAcquire(counter) != expected) {
                cpu.hypercall(Hypercall.SCHED_OP, SchedOp.YIELD, 0);
            }
            for (int v = 1; v < vcpus; v++) {
                while (cpu.hypercall(Hypercall.VCPU_OP, VcpuOp.IS_UP, v, 0) != 0) {
                    cpu.hypercall(Hypercall.SCHED_OP, SchedOp.YIELD, 0);
                }
            }
            TestKernels.print(cpu, scratch, "all " + vcpus + " vCPUs ran, sum " + expected);
            TestKernels.shutdown(cpu, scratch, Shutdown.POWEROFF);
        };
    }

    private static void check(long rc) {
        if (rc != 0) {
            throw new IllegalStateException("vcpu_op failed: " + rc);
        }
    }

    @Test
    void shouldBringUpSecondaryVcpusFromAGuestContext() throws Exception {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(16L << 20).withPcpus(2)));
        Domain d = hv.createDomain(DomainConfig.of("smp", null, 1).withMemoryKiB(1024).withVcpus(4), smp(4));
        assertThat(d.awaitDeath(20, TimeUnit.SECONDS)).isTrue();
        assertThat(d.shutdownReason()).isEqualTo(Shutdown.POWEROFF);
        assertThat(d.console().lines()).containsExactly("all 4 vCPUs ran, sum 6");
    }

    @Test
    void shouldRunVcpusOnVirtualThreadsWhenTheHostAsks() throws Exception {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(16L << 20).withPcpus(2).withVirtualThreads(true)));
        Domain d = hv.createDomain(DomainConfig.of("virt", null, 1).withMemoryKiB(1024).withVcpus(3), smp(3));
        assertThat(d.awaitDeath(20, TimeUnit.SECONDS)).isTrue();
        assertThat(d.shutdownReason()).isEqualTo(Shutdown.POWEROFF);
        assertThat(d.console().lines()).containsExactly("all 3 vCPUs ran, sum 3");
    }

    @Test
    void shouldShareOnePcpuBetweenManyVcpusBySlicing() throws Exception {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(16L << 20).withPcpus(1)));
        Domain d = hv.createDomain(DomainConfig.of("uni", null, 1).withMemoryKiB(1024).withVcpus(4), smp(4));
        assertThat(d.awaitDeath(20, TimeUnit.SECONDS)).isTrue();
        assertThat(d.shutdownReason()).isEqualTo(Shutdown.POWEROFF);
    }
}
