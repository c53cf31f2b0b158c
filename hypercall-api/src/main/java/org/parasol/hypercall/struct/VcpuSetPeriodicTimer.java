package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * Argument of {@code VCPUOP_set_periodic_timer} (6): mirrors {@code vcpu.h}:
 * {@code vcpu_set_periodic_timer} (8 bytes).
 *
 * <pre>
 *  0                    8
 *  +--------------------+
 *  |     period_ns      |
 *  +--------------------+
 * </pre>
 *
 * <p>Invariants: {@code period_ns} is at least 1 ms (else {@code -EINVAL}).
 */
public final class VcpuSetPeriodicTimer {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U64.withName("period_ns")).withName("vcpu_set_periodic_timer");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long PERIOD_NS_OFFSET = Layouts.offsetOf(LAYOUT, "period_ns");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public VcpuSetPeriodicTimer() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public VcpuSetPeriodicTimer wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public VcpuSetPeriodicTimer clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** The period in nanoseconds. */
    public long periodNs() {
        return buffer.getLong(base + PERIOD_NS_OFFSET);
    }

    public VcpuSetPeriodicTimer periodNs(long v) {
        buffer.putLong(base + PERIOD_NS_OFFSET, v);
        return this;
    }
}
