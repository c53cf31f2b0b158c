package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

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

    private MemorySegment segment;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public SchedRemoteShutdown() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code segment}; returns this. */
    public SchedRemoteShutdown wrap(MemorySegment segment, long offset) {
        this.base = Layouts.checkWrap(segment, offset, SIZE);
        this.segment = segment;
        return this;
    }

    /** Zeroes the whole structure. */
    public SchedRemoteShutdown clear() {
        Layouts.zero(segment, base, SIZE);
        return this;
    }

    /** The domain to shut down. */
    public int domainId() {
        return Layouts.u16(segment.get(Layouts.U16, base + DOMAIN_ID_OFFSET));
    }

    public SchedRemoteShutdown domainId(int v) {
        segment.set(Layouts.U16, base + DOMAIN_ID_OFFSET, (short) v);
        return this;
    }

    /** {@code SHUTDOWN_*}. */
    public long reason() {
        return Layouts.u32(segment.get(Layouts.U32, base + REASON_OFFSET));
    }

    public SchedRemoteShutdown reason(long v) {
        segment.set(Layouts.U32, base + REASON_OFFSET, (int) v);
        return this;
    }
}
