package org.parasol.drivers.ring;

import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.io.RingGeometry;

/** The private buffer a ring view encodes into and copies slots out to, one per entry kind. */
final class Scratch {
    private Scratch() {
    }

    /**
     * A private, 8-byte-aligned heap segment of exactly {@code codec.byteSize()} bytes.
     *
     * @throws IllegalArgumentException if the entry is empty or larger than a slot
     */
    static SegmentBuffer of(EntryCodec<?> codec, RingGeometry geometry) {
        long bytes = codec.byteSize();
        if (bytes <= 0 || bytes > geometry.entrySize()) {
            throw new IllegalArgumentException(
                    "a " + bytes + "-byte entry does not fit a " + geometry.entrySize() + "-byte slot");
        }
        return SegmentBuffer.allocate(bytes);
    }
}
