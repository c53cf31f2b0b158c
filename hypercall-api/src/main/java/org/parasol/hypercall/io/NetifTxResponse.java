package org.parasol.hypercall.io;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;
import org.parasol.hypercall.struct.Layouts;

/**
 * The back end's answer to one transmit slot; mirrors {@code io/netif.h}:
 * {@code netif_tx_response}.
 *
 * <pre>
 *  0    2        4
 *  +----+--------+
 *  | id | status |
 *  +----+--------+
 * </pre>
 *
 * <p>Invariants: 4 bytes (the tx ring entry is still 12, the request's size); {@code id} echoes
 * the request's; {@code status} is signed {@code NETIF_RSP_*} (DROPPED -2, ERROR -1, OKAY 0,
 * NULL 1 for an extra-info slot).
 */
public final class NetifTxResponse {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U16.withName("id"),
            Layouts.S16.withName("status"))
            .withName("netif_tx_response");

    /** 4 bytes. */
    public static final long SIZE = LAYOUT.byteSize();
    public static final long ID_OFFSET = LAYOUT.byteOffset(groupElement("id"));
    public static final long STATUS_OFFSET = LAYOUT.byteOffset(groupElement("status"));

    private SharedBuffer buffer;
    private long base;

    /** Creates a flyweight that points nowhere; {@link #wrap} it before using any accessor. */
    public NetifTxResponse() {
    }

    /**
     * Points this flyweight at the response {@code offset} bytes into {@code buffer}.
     *
     * @throws IndexOutOfBoundsException if the 4 bytes do not fit
     */
    public NetifTxResponse wrap(SharedBuffer buffer, long offset) {
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

    public NetifTxResponse id(int value) {
        buffer.putShort(base + ID_OFFSET, (short) value);
        return this;
    }

    /** {@code status}, sign-extended. */
    public int status() {
        return buffer.getShort(base + STATUS_OFFSET);
    }

    public NetifTxResponse status(int value) {
        buffer.putShort(base + STATUS_OFFSET, (short) value);
        return this;
    }

    /** Zeroes the 4 bytes. */
    public NetifTxResponse clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }
}
