package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

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

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public SchedShutdown() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public SchedShutdown wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public SchedShutdown clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** {@code SHUTDOWN_*}. */
    public long reason() {
        return Layouts.u32(buffer.getInt(base + REASON_OFFSET));
    }

    public SchedShutdown reason(long v) {
        buffer.putInt(base + REASON_OFFSET, (int) v);
        return this;
    }
}
