package org.parasol.hypercall.io;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;
import org.parasol.hypercall.struct.Layouts;

/**
 * A discard (trim) request, sent in a block ring slot in place of a {@code blkif_request};
 * mirrors {@code io/blkif.h}: {@code blkif_request_discard}.
 *
 * <pre>
 *  0           1      2        4       8      16              24           32
 *  +-----------+------+--------+-------+------+---------------+------------+
 *  | operation | flag | handle |  pad  |  id  | sector_number | nr_sectors |
 *  +-----------+------+--------+-------+------+---------------+------------+
 * </pre>
 *
 * <p>Invariants: 32 bytes, fits in a 112-byte ring entry; {@code operation} is
 * {@code BLKIF_OP_DISCARD} (5); {@code flag} bit 0 is {@code BLKIF_DISCARD_SECURE}; the range is
 * {@code nr_sectors} 512-byte sectors from {@code sector_number}, and is honoured only when the
 * back end advertised {@code feature-discard}.
 */
public final class BlkifRequestDiscard {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U8.withName("operation"),
            Layouts.U8.withName("flag"),
            Layouts.U16.withName("handle"),
            MemoryLayout.paddingLayout(4),
            Layouts.U64.withName("id"),
            Layouts.U64.withName("sector_number"),
            Layouts.U64.withName("nr_sectors"))
            .withName("blkif_request_discard");

    /** 32 bytes. */
    public static final long SIZE = LAYOUT.byteSize();
    public static final long OPERATION_OFFSET = LAYOUT.byteOffset(groupElement("operation"));
    public static final long FLAG_OFFSET = LAYOUT.byteOffset(groupElement("flag"));
    public static final long HANDLE_OFFSET = LAYOUT.byteOffset(groupElement("handle"));
    public static final long ID_OFFSET = LAYOUT.byteOffset(groupElement("id"));
    public static final long SECTOR_NUMBER_OFFSET = LAYOUT.byteOffset(groupElement("sector_number"));
    public static final long NR_SECTORS_OFFSET = LAYOUT.byteOffset(groupElement("nr_sectors"));

    private SharedBuffer buffer;
    private long base;

    /** Creates a flyweight that points nowhere; {@link #wrap} it before using any accessor. */
    public BlkifRequestDiscard() {
    }

    /**
     * Points this flyweight at the request {@code offset} bytes into {@code buffer}.
     *
     * @throws IndexOutOfBoundsException if the 32 bytes do not fit
     */
    public BlkifRequestDiscard wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    public SharedBuffer buffer() {
        return buffer;
    }

    public long base() {
        return base;
    }

    public int operation() {
        return Layouts.u8(buffer.getByte(base + OPERATION_OFFSET));
    }

    public BlkifRequestDiscard operation(int value) {
        buffer.putByte(base + OPERATION_OFFSET, (byte) value);
        return this;
    }

    public int flag() {
        return Layouts.u8(buffer.getByte(base + FLAG_OFFSET));
    }

    public BlkifRequestDiscard flag(int value) {
        buffer.putByte(base + FLAG_OFFSET, (byte) value);
        return this;
    }

    public int handle() {
        return Layouts.u16(buffer.getShort(base + HANDLE_OFFSET));
    }

    public BlkifRequestDiscard handle(int value) {
        buffer.putShort(base + HANDLE_OFFSET, (short) value);
        return this;
    }

    public long id() {
        return buffer.getLong(base + ID_OFFSET);
    }

    public BlkifRequestDiscard id(long value) {
        buffer.putLong(base + ID_OFFSET, value);
        return this;
    }

    public long sectorNumber() {
        return buffer.getLong(base + SECTOR_NUMBER_OFFSET);
    }

    public BlkifRequestDiscard sectorNumber(long value) {
        buffer.putLong(base + SECTOR_NUMBER_OFFSET, value);
        return this;
    }

    public long nrSectors() {
        return buffer.getLong(base + NR_SECTORS_OFFSET);
    }

    public BlkifRequestDiscard nrSectors(long value) {
        buffer.putLong(base + NR_SECTORS_OFFSET, value);
        return this;
    }

    /** Zeroes the 32 bytes. */
    public BlkifRequestDiscard clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }
}
