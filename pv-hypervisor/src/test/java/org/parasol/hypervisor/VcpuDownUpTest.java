package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.VcpuEntry;
import org.parasol.hypercall.abi.Runstate;
import org.parasol.hypercall.abi.SchedOp;
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypercall.abi.VcpuOp;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.domain.Vcpu;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * VCPUOP_down and VCPUOP_up with Xen's meaning: down marks the vCPU down and puts it to sleep
 * at its next safe point, holding no pCPU; up wakes it and it goes on exactly where it
 * stopped. The guest kernels here run on the host's class loader, so they report to the test
 * through Java objects.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class VcpuDownUpTest {
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

    /** VCPUOP_initialise of vCPU {@code v} at {@code entry}, then VCPUOP_up: as SmpTest does. */
    static void bringUp(Cpu cpu, long si, long ctx, int v, VcpuEntry entry) {
        GuestMemory m = cpu.memory();
        long cr3 = m.getLong(si + 88);
        long l4Pfn = (cr3 - 0x40_0000L) >>> 12;
        long l4Mfn = m.getLong(m.getLong(si + 104) + 8 * l4Pfn);
        m.fill(ctx, 5168, (byte) 0);
        m.putLong(ctx + SmpTest.CTX_RIP, cpu.registerCode(entry));
        m.putLong(ctx + SmpTest.CTX_CR3, l4Mfn << 12);
        check(cpu.hypercall(Hypercall.VCPU_OP, VcpuOp.INITIALISE, v, ctx));
        check(cpu.hypercall(Hypercall.VCPU_OP, VcpuOp.UP, v, 0));
    }

    private static void check(long rc) {
        if (rc != 0) {
            throw new IllegalStateException("vcpu_op failed: " + rc);
        }
    }

    /** Yields until {@code done} holds. */
    static void yieldUntil(Cpu cpu, BooleanSupplier done) {
        while (!done.getAsBoolean()) {
            cpu.hypercall(Hypercall.SCHED_OP, SchedOp.YIELD, 0);
        }
    }

    /** A vCPU entry that waits for events until its domain ends. */
    static void idle(Cpu c) {
        for (;;) {
            c.hypercall(Hypercall.SCHED_OP, SchedOp.BLOCK, 0);
        }
    }

    private static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waited 20 s").isLessThan(deadline);
            Thread.sleep(1);
        }
    }

    @Test
    @DisplayName("A vCPU that took itself down with VCPUOP_down goes on at the next line with result 0 once another brings it up, and holds no pCPU while down")
    void shouldResumeAVcpuThatTookItselfDownWhereItStopped() throws Exception {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(16L << 20).withPcpus(2)));
        AtomicInteger entries = new AtomicInteger();
        AtomicLong downResult = new AtomicLong(Long.MIN_VALUE);
        AtomicBoolean goingDown = new AtomicBoolean();
        AtomicBoolean nextLine = new AtomicBoolean();
        AtomicBoolean release = new AtomicBoolean();
        Domain d = hv.createDomain(DomainConfig.of("downself", null, 1).withVcpus(2), (Cpu cpu, long si) -> {
            long scratch = TestKernels.scratch(cpu, si);
            bringUp(cpu, si, scratch + 4096, 1, (c, arg) -> {
                entries.incrementAndGet();
                goingDown.set(true);
                long r = c.hypercall(Hypercall.VCPU_OP, VcpuOp.DOWN, c.vcpuId(), 0);
                downResult.set(r);
                nextLine.set(true);
                idle(c);
            });
            yieldUntil(cpu, () -> goingDown.get() && cpu.hypercall(Hypercall.VCPU_OP, VcpuOp.IS_UP, 1, 0) == 0);
            yieldUntil(cpu, release::get);
            check(cpu.hypercall(Hypercall.VCPU_OP, VcpuOp.UP, 1, 0));
            yieldUntil(cpu, nextLine::get);
            TestKernels.shutdown(cpu, scratch, Shutdown.POWEROFF);
        });
        Vcpu one = d.vcpu(1);
        awaitTrue(() -> goingDown.get() && !one.isUp() && one.sched().runstate() == Runstate.OFFLINE);

        assertThat(nextLine).as("the downed vCPU has not gone past VCPUOP_down").isFalse();
        assertThat(one.inGuest()).isFalse();
        assertThat(hv.scheduler().available()).as("vCPU 0 holds one pCPU, the down vCPU none").isEqualTo(1);
        release.set(true);

        assertThat(d.awaitDeath(20, TimeUnit.SECONDS)).isTrue();
        assertThat(d.shutdownReason()).isEqualTo(Shutdown.POWEROFF);
        assertThat(downResult.get()).as("VCPUOP_down's result once brought back").isZero();
        assertThat(entries.get()).as("resumed, not restarted at its entry").isEqualTo(1);
    }

    @Test
    @DisplayName("A vCPU taken down by another stops at its next safe point and, once brought up again, goes on from where it was")
    void shouldStopAndResumeAVcpuTakenDownByAnother() throws Exception {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(16L << 20).withPcpus(2)));
        AtomicInteger entries = new AtomicInteger();
        AtomicLong progress = new AtomicLong();
        AtomicLong whileDown = new AtomicLong(-1);
        AtomicBoolean release = new AtomicBoolean();
        AtomicBoolean isDown = new AtomicBoolean();
        Domain d = hv.createDomain(DomainConfig.of("downother", null, 1).withVcpus(2), (Cpu cpu, long si) -> {
            long scratch = TestKernels.scratch(cpu, si);
            bringUp(cpu, si, scratch + 4096, 1, (c, arg) -> {
                entries.incrementAndGet();
                long counter = scratch + 8;
                for (long i = 1; ; i++) {
                    c.memory().putLong(counter, i); // every access is a safe point
                    progress.set(i);
                }
            });
            yieldUntil(cpu, () -> progress.get() > 1000);
            check(cpu.hypercall(Hypercall.VCPU_OP, VcpuOp.DOWN, 1, 0));
            yieldUntil(cpu, () -> cpu.hypercall(Hypercall.VCPU_OP, VcpuOp.IS_UP, 1, 0) == 0);
            isDown.set(true);
            yieldUntil(cpu, release::get);
            whileDown.set(progress.get());
            check(cpu.hypercall(Hypercall.VCPU_OP, VcpuOp.UP, 1, 0));
            yieldUntil(cpu, () -> progress.get() > whileDown.get() + 1000);
            TestKernels.shutdown(cpu, scratch, Shutdown.POWEROFF);
        });
        Vcpu one = d.vcpu(1);
        awaitTrue(() -> isDown.get() && one.sched().runstate() == Runstate.OFFLINE);
        long stopped = progress.get();
        Thread.sleep(50);

        assertThat(progress.get()).as("no progress while down").isEqualTo(stopped);
        assertThat(hv.scheduler().available()).as("the down vCPU holds no pCPU").isEqualTo(1);
        release.set(true);

        assertThat(d.awaitDeath(20, TimeUnit.SECONDS)).isTrue();
        assertThat(d.shutdownReason()).isEqualTo(Shutdown.POWEROFF);
        assertThat(whileDown.get()).as("its count went on from where it stopped").isEqualTo(stopped);
        assertThat(entries.get()).as("resumed, not restarted at its entry").isEqualTo(1);
    }

    @Test
    @DisplayName("Destroying a domain whose vCPUs are down stops their threads and returns every frame")
    void shouldReclaimEverythingWhenVcpusAreDown() throws Exception {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(16L << 20).withPcpus(2)));
        long freeBefore = hv.freeFrames();
        AtomicInteger down = new AtomicInteger();
        Domain d = hv.createDomain(DomainConfig.of("alldown", null, 1).withVcpus(3), (Cpu cpu, long si) -> {
            long scratch = TestKernels.scratch(cpu, si);
            for (int v = 1; v < 3; v++) {
                bringUp(cpu, si, scratch + 4096, v, (c, arg) -> {
                    down.incrementAndGet();
                    c.hypercall(Hypercall.VCPU_OP, VcpuOp.DOWN, c.vcpuId(), 0);
                    throw new AssertionError("a down vCPU came back");
                });
            }
            idle(cpu);
        });
        awaitTrue(() -> down.get() == 2 && !d.vcpu(1).isUp() && !d.vcpu(2).isUp()
                && d.vcpu(1).sched().runstate() == Runstate.OFFLINE && d.vcpu(2).sched().runstate() == Runstate.OFFLINE);
        assertThat(d.vcpu(1).thread().isAlive()).as("a down vCPU sleeps, its thread alive").isTrue();

        assertThat(hv.destroy(d)).isTrue();

        assertThat(d.awaitDeath(1, TimeUnit.SECONDS)).isTrue();
        for (Vcpu v : d.vcpus()) {
            v.thread().join(5_000);
            assertThat(v.thread().isAlive()).as("vCPU %d's thread", v.id()).isFalse();
        }
        assertThat(hv.freeFrames()).isEqualTo(freeBefore);
        assertThat(hv.scheduler().available()).isEqualTo(2);
        assertThat(hv.domains()).isEmpty();
    }

    @Test
    @DisplayName("As in Xen, taking down the last vCPU that is up powers the domain off")
    void shouldPowerOffWhenTheLastVcpuGoesDown() throws Exception {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(16L << 20).withPcpus(2)));
        Domain d = hv.createDomain(DomainConfig.of("last", null, 1).withVcpus(2), (Cpu cpu, long si) -> {
            cpu.hypercall(Hypercall.VCPU_OP, VcpuOp.DOWN, 0, 0);
            throw new AssertionError("the last vCPU came back from VCPUOP_down");
        });

        assertThat(d.awaitDeath(20, TimeUnit.SECONDS)).isTrue();
        assertThat(d.shutdownReason()).isEqualTo(Shutdown.POWEROFF);
        assertThat(d.crashCause()).isNull();
    }
}
