package org.parasol.examples.hello;

import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.EventCallback;
import org.parasol.hypercall.GuestKernel;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.StartOfDay;
import org.parasol.hypercall.abi.ConsoleIo;
import org.parasol.hypercall.abi.EvtchnOp;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.abi.SchedOp;
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypercall.abi.Uvmf;
import org.parasol.hypercall.abi.VcpuOp;
import org.parasol.hypercall.abi.Virq;
import org.parasol.hypercall.abi.XenVersion;

/**
 * hello: the smallest useful paravirtual kernel, written against {@code hypercall-api} only.
 *
 * <p>It boots from {@code start_info}, maps {@code shared_info} with
 * {@code update_va_mapping}, stops the default periodic timer, registers its own
 * event upcall, binds VIRQ_TIMER, prints a banner through {@code console_io}, reads the time
 * under the {@code vcpu_time_info} seqlock, sleeps on a one-shot timer with
 * {@code SCHEDOP_block}, prints how long it slept and the wall-clock time, and powers off.
 * Everything a C guest would do by hand is done here by hand; the guest microkernel
 * ({@code pv-guest-kernel}) packages the same steps for real kernels.
 *
 * <p>Expected console output (times vary):
 * <pre>
 * Hello from Parasol! Xen 4.19 ABI, 1024 pages, command line ''
 * system time 12.345 ms; sleeping 50 ms on a one-shot timer
 * woke after 50.1 ms on VIRQ_TIMER (port 1); wall clock 2026-11-27T18:30:00.123Z
 * powering off
 * </pre>
 */
public final class HelloKernel implements GuestKernel {
    /** vcpu_info of vCPU 0 is the first 64 bytes of shared_info. */
    private static final long VCPU_INFO = StartOfDay.SHARED_INFO_VA;
    private static final long UPCALL_PENDING = VCPU_INFO;
    private static final long UPCALL_MASK = VCPU_INFO + 1;
    private static final long PENDING_SEL = VCPU_INFO + 8;
    private static final long TIME = VCPU_INFO + 32;
    private static final long EVTCHN_PENDING = StartOfDay.SHARED_INFO_VA + 2048;
    private static final long EVTCHN_MASK = StartOfDay.SHARED_INFO_VA + 2560;
    private static final long WC_VERSION = StartOfDay.SHARED_INFO_VA + 3072;
    private static final long SLEEP_NS = 50_000_000L;

    private Cpu cpu;
    private GuestMemory mem;
    /** A page of our own memory for hypercall arguments. */
    private long scratch;
    private int timerPort;
    private boolean timerFired;

    @Override
    public void boot(Cpu cpu, long startInfoVa) {
        this.cpu = cpu;
        this.mem = cpu.memory();
        byte[] magic = new byte[14];
        for (int i = 0; i < magic.length; i++) {
            magic[i] = mem.getByte(startInfoVa + i);
        }
        if (!"xen-3.0-x86_64".equals(new String(magic, StandardCharsets.US_ASCII))) {
            throw new IllegalStateException("not a 64-bit PV start_info");
        }
        long nrPages = mem.getLong(startInfoVa + 32);
        long ptBase = mem.getLong(startInfoVa + 88);
        long nrPtFrames = mem.getLong(startInfoVa + 96);
        scratch = ptBase + nrPtFrames * 4096;
        String cmdline = readCString(startInfoVa + 128, 1024);

        // shared_info is ours to map: start_info gives its machine address; put it at the
        // conventional VA (the builder left an L1 table there) and flush that one entry.
        long sharedInfo = mem.getLong(startInfoVa + 40);
        check(cpu.hypercall(Hypercall.UPDATE_VA_MAPPING, StartOfDay.SHARED_INFO_VA,
                sharedInfo | Mmu.PAGE_PRESENT | Mmu.PAGE_RW, Uvmf.INVLPG), "update_va_mapping(shared_info)");

        // Xen starts every PV vCPU with a 10 ms periodic timer; a tickless kernel stops it.
        cpu.hypercall(Hypercall.VCPU_OP, VcpuOp.STOP_PERIODIC_TIMER, 0, 0);

        // Our event upcall, registered by code address.
        long upcall = cpu.registerCode((EventCallback) c -> handleEvents());
        check(cpu.hypercall(Hypercall.SET_CALLBACKS, upcall, 0, 0), "set_callbacks");

        // Bind VIRQ_TIMER on vCPU 0: evtchn_bind_virq {u32 virq; u32 vcpu; u32 port OUT}.
        mem.putInt(scratch, Virq.TIMER);
        mem.putInt(scratch + 4, 0);
        check(cpu.hypercall(Hypercall.EVENT_CHANNEL_OP, EvtchnOp.BIND_VIRQ, scratch), "bind_virq");
        timerPort = mem.getInt(scratch + 8);
        unmaskPort(timerPort);
        enableUpcalls();

        long version = cpu.hypercall(Hypercall.XEN_VERSION, XenVersion.VERSION, 0);
        print("Hello from Parasol! Xen " + (version >>> 16) + "." + (version & 0xFFFF) + " ABI, "
                + nrPages + " pages, command line '" + cmdline + "'");

        long start = systemTime();
        print(String.format("system time %.3f ms; sleeping %d ms on a one-shot timer", start / 1e6, SLEEP_NS / 1_000_000));
        check(cpu.hypercall(Hypercall.SET_TIMER_OP, start + SLEEP_NS), "set_timer_op");
        while (!timerFired) {
            // Blocks with upcalls enabled; returns once an event is pending (and delivered).
            cpu.hypercall(Hypercall.SCHED_OP, SchedOp.BLOCK, 0);
        }
        long end = systemTime();
        print(String.format("woke after %.1f ms on VIRQ_TIMER (port %d); wall clock %s", (end - start) / 1e6,
                timerPort, java.time.Instant.ofEpochSecond(0, wallClockAtBoot() + end)));
        print("powering off");
        mem.putInt(scratch, Shutdown.POWEROFF);
        cpu.hypercall(Hypercall.SCHED_OP, SchedOp.SHUTDOWN, scratch);
    }

