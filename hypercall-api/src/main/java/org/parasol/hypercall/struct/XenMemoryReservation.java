package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * Argument of {@code XENMEM_increase_reservation}, {@code decrease_reservation} and
 * {@code populate_physmap}: mirrors {@code memory.h}: {@code xen_memory_reservation} (32 bytes).
 *
 * <pre>
 *  0                  8                  16             20          24      26          32
 *  +------------------+------------------+--------------+-----------+-------+-----------+
 *  |   extent_start   |    nr_extents    | extent_order | mem_flags | domid |    pad    |
 *  +------------------+------------------+--------------+-----------+-------+-----------+
 *    guest pointer to u64[nr_extents]
 * </pre>
 *
 * <p>Invariants: each extent is {@code 2^extent_order} pages; {@code mem_flags} holds
 * {@code XENMEMF_*}; unprivileged callers name {@code DOMID_SELF}; the hypercall returns the
 * number of extents done.
 */
public final class XenMemoryReservation {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U64.withName("extent_start"),
            Layouts.U64.withName("nr_extents"),
            Layouts.U32.withName("extent_order"),
            Layouts.U32.withName("mem_flags"),
            Layouts.U16.withName("domid"),
            MemoryLayout.paddingLayout(6)).withName("xen_memory_reservation");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long EXTENT_START_OFFSET = Layouts.offsetOf(LAYOUT, "extent_start");
    public static final long NR_EXTENTS_OFFSET = Layouts.offsetOf(LAYOUT, "nr_extents");
    public static final long EXTENT_ORDER_OFFSET = Layouts.offsetOf(LAYOUT, "extent_order");
    public static final long MEM_FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "mem_flags");
    public static final long DOMID_OFFSET = Layouts.offsetOf(LAYOUT, "domid");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public XenMemoryReservation() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public XenMemoryReservation wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public XenMemoryReservation clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** Guest address of the extent array. */
    public long extentStart() {
        return buffer.getLong(base + EXTENT_START_OFFSET);
    }

    public XenMemoryReservation extentStart(long v) {
        buffer.putLong(base + EXTENT_START_OFFSET, v);
        return this;
    }

    /** Extents in the array. */
    public long nrExtents() {
        return buffer.getLong(base + NR_EXTENTS_OFFSET);
    }

    public XenMemoryReservation nrExtents(long v) {
        buffer.putLong(base + NR_EXTENTS_OFFSET, v);
        return this;
    }

    /** log2 of pages per extent. */
    public long extentOrder() {
        return Layouts.u32(buffer.getInt(base + EXTENT_ORDER_OFFSET));
    }

    public XenMemoryReservation extentOrder(long v) {
        buffer.putInt(base + EXTENT_ORDER_OFFSET, (int) v);
        return this;
    }

    /** {@code XENMEMF_*}. */
    public long memFlags() {
        return Layouts.u32(buffer.getInt(base + MEM_FLAGS_OFFSET));
    }

    public XenMemoryReservation memFlags(long v) {
        buffer.putInt(base + MEM_FLAGS_OFFSET, (int) v);
        return this;
    }

    /** The target domain. */
    public int domid() {
        return Layouts.u16(buffer.getShort(base + DOMID_OFFSET));
    }

    public XenMemoryReservation domid(int v) {
        buffer.putShort(base + DOMID_OFFSET, (short) v);
        return this;
    }
}
