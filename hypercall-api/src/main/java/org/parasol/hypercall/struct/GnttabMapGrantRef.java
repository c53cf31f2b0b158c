package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * Argument of {@code GNTTABOP_map_grant_ref} (0): mirrors {@code grant_table.h}:
 * {@code gnttab_map_grant_ref} (32 bytes).
 *
 * <pre>
 *  0                  8       12      16     18       20       24                 32
 *  +------------------+-------+-------+------+--------+--------+------------------+
 *  |    host_addr     | flags |  ref  | dom  | status | handle |   dev_bus_addr   |
 *  +------------------+-------+-------+------+--------+--------+------------------+
 *    IN                 IN      IN      IN     OUT      OUT      OUT
 * </pre>
 *
 * <p>Invariants: {@code flags} holds {@code GNTMAP_*} and must include host_map and/or
 * device_map; {@code dom} is the granting domain; on success {@code status} is
 * {@code GNTST_okay} and {@code handle} names the mapping for unmap.
 */
public final class GnttabMapGrantRef {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U64.withName("host_addr"),
            Layouts.U32.withName("flags"),
            Layouts.U32.withName("ref"),
            Layouts.U16.withName("dom"),
            Layouts.S16.withName("status"),
            Layouts.U32.withName("handle"),
            Layouts.U64.withName("dev_bus_addr")).withName("gnttab_map_grant_ref");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long HOST_ADDR_OFFSET = Layouts.offsetOf(LAYOUT, "host_addr");
    public static final long FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "flags");
    public static final long REF_OFFSET = Layouts.offsetOf(LAYOUT, "ref");
    public static final long DOM_OFFSET = Layouts.offsetOf(LAYOUT, "dom");
    public static final long STATUS_OFFSET = Layouts.offsetOf(LAYOUT, "status");
    public static final long HANDLE_OFFSET = Layouts.offsetOf(LAYOUT, "handle");
    public static final long DEV_BUS_ADDR_OFFSET = Layouts.offsetOf(LAYOUT, "dev_bus_addr");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public GnttabMapGrantRef() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public GnttabMapGrantRef wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public GnttabMapGrantRef clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** Virtual address (or PTE machine address with contains_pte) to map at. */
    public long hostAddr() {
        return buffer.getLong(base + HOST_ADDR_OFFSET);
    }

    public GnttabMapGrantRef hostAddr(long v) {
        buffer.putLong(base + HOST_ADDR_OFFSET, v);
        return this;
    }

    /** {@code GNTMAP_*}. */
    public long flags() {
        return Layouts.u32(buffer.getInt(base + FLAGS_OFFSET));
    }

    public GnttabMapGrantRef flags(long v) {
        buffer.putInt(base + FLAGS_OFFSET, (int) v);
        return this;
    }

    /** The grant reference. */
    public long ref() {
        return Layouts.u32(buffer.getInt(base + REF_OFFSET));
    }

    public GnttabMapGrantRef ref(long v) {
        buffer.putInt(base + REF_OFFSET, (int) v);
        return this;
    }

    /** The granting domain. */
    public int dom() {
        return Layouts.u16(buffer.getShort(base + DOM_OFFSET));
    }

    public GnttabMapGrantRef dom(int v) {
        buffer.putShort(base + DOM_OFFSET, (short) v);
        return this;
    }

    /** OUT: {@code GNTST_*}. */
    public int status() {
        return buffer.getShort(base + STATUS_OFFSET);
    }

    public GnttabMapGrantRef status(int v) {
        buffer.putShort(base + STATUS_OFFSET, (short) v);
        return this;
    }

    /** OUT: the maptrack handle. */
    public long handle() {
        return Layouts.u32(buffer.getInt(base + HANDLE_OFFSET));
    }

    public GnttabMapGrantRef handle(long v) {
        buffer.putInt(base + HANDLE_OFFSET, (int) v);
        return this;
    }

    /** OUT: the bus address for device mappings. */
    public long devBusAddr() {
        return buffer.getLong(base + DEV_BUS_ADDR_OFFSET);
    }

    public GnttabMapGrantRef devBusAddr(long v) {
        buffer.putLong(base + DEV_BUS_ADDR_OFFSET, v);
        return this;
    }

    /** Copies every field into an immutable value. */
    public Snapshot snapshot() {
        return new Snapshot(hostAddr(), flags(), ref(), dom(), status(), handle(), devBusAddr());
    }

    /** Writes every field of {@code v}. */
    public GnttabMapGrantRef set(Snapshot v) {
        return hostAddr(v.hostAddr()).flags(v.flags()).ref(v.ref()).dom(v.dom()).status(v.status())
                .handle(v.handle()).devBusAddr(v.devBusAddr());
    }

    /** An immutable copy of one {@code gnttab_map_grant_ref}, for logs and tests. */
    public record Snapshot(long hostAddr, long flags, long ref, int dom, int status, long handle,
            long devBusAddr) {
    }
}
