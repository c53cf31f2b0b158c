package org.parasol.toolstack.xenstore;

import java.util.function.Consumer;

import org.parasol.hypercall.abi.XsWire;

/**
 * Cuts an {@code xs_wire} byte stream (a domain's request ring, a socket) into messages: a
 * 16-byte little-endian header, then {@code len} bytes of payload. The stream may deliver a
 * message in any number of pieces; the framer keeps at most one message's bytes.
 *
 * <p>A header announcing more than {@link XsWire#XENSTORE_PAYLOAD_MAX} bytes is a protocol
 * error: xenstored drops such a connection, and so does the caller when
 * {@link #feed} says so.
 */
public final class XsFramer {
    private final byte[] header = new byte[XsWire.HEADER_SIZE];
    private int headerFill;
    private byte[] payload;
    private int payloadFill;
    private int type;
    private int reqId;
    private int txId;
    private boolean broken;

    /**
     * Takes {@code len} bytes of the stream; each message they complete goes to {@code out}.
     *
     * @return false when the stream broke the protocol (an oversized message): the caller
     *         drops the connection; every later call returns false too
     */
    public boolean feed(byte[] data, int off, int len, Consumer<XsMessage> out) {
        int i = off;
        int end = off + len;
        while (i < end && !broken) {
            if (payload == null) {
                int n = Math.min(XsWire.HEADER_SIZE - headerFill, end - i);
                System.arraycopy(data, i, header, headerFill, n);
                headerFill += n;
                i += n;
                if (headerFill < XsWire.HEADER_SIZE) {
                    break;
                }
                type = u32(0);
                reqId = u32(4);
                txId = u32(8);
                long size = Integer.toUnsignedLong(u32(12));
                if (size > XsWire.XENSTORE_PAYLOAD_MAX) {
                    broken = true;
                    break;
                }
                payload = new byte[(int) size];
                payloadFill = 0;
            }
            int n = Math.min(payload.length - payloadFill, end - i);
            System.arraycopy(data, i, payload, payloadFill, n);
            payloadFill += n;
            i += n;
            if (payloadFill == payload.length) {
                out.accept(new XsMessage(type, reqId, txId, payload));
                payload = null;
                headerFill = 0;
            }
        }
        return !broken;
    }

    /**
     * Bytes that complete the piece being assembled: the rest of the header, or once the header
     * is whole, the rest of the payload. A reader that feeds at most this many bytes at a time
     * stops at each message's end, so it can decide between messages whether to take the next
     * (xenstored stops reading a domain that has too many replies outstanding).
     */
    public int needed() {
        return payload == null ? XsWire.HEADER_SIZE - headerFill : payload.length - payloadFill;
    }

    /** Whether a header announced an oversized message: the stream is unusable. */
    public boolean broken() {
        return broken;
    }

    /** Whether part of a message has been taken and the rest is awaited. */
    public boolean midMessage() {
        return headerFill > 0;
    }

    private int u32(int at) {
        return (header[at] & 0xFF) | (header[at + 1] & 0xFF) << 8 | (header[at + 2] & 0xFF) << 16
                | (header[at + 3] & 0xFF) << 24;
    }
}
