package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.util.Objects;
import org.parasol.hypercall.SharedBuffer;
import org.parasol.hypercall.abi.Runstate;

/**
 * Where a vCPU has spent its time: mirrors {@code vcpu.h}: {@code vcpu_runstate_info} (48
 * bytes).
 *
 * <pre>
 *  0        4        8                  16        24        32        40        48
 *  +--------+--------+------------------+---------+---------+---------+---------+
 *  | state  |  pad   | state_entry_time | time[0] | time[1] | time[2] | time[3] |
 *  +--------+--------+------------------+---------+---------+---------+---------+
 *                      bit 63 = XEN_RUNSTATE_UPDATE while Xen rewrites the record
 * </pre>
 *
 * <p>Invariants: {@code state} is {@code RUNSTATE_running} 0, {@code runnable} 1,
 * {@code blocked} 2 or {@code offline} 3; {@code time[s]} is the nanoseconds spent in state
 * {@code s}, so their sum tracks system time; with {@code VMASST_TYPE_runstate_update_flag},
 * bit 63 of {@code state_entry_time} is set while an update is in progress, a seqlock readers
 * retry on.
 */
public final class VcpuRunstateInfo {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.S32.withName("state"),
            MemoryLayout.paddingLayout(4),
            Layouts.U64.withName("state_entry_time"),
            MemoryLayout.sequenceLayout(Runstate.NR_STATES, Layouts.U64).withName("time")).withName("vcpu_runstate_info");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long STATE_OFFSET = Layouts.offsetOf(LAYOUT, "state");
    public static final long STATE_ENTRY_TIME_OFFSET = Layouts.offsetOf(LAYOUT, "state_entry_time");
    public static final long TIME_OFFSET = Layouts.offsetOf(LAYOUT, "time");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public VcpuRunstateInfo() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public VcpuRunstateInfo wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public VcpuRunstateInfo clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** {@code RUNSTATE_*}. */
    public int state() {
        return buffer.getInt(base + STATE_OFFSET);
    }

    public VcpuRunstateInfo state(int v) {
        buffer.putInt(base + STATE_OFFSET, v);
        return this;
    }

    /** System time the state was entered, with the update bit. */
    public long stateEntryTime() {
        return buffer.getLong(base + STATE_ENTRY_TIME_OFFSET);
    }

    public VcpuRunstateInfo stateEntryTime(long v) {
        buffer.putLong(base + STATE_ENTRY_TIME_OFFSET, v);
        return this;
    }

    /** {@code time[state]}: nanoseconds spent in {@code state}. */
    public long time(int state) {
        Objects.checkIndex(state, Runstate.NR_STATES);
        return buffer.getLong(base + TIME_OFFSET + state * 8L);
    }

    public VcpuRunstateInfo time(int state, long v) {
        Objects.checkIndex(state, Runstate.NR_STATES);
        buffer.putLong(base + TIME_OFFSET + state * 8L, v);
        return this;
    }

    /** Acquire-reads {@code state_entry_time} (record 8-byte aligned). */
    public long stateEntryTimeAcquire() {
        return buffer.getLongAcquire(base + STATE_ENTRY_TIME_OFFSET);
    }

    /** Release-writes {@code state_entry_time} (record 8-byte aligned). */
    public VcpuRunstateInfo stateEntryTimeRelease(long value) {
        buffer.putLongRelease(base + STATE_ENTRY_TIME_OFFSET, value);
        return this;
    }
}
