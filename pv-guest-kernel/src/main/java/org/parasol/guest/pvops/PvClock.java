package org.parasol.guest.pvops;

import java.lang.invoke.VarHandle;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.struct.SharedInfo;
import org.parasol.hypercall.struct.VcpuInfo;
import org.parasol.hypercall.struct.VcpuTimeInfo;

/**
 * Xen's paravirtual clock: system time from this vCPU's {@code vcpu_time_info} and the TSC,
 * wall-clock time from {@code shared_info}'s {@code wc_*}, each read under its version
 * seqlock (Linux's {@code pvclock_clocksource_read}).
 *
 * <pre>
 *  vcpu_time_info: version @0 | tsc_timestamp @8 | system_time @16 | tsc_to_system_mul @24 | tsc_shift @28
 *  now = system_time + ((rdtsc - tsc_timestamp) shifted by tsc_shift) * mul / 2^32
 * </pre>
 *
 * <p>The seqlock reader: acquire-read the version; an odd version means the hypervisor is
 * writing, so read again; read the fields; load-load fence; re-read the version and start
 * over if it moved. Reads never allocate.
 */
final class PvClock {
    private final Cpu cpu;
    private final GuestMemory mem;
    private final long timeInfo;
    private final long wcVersion;
    private final long sharedInfo;

    PvClock(Cpu cpu, long sharedInfoVa) {
        this.cpu = cpu;
        this.mem = cpu.memory();
        this.timeInfo = sharedInfoVa + SharedInfo.VCPU_INFO_OFFSET + (long) cpu.vcpuId() * VcpuInfo.SIZE
                + VcpuInfo.TIME_OFFSET;
        this.wcVersion = sharedInfoVa + SharedInfo.WC_VERSION_OFFSET;
        this.sharedInfo = sharedInfoVa;
    }

    /** System time in nanoseconds. */
    long systemTime() {
        for (;;) {
            int version = mem.getIntAcquire(timeInfo + VcpuTimeInfo.VERSION_OFFSET);
            if ((version & 1) != 0) {
                Thread.onSpinWait(); // the hypervisor is mid-update on another CPU
                continue;
            }
            long tscTimestamp = mem.getLong(timeInfo + VcpuTimeInfo.TSC_TIMESTAMP_OFFSET);
            long systemTime = mem.getLong(timeInfo + VcpuTimeInfo.SYSTEM_TIME_OFFSET);
            int mul = mem.getInt(timeInfo + VcpuTimeInfo.TSC_TO_SYSTEM_MUL_OFFSET);
            int shift = mem.getByte(timeInfo + VcpuTimeInfo.TSC_SHIFT_OFFSET);
            // The fields must be read before the version is checked again.
            VarHandle.loadLoadFence();
            if (mem.getIntAcquire(timeInfo + VcpuTimeInfo.VERSION_OFFSET) != version) {
                continue;
            }
            return systemTime + scale(cpu.rdtsc() - tscTimestamp, mul, shift);
        }
    }

    /** {@code pvclock_scale_delta}: {@code (delta << shift) * mul >> 32}, unsigned, 128-bit product. */
    static long scale(long delta, int mul, int shift) {
        long d = shift >= 0 ? delta << shift : delta >>> -shift;
        long m = mul & 0xFFFF_FFFFL;
        return (Math.unsignedMultiplyHigh(d, m) << 32) | ((d * m) >>> 32);
    }

    /** Wall-clock nanoseconds since the epoch at system time 0. */
    long wallClockAtBoot() {
        for (;;) {
            int version = mem.getIntAcquire(wcVersion);
            if ((version & 1) != 0) {
                Thread.onSpinWait();
                continue;
            }
            long sec = (mem.getInt(sharedInfo + SharedInfo.WC_SEC_OFFSET) & 0xFFFF_FFFFL)
                    | ((long) mem.getInt(sharedInfo + SharedInfo.WC_SEC_HI_OFFSET) << 32);
            long nsec = mem.getInt(sharedInfo + SharedInfo.WC_NSEC_OFFSET) & 0xFFFF_FFFFL;
            VarHandle.loadLoadFence();
            if (mem.getIntAcquire(wcVersion) == version) {
                return sec * 1_000_000_000L + nsec;
            }
        }
    }
}
