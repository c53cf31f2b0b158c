package org.parasol.drivers.ring;

import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.SharedBuffer;

/**
 * Entries for ring tests: a request carries a sequence number and a check word derived from it
 * (a torn or overwritten slot fails {@link Request#valid()}); a response echoes the sequence.
 */
final class SeqEntries {
    private SeqEntries() {
    }

    /** Mixes a sequence number into a check word that no nearby sequence shares. */
    static long checkOf(long seq) {
        return ~(seq * 0x9E3779B97F4A7C15L);
    }

    /** A request holder: 16 bytes on the ring, {@code seq} u64 @0, {@code check} u64 @8. */
    static final class Request {
        long seq;
        long check;

        Request of(long seq) {
            this.seq = seq;
            this.check = checkOf(seq);
            return this;
        }

        boolean valid() {
            return check == checkOf(seq);
        }
    }

    /** A response holder: 12 bytes on the ring, {@code seq} u64 @0, {@code status} s32 @8. */
    static final class Response {
        long seq;
        int status;

        Response of(long seq, int status) {
            this.seq = seq;
            this.status = status;
            return this;
        }
    }

    static final EntryCodec<Request> REQUESTS = new EntryCodec<>() {
        @Override
        public long byteSize() {
            return 16;
        }

        @Override
        public void encode(Request entry, SharedBuffer dst) {
            dst.putLong(0, entry.seq);
            dst.putLong(8, entry.check);
        }

        @Override
        public void decode(SharedBuffer src, Request into) {
            into.seq = src.getLong(0);
            into.check = src.getLong(8);
        }
    };

    static final EntryCodec<Response> RESPONSES = new EntryCodec<>() {
        @Override
        public long byteSize() {
            return 12;
        }

        @Override
        public void encode(Response entry, SharedBuffer dst) {
            dst.putLong(0, entry.seq);
            dst.putInt(8, entry.status);
        }

        @Override
        public void decode(SharedBuffer src, Response into) {
            into.seq = src.getLong(0);
            into.status = src.getInt(8);
        }
    };

    /** A heap ring page holding exactly {@code slots} 16-byte entries after the 64-byte header. */
    static SegmentBuffer heapPage(int slots) {
        return SegmentBuffer.allocate(64 + slots * 16L);
    }
}
