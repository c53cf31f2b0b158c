package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;
import org.parasol.hypercall.SharedBuffer;

/**
 * A vCPU's view of system time: mirrors {@code xen.h}: {@code vcpu_time_info} (32 bytes),
 * embedded in {@code vcpu_info} at offset 32.
 *
 * <pre>
 *  0        4        8                16               24       28    29    30
 *  +--------+--------+----------------+----------------+--------+-----+-----+----+
 *  |version |  pad0  | tsc_timestamp  |  system_time   |  mul   |shift|flags|pad1|
 *  +--------+--------+----------------+----------------+--------+-----+-----+----+
 * </pre>
 *
 * <p>Invariants: the hypervisor updates the record under the {@code version} seqlock
 * (odd while an update is in progress); {@code tsc_to_system_mul} is a 32.32 fixed-point
 * multiplier applied after shifting the TSC delta by {@code tsc_shift} (signed). The
 * hypervisor writes with {@link #publish}; readers use {@link #versionAcquire}, read the
 * fields, fence, and re-check the version.
 */
public final class VcpuTimeInfo {
    /** {@code XEN_PVCLOCK_TSC_STABLE_BIT}. */
    public static final int XEN_PVCLOCK_TSC_STABLE_BIT = 1;
    /** {@code XEN_PVCLOCK_GUEST_STOPPED}. */
    public static final int XEN_PVCLOCK_GUEST_STOPPED = 2;

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U32.withName("version"),
            MemoryLayout.paddingLayout(4).withName("pad0"),
            Layouts.U64.withName("tsc_timestamp"),
            Layouts.U64.withName("system_time"),
            Layouts.U32.withName("tsc_to_system_mul"),
            Layouts.S8.withName("tsc_shift"),
            Layouts.U8.withName("flags"),
            MemoryLayout.paddingLayout(2).withName("pad1")).withName("vcpu_time_info");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long VERSION_OFFSET = Layouts.offsetOf(LAYOUT, "version");
    public static final long TSC_TIMESTAMP_OFFSET = Layouts.offsetOf(LAYOUT, "tsc_timestamp");
    public static final long SYSTEM_TIME_OFFSET = Layouts.offsetOf(LAYOUT, "system_time");
    public static final long TSC_TO_SYSTEM_MUL_OFFSET = Layouts.offsetOf(LAYOUT, "tsc_to_system_mul");
    public static final long TSC_SHIFT_OFFSET = Layouts.offsetOf(LAYOUT, "tsc_shift");
    public static final long FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "flags");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public VcpuTimeInfo() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public VcpuTimeInfo wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public VcpuTimeInfo clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** The seqlock version, plain read; see {@link #versionAcquire} for the reader protocol. */
    public long version() {
        return Layouts.u32(buffer.getInt(base + VERSION_OFFSET));
    }

    public VcpuTimeInfo version(long v) {
        buffer.putInt(base + VERSION_OFFSET, (int) v);
        return this;
    }

    public long tscTimestamp() {
        return buffer.getLong(base + TSC_TIMESTAMP_OFFSET);
    }

    public VcpuTimeInfo tscTimestamp(long v) {
        buffer.putLong(base + TSC_TIMESTAMP_OFFSET, v);
        return this;
    }

    /** Nanoseconds since boot at {@link #tscTimestamp()}. */
    public long systemTime() {
        return buffer.getLong(base + SYSTEM_TIME_OFFSET);
    }

    public VcpuTimeInfo systemTime(long v) {
        buffer.putLong(base + SYSTEM_TIME_OFFSET, v);
        return this;
    }

    /** The 32.32 fixed-point TSC-to-nanoseconds multiplier, unsigned. */
    public long tscToSystemMul() {
        return Layouts.u32(buffer.getInt(base + TSC_TO_SYSTEM_MUL_OFFSET));
    }

    public VcpuTimeInfo tscToSystemMul(long v) {
        buffer.putInt(base + TSC_TO_SYSTEM_MUL_OFFSET, (int) v);
        return this;
    }

    /** The signed pre-multiplication shift. */
    public int tscShift() {
        return buffer.getByte(base + TSC_SHIFT_OFFSET);
    }

    public VcpuTimeInfo tscShift(int v) {
        buffer.putByte(base + TSC_SHIFT_OFFSET, (byte) v);
        return this;
    }

    /** {@code XEN_PVCLOCK_*} flags. */
    public int flags() {
        return Layouts.u8(buffer.getByte(base + FLAGS_OFFSET));
    }

    public VcpuTimeInfo flags(int v) {
        buffer.putByte(base + FLAGS_OFFSET, (byte) v);
        return this;
    }

    /** System time at TSC value {@code tsc}, from the fields as they are now (no seqlock). */
    public long systemTimeAt(long tsc) {
        return systemTime() + scaleDelta(tsc - tscTimestamp(), tscToSystemMul(), tscShift());
    }

    /**
     * Xen's {@code scale_delta}: shifts the unsigned TSC delta left by {@code shift} (right if
     * negative), multiplies it by the unsigned 32-bit {@code mul} and keeps bits 32..95 of
     * the 96-bit product.
     */
    public static long scaleDelta(long tscDelta, long mul, int shift) {
        long delta = shift >= 0 ? tscDelta << shift : tscDelta >>> -shift;
        long m = mul & 0xFFFF_FFFFL;
        long low = delta * m;
        long high = Math.unsignedMultiplyHigh(delta, m);
        return (high << 32) | (low >>> 32);
    }

    // ---- The seqlock (record 4-byte aligned, as in shared_info).

    /** Acquire-reads {@code version}: the seqlock reader's first and last step. */
    public int versionAcquire() {
        return buffer.getIntAcquire(base + VERSION_OFFSET);
    }

    /** Release-writes {@code version}. */
    public VcpuTimeInfo versionRelease(int version) {
        buffer.putIntRelease(base + VERSION_OFFSET, version);
        return this;
    }

    /**
     * The hypervisor's side of the seqlock ({@code update_vcpu_system_time}): makes
     * {@code version} odd, writes every field, then makes it even again. A reader that sees the
     * same even version before and after reading the fields (with a load-load fence between)
     * saw all of this update or none of it.
     */
    public VcpuTimeInfo publish(long tscTimestamp, long systemTime, long tscToSystemMul, int tscShift, int flags) {
        int version = versionAcquire();
        int odd = (version & 1) == 0 ? version + 1 : version + 2;
        // Release: the previous update's fields are ordered before the odd version...
        versionRelease(odd);
        // ...and no field store below may become visible before it.
        VarHandle.storeStoreFence();
        tscTimestamp(tscTimestamp).systemTime(systemTime).tscToSystemMul(tscToSystemMul).tscShift(tscShift).flags(flags);
        // Release: a reader that acquires the even version sees every field above.
        return versionRelease(odd + 1);
    }
}
