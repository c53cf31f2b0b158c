package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * Argument of {@code GNTTABOP_unmap_grant_ref} (1): mirrors {@code grant_table.h}:
 * {@code gnttab_unmap_grant_ref} (24 bytes).
 *
 * <pre>
 *  0                  8                  16       20       22     24
 *  +------------------+------------------+--------+--------+------+
 *  |    host_addr     |   dev_bus_addr   | handle | status | pad  |
 *  +------------------+------------------+--------+--------+------+
 *    IN                 IN                 IN       OUT
 * </pre>
 *
 * <p>Invariants: {@code handle} is one returned by map; a {@code dev_bus_addr} of 0 means "no
 * device  mapping to remove".
 */
public final class GnttabUnmapGrantRef {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U64.withName("host_addr"),
            Layouts.U64.withName("dev_bus_addr"),
            Layouts.U32.withName("handle"),
            Layouts.S16.withName("status"),
            MemoryLayout.paddingLayout(2)).withName("gnttab_unmap_grant_ref");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long HOST_ADDR_OFFSET = Layouts.offsetOf(LAYOUT, "host_addr");
    public static final long DEV_BUS_ADDR_OFFSET = Layouts.offsetOf(LAYOUT, "dev_bus_addr");
    public static final long HANDLE_OFFSET = Layouts.offsetOf(LAYOUT, "handle");
    public static final long STATUS_OFFSET = Layouts.offsetOf(LAYOUT, "status");

    private MemorySegment segment;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public GnttabUnmapGrantRef() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code segment}; returns this. */
    public GnttabUnmapGrantRef wrap(MemorySegment segment, long offset) {
        this.base = Layouts.checkWrap(segment, offset, SIZE);
        this.segment = segment;
        return this;
    }

    /** Zeroes the whole structure. */
    public GnttabUnmapGrantRef clear() {
        Layouts.zero(segment, base, SIZE);
        return this;
    }

    /** The mapped address (0 if no host mapping). */
    public long hostAddr() {
        return segment.get(Layouts.U64, base + HOST_ADDR_OFFSET);
    }

    public GnttabUnmapGrantRef hostAddr(long v) {
        segment.set(Layouts.U64, base + HOST_ADDR_OFFSET, v);
        return this;
    }

    /** The device mapping, or 0. */
    public long devBusAddr() {
        return segment.get(Layouts.U64, base + DEV_BUS_ADDR_OFFSET);
    }

    public GnttabUnmapGrantRef devBusAddr(long v) {
        segment.set(Layouts.U64, base + DEV_BUS_ADDR_OFFSET, v);
        return this;
    }

    /** The maptrack handle. */
    public long handle() {
        return Layouts.u32(segment.get(Layouts.U32, base + HANDLE_OFFSET));
    }

    public GnttabUnmapGrantRef handle(long v) {
        segment.set(Layouts.U32, base + HANDLE_OFFSET, (int) v);
        return this;
    }

    /** OUT: {@code GNTST_*}. */
    public int status() {
        return segment.get(Layouts.S16, base + STATUS_OFFSET);
    }

    public GnttabUnmapGrantRef status(int v) {
        segment.set(Layouts.S16, base + STATUS_OFFSET, (short) v);
        return this;
    }
}
