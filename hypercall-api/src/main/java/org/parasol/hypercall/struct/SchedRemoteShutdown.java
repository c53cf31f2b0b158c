package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * Argument of {@code SCHEDOP_remote_shutdown} (4): mirrors {@code sched.h}:
 * {@code sched_remote_shutdown} (8 bytes).
 *
 * <pre>
 *  0           2       4        8
 *  +-----------+-------+--------+
 *  | domain_id |  pad  | reason |
 *  +-----------+-------+--------+
 * </pre>
 *
 * <p>Invariants: privileged callers only; {@code reason} is a {@code SHUTDOWN_*} code.
 */
public final class SchedRemoteShutdown {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U16.withName("domain_id"),
            MemoryLayout.paddingLayout(2),
            Layouts.U32.withName("reason")).withName("sched_remote_shutdown");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long DOMAIN_ID_OFFSET = Layouts.offsetOf(LAYOUT, "domain_id");
    public static final long REASON_OFFSET = Layouts.offsetOf(LAYOUT, "reason");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public SchedRemoteShutdown() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public SchedRemoteShutdown wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public SchedRemoteShutdown clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** The domain to shut down. */
    public int domainId() {
        return Layouts.u16(buffer.getShort(base + DOMAIN_ID_OFFSET));
    }

    public SchedRemoteShutdown domainId(int v) {
        buffer.putShort(base + DOMAIN_ID_OFFSET, (short) v);
        return this;
    }

    /** {@code SHUTDOWN_*}. */
    public long reason() {
        return Layouts.u32(buffer.getInt(base + REASON_OFFSET));
    }

    public SchedRemoteShutdown reason(long v) {
        buffer.putInt(base + REASON_OFFSET, (int) v);
        return this;
    }
}
