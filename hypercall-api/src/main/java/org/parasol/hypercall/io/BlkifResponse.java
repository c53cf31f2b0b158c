package org.parasol.hypercall.io;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;
import org.parasol.hypercall.struct.Layouts;

/**
 * The back end's answer to one block request; mirrors {@code io/blkif.h}: {@code blkif_response}.
 *
 * <pre>
 *  0      8           9     10       12     16
 *  +------+-----------+-----+--------+------+
 *  |  id  | operation | pad | status |  pad |
 *  +------+-----------+-----+--------+------+
 * </pre>
 *
 * <p>Invariants: 16 bytes; {@code id} and {@code operation} echo the request (responses may come
 * out of order and are matched by {@code id}); {@code status} is signed: {@code BLKIF_RSP_OKAY}
 * 0, {@code BLKIF_RSP_ERROR} -1, {@code BLKIF_RSP_EOPNOTSUPP} -2.
 */
public final class BlkifResponse {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U64.withName("id"),
            Layouts.U8.withName("operation"),
            MemoryLayout.paddingLayout(1),
            Layouts.S16.withName("status"),
            MemoryLayout.paddingLayout(4))
            .withName("blkif_response");

    /** 16 bytes. */
    public static final long SIZE = LAYOUT.byteSize();
    public static final long ID_OFFSET = LAYOUT.byteOffset(groupElement("id"));
    public static final long OPERATION_OFFSET = LAYOUT.byteOffset(groupElement("operation"));
    public static final long STATUS_OFFSET = LAYOUT.byteOffset(groupElement("status"));

    private SharedBuffer buffer;
    private long base;

    /** Creates a flyweight that points nowhere; {@link #wrap} it before using any accessor. */
    public BlkifResponse() {
    }

    /**
     * Points this flyweight at the response {@code offset} bytes into {@code buffer}.
     *
     * @throws IndexOutOfBoundsException if the 16 bytes do not fit
     */
    public BlkifResponse wrap(SharedBuffer buffer, long offset) {
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

    public long id() {
        return buffer.getLong(base + ID_OFFSET);
    }

    public BlkifResponse id(long value) {
        buffer.putLong(base + ID_OFFSET, value);
        return this;
    }

    public int operation() {
        return Layouts.u8(buffer.getByte(base + OPERATION_OFFSET));
    }

    public BlkifResponse operation(int value) {
        buffer.putByte(base + OPERATION_OFFSET, (byte) value);
        return this;
    }

    /** {@code status}, sign-extended ({@code BLKIF_RSP_*}). */
    public int status() {
        return buffer.getShort(base + STATUS_OFFSET);
    }

    /** Writes {@code status} (its low 16 bits). */
    public BlkifResponse status(int value) {
        buffer.putShort(base + STATUS_OFFSET, (short) value);
        return this;
    }

    /** Zeroes the 16 bytes. */
    public BlkifResponse clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** An immutable copy. */
    public BlkifResponseValue toValue() {
        return new BlkifResponseValue(id(), operation(), status());
    }

    /** Writes every field of {@code value}. */
    public BlkifResponse set(BlkifResponseValue value) {
        return id(value.id()).operation(value.operation()).status(value.status());
    }
}
