package org.parasol.examples.pingpong;

/**
 * One entry of the pingpong ring, request or response: the private, reusable holder of what
 * {@link PingpongCodec} reads from or writes to a slot.
 *
 * <pre>
 *  struct pingpong_msg {          0        4        8                16
 *      uint32_t op;               +--------+--------+----------------+
 *      uint32_t id;               |   op   |   id   |     stamp      |
 *      uint64_t stamp;            +--------+--------+----------------+
 *  };
 * </pre>
 *
 * <p>A request's {@code op} is {@link #OP_PING}; its response carries the same {@code op},
 * {@code id} and {@code stamp} back. The end of the run is not a message: the front end
 * switches its xenbus state to Closing, and the back end lets go of the ring (see
 * {@link PingFront}). {@code id} counts requests from 0;
 * {@code stamp} is the requester's system time when it sent the request (ns), which the
 * answering end returns unread.
 *
 * <p>Invariants: none of its own — a holder decoded from the ring holds whatever the peer
 * wrote, and the end that reads it checks every field.
 */
final class PingpongMessage {
    /** A ping: answer it with the same op, id and stamp. */
    static final int OP_PING = 1;

    private int op;
    private int id;
    private long stamp;

    int op() {
        return op;
    }

    int id() {
        return id;
    }

    long stamp() {
        return stamp;
    }

    /** Sets every field; returns this holder. */
    PingpongMessage set(int newOp, int newId, long newStamp) {
        this.op = newOp;
        this.id = newId;
        this.stamp = newStamp;
        return this;
    }

    /** The answer to {@code request}: the same fields. Returns this holder. */
    PingpongMessage answer(PingpongMessage request) {
        return set(request.op, request.id, request.stamp);
    }

    @Override
    public String toString() {
        return "pingpong_msg[op=" + Integer.toUnsignedString(op) + " id=" + Integer.toUnsignedString(id)
                + " stamp=" + stamp + "]";
    }
}
