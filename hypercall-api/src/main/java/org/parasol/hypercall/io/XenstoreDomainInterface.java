package org.parasol.hypercall.io;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SequenceLayout;
import java.lang.foreign.StructLayout;
import java.util.Objects;
import org.parasol.hypercall.SharedBuffer;
import org.parasol.hypercall.struct.Layouts;

/**
 * A domain's XenStore ring page, shared between the guest and xenstored; mirrors
 * {@code io/xs_wire.h}: {@code xenstore_domain_interface}.
 *
 * <pre>
 *  0           1024        2048     2052     2056     2060     2064             2068        2072   2076          2080
 *  +-----------+-----------+--------+--------+--------+--------+----------------+-----------+------+-------------+
 *  | req[1024] | rsp[1024] |req_cons|req_prod|rsp_cons|rsp_prod|server_features | connection| error| evtchn_port |
 *  +-----------+-----------+--------+--------+--------+--------+----------------+-----------+------+-------------+
 * </pre>
 *
 * <p>Invariants: 2080 bytes used at the start of a 4 KiB page. {@code req} carries guest-to-
 * xenstored bytes, {@code rsp} replies and watch events; both are byte streams of
 * {@code xsd_sockmsg} messages that may wrap. The four indices are free-running u32 counters
 * (never assume they start at 0); byte {@code x} lives at {@link #slot(int) x & 1023}, and a
 * producer never gets more than 1024 bytes ahead of its consumer. Indices and
 * {@code connection} are written by one side and read by the other, so they go through the
 * acquire/release helpers below; after publishing, the writer signals the store event channel.
 */
public final class XenstoreDomainInterface {

    /** {@code XENSTORE_RING_SIZE}: bytes in each of {@code req} and {@code rsp}. */
    public static final int RING_SIZE = 1024;

