package org.parasol.toolstack.xenstore;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.abi.XsWire;
import org.parasol.hypercall.io.XsdSockmsg;

/**
 * One {@code xs_wire} message: the 16-byte {@code xsd_sockmsg} header's fields and the payload.
 *
 * @param type    {@code XS_*}
 * @param reqId   echoed in the reply
 * @param txId    the transaction, 0 for none
 * @param payload at most {@link XsWire#XENSTORE_PAYLOAD_MAX} bytes
 */
public record XsMessage(int type, int reqId, int txId, byte[] payload) {

    /** Checks the payload size. */
    public XsMessage {
        if (payload.length > XsWire.XENSTORE_PAYLOAD_MAX) {
            throw new IllegalArgumentException("payload of " + payload.length + " bytes");
        }
    }

    /** A message whose payload is {@code text} in ISO-8859-1 (xenstore strings are bytes). */
    public static XsMessage of(int type, int reqId, int txId, String text) {
        return new XsMessage(type, reqId, txId, text.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** The header and payload as they go on the wire (little-endian header). */
    public byte[] encode() {
        byte[] b = new byte[XsWire.HEADER_SIZE + payload.length];
        new XsdSockmsg().wrap(new SegmentBuffer(MemorySegment.ofArray(b)), 0)
                .type(Integer.toUnsignedLong(type)).reqId(Integer.toUnsignedLong(reqId))
                .txId(Integer.toUnsignedLong(txId)).len(payload.length);
        System.arraycopy(payload, 0, b, XsWire.HEADER_SIZE, payload.length);
        return b;
    }

    /** The payload as text (ISO-8859-1). */
    public String text() {
        return new String(payload, StandardCharsets.ISO_8859_1);
    }

    /**
     * The payload's NUL-terminated strings; bytes after the last NUL are one more string
     * (xs_wire's values are not terminated).
     */
    public List<String> strings() {
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < payload.length; i++) {
            if (payload[i] == 0) {
                out.add(new String(payload, start, i - start, StandardCharsets.ISO_8859_1));
                start = i + 1;
            }
        }
        if (start < payload.length) {
            out.add(new String(payload, start, payload.length - start, StandardCharsets.ISO_8859_1));
        }
        return out;
    }

    @Override
    public String toString() {
        String name = XsWire.typeName(type);
        return (name == null ? "type " + type : name) + " req " + reqId + " tx " + txId + " len " + payload.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof XsMessage m && m.type == type && m.reqId == reqId && m.txId == txId
                && java.util.Arrays.equals(m.payload, payload);
    }

    @Override
    public int hashCode() {
        return ((type * 31 + reqId) * 31 + txId) * 31 + java.util.Arrays.hashCode(payload);
    }
}
