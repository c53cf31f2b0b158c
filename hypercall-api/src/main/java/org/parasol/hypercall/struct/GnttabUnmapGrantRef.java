package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

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

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public GnttabUnmapGrantRef() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public GnttabUnmapGrantRef wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public GnttabUnmapGrantRef clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** The mapped address (0 if no host mapping). */
    public long hostAddr() {
        return buffer.getLong(base + HOST_ADDR_OFFSET);
    }

    public GnttabUnmapGrantRef hostAddr(long v) {
        buffer.putLong(base + HOST_ADDR_OFFSET, v);
        return this;
    }

    /** The device mapping, or 0. */
    public long devBusAddr() {
        return buffer.getLong(base + DEV_BUS_ADDR_OFFSET);
    }

    public GnttabUnmapGrantRef devBusAddr(long v) {
        buffer.putLong(base + DEV_BUS_ADDR_OFFSET, v);
        return this;
    }

    /** The maptrack handle. */
    public long handle() {
        return Layouts.u32(buffer.getInt(base + HANDLE_OFFSET));
    }

    public GnttabUnmapGrantRef handle(long v) {
        buffer.putInt(base + HANDLE_OFFSET, (int) v);
        return this;
    }

    /** OUT: {@code GNTST_*}. */
    public int status() {
        return buffer.getShort(base + STATUS_OFFSET);
    }

    public GnttabUnmapGrantRef status(int v) {
        buffer.putShort(base + STATUS_OFFSET, (short) v);
        return this;
    }
}
