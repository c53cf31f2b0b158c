package org.parasol.hypercall.io;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;
import org.parasol.hypercall.struct.Layouts;

/**
 * One slot of a received packet; mirrors {@code io/netif.h}: {@code netif_rx_response}.
 *
 * <pre>
 *  0    2        4       6        8
 *  +----+--------+-------+--------+
 *  | id | offset | flags | status |
 *  +----+--------+-------+--------+
 * </pre>
 *
 * <p>Invariants: 8 bytes; sits in the same slot as the request whose {@code id} it echoes;
 * {@code status} is signed: &gt; 0 is the number of bytes placed at {@code offset} in that
 * request's page, &lt; 0 a {@code NETIF_RSP_*} error; {@code flags} are {@code NETRXF_*}
 * (whose checksum bits differ from the tx ones).
 */
public final class NetifRxResponse {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U16.withName("id"),
            Layouts.U16.withName("offset"),
            Layouts.U16.withName("flags"),
            Layouts.S16.withName("status"))
            .withName("netif_rx_response");

    /** 8 bytes. */
    public static final long SIZE = LAYOUT.byteSize();
    public static final long ID_OFFSET = LAYOUT.byteOffset(groupElement("id"));
    public static final long OFFSET_OFFSET = LAYOUT.byteOffset(groupElement("offset"));
    public static final long FLAGS_OFFSET = LAYOUT.byteOffset(groupElement("flags"));
    public static final long STATUS_OFFSET = LAYOUT.byteOffset(groupElement("status"));

    private SharedBuffer buffer;
    private long base;

    /** Creates a flyweight that points nowhere; {@link #wrap} it before using any accessor. */
    public NetifRxResponse() {
    }

    /**
     * Points this flyweight at the response {@code offset} bytes into {@code buffer}.
     *
     * @throws IndexOutOfBoundsException if the 8 bytes do not fit
     */
    public NetifRxResponse wrap(SharedBuffer buffer, long offset) {
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

    public NetifRxResponse id(int value) {
        buffer.putShort(base + ID_OFFSET, (short) value);
        return this;
    }

    public int offset() {
        return Layouts.u16(buffer.getShort(base + OFFSET_OFFSET));
    }

    public NetifRxResponse offset(int value) {
        buffer.putShort(base + OFFSET_OFFSET, (short) value);
        return this;
    }

    public int flags() {
        return Layouts.u16(buffer.getShort(base + FLAGS_OFFSET));
    }

    public NetifRxResponse flags(int value) {
        buffer.putShort(base + FLAGS_OFFSET, (short) value);
        return this;
    }

    /** {@code status}, sign-extended. */
    public int status() {
        return buffer.getShort(base + STATUS_OFFSET);
    }

    public NetifRxResponse status(int value) {
        buffer.putShort(base + STATUS_OFFSET, (short) value);
        return this;
    }

    /** Zeroes the 8 bytes. */
    public NetifRxResponse clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }
}
