package org.parasol.hypercall.io;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import org.parasol.hypercall.struct.Layouts;

/**
 * Acquire loads and release stores of the words two sides of a shared page both touch (ring
 * indices, connection states). The structure layouts use unaligned scalars so a flyweight can
 * sit at any offset, but the JDK offers ordered access only on naturally aligned words; these
 * handles are the same little-endian scalars with their natural alignment, so a misaligned
 * field is refused with {@link IllegalArgumentException} instead of being accessed tornly.
 */
final class SharedWords {
    private SharedWords() {
    }

    /** {@link Layouts#U32} aligned to 4 bytes; coordinates (segment, byte offset). */
    private static final VarHandle U32 = Layouts.U32.withByteAlignment(4).varHandle();

    /** {@link Layouts#U8}; bytes are always aligned. Coordinates (segment, byte offset). */
    private static final VarHandle U8 = Layouts.U8.varHandle();

    static int getIntAcquire(MemorySegment segment, long offset) {
        return (int) U32.getAcquire(segment, offset);
    }

    static void setIntRelease(MemorySegment segment, long offset, int value) {
        U32.setRelease(segment, offset, value);
    }

    static int getByteAcquire(MemorySegment segment, long offset) {
        return ((byte) U8.getAcquire(segment, offset)) & 0xFF;
    }

    static void setByteRelease(MemorySegment segment, long offset, int value) {
        U8.setRelease(segment, offset, (byte) value);
    }
}
