package org.parasol.guest.pvops;

import java.lang.invoke.VarHandle;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestMemoryBuffer;
import org.parasol.hypercall.struct.SharedInfo;
import org.parasol.hypercall.struct.VcpuInfo;
import org.parasol.hypercall.struct.VcpuTimeInfo;

/**
 * Xen's paravirtual clock: system time from this vCPU's {@code vcpu_time_info} and the TSC,
 * wall-clock time from {@code shared_info}'s {@code wc_*}, each read under its version
 * seqlock (Linux's {@code pvclock_clocksource_read}).
 *
 * <pre>
 *  vcpu_time_info: version | tsc_timestamp | system_time | tsc_to_system_mul | tsc_shift
 *  now = system_time + ((rdtsc - tsc_timestamp) shifted by tsc_shift) * mul / 2^32
 * </pre>
 *
 * <p>Both records are read through the ABI's flyweights ({@link VcpuTimeInfo},
 * {@link SharedInfo}) over this vCPU's mapping of shared_info, the classes the hypervisor
 * publishes them with. The seqlock reader: acquire-read the version; an odd version means the
 * hypervisor is writing, so read again; read the fields; load-load fence; re-read the version
 * and start over if it moved. Reads never allocate.
 */
public final class PvClock {
    private final Cpu cpu;
    private final SharedInfo shared;
    private final VcpuTimeInfo time;

    /** The clocks of {@code cpu}, with shared_info mapped at {@code sharedInfoVa}. */
    public PvClock(Cpu cpu, long sharedInfoVa) {
        this.cpu = cpu;
        this.shared = new SharedInfo().wrap(new GuestMemoryBuffer(cpu.memory(), sharedInfoVa, SharedInfo.SIZE), 0);
        this.time = shared.vcpuInfo(cpu.vcpuId(), new VcpuInfo()).time();
    }

    /** System time in nanoseconds. */
    public long systemTime() {
        for (;;) {
            int version = time.versionAcquire();
            if ((version & 1) != 0) {
                Thread.onSpinWait(); // the hypervisor is mid-update on another CPU
                continue;
            }
            long tscTimestamp = time.tscTimestamp();
            long systemTime = time.systemTime();
            long mul = time.tscToSystemMul();
            int shift = time.tscShift();
            // The fields must be read before the version is checked again.
            VarHandle.loadLoadFence();
            if (time.versionAcquire() != version) {
                continue;
            }
            return systemTime + VcpuTimeInfo.scaleDelta(cpu.rdtsc() - tscTimestamp, mul, shift);
        }
    }

    /**
     * The TSC value at which system time reaches {@code deadline} (rounded up, so a timer set
     * for it never fires early): what a native kernel writes to {@code IA32_TSC_DEADLINE}.
     * A deadline already past gives the TSC of the last clock update, which is past too.
     */
    public long tscAt(long deadline) {
        for (;;) {
            int version = time.versionAcquire();
            if ((version & 1) != 0) {
                Thread.onSpinWait();
                continue;
            }
            long tscTimestamp = time.tscTimestamp();
            long systemTime = time.systemTime();
            long mul = time.tscToSystemMul() & 0xFFFF_FFFFL;
            int shift = time.tscShift();
            VarHandle.loadLoadFence();
            if (time.versionAcquire() != version) {
                continue;
            }
            long ns = deadline - systemTime;
            if (ns <= 0 || mul == 0) {
                return tscTimestamp;
            }
            // The inverse of scale_delta: shifted = ceil(ns * 2^32 / mul), then undo the shift.
            long q = ns / mul;
            long r = ns % mul;
            long shifted = (q << 32) + Long.divideUnsigned((r << 32) + mul - 1, mul);
            long delta = shift >= 0 ? (shifted + (1L << shift) - 1) >>> shift : shifted << -shift;
            return tscTimestamp + delta + 1;
        }
    }

    /** Wall-clock nanoseconds since the epoch at system time 0. */
    public long wallClockAtBoot() {
        for (;;) {
            int version = shared.wcVersionAcquire();
            if ((version & 1) != 0) {
                Thread.onSpinWait();
                continue;
            }
            long sec = shared.wallclockSeconds();
            long nsec = shared.wcNsec();
            VarHandle.loadLoadFence();
            if (shared.wcVersionAcquire() == version) {
                return sec * 1_000_000_000L + nsec;
            }
        }
    }
}
