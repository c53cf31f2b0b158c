package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

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

    private MemorySegment segment;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public XenMemoryReservation() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code segment}; returns this. */
    public XenMemoryReservation wrap(MemorySegment segment, long offset) {
        this.base = Layouts.checkWrap(segment, offset, SIZE);
        this.segment = segment;
        return this;
    }

    /** Zeroes the whole structure. */
    public XenMemoryReservation clear() {
        Layouts.zero(segment, base, SIZE);
        return this;
    }

    /** Guest address of the extent array. */
    public long extentStart() {
        return segment.get(Layouts.U64, base + EXTENT_START_OFFSET);
    }

    public XenMemoryReservation extentStart(long v) {
        segment.set(Layouts.U64, base + EXTENT_START_OFFSET, v);
        return this;
    }

    /** Extents in the array. */
    public long nrExtents() {
        return segment.get(Layouts.U64, base + NR_EXTENTS_OFFSET);
    }

    public XenMemoryReservation nrExtents(long v) {
        segment.set(Layouts.U64, base + NR_EXTENTS_OFFSET, v);
        return this;
    }

    /** log2 of pages per extent. */
    public long extentOrder() {
        return Layouts.u32(segment.get(Layouts.U32, base + EXTENT_ORDER_OFFSET));
    }

    public XenMemoryReservation extentOrder(long v) {
        segment.set(Layouts.U32, base + EXTENT_ORDER_OFFSET, (int) v);
        return this;
    }

    /** {@code XENMEMF_*}. */
    public long memFlags() {
        return Layouts.u32(segment.get(Layouts.U32, base + MEM_FLAGS_OFFSET));
    }

    public XenMemoryReservation memFlags(long v) {
        segment.set(Layouts.U32, base + MEM_FLAGS_OFFSET, (int) v);
        return this;
    }

    /** The target domain. */
    public int domid() {
        return Layouts.u16(segment.get(Layouts.U16, base + DOMID_OFFSET));
    }

    public XenMemoryReservation domid(int v) {
        segment.set(Layouts.U16, base + DOMID_OFFSET, (short) v);
        return this;
    }
}
