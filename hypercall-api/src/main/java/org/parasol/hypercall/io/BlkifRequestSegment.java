package org.parasol.hypercall.io;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;
import org.parasol.hypercall.struct.Layouts;

/**
 * One data page of a block request; mirrors {@code io/blkif.h}: {@code blkif_request_segment}.
 *
 * <pre>
 *  0        4            5           6       8
 *  +--------+------------+-----------+-------+
 *  |  gref  | first_sect | last_sect |  pad  |
 *  +--------+------------+-----------+-------+
 * </pre>
 *
 * <p>Invariants: {@code gref} is a grant reference to a 4 KiB frame granted by the front end;
 * {@code first_sect} and {@code last_sect} are inclusive 512-byte sector numbers inside that
 * frame, so a valid segment has {@code first_sect <= last_sect <= 7} — the back end must check,
 * since the front end may lie. The segment carries {@code (last_sect - first_sect + 1) * 512}
 * bytes.
 */
public final class BlkifRequestSegment {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U32.withName("gref"),
            Layouts.U8.withName("first_sect"),
            Layouts.U8.withName("last_sect"),
            MemoryLayout.paddingLayout(2))
            .withName("blkif_request_segment");

    /** 8 bytes. */
    public static final long SIZE = LAYOUT.byteSize();
    public static final long GREF_OFFSET = LAYOUT.byteOffset(groupElement("gref"));
    public static final long FIRST_SECT_OFFSET = LAYOUT.byteOffset(groupElement("first_sect"));
    public static final long LAST_SECT_OFFSET = LAYOUT.byteOffset(groupElement("last_sect"));

    private SharedBuffer buffer;
    private long base;

    /** Creates a flyweight that points nowhere; {@link #wrap} it before using any accessor. */
    public BlkifRequestSegment() {
    }

    /**
     * Points this flyweight at the segment descriptor {@code offset} bytes into {@code buffer}.
     *
     * @throws IndexOutOfBoundsException if the 8 bytes do not fit
     */
    public BlkifRequestSegment wrap(SharedBuffer buffer, long offset) {
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

    /** {@code gref}, widened. */
    public long gref() {
        return Layouts.u32(buffer.getInt(base + GREF_OFFSET));
    }

    /** Writes {@code gref} (its low 32 bits). */
    public BlkifRequestSegment gref(long value) {
        buffer.putInt(base + GREF_OFFSET, (int) value);
        return this;
    }

    public int firstSect() {
        return Layouts.u8(buffer.getByte(base + FIRST_SECT_OFFSET));
    }

    public BlkifRequestSegment firstSect(int value) {
        buffer.putByte(base + FIRST_SECT_OFFSET, (byte) value);
        return this;
    }

    public int lastSect() {
        return Layouts.u8(buffer.getByte(base + LAST_SECT_OFFSET));
    }

    public BlkifRequestSegment lastSect(int value) {
        buffer.putByte(base + LAST_SECT_OFFSET, (byte) value);
        return this;
    }

    /** Zeroes the 8 bytes, padding included. */
    public BlkifRequestSegment clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** An immutable copy of this descriptor. */
    public BlkifRequestSegmentValue toValue() {
        return new BlkifRequestSegmentValue(gref(), firstSect(), lastSect());
    }

    /** Writes every field of {@code value}. */
    public BlkifRequestSegment set(BlkifRequestSegmentValue value) {
        return gref(value.gref()).firstSect(value.firstSect()).lastSect(value.lastSect());
    }
}
