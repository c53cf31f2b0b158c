package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

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

    private MemorySegment segment;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public VcpuSetPeriodicTimer() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code segment}; returns this. */
    public VcpuSetPeriodicTimer wrap(MemorySegment segment, long offset) {
        this.base = Layouts.checkWrap(segment, offset, SIZE);
        this.segment = segment;
        return this;
    }

    /** Zeroes the whole structure. */
    public VcpuSetPeriodicTimer clear() {
        Layouts.zero(segment, base, SIZE);
        return this;
    }

    /** The period in nanoseconds. */
    public long periodNs() {
        return segment.get(Layouts.U64, base + PERIOD_NS_OFFSET);
    }

    public VcpuSetPeriodicTimer periodNs(long v) {
        segment.set(Layouts.U64, base + PERIOD_NS_OFFSET, v);
        return this;
    }
}
