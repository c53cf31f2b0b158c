package org.parasol.hypercall.io;

/**
 * An immutable {@code blkif_response} for logs and tests (see {@link BlkifResponse}).
 *
 * @param id the request's opaque id (u64)
 * @param operation the request's {@code BLKIF_OP_*} (u8)
 * @param status {@code BLKIF_RSP_*} (s16)
 */
public record BlkifResponseValue(long id, int operation, int status) {

    public BlkifResponseValue {
        Values.checkU8("operation", operation);
        Values.checkS16("status", status);
    }
}
