package org.parasol.hypercall.io;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;
import org.parasol.hypercall.struct.Layouts;

/**
 * A response on the optional netif control ring; mirrors {@code io/netif.h}:
 * {@code xen_netif_ctrl_response}.
 *
 * <pre>
 *  0    2      4        8      12
 *  +----+------+--------+------+
 *  | id | type | status | data |
 *  +----+------+--------+------+
 * </pre>
 *
 * <p>Invariants: 12 bytes (the control ring entry is 16, the request's size); {@code id} and
 * {@code type} echo the request; {@code status} is {@code XEN_NETIF_CTRL_STATUS_*}
 * (SUCCESS 0, NOT_SUPPORTED 1, INVALID_PARAMETER 2, BUFFER_OVERFLOW 3); {@code data} is
 * meaningful only on success.
 */
public final class NetifCtrlResponse {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U16.withName("id"),
            Layouts.U16.withName("type"),
            Layouts.U32.withName("status"),
            Layouts.U32.withName("data"))
            .withName("xen_netif_ctrl_response");

    /** 12 bytes. */
    public static final long SIZE = LAYOUT.byteSize();
    public static final long ID_OFFSET = LAYOUT.byteOffset(groupElement("id"));
    public static final long TYPE_OFFSET = LAYOUT.byteOffset(groupElement("type"));
    public static final long STATUS_OFFSET = LAYOUT.byteOffset(groupElement("status"));
    public static final long DATA_OFFSET = LAYOUT.byteOffset(groupElement("data"));

    private SharedBuffer buffer;
    private long base;

    /** Creates a flyweight that points nowhere; {@link #wrap} it before using any accessor. */
    public NetifCtrlResponse() {
    }

    /**
     * Points this flyweight at the response {@code offset} bytes into {@code buffer}.
     *
     * @throws IndexOutOfBoundsException if the 12 bytes do not fit
     */
    public NetifCtrlResponse wrap(SharedBuffer buffer, long offset) {
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

    public NetifCtrlResponse id(int value) {
        buffer.putShort(base + ID_OFFSET, (short) value);
        return this;
    }

    public int type() {
        return Layouts.u16(buffer.getShort(base + TYPE_OFFSET));
    }

    public NetifCtrlResponse type(int value) {
        buffer.putShort(base + TYPE_OFFSET, (short) value);
        return this;
    }

    public long status() {
        return Layouts.u32(buffer.getInt(base + STATUS_OFFSET));
    }

    public NetifCtrlResponse status(long value) {
        buffer.putInt(base + STATUS_OFFSET, (int) value);
        return this;
    }

    public long data() {
        return Layouts.u32(buffer.getInt(base + DATA_OFFSET));
    }

    public NetifCtrlResponse data(long value) {
        buffer.putInt(base + DATA_OFFSET, (int) value);
        return this;
    }

    /** Zeroes the 12 bytes. */
    public NetifCtrlResponse clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }
}
