package org.parasol.hypercall.io;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.SequenceLayout;
import java.lang.foreign.StructLayout;
import java.util.ArrayList;
import java.util.List;
import org.parasol.hypercall.SharedBuffer;
import org.parasol.hypercall.struct.Layouts;

/**
 * A read, write, barrier or flush request on a block ring; mirrors {@code io/blkif.h}:
 * {@code blkif_request}.
 *
 * <pre>
 *  0           1             2        4       8      16              24                  112
 *  +-----------+-------------+--------+-------+------+---------------+-------------------+
 *  | operation | nr_segments | handle |  pad  |  id  | sector_number | seg[11] (8 each)  |
 *  +-----------+-------------+--------+-------+------+---------------+-------------------+
 * </pre>
 *
 * <p>Invariants: 112 bytes, which is also the size of a blkif ring entry. {@code id} is opaque
 * to the back end and echoed in the response; {@code sector_number} counts 512-byte sectors
 * whatever the disk's sector size. Only the first {@code nr_segments} entries of {@code seg} are
 * meaningful and a valid request has {@code nr_segments <= 11}
 * ({@code BLKIF_MAX_SEGMENTS_PER_REQUEST}); the wire can say more, so readers check it.
 * Discard and indirect requests reuse the same slot with their own layouts
 * ({@link BlkifRequestDiscard}, {@link BlkifRequestIndirect}).
 */
public final class BlkifRequest {

    public static final SequenceLayout SEG_LAYOUT =
            MemoryLayout.sequenceLayout(11, BlkifRequestSegment.LAYOUT).withName("seg");

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U8.withName("operation"),
            Layouts.U8.withName("nr_segments"),
            Layouts.U16.withName("handle"),
            MemoryLayout.paddingLayout(4),
            Layouts.U64.withName("id"),
            Layouts.U64.withName("sector_number"),
            SEG_LAYOUT)
            .withName("blkif_request");

    /** 112 bytes. */
    public static final long SIZE = LAYOUT.byteSize();
    public static final long OPERATION_OFFSET = LAYOUT.byteOffset(groupElement("operation"));
    public static final long NR_SEGMENTS_OFFSET = LAYOUT.byteOffset(groupElement("nr_segments"));
    public static final long HANDLE_OFFSET = LAYOUT.byteOffset(groupElement("handle"));
    public static final long ID_OFFSET = LAYOUT.byteOffset(groupElement("id"));
    public static final long SECTOR_NUMBER_OFFSET = LAYOUT.byteOffset(groupElement("sector_number"));
    public static final long SEG_OFFSET = LAYOUT.byteOffset(groupElement("seg"));
    /** Entries in {@code seg}: {@code BLKIF_MAX_SEGMENTS_PER_REQUEST} = 11. */
    public static final int SEG_LENGTH = (int) SEG_LAYOUT.elementCount();

    private final BlkifRequestSegment segmentView = new BlkifRequestSegment();
    private SharedBuffer buffer;
    private long base;

    /** Creates a flyweight that points nowhere; {@link #wrap} it before using any accessor. */
    public BlkifRequest() {
    }

    /**
     * Points this flyweight at the request {@code offset} bytes into {@code buffer}.
     *
     * @throws IndexOutOfBoundsException if the 112 bytes do not fit
     */
    public BlkifRequest wrap(SharedBuffer buffer, long offset) {
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

    /** {@code operation} ({@code BLKIF_OP_*}), widened. */
    public int operation() {
        return Layouts.u8(buffer.getByte(base + OPERATION_OFFSET));
    }

    public BlkifRequest operation(int value) {
        buffer.putByte(base + OPERATION_OFFSET, (byte) value);
        return this;
    }

    public int nrSegments() {
        return Layouts.u8(buffer.getByte(base + NR_SEGMENTS_OFFSET));
    }

    public BlkifRequest nrSegments(int value) {
        buffer.putByte(base + NR_SEGMENTS_OFFSET, (byte) value);
        return this;
    }

    /** {@code handle} ({@code blkif_vdev_t}), widened. */
    public int handle() {
        return Layouts.u16(buffer.getShort(base + HANDLE_OFFSET));
    }

    public BlkifRequest handle(int value) {
        buffer.putShort(base + HANDLE_OFFSET, (short) value);
        return this;
    }

    /** {@code id}: all 64 bits, opaque. */
    public long id() {
        return buffer.getLong(base + ID_OFFSET);
    }

    public BlkifRequest id(long value) {
        buffer.putLong(base + ID_OFFSET, value);
        return this;
    }

    /** {@code sector_number}: a u64 in 512-byte units (read as Java's two's complement). */
    public long sectorNumber() {
        return buffer.getLong(base + SECTOR_NUMBER_OFFSET);
    }

    public BlkifRequest sectorNumber(long value) {
        buffer.putLong(base + SECTOR_NUMBER_OFFSET, value);
        return this;
    }

    /**
     * A view of {@code seg[i]}. The view is owned by this flyweight and re-pointed by the next
     * call, so use it before asking for another index.
     *
     * @throws IndexOutOfBoundsException unless {@code 0 <= i < 11}
     */
    public BlkifRequestSegment seg(int i) {
        long offset = base + SEG_OFFSET + Bounds.checkIndex(i, SEG_LENGTH) * BlkifRequestSegment.SIZE;
        return segmentView.wrap(buffer, offset);
    }

    /** Zeroes all 112 bytes. */
    public BlkifRequest clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /**
     * An immutable copy, with the first {@code min(nr_segments, 11)} segments.
     */
    public BlkifRequestValue toValue() {
        int n = Math.min(nrSegments(), SEG_LENGTH);
        List<BlkifRequestSegmentValue> segs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            segs.add(seg(i).toValue());
        }
        return new BlkifRequestValue(operation(), nrSegments(), handle(), id(), sectorNumber(), segs);
    }

    /**
     * Writes every field of {@code value} and its segments into {@code seg[0..]}; segment slots
     * beyond the value's list are left as they were.
     */
    public BlkifRequest set(BlkifRequestValue value) {
        operation(value.operation()).nrSegments(value.nrSegments()).handle(value.handle())
                .id(value.id()).sectorNumber(value.sectorNumber());
        List<BlkifRequestSegmentValue> segs = value.segments();
        for (int i = 0; i < segs.size(); i++) {
            seg(i).set(segs.get(i));
        }
        return this;
    }
}
