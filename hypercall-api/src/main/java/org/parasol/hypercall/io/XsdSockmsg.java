package org.parasol.hypercall.io;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;
import org.parasol.hypercall.struct.Layouts;

/**
 * The header of every XenStore wire message; mirrors {@code io/xs_wire.h}: {@code xsd_sockmsg}.
 *
 * <pre>
 *  0      4        8       12    16
 *  +------+--------+-------+-----+-------------------
 *  | type | req_id | tx_id | len | payload (len bytes)
 *  +------+--------+-------+-----+-------------------
 * </pre>
 *
 * <p>Invariants: 16 bytes, followed by {@code len} payload bytes with
 * {@code len <= XENSTORE_PAYLOAD_MAX} (4096) — a reader checks it before trusting it;
 * {@code type} is {@code enum xsd_sockmsg_type}; {@code req_id} is echoed in the reply;
 * {@code tx_id} is 0 outside a transaction. On a domain's store ring the header may wrap around
 * the ring end, so it is assembled in private memory before being wrapped here.
 */
public final class XsdSockmsg {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U32.withName("type"),
            Layouts.U32.withName("req_id"),
            Layouts.U32.withName("tx_id"),
            Layouts.U32.withName("len"))
            .withName("xsd_sockmsg");

    /** 16 bytes. */
    public static final long SIZE = LAYOUT.byteSize();
    public static final long TYPE_OFFSET = LAYOUT.byteOffset(groupElement("type"));
    public static final long REQ_ID_OFFSET = LAYOUT.byteOffset(groupElement("req_id"));
    public static final long TX_ID_OFFSET = LAYOUT.byteOffset(groupElement("tx_id"));
    public static final long LEN_OFFSET = LAYOUT.byteOffset(groupElement("len"));

    private SharedBuffer buffer;
    private long base;

    /** Creates a flyweight that points nowhere; {@link #wrap} it before using any accessor. */
    public XsdSockmsg() {
    }

    /**
     * Points this flyweight at the header {@code offset} bytes into {@code buffer}.
     *
     * @throws IndexOutOfBoundsException if the 16 bytes do not fit
     */
    public XsdSockmsg wrap(SharedBuffer buffer, long offset) {
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

    /** {@code type} ({@code XS_*}), widened. */
    public long type() {
        return Layouts.u32(buffer.getInt(base + TYPE_OFFSET));
    }

    public XsdSockmsg type(long value) {
        buffer.putInt(base + TYPE_OFFSET, (int) value);
        return this;
    }

    public long reqId() {
        return Layouts.u32(buffer.getInt(base + REQ_ID_OFFSET));
    }

    public XsdSockmsg reqId(long value) {
        buffer.putInt(base + REQ_ID_OFFSET, (int) value);
        return this;
    }

    public long txId() {
        return Layouts.u32(buffer.getInt(base + TX_ID_OFFSET));
    }

    public XsdSockmsg txId(long value) {
        buffer.putInt(base + TX_ID_OFFSET, (int) value);
        return this;
    }

    public long len() {
        return Layouts.u32(buffer.getInt(base + LEN_OFFSET));
    }

    public XsdSockmsg len(long value) {
        buffer.putInt(base + LEN_OFFSET, (int) value);
        return this;
    }

    /** Zeroes the 16 bytes. */
    public XsdSockmsg clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** An immutable copy. */
    public XsdSockmsgValue toValue() {
        return new XsdSockmsgValue(type(), reqId(), txId(), len());
    }

    /** Writes every field of {@code value}. */
    public XsdSockmsg set(XsdSockmsgValue value) {
        return type(value.type()).reqId(value.reqId()).txId(value.txId()).len(value.len());
    }
}
