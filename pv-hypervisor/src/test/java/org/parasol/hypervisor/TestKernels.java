package org.parasol.hypervisor;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestKernel;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.abi.ConsoleIo;
import org.parasol.hypercall.abi.SchedOp;
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypercall.abi.VcpuOp;

/** Small guest kernels for lifecycle tests, run on the host's class loader. */
final class TestKernels {
    private TestKernels() {
    }

    static long scratch(Cpu cpu, long si) {
        GuestMemory m = cpu.memory();
        return m.getLong(si + 88) + m.getLong(si + 96) * 4096;
    }

    static void print(Cpu cpu, long scratch, String line) {
        byte[] b = (line + "\n").getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < b.length; i++) {
            cpu.memory().putByte(scratch + 512 + i, b[i]);
        }
        cpu.hypercall(Hypercall.CONSOLE_IO, ConsoleIo.WRITE, b.length, scratch + 512);
    }

    static void shutdown(Cpu cpu, long scratch, int reason) {
        cpu.memory().putInt(scratch, reason);
        cpu.hypercall(Hypercall.SCHED_OP, SchedOp.SHUTDOWN, scratch);
    }

    /** Prints one line and powers off. */
    static GuestKernel poweroff(String line) {
        return (cpu, si) -> {
            long s = scratch(cpu, si);
            cpu.hypercall(Hypercall.VCPU_OP, VcpuOp.STOP_PERIODIC_TIMER, 0, 0);
            print(cpu, s, line);
            shutdown(cpu, s, Shutdown.POWEROFF);
            throw new AssertionError("SCHEDOP_shutdown returned");
        };
    }

    /** Throws from boot: the domain crashes. */
    static GuestKernel throwing() {
        return (cpu, si) -> {
            throw new IllegalStateException("guest bug on purpose");
        };
    }

    /** Recurses until the stack overflows. */
    static GuestKernel recursing() {
        return new GuestKernel() {
            @Override
            public void boot(Cpu cpu, long si) {
                boot(cpu, si + 1);
            }
        };
    }

    /** Touches an unmapped address with no page-fault handler registered. */
    static GuestKernel faulting() {
        return (cpu, si) -> cpu.memory().getLong(0x10);
    }

    /** Returns from boot without shutting down. */
    static GuestKernel returning() {
        return (cpu, si) -> {
        };
    }

    /** Hands its Cpu to another thread, which calls a hypercall with it. */
    static GuestKernel leakingCpu(AtomicReference<Throwable> seenByThief) {
        return (cpu, si) -> {
            Thread thief = new Thread(() -> {
                try {
                    cpu.hypercall(Hypercall.XEN_VERSION, 0, 0);
                } catch (Throwable t) {
                    seenByThief.set(t);
                }
            });
            thief.start();
            try {
                thief.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            // The domain has crashed: this call unwinds us.
            cpu.hypercall(Hypercall.XEN_VERSION, 0, 0);
        };
    }

    /** Keeps writing guest memory until the domain is stopped. */
    static GuestKernel busy(AtomicBoolean started) {
        return (cpu, si) -> {
            long s = scratch(cpu, si);
            started.set(true);
            long i = 0;
            while (true) {
                cpu.memory().putLong(s, i++);
            }
        };
    }

    /** Computes without touching guest memory for {@code millis}, then touches it. */
    static GuestKernel spinning(long millis, AtomicBoolean started) {
        return (cpu, si) -> {
            long s = scratch(cpu, si);
            started.set(true);
            long end = System.nanoTime() + millis * 1_000_000L;
            long x = 0;
            while (System.nanoTime() < end) {
                x++;
            }
            cpu.memory().putLong(s, x);
            shutdown(cpu, s, Shutdown.POWEROFF);
        };
    }

    /**
     * Waits {@code millis} in guest code with its thread parked (no safe point, no CPU time, its
     * pCPU held: as a thread the host holds back), then powers off.
     */
    static GuestKernel waiting(long millis) {
        return (cpu, si) -> {
            long s = scratch(cpu, si);
            long end = System.nanoTime() + millis * 1_000_000L;
            for (long left; (left = end - System.nanoTime()) > 0; ) {
                LockSupport.parkNanos(left);
            }
            shutdown(cpu, s, Shutdown.POWEROFF);
        };
    }

    /** Never reaches a safe point until {@code release} is set. */
    static GuestKernel stuck(AtomicBoolean started, AtomicBoolean release) {
        return (cpu, si) -> {
            started.set(true);
            long x = 0;
            while (!release.get()) {
                x++;
            }
            cpu.memory().putLong(scratch(cpu, si), x);
        };
    }
}
