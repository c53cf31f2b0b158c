package org.parasol.examples.pingpong;

import org.parasol.drivers.ring.EntryCodec;
import org.parasol.hypercall.SharedBuffer;

/**
 * The pingpong ring's entries on the wire: {@code struct pingpong_msg} ({@link PingpongMessage}),
 * 16 bytes, little-endian, for requests and responses alike. A one-page ring of 16-byte slots
 * has 128 of them.
 *
 * <p>Stateless; decodes any bytes (checking them is the reader's job) and allocates nothing.
 */
final class PingpongCodec implements EntryCodec<PingpongMessage> {
    /** {@code sizeof(struct pingpong_msg)}. */
    static final long SIZE = 16;
    static final long OP_OFFSET = 0;
    static final long ID_OFFSET = 4;
    static final long STAMP_OFFSET = 8;

    @Override
    public long byteSize() {
        return SIZE;
    }

    @Override
    public void encode(PingpongMessage m, SharedBuffer dst) {
        dst.putInt(OP_OFFSET, m.op());
        dst.putInt(ID_OFFSET, m.id());
        dst.putLong(STAMP_OFFSET, m.stamp());
    }

    @Override
    public void decode(SharedBuffer src, PingpongMessage into) {
        into.set(src.getInt(OP_OFFSET), src.getInt(ID_OFFSET), src.getLong(STAMP_OFFSET));
    }
}
