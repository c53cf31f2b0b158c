package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * Argument of {@code SCHEDOP_watchdog} (6): mirrors {@code sched.h}: {@code sched_watchdog} (8
 * bytes).
 *
 * <pre>
 *  0        4         8
 *  +--------+---------+
 *  |   id   | timeout |
 *  +--------+---------+
 * </pre>
 *
 * <p>Invariants: {@code id} 0 creates a watchdog (the call returns its id, 1 or 2); a non-zero
 * id with {@code timeout} 0 destroys it, with a non-zero timeout re-arms it; {@code timeout}
 * is in seconds.
 */
public final class SchedWatchdog {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U32.withName("id"),
            Layouts.U32.withName("timeout")).withName("sched_watchdog");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long ID_OFFSET = Layouts.offsetOf(LAYOUT, "id");
    public static final long TIMEOUT_OFFSET = Layouts.offsetOf(LAYOUT, "timeout");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public SchedWatchdog() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public SchedWatchdog wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public SchedWatchdog clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** The watchdog id, 0 to create. */
    public long id() {
        return Layouts.u32(buffer.getInt(base + ID_OFFSET));
    }

    public SchedWatchdog id(long v) {
        buffer.putInt(base + ID_OFFSET, (int) v);
        return this;
    }

    /** Seconds until expiry, 0 to destroy. */
    public long timeout() {
        return Layouts.u32(buffer.getInt(base + TIMEOUT_OFFSET));
    }

    public SchedWatchdog timeout(long v) {
        buffer.putInt(base + TIMEOUT_OFFSET, (int) v);
        return this;
    }
}
