package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * Argument of {@code SCHEDOP_poll} (3): mirrors {@code sched.h}: {@code sched_poll} (24 bytes).
 *
 * <pre>
 *  0                  8          12      16                 24
 *  +------------------+----------+-------+------------------+
 *  |      ports       | nr_ports |  pad  |     timeout      |
 *  +------------------+----------+-------+------------------+
 *    guest pointer to u32[nr_ports]
 * </pre>
 *
 * <p>Invariants: {@code nr_ports} is at most 128; {@code timeout} is absolute system time in
 * ns, 0 for  none; the mask bits are ignored while polling.
 */
public final class SchedPoll {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U64.withName("ports"),
            Layouts.U32.withName("nr_ports"),
            MemoryLayout.paddingLayout(4),
            Layouts.U64.withName("timeout")).withName("sched_poll");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long PORTS_OFFSET = Layouts.offsetOf(LAYOUT, "ports");
    public static final long NR_PORTS_OFFSET = Layouts.offsetOf(LAYOUT, "nr_ports");
    public static final long TIMEOUT_OFFSET = Layouts.offsetOf(LAYOUT, "timeout");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public SchedPoll() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public SchedPoll wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public SchedPoll clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** Guest address of the port array. */
    public long ports() {
        return buffer.getLong(base + PORTS_OFFSET);
    }

    public SchedPoll ports(long v) {
        buffer.putLong(base + PORTS_OFFSET, v);
        return this;
    }

    /** Ports in the array. */
    public long nrPorts() {
        return Layouts.u32(buffer.getInt(base + NR_PORTS_OFFSET));
    }

    public SchedPoll nrPorts(long v) {
        buffer.putInt(base + NR_PORTS_OFFSET, (int) v);
        return this;
    }

    /** Absolute timeout, ns; 0 = none. */
    public long timeout() {
        return buffer.getLong(base + TIMEOUT_OFFSET);
    }

    public SchedPoll timeout(long v) {
        buffer.putLong(base + TIMEOUT_OFFSET, v);
        return this;
    }
}
