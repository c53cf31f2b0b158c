package org.parasol.drivers.blk;

/** A {@code blkif_response}, private and reused: the request's id, its operation and the status. */
public final class BlkResponse {
    public long id;
    public int operation;
    public int status;

    /** Sets every field; returns this. */
    public BlkResponse set(long requestId, int op, int st) {
        id = requestId;
        operation = op;
        status = st;
        return this;
    }

    @Override
    public String toString() {
        return "blkif_response{id " + id + ", op " + operation + ", status " + status + "}";
    }
}
