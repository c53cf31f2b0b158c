package org.parasol.hypercall.io;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;
import org.parasol.hypercall.struct.Layouts;

/**
 * An empty receive buffer the front end offers; mirrors {@code io/netif.h}:
 * {@code netif_rx_request}.
 *
 * <pre>
 *  0    2     4      8
 *  +----+-----+------+
 *  | id | pad | gref |
 *  +----+-----+------+
 * </pre>
 *
 * <p>Invariants: 8 bytes, the rx ring entry size; {@code gref} grants a whole page writable to
 * the back end, which copies received data into it; {@code id} comes back in the response,
 * which the back end puts in the same slot as this request.
 */
public final class NetifRxRequest {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U16.withName("id"),
            MemoryLayout.paddingLayout(2),
            Layouts.U32.withName("gref"))
            .withName("netif_rx_request");

    /** 8 bytes. */
    public static final long SIZE = LAYOUT.byteSize();
    public static final long ID_OFFSET = LAYOUT.byteOffset(groupElement("id"));
    public static final long GREF_OFFSET = LAYOUT.byteOffset(groupElement("gref"));

    private SharedBuffer buffer;
    private long base;

    /** Creates a flyweight that points nowhere; {@link #wrap} it before using any accessor. */
    public NetifRxRequest() {
    }

    /**
     * Points this flyweight at the request {@code offset} bytes into {@code buffer}.
     *
     * @throws IndexOutOfBoundsException if the 8 bytes do not fit
     */
    public NetifRxRequest wrap(SharedBuffer buffer, long offset) {
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

    public NetifRxRequest id(int value) {
        buffer.putShort(base + ID_OFFSET, (short) value);
        return this;
    }

    public long gref() {
        return Layouts.u32(buffer.getInt(base + GREF_OFFSET));
    }

    public NetifRxRequest gref(long value) {
        buffer.putInt(base + GREF_OFFSET, (int) value);
        return this;
    }

    /** Zeroes the 8 bytes. */
    public NetifRxRequest clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }
}
