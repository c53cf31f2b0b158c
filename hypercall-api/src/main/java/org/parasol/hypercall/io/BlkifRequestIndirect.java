package org.parasol.hypercall.io;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.SequenceLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;
import org.parasol.hypercall.struct.Layouts;

/**
 * A request whose segment descriptors live in separately granted pages, sent in a block ring
 * slot in place of a {@code blkif_request}; mirrors {@code io/blkif.h}:
 * {@code blkif_request_indirect} (x86-64 layout).
 *
 * <pre>
 *  0           1             2             4      8     16              24       26    28                  60    64
 *  +-----------+-------------+-------------+------+-----+---------------+--------+-----+-------------------+-----+
 *  | operation | indirect_op | nr_segments | pad  | id  | sector_number | handle | pad | indirect_grefs[8] | pad |
 *  +-----------+-------------+-------------+------+-----+---------------+--------+-----+-------------------+-----+
 * </pre>
 *
 * <p>Invariants: 64 bytes, fits in a 112-byte ring entry; {@code operation} is
 * {@code BLKIF_OP_INDIRECT} (6) and {@code indirect_op} the real operation (read or write);
 * each page named by {@code indirect_grefs} holds 512 {@code blkif_request_segment}s, so
 * {@code ceil(nr_segments / 512)} of the 8 grefs are used, and {@code nr_segments} must not exceed
 * the back end's {@code feature-max-indirect-segments}.
 */
public final class BlkifRequestIndirect {

    public static final SequenceLayout INDIRECT_GREFS_LAYOUT =
            MemoryLayout.sequenceLayout(8, Layouts.U32).withName("indirect_grefs");

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U8.withName("operation"),
            Layouts.U8.withName("indirect_op"),
            Layouts.U16.withName("nr_segments"),
            MemoryLayout.paddingLayout(4),
            Layouts.U64.withName("id"),
            Layouts.U64.withName("sector_number"),
            Layouts.U16.withName("handle"),
            MemoryLayout.paddingLayout(2),
            INDIRECT_GREFS_LAYOUT,
            MemoryLayout.paddingLayout(4))
            .withName("blkif_request_indirect");

    /** 64 bytes. */
    public static final long SIZE = LAYOUT.byteSize();
    public static final long OPERATION_OFFSET = LAYOUT.byteOffset(groupElement("operation"));
    public static final long INDIRECT_OP_OFFSET = LAYOUT.byteOffset(groupElement("indirect_op"));
    public static final long NR_SEGMENTS_OFFSET = LAYOUT.byteOffset(groupElement("nr_segments"));
    public static final long ID_OFFSET = LAYOUT.byteOffset(groupElement("id"));
    public static final long SECTOR_NUMBER_OFFSET = LAYOUT.byteOffset(groupElement("sector_number"));
    public static final long HANDLE_OFFSET = LAYOUT.byteOffset(groupElement("handle"));
    public static final long INDIRECT_GREFS_OFFSET = LAYOUT.byteOffset(groupElement("indirect_grefs"));
    /** Entries in {@code indirect_grefs}: {@code BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST} = 8. */
    public static final int INDIRECT_GREFS_LENGTH = (int) INDIRECT_GREFS_LAYOUT.elementCount();

    private SharedBuffer buffer;
    private long base;

    /** Creates a flyweight that points nowhere; {@link #wrap} it before using any accessor. */
    public BlkifRequestIndirect() {
    }

    /**
     * Points this flyweight at the request {@code offset} bytes into {@code buffer}.
     *
     * @throws IndexOutOfBoundsException if the 64 bytes do not fit
     */
    public BlkifRequestIndirect wrap(SharedBuffer buffer, long offset) {
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

    public BlkifRequestIndirect operation(int value) {
        buffer.putByte(base + OPERATION_OFFSET, (byte) value);
        return this;
    }

    public int indirectOp() {
        return Layouts.u8(buffer.getByte(base + INDIRECT_OP_OFFSET));
    }

    public BlkifRequestIndirect indirectOp(int value) {
        buffer.putByte(base + INDIRECT_OP_OFFSET, (byte) value);
        return this;
    }

    public int nrSegments() {
        return Layouts.u16(buffer.getShort(base + NR_SEGMENTS_OFFSET));
    }

    public BlkifRequestIndirect nrSegments(int value) {
        buffer.putShort(base + NR_SEGMENTS_OFFSET, (short) value);
        return this;
    }

    public long id() {
        return buffer.getLong(base + ID_OFFSET);
    }

    public BlkifRequestIndirect id(long value) {
        buffer.putLong(base + ID_OFFSET, value);
        return this;
    }

    public long sectorNumber() {
        return buffer.getLong(base + SECTOR_NUMBER_OFFSET);
    }

    public BlkifRequestIndirect sectorNumber(long value) {
        buffer.putLong(base + SECTOR_NUMBER_OFFSET, value);
        return this;
    }

    public int handle() {
        return Layouts.u16(buffer.getShort(base + HANDLE_OFFSET));
    }

    public BlkifRequestIndirect handle(int value) {
        buffer.putShort(base + HANDLE_OFFSET, (short) value);
        return this;
    }

    /**
     * {@code indirect_grefs[i]}, widened.
     *
     * @throws IndexOutOfBoundsException unless {@code 0 <= i < 8}
     */
    public long indirectGref(int i) {
        return Layouts.u32(buffer.getInt(grefOffset(i)));
    }

    public BlkifRequestIndirect indirectGref(int i, long value) {
        buffer.putInt(grefOffset(i), (int) value);
        return this;
    }

    private long grefOffset(int i) {
        return base + INDIRECT_GREFS_OFFSET + Bounds.checkIndex(i, INDIRECT_GREFS_LENGTH) * Layouts.U32.byteSize();
    }

    /** Zeroes the 64 bytes. */
    public BlkifRequestIndirect clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }
}