    public static final SequenceLayout REQ_LAYOUT = MemoryLayout.sequenceLayout(RING_SIZE, Layouts.U8).withName("req");
    public static final SequenceLayout RSP_LAYOUT = MemoryLayout.sequenceLayout(RING_SIZE, Layouts.U8).withName("rsp");

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            REQ_LAYOUT,
            RSP_LAYOUT,
            Layouts.U32.withName("req_cons"),
            Layouts.U32.withName("req_prod"),
            Layouts.U32.withName("rsp_cons"),
            Layouts.U32.withName("rsp_prod"),
            Layouts.U32.withName("server_features"),
            Layouts.U32.withName("connection"),
            Layouts.U32.withName("error"),
            Layouts.U32.withName("evtchn_port"))
            .withName("xenstore_domain_interface");

    /** 2080 bytes. */
    public static final long SIZE = LAYOUT.byteSize();
    public static final long REQ_OFFSET = LAYOUT.byteOffset(groupElement("req"));
    public static final long RSP_OFFSET = LAYOUT.byteOffset(groupElement("rsp"));
    public static final long REQ_CONS_OFFSET = LAYOUT.byteOffset(groupElement("req_cons"));
    public static final long REQ_PROD_OFFSET = LAYOUT.byteOffset(groupElement("req_prod"));
    public static final long RSP_CONS_OFFSET = LAYOUT.byteOffset(groupElement("rsp_cons"));
    public static final long RSP_PROD_OFFSET = LAYOUT.byteOffset(groupElement("rsp_prod"));
    public static final long SERVER_FEATURES_OFFSET = LAYOUT.byteOffset(groupElement("server_features"));
    public static final long CONNECTION_OFFSET = LAYOUT.byteOffset(groupElement("connection"));
    public static final long ERROR_OFFSET = LAYOUT.byteOffset(groupElement("error"));
    public static final long EVTCHN_PORT_OFFSET = LAYOUT.byteOffset(groupElement("evtchn_port"));

    private SharedBuffer buffer;
    private long base;

    /** Creates a flyweight that points nowhere; {@link #wrap} it before using any accessor. */
    public XenstoreDomainInterface() {
    }

    /**
     * Points this flyweight at the interface {@code offset} bytes into {@code buffer}.
     *
     * @throws IndexOutOfBoundsException if the 2080 bytes do not fit
     */
    public XenstoreDomainInterface wrap(SharedBuffer buffer, long offset) {
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

    /** The position in {@code req} or {@code rsp} of the byte a free-running index names. */
    public static int slot(int index) {
        return index & (RING_SIZE - 1);
    }

    /**
     * {@code req[i]}, widened.
     *
     * @throws IndexOutOfBoundsException unless {@code 0 <= i < 1024}
     */
    public int req(int i) {
        return Layouts.u8(buffer.getByte(base + REQ_OFFSET + Bounds.checkIndex(i, RING_SIZE)));
    }

    public XenstoreDomainInterface req(int i, int value) {
        buffer.putByte(base + REQ_OFFSET + Bounds.checkIndex(i, RING_SIZE), (byte) value);
        return this;
    }

    /**
     * {@code rsp[i]}, widened.
     *
     * @throws IndexOutOfBoundsException unless {@code 0 <= i < 1024}
     */
    public int rsp(int i) {
        return Layouts.u8(buffer.getByte(base + RSP_OFFSET + Bounds.checkIndex(i, RING_SIZE)));
    }

    public XenstoreDomainInterface rsp(int i, int value) {
        buffer.putByte(base + RSP_OFFSET + Bounds.checkIndex(i, RING_SIZE), (byte) value);
        return this;
    }

    /**
     * Copies {@code length} bytes of {@code req} from position {@code at} out into private
     * memory: one contiguous piece, so {@code at + length <= 1024} (a reader that wraps copies
     * twice). Plain reads; the caller acquired {@code req_prod} first.
     *
     * @throws IndexOutOfBoundsException unless the piece lies inside {@code req}
     */
    public void getReq(int at, MemorySegment dst, long dstOffset, int length) {
        buffer.getBytes(base + REQ_OFFSET + checkPiece(at, length), dst, dstOffset, length);
    }

    /**
     * Copies {@code length} bytes of private memory into {@code req} at position {@code at}
     * ({@code at + length <= 1024}). Plain writes; the caller publishes {@code req_prod} after.
     *
     * @throws IndexOutOfBoundsException unless the piece lies inside {@code req}
     */
    public void putReq(int at, MemorySegment src, long srcOffset, int length) {
        buffer.putBytes(base + REQ_OFFSET + checkPiece(at, length), src, srcOffset, length);
    }

    /**
     * Copies {@code length} bytes of {@code rsp} from position {@code at} out into private
     * memory ({@code at + length <= 1024}). Plain reads; the caller acquired {@code rsp_prod} first.
     *
     * @throws IndexOutOfBoundsException unless the piece lies inside {@code rsp}
     */
    public void getRsp(int at, MemorySegment dst, long dstOffset, int length) {
        buffer.getBytes(base + RSP_OFFSET + checkPiece(at, length), dst, dstOffset, length);
    }

    /**
     * Copies {@code length} bytes of private memory into {@code rsp} at position {@code at}
     * ({@code at + length <= 1024}). Plain writes; the caller publishes {@code rsp_prod} after.
     *
     * @throws IndexOutOfBoundsException unless the piece lies inside {@code rsp}
     */
    public void putRsp(int at, MemorySegment src, long srcOffset, int length) {
        buffer.putBytes(base + RSP_OFFSET + checkPiece(at, length), src, srcOffset, length);
    }

    /**
     * Copies {@code length} bytes (at most 1024) of private memory into {@code req} from the
     * free-running position {@code position}, wrapping at the ring's end
     * ({@code MASK_XENSTORE_IDX}): the producer's copy, in one or two pieces. Plain writes; the
     * caller publishes {@code req_prod} after.
     */
    public void putReqWrapping(int position, MemorySegment src, long srcOffset, int length) {
        putWrapping(REQ_OFFSET, position, src, srcOffset, length);
    }

    /** As {@link #putReqWrapping} for {@code rsp}; the caller publishes {@code rsp_prod} after. */
    public void putRspWrapping(int position, MemorySegment src, long srcOffset, int length) {
        putWrapping(RSP_OFFSET, position, src, srcOffset, length);
    }

    private void putWrapping(long ring, int position, MemorySegment src, long srcOffset, int length) {
        Objects.checkFromIndexSize(0, length, RING_SIZE);
        int at = position & (RING_SIZE - 1);
        int first = Math.min(length, RING_SIZE - at);
        buffer.putBytes(base + ring + at, src, srcOffset, first);
        if (length > first) {
            buffer.putBytes(base + ring, src, srcOffset + first, length - first);
        }
    }

    private static long checkPiece(int at, int length) {
        return Objects.checkFromIndexSize(at, length, RING_SIZE);
    }

    public long reqCons() {
        return Layouts.u32(buffer.getInt(base + REQ_CONS_OFFSET));
    }

    public XenstoreDomainInterface reqCons(long value) {
        buffer.putInt(base + REQ_CONS_OFFSET, (int) value);
        return this;
    }

    public long reqProd() {
        return Layouts.u32(buffer.getInt(base + REQ_PROD_OFFSET));
    }

    public XenstoreDomainInterface reqProd(long value) {
        buffer.putInt(base + REQ_PROD_OFFSET, (int) value);
        return this;
    }

    public long rspCons() {
        return Layouts.u32(buffer.getInt(base + RSP_CONS_OFFSET));
    }

    public XenstoreDomainInterface rspCons(long value) {
        buffer.putInt(base + RSP_CONS_OFFSET, (int) value);
        return this;
    }

    public long rspProd() {
        return Layouts.u32(buffer.getInt(base + RSP_PROD_OFFSET));
    }

    public XenstoreDomainInterface rspProd(long value) {
        buffer.putInt(base + RSP_PROD_OFFSET, (int) value);
        return this;
    }

    /** {@code server_features}: {@code XENSTORE_SERVER_FEATURE_*} bits. */
    public long serverFeatures() {
        return Layouts.u32(buffer.getInt(base + SERVER_FEATURES_OFFSET));
    }

    public XenstoreDomainInterface serverFeatures(long value) {
        buffer.putInt(base + SERVER_FEATURES_OFFSET, (int) value);
        return this;
    }

    /** {@code connection}: {@code XENSTORE_CONNECTED} 0 or {@code XENSTORE_RECONNECT} 1. */
    public long connection() {
        return Layouts.u32(buffer.getInt(base + CONNECTION_OFFSET));
    }

    public XenstoreDomainInterface connection(long value) {
        buffer.putInt(base + CONNECTION_OFFSET, (int) value);
        return this;
    }

    /** {@code error}: {@code XENSTORE_ERROR_*} (0 none, 1 COMM, 2 RINGIDX, 3 PROTO). */
    public long error() {
        return Layouts.u32(buffer.getInt(base + ERROR_OFFSET));
    }

    public XenstoreDomainInterface error(long value) {
        buffer.putInt(base + ERROR_OFFSET, (int) value);
        return this;
    }

    /** {@code evtchn_port}: filled in by Xen for dom0less domains, else 0. */
    public long evtchnPort() {
        return Layouts.u32(buffer.getInt(base + EVTCHN_PORT_OFFSET));
    }

    public XenstoreDomainInterface evtchnPort(long value) {
        buffer.putInt(base + EVTCHN_PORT_OFFSET, (int) value);
        return this;
    }

    /** Zeroes the 2080 bytes. */
    public XenstoreDomainInterface clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    // ---- ordered access to the words both sides touch ----

    /** xenstored, before reading requests: sees every request byte the guest wrote before publishing. */
    public int reqProdAcquire() {
        return buffer.getIntAcquire(base + REQ_PROD_OFFSET);
    }

    /** Guest publishes request bytes: bytes written before this store are seen by whoever acquires it. */
    public void reqProdRelease(int value) {
        buffer.putIntRelease(base + REQ_PROD_OFFSET, value);
    }

    /** Guest, before reusing request space: xenstored's reads of it are finished. */
    public int reqConsAcquire() {
        return buffer.getIntAcquire(base + REQ_CONS_OFFSET);
    }

    /** xenstored frees request space: its reads of the bytes happen before the guest may overwrite them. */
    public void reqConsRelease(int value) {
        buffer.putIntRelease(base + REQ_CONS_OFFSET, value);
    }

    /** Guest, before reading replies: sees every reply byte xenstored wrote before publishing. */
    public int rspProdAcquire() {
        return buffer.getIntAcquire(base + RSP_PROD_OFFSET);
    }

    /** xenstored publishes reply bytes: bytes written before this store are seen by whoever acquires it. */
    public void rspProdRelease(int value) {
        buffer.putIntRelease(base + RSP_PROD_OFFSET, value);
    }

    /** xenstored, before reusing reply space: the guest's reads of it are finished. */
    public int rspConsAcquire() {
        return buffer.getIntAcquire(base + RSP_CONS_OFFSET);
    }

    /** Guest frees reply space: its reads of the bytes happen before xenstored may overwrite them. */
    public void rspConsRelease(int value) {
        buffer.putIntRelease(base + RSP_CONS_OFFSET, value);
    }

    /** Guest, after a request went unanswered: whether xenstored gave up on the ring, and why. */
    public int errorAcquire() {
        return buffer.getIntAcquire(base + ERROR_OFFSET);
    }

    /** xenstored reports why it stopped serving the ring ({@code XENSTORE_ERROR_*}). */
    public void errorRelease(int value) {
        buffer.putIntRelease(base + ERROR_OFFSET, value);
    }

    /** Either side reads the reconnect state and, after it, the ring state the other side left. */
    public int connectionAcquire() {
        return buffer.getIntAcquire(base + CONNECTION_OFFSET);
    }

    /** Guest asks to reconnect (1), xenstored reports the rings reset (0); earlier writes are seen first. */
    public void connectionRelease(int value) {
        buffer.putIntRelease(base + CONNECTION_OFFSET, value);
    }
}
