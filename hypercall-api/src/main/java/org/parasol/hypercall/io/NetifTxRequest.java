package org.parasol.hypercall.io;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;
import org.parasol.hypercall.struct.Layouts;

/**
 * One slot of a packet the front end transmits; mirrors {@code io/netif.h}:
 * {@code netif_tx_request}.
 *
 * <pre>
 *  0      4        6       8    10     12
 *  +------+--------+-------+----+------+
 *  | gref | offset | flags | id | size |
 *  +------+--------+-------+----+------+
 * </pre>
 *
 * <p>Invariants: 12 bytes, the tx ring entry size. The data lies in the granted frame
 * {@code gref} at {@code offset} and must stay inside that page. In a packet's first slot
 * {@code size} is the whole packet's length, in later slots the slot's own length;
 * {@code flags} are {@code NETTXF_*} ({@code more_data} chains the next slot, {@code extra_info}
 * means a {@link NetifExtraInfo} slot follows).
 */
public final class NetifTxRequest {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U32.withName("gref"),
            Layouts.U16.withName("offset"),
            Layouts.U16.withName("flags"),
            Layouts.U16.withName("id"),
            Layouts.U16.withName("size"))
            .withName("netif_tx_request");

    /** 12 bytes. */
    public static final long SIZE = LAYOUT.byteSize();
    public static final long GREF_OFFSET = LAYOUT.byteOffset(groupElement("gref"));
    public static final long OFFSET_OFFSET = LAYOUT.byteOffset(groupElement("offset"));
    public static final long FLAGS_OFFSET = LAYOUT.byteOffset(groupElement("flags"));
    public static final long ID_OFFSET = LAYOUT.byteOffset(groupElement("id"));
    public static final long SIZE_OFFSET = LAYOUT.byteOffset(groupElement("size"));

    private SharedBuffer buffer;
    private long base;

    /** Creates a flyweight that points nowhere; {@link #wrap} it before using any accessor. */
    public NetifTxRequest() {
    }

    /**
     * Points this flyweight at the request {@code offset} bytes into {@code buffer}.
     *
     * @throws IndexOutOfBoundsException if the 12 bytes do not fit
     */
    public NetifTxRequest wrap(SharedBuffer buffer, long offset) {
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

    public long gref() {
        return Layouts.u32(buffer.getInt(base + GREF_OFFSET));
    }

    public NetifTxRequest gref(long value) {
        buffer.putInt(base + GREF_OFFSET, (int) value);
        return this;
    }

    public int offset() {
        return Layouts.u16(buffer.getShort(base + OFFSET_OFFSET));
    }

    public NetifTxRequest offset(int value) {
        buffer.putShort(base + OFFSET_OFFSET, (short) value);
        return this;
    }

    public int flags() {
        return Layouts.u16(buffer.getShort(base + FLAGS_OFFSET));
    }

    public NetifTxRequest flags(int value) {
        buffer.putShort(base + FLAGS_OFFSET, (short) value);
        return this;
    }

    public int id() {
        return Layouts.u16(buffer.getShort(base + ID_OFFSET));
    }

    public NetifTxRequest id(int value) {
        buffer.putShort(base + ID_OFFSET, (short) value);
        return this;
    }

    public int size() {
        return Layouts.u16(buffer.getShort(base + SIZE_OFFSET));
    }

    public NetifTxRequest size(int value) {
        buffer.putShort(base + SIZE_OFFSET, (short) value);
        return this;
    }

    /** Zeroes the 12 bytes. */
    public NetifTxRequest clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }
}
