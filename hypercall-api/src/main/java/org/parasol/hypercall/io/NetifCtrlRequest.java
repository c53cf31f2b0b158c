package org.parasol.hypercall.io;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.SequenceLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;
import org.parasol.hypercall.struct.Layouts;

/**
 * A request on the optional netif control ring; mirrors {@code io/netif.h}:
 * {@code xen_netif_ctrl_request}.
 *
 * <pre>
 *  0    2      4                    16
 *  +----+------+--------------------+
 *  | id | type | data[3] (u32 each) |
 *  +----+------+--------------------+
 * </pre>
 *
 * <p>Invariants: 16 bytes, the control ring entry size; {@code type} is
 * {@code XEN_NETIF_CTRL_TYPE_*} (0..10, hash configuration and grant mapping) and fixes the
 * meaning of {@code data}; {@code id} is echoed in the response.
 */
public final class NetifCtrlRequest {

    public static final SequenceLayout DATA_LAYOUT = MemoryLayout.sequenceLayout(3, Layouts.U32).withName("data");

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U16.withName("id"),
            Layouts.U16.withName("type"),
            DATA_LAYOUT)
            .withName("xen_netif_ctrl_request");

    /** 16 bytes. */
    public static final long SIZE = LAYOUT.byteSize();
    public static final long ID_OFFSET = LAYOUT.byteOffset(groupElement("id"));
    public static final long TYPE_OFFSET = LAYOUT.byteOffset(groupElement("type"));
    public static final long DATA_OFFSET = LAYOUT.byteOffset(groupElement("data"));
    /** Entries in {@code data}: 3. */
    public static final int DATA_LENGTH = (int) DATA_LAYOUT.elementCount();

    private SharedBuffer buffer;
    private long base;

    /** Creates a flyweight that points nowhere; {@link #wrap} it before using any accessor. */
    public NetifCtrlRequest() {
    }

    /**
     * Points this flyweight at the request {@code offset} bytes into {@code buffer}.
     *
     * @throws IndexOutOfBoundsException if the 16 bytes do not fit
     */
    public NetifCtrlRequest wrap(SharedBuffer buffer, long offset) {
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

    public int id() {
        return Layouts.u16(buffer.getShort(base + ID_OFFSET));
    }

    public NetifCtrlRequest id(int value) {
        buffer.putShort(base + ID_OFFSET, (short) value);
        return this;
    }

    public int type() {
        return Layouts.u16(buffer.getShort(base + TYPE_OFFSET));
    }

    public NetifCtrlRequest type(int value) {
        buffer.putShort(base + TYPE_OFFSET, (short) value);
        return this;
    }

    /**
     * {@code data[i]}, widened.
     *
     * @throws IndexOutOfBoundsException unless {@code 0 <= i < 3}
     */
    public long data(int i) {
        return Layouts.u32(buffer.getInt(dataOffset(i)));
    }

    public NetifCtrlRequest data(int i, long value) {
        buffer.putInt(dataOffset(i), (int) value);
        return this;
    }

    private long dataOffset(int i) {
        return base + DATA_OFFSET + Bounds.checkIndex(i, DATA_LENGTH) * Layouts.U32.byteSize();
    }

    /** Zeroes the 16 bytes. */
    public NetifCtrlRequest clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }
}
