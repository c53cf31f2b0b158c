package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * Argument of {@code XENMEM_machphys_mfn_list} (5): mirrors {@code memory.h}:
 * {@code xen_machphys_mfn_list} (24 bytes).
 *
 * <pre>
 *  0             4       8                  16           20      24
 *  +-------------+-------+------------------+------------+-------+
 *  | max_extents |  pad  |   extent_start   | nr_extents |  pad  |
 *  +-------------+-------+------------------+------------+-------+
 *    IN                    IN (pointer)       OUT
 * </pre>
 *
 * <p>Invariants: Xen writes at most {@code max_extents} MFNs of 2 MiB chunks of the M2P table.
 */
public final class XenMachphysMfnList {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U32.withName("max_extents"),
            MemoryLayout.paddingLayout(4),
            Layouts.U64.withName("extent_start"),
            Layouts.U32.withName("nr_extents"),
            MemoryLayout.paddingLayout(4)).withName("xen_machphys_mfn_list");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long MAX_EXTENTS_OFFSET = Layouts.offsetOf(LAYOUT, "max_extents");
    public static final long EXTENT_START_OFFSET = Layouts.offsetOf(LAYOUT, "extent_start");
    public static final long NR_EXTENTS_OFFSET = Layouts.offsetOf(LAYOUT, "nr_extents");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public XenMachphysMfnList() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public XenMachphysMfnList wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public XenMachphysMfnList clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** Room in the array. */
    public long maxExtents() {
        return Layouts.u32(buffer.getInt(base + MAX_EXTENTS_OFFSET));
    }

    public XenMachphysMfnList maxExtents(long v) {
        buffer.putInt(base + MAX_EXTENTS_OFFSET, (int) v);
        return this;
    }

    /** Guest address of the array. */
    public long extentStart() {
        return buffer.getLong(base + EXTENT_START_OFFSET);
    }

    public XenMachphysMfnList extentStart(long v) {
        buffer.putLong(base + EXTENT_START_OFFSET, v);
        return this;
    }

    /** OUT: MFNs written. */
    public long nrExtents() {
        return Layouts.u32(buffer.getInt(base + NR_EXTENTS_OFFSET));
    }

    public XenMachphysMfnList nrExtents(long v) {
        buffer.putInt(base + NR_EXTENTS_OFFSET, (int) v);
        return this;
    }
}
