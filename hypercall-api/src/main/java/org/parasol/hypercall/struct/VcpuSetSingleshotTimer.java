package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * Argument of {@code VCPUOP_set_singleshot_timer} (8): mirrors {@code vcpu.h}:
 * {@code vcpu_set_singleshot_timer} (16 bytes).
 *
 * <pre>
 *  0                    8        12       16
 *  +--------------------+--------+--------+
 *  |   timeout_abs_ns   | flags  |  pad   |
 *  +--------------------+--------+--------+
 * </pre>
 *
 * <p>Invariants: only for the calling vCPU; a timeout already past fires {@code VIRQ_TIMER} at
 * once; {@code flags} may hold {@code VCPU_SSHOTTMR_future} (1).
 */
public final class VcpuSetSingleshotTimer {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U64.withName("timeout_abs_ns"),
            Layouts.U32.withName("flags"),
            MemoryLayout.paddingLayout(4)).withName("vcpu_set_singleshot_timer");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long TIMEOUT_ABS_NS_OFFSET = Layouts.offsetOf(LAYOUT, "timeout_abs_ns");
    public static final long FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "flags");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public VcpuSetSingleshotTimer() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public VcpuSetSingleshotTimer wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public VcpuSetSingleshotTimer clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** Absolute system time of expiry, ns. */
    public long timeoutAbsNs() {
        return buffer.getLong(base + TIMEOUT_ABS_NS_OFFSET);
    }

    public VcpuSetSingleshotTimer timeoutAbsNs(long v) {
        buffer.putLong(base + TIMEOUT_ABS_NS_OFFSET, v);
        return this;
    }

    /** {@code VCPU_SSHOTTMR_*}. */
    public long flags() {
        return Layouts.u32(buffer.getInt(base + FLAGS_OFFSET));
    }

    public VcpuSetSingleshotTimer flags(long v) {
        buffer.putInt(base + FLAGS_OFFSET, (int) v);
        return this;
    }
}
