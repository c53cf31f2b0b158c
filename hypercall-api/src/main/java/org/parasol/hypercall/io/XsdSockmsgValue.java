package org.parasol.hypercall.io;

/**
 * An immutable {@code xsd_sockmsg} header for logs and tests (see {@link XsdSockmsg}). Each
 * field is a widened u32, so any header a peer can send is representable.
 *
 * @param type {@code enum xsd_sockmsg_type}
 * @param reqId request id, echoed in the reply
 * @param txId transaction id, 0 for none
 * @param len payload bytes that follow the header
 */
public record XsdSockmsgValue(long type, long reqId, long txId, long len) {

    public XsdSockmsgValue {
        Values.checkU32("type", type);
        Values.checkU32("reqId", reqId);
        Values.checkU32("txId", txId);
        Values.checkU32("len", len);
    }
}
