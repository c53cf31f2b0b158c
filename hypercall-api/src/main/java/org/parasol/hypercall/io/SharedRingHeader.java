package org.parasol.hypercall.io;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;
import org.parasol.hypercall.struct.Layouts;

/**
 * The header of a shared ring page; mirrors {@code io/ring.h}: the {@code struct <name>_sring}
 * that {@code DEFINE_RING_TYPES} declares, up to (not including) its {@code ring[]} array.
 *
 * <pre>
 *  0          4           8          12          16     20               64
 *  +----------+-----------+----------+-----------+------+----------------+---------------
 *  | req_prod | req_event | rsp_prod | rsp_event | pvt  |   __pad[44]    | ring[0] ring[1] ...
 *  +----------+-----------+----------+-----------+------+----------------+---------------
 * </pre>
 *
 * <p>Invariants:
 * <ul>
 *   <li>The four indices are {@code RING_IDX}: free-running u32 counters, stored unmasked, wrapping
 *       modulo 2<sup>32</sup> and compared only by difference. The slot an index names is
 *       {@code index & (size - 1)}, computed by {@link RingGeometry#slot(int)}.</li>
 *   <li>The entries start at {@link #RING_OFFSET} = 64 whatever the entry type; each entry is
 *       the union of the ring's request and response ({@link SringEntries}).</li>
 *   <li>{@code req_prod} and {@code rsp_event} are written only by the front end,
 *       {@code rsp_prod} and {@code req_event} only by the back end; each is read by the other
 *       side, so those accesses go through the acquire/release helpers below.</li>
 *   <li>{@code pvt} is a 4-byte union private to the ring's protocol (netif's
 *       {@code smartpoll_active} is its byte 0).</li>
 * </ul>
 *
 * <p>This class only maps the bytes; the ring protocol (push, notify checks, final checks) is
 * built on it by the split drivers.
 */
public final class SharedRingHeader {

    /** {@code struct <name>_sring} without its flexible {@code ring[]} member. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U32.withName("req_prod"),
            Layouts.U32.withName("req_event"),
            Layouts.U32.withName("rsp_prod"),
            Layouts.U32.withName("rsp_event"),
            MemoryLayout.sequenceLayout(4, Layouts.U8).withName("pvt"),
            MemoryLayout.sequenceLayout(44, Layouts.U8).withName("__pad"))
            .withName("sring");

    /** Size of the header: 64 bytes. */
    public static final long SIZE = LAYOUT.byteSize();
    public static final long REQ_PROD_OFFSET = LAYOUT.byteOffset(groupElement("req_prod"));
    public static final long REQ_EVENT_OFFSET = LAYOUT.byteOffset(groupElement("req_event"));
    public static final long RSP_PROD_OFFSET = LAYOUT.byteOffset(groupElement("rsp_prod"));
    public static final long RSP_EVENT_OFFSET = LAYOUT.byteOffset(groupElement("rsp_event"));
    public static final long PVT_OFFSET = LAYOUT.byteOffset(groupElement("pvt"));
    public static final long PVT_LENGTH = LAYOUT.select(groupElement("pvt")).byteSize();
    public static final long PAD_OFFSET = LAYOUT.byteOffset(groupElement("__pad"));
    public static final long PAD_LENGTH = LAYOUT.select(groupElement("__pad")).byteSize();
    /** Where {@code ring[0]} starts: right after the header. */
    public static final long RING_OFFSET = SIZE;

    private SharedBuffer buffer;
    private long base;

    /** Creates a flyweight that points nowhere; {@link #wrap} it before using any accessor. */
    public SharedRingHeader() {
    }

    /**
     * Points this flyweight at the header that starts {@code offset} bytes into {@code buffer}.
     *
     * @throws IndexOutOfBoundsException if the 64-byte header does not fit
     */
    public SharedRingHeader wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** The buffer last wrapped, or {@code null}. */
    public SharedBuffer buffer() {
        return buffer;
    }

    /** Offset of the header in {@link #buffer()}. */
    public long base() {
        return base;
    }

    /** Plain read of {@code req_prod}, widened. */
    public long reqProd() {
        return Layouts.u32(buffer.getInt(base + REQ_PROD_OFFSET));
    }

    /** Plain write of {@code req_prod} (its low 32 bits). */
    public SharedRingHeader reqProd(long value) {
        buffer.putInt(base + REQ_PROD_OFFSET, (int) value);
        return this;
    }

    public long reqEvent() {
        return Layouts.u32(buffer.getInt(base + REQ_EVENT_OFFSET));
    }

    public SharedRingHeader reqEvent(long value) {
        buffer.putInt(base + REQ_EVENT_OFFSET, (int) value);
        return this;
    }

    public long rspProd() {
        return Layouts.u32(buffer.getInt(base + RSP_PROD_OFFSET));
    }

    public SharedRingHeader rspProd(long value) {
        buffer.putInt(base + RSP_PROD_OFFSET, (int) value);
        return this;
    }

    public long rspEvent() {
        return Layouts.u32(buffer.getInt(base + RSP_EVENT_OFFSET));
    }

    public SharedRingHeader rspEvent(long value) {
        buffer.putInt(base + RSP_EVENT_OFFSET, (int) value);
        return this;
    }

    /** Byte {@code i} (0..3) of the {@code pvt} union, widened. */
    public int pvt(int i) {
        return Layouts.u8(buffer.getByte(base + PVT_OFFSET + Bounds.checkIndex(i, PVT_LENGTH)));
    }

    /** Writes byte {@code i} (0..3) of the {@code pvt} union (its low 8 bits). */
    public SharedRingHeader pvt(int i, int value) {
        buffer.putByte(base + PVT_OFFSET + Bounds.checkIndex(i, PVT_LENGTH), (byte) value);
        return this;
    }

    /** Zeroes the whole header, {@code pvt} and {@code __pad} included. */
    public SharedRingHeader clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    // ---- ordered access to the indices (raw RING_IDX values) ----

    /** Back end, before reading requests: sees every request the front end wrote before publishing. */
    public int reqProdAcquire() {
        return buffer.getIntAcquire(base + REQ_PROD_OFFSET);
    }

    /** Front end publishes requests: entries written before this store are seen by whoever acquires it. */
    public void reqProdRelease(int value) {
        buffer.putIntRelease(base + REQ_PROD_OFFSET, value);
    }

    /** Front end reads where the back end wants its next request notification. */
    public int reqEventAcquire() {
        return buffer.getIntAcquire(base + REQ_EVENT_OFFSET);
    }

    /** Back end asks to be notified once {@code req_prod} passes {@code value}. */
    public void reqEventRelease(int value) {
        buffer.putIntRelease(base + REQ_EVENT_OFFSET, value);
    }

    /** Front end, before reading responses: sees every response the back end wrote before publishing. */
    public int rspProdAcquire() {
        return buffer.getIntAcquire(base + RSP_PROD_OFFSET);
    }

    /** Back end publishes responses: entries written before this store are seen by whoever acquires it. */
    public void rspProdRelease(int value) {
        buffer.putIntRelease(base + RSP_PROD_OFFSET, value);
    }

    /** Back end reads where the front end wants its next response notification. */
    public int rspEventAcquire() {
        return buffer.getIntAcquire(base + RSP_EVENT_OFFSET);
    }

    /** Front end asks to be notified once {@code rsp_prod} passes {@code value}. */
    public void rspEventRelease(int value) {
        buffer.putIntRelease(base + RSP_EVENT_OFFSET, value);
    }
}
