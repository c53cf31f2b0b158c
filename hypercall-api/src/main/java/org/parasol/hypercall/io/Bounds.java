package org.parasol.hypercall.io;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * The two checks every flyweight in this package makes: that a structure fits in the segment it
 * is wrapped over, and that an array index lies inside the array Xen declares.
 */
final class Bounds {
    private Bounds() {
    }

    /**
     * Checks that {@code size} bytes starting at {@code offset} lie inside {@code segment}.
     *
     * @return {@code offset}
     * @throws IndexOutOfBoundsException if they do not (including a negative offset)
     */
    static long checkWrap(MemorySegment segment, long offset, long size) {
        Objects.requireNonNull(segment, "segment");
        return Objects.checkFromIndexSize(offset, size, segment.byteSize());
    }

    /**
     * Checks an index into a fixed-size array field.
     *
     * @return {@code index}
     * @throws IndexOutOfBoundsException if {@code index} is negative or not below {@code length}
     */
    static int checkIndex(int index, long length) {
        return Objects.checkIndex(index, Math.toIntExact(length));
    }
}
