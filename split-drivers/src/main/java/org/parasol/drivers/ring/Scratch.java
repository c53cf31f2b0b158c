package org.parasol.drivers.ring;

import java.lang.foreign.MemorySegment;
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
    static MemorySegment of(EntryCodec<?> codec, RingGeometry geometry) {
        long bytes = codec.byteSize();
        if (bytes <= 0 || bytes > geometry.entrySize()) {
            throw new IllegalArgumentException(
                    "a " + bytes + "-byte entry does not fit a " + geometry.entrySize() + "-byte slot");
        }
        return MemorySegment.ofArray(new long[Math.toIntExact((bytes + Long.BYTES - 1) / Long.BYTES)])
                .asSlice(0, bytes);
    }
}