    /** The upcall: scan the 2-level bitmaps exactly as the ABI requires. */
    private void handleEvents() {
        mem.putByteRelease(UPCALL_PENDING, (byte) 0);
        long sel = mem.getAndSetLong(PENDING_SEL, 0);
        while (sel != 0) {
            int word = Long.numberOfTrailingZeros(sel);
            sel &= sel - 1;
            while (true) {
                long pending = mem.getLongAcquire(EVTCHN_PENDING + 8L * word)
                        & ~mem.getLongAcquire(EVTCHN_MASK + 8L * word);
                if (pending == 0) {
                    break;
                }
                int bit = Long.numberOfTrailingZeros(pending);
                mem.getAndBitwiseAndLong(EVTCHN_PENDING + 8L * word, ~(1L << bit));
                int port = word * 64 + bit;
                if (port == timerPort) {
                    timerFired = true;
                }
            }
        }
    }

    private void unmaskPort(int port) {
        mem.getAndBitwiseAndLong(EVTCHN_MASK + 8L * (port / 64), ~(1L << (port % 64)));
        mem.putInt(scratch, port);
        check(cpu.hypercall(Hypercall.EVENT_CHANNEL_OP, EvtchnOp.UNMASK, scratch), "unmask");
    }

    /** Clears evtchn_upcall_mask, then takes anything that became pending meanwhile. */
    private void enableUpcalls() {
        mem.putByteRelease(UPCALL_MASK, (byte) 0);
        VarHandle.fullFence();
        if (mem.getByteAcquire(UPCALL_PENDING) != 0) {
            cpu.hypercall(Hypercall.XEN_VERSION, XenVersion.VERSION, 0); // any hypercall delivers it
        }
    }

    /** Reads system time under the vcpu_time_info version seqlock. */
    private long systemTime() {
        while (true) {
            int version = mem.getIntAcquire(TIME);
            if ((version & 1) != 0) {
                Thread.onSpinWait();
                continue;
            }
            long tscTimestamp = mem.getLong(TIME + 8);
            long systemTime = mem.getLong(TIME + 16);
            int mul = mem.getInt(TIME + 24);
            int shift = mem.getByte(TIME + 28);
            VarHandle.loadLoadFence();
            if (mem.getIntAcquire(TIME) != version) {
                continue;
            }
            long delta = cpu.rdtsc() - tscTimestamp;
            delta = shift >= 0 ? delta << shift : delta >>> -shift;
            long m = mul & 0xFFFF_FFFFL;
            return systemTime + ((Math.multiplyHigh(delta, m) << 32) | ((delta * m) >>> 32));
        }
    }

    /** Wall-clock nanoseconds at system time 0, under the wc_version seqlock. */
    private long wallClockAtBoot() {
        while (true) {
            int version = mem.getIntAcquire(WC_VERSION);
            if ((version & 1) != 0) {
                Thread.onSpinWait();
                continue;
            }
            long sec = (mem.getInt(WC_VERSION + 4) & 0xFFFF_FFFFL) | ((long) mem.getInt(WC_VERSION + 12) << 32);
            long nsec = mem.getInt(WC_VERSION + 8) & 0xFFFF_FFFFL;
            VarHandle.loadLoadFence();
            if (mem.getIntAcquire(WC_VERSION) == version) {
                return sec * 1_000_000_000L + nsec;
            }
        }
    }

    private void print(String line) {
        byte[] b = (line + "\n").getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < b.length; i++) {
            mem.putByte(scratch + 64 + i, b[i]);
        }
        check(cpu.hypercall(Hypercall.CONSOLE_IO, ConsoleIo.WRITE, b.length, scratch + 64), "console_io");
    }

    private String readCString(long va, int max) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < max; i++) {
            byte b = mem.getByte(va + i);
            if (b == 0) {
                break;
            }
            sb.append((char) b);
        }
        return sb.toString();
    }

    private static void check(long rc, String what) {
        if (rc < 0) {
            throw new IllegalStateException(what + " failed: " + rc);
        }
    }
}
