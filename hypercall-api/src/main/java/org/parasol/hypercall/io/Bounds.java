package org.parasol.hypercall.io;

import java.util.Objects;

/**
 * The check every flyweight in this package makes on an array field: that the index lies inside
 * the array Xen declares. (Whether a structure fits in its buffer is
 * {@link org.parasol.hypercall.SharedBuffer#checkBounds}'s job.)
 */
final class Bounds {
    private Bounds() {
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
