package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * Argument of {@code SCHEDOP_shutdown} (2) and {@code SCHEDOP_shutdown_code} (5): mirrors
 * {@code sched.h}: {@code sched_shutdown} (4 bytes).
 *
 * <pre>
 *  0        4
 *  +--------+
 *  | reason |
 *  +--------+
 * </pre>
 *
 * <p>Invariants: {@code reason} is a {@code SHUTDOWN_*} code (poweroff 0 to soft_reset 5).
 */
public final class SchedShutdown {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U32.withName("reason")).withName("sched_shutdown");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long REASON_OFFSET = Layouts.offsetOf(LAYOUT, "reason");

    private MemorySegment segment;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public SchedShutdown() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code segment}; returns this. */
    public SchedShutdown wrap(MemorySegment segment, long offset) {
        this.base = Layouts.checkWrap(segment, offset, SIZE);
        this.segment = segment;
        return this;
    }

    /** Zeroes the whole structure. */
    public SchedShutdown clear() {
        Layouts.zero(segment, base, SIZE);
        return this;
    }

    /** {@code SHUTDOWN_*}. */
    public long reason() {
        return Layouts.u32(segment.get(Layouts.U32, base + REASON_OFFSET));
    }

    public SchedShutdown reason(long v) {
        segment.set(Layouts.U32, base + REASON_OFFSET, (int) v);
        return this;
    }
}
