package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.util.Objects;

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
 * retry  on.
 */
public final class VcpuRunstateInfo {
    /** Entries in {@code time}. */
    public static final int NR_RUNSTATES = 4;

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.S32.withName("state"),
            MemoryLayout.paddingLayout(4),
            Layouts.U64.withName("state_entry_time"),
            MemoryLayout.sequenceLayout(NR_RUNSTATES, Layouts.U64).withName("time")).withName("vcpu_runstate_info");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long STATE_OFFSET = Layouts.offsetOf(LAYOUT, "state");
    public static final long STATE_ENTRY_TIME_OFFSET = Layouts.offsetOf(LAYOUT, "state_entry_time");
    public static final long TIME_OFFSET = Layouts.offsetOf(LAYOUT, "time");

    private MemorySegment segment;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public VcpuRunstateInfo() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code segment}; returns this. */
    public VcpuRunstateInfo wrap(MemorySegment segment, long offset) {
        this.base = Layouts.checkWrap(segment, offset, SIZE);
        this.segment = segment;
        return this;
    }

    /** Zeroes the whole structure. */
    public VcpuRunstateInfo clear() {
        Layouts.zero(segment, base, SIZE);
        return this;
    }

    /** {@code RUNSTATE_*}. */
    public int state() {
        return segment.get(Layouts.S32, base + STATE_OFFSET);
    }

    public VcpuRunstateInfo state(int v) {
        segment.set(Layouts.S32, base + STATE_OFFSET, v);
        return this;
    }

    /** System time the state was entered, with the update bit. */
    public long stateEntryTime() {
        return segment.get(Layouts.U64, base + STATE_ENTRY_TIME_OFFSET);
    }

    public VcpuRunstateInfo stateEntryTime(long v) {
        segment.set(Layouts.U64, base + STATE_ENTRY_TIME_OFFSET, v);
        return this;
    }

    /** {@code time[state]}: nanoseconds spent in {@code state}. */
    public long time(int state) {
        Objects.checkIndex(state, NR_RUNSTATES);
        return segment.get(Layouts.U64, base + TIME_OFFSET + state * 8L);
    }

    public VcpuRunstateInfo time(int state, long v) {
        Objects.checkIndex(state, NR_RUNSTATES);
        segment.set(Layouts.U64, base + TIME_OFFSET + state * 8L, v);
        return this;
    }

    /** Acquire-reads {@code state_entry_time} of the 8-byte aligned record at {@code offset}. */
    public static long stateEntryTimeAcquire(MemorySegment segment, long offset) {
        return (long) Layouts.ATOMIC_U64.getAcquire(segment, offset + STATE_ENTRY_TIME_OFFSET);
    }

    /** Release-writes {@code state_entry_time} of the 8-byte aligned record at {@code offset}. */
    public static void stateEntryTimeRelease(MemorySegment segment, long offset, long value) {
        Layouts.ATOMIC_U64.setRelease(segment, offset + STATE_ENTRY_TIME_OFFSET, value);
    }
}
