package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * The scalar layouts every ABI structure is built from: x86 little-endian, unaligned access
 * allowed (the flyweight's base offset may be anything), sizes as in Xen's C headers.
 * {@code xen_ulong_t}, {@code xen_pfn_t} and guest handles are 64 bits on x86-64.
 *
 * <p>Because the scalar layouts have byte alignment, a {@link java.lang.foreign.StructLayout}
 * built from them inserts no implicit padding: every structure spells out Xen's padding with
 * {@link MemoryLayout#paddingLayout(long)} so that its size equals {@code sizeof} in C.
 *
 * <p>The {@code ATOMIC_*} handles are for fields that two parties touch concurrently (event
 * bits, grant flags, seqlock versions). They are naturally aligned views of the same bytes,
 * so an access through them requires the address to be aligned; the segment must be native
 * or backed by an array whose element is at least that wide.
 */
public final class Layouts {
    private Layouts() {
    }

    public static final ValueLayout.OfByte U8 = ValueLayout.JAVA_BYTE;
    public static final ValueLayout.OfShort U16 =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfInt U32 =
            ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfLong U64 =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Signed views of the same widths, for fields Xen declares signed. */
    public static final ValueLayout.OfByte S8 = U8;
    public static final ValueLayout.OfShort S16 = U16;
    public static final ValueLayout.OfInt S32 = U32;
    public static final ValueLayout.OfLong S64 = U64;

    /** Naturally aligned little-endian 16-bit layout, for acquire/release accesses. */
    public static final ValueLayout.OfShort ALIGNED_U16 =
            ValueLayout.JAVA_SHORT.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Naturally aligned little-endian 32-bit layout, for acquire/release and atomics. */
    public static final ValueLayout.OfInt ALIGNED_U32 =
            ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Naturally aligned little-endian 64-bit layout, for acquire/release and atomics. */
    public static final ValueLayout.OfLong ALIGNED_U64 =
            ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Byte view with coordinates {@code (MemorySegment, long offset)}: acquire/release only. */
    public static final VarHandle ATOMIC_U8 = U8.varHandle();
    /** Aligned 16-bit view, coordinates {@code (MemorySegment, long offset)}: acquire/release only. */
    public static final VarHandle ATOMIC_U16 = ALIGNED_U16.varHandle();
    /** Aligned 32-bit view, coordinates {@code (MemorySegment, long offset)}: every access mode. */
    public static final VarHandle ATOMIC_U32 = ALIGNED_U32.varHandle();
    /** Aligned 64-bit view, coordinates {@code (MemorySegment, long offset)}: every access mode. */
    public static final VarHandle ATOMIC_U64 = ALIGNED_U64.varHandle();

    /** Widens an unsigned 8-bit value. */
    public static int u8(byte v) {
        return v & 0xFF;
    }

    /** Widens an unsigned 16-bit value. */
    public static int u16(short v) {
        return v & 0xFFFF;
    }

    /** Widens an unsigned 32-bit value. */
    public static long u32(int v) {
        return v & 0xFFFF_FFFFL;
    }

    /**
     * Byte offset of the field reached by {@code names} (group element names, outermost
     * first) in {@code layout}. Used once per field when a flyweight class initialises.
     */
    public static long offsetOf(MemoryLayout layout, String... names) {
        PathElement[] path = new PathElement[names.length];
        for (int i = 0; i < names.length; i++) {
            path[i] = PathElement.groupElement(names[i]);
        }
        return layout.byteOffset(path);
    }

    /**
     * Checks that {@code size} bytes at {@code offset} lie inside {@code segment}, as every
     * flyweight's {@code wrap} does, and returns {@code offset}.
     *
     * @throws IndexOutOfBoundsException if they do not
     */
    public static long checkWrap(MemorySegment segment, long offset, long size) {
        Objects.requireNonNull(segment, "segment");
        return Objects.checkFromIndexSize(offset, size, segment.byteSize());
    }

    /** Zeroes {@code length} bytes of {@code segment} from {@code offset}, allocating nothing. */
    public static void zero(MemorySegment segment, long offset, long length) {
        Objects.checkFromIndexSize(offset, length, segment.byteSize());
        long end = offset + length;
        long i = offset;
        for (; i + 8 <= end; i += 8) {
            segment.set(U64, i, 0L);
        }
        for (; i < end; i++) {
            segment.set(U8, i, (byte) 0);
        }
    }

    /** Whether every byte in {@code [from, to)} of {@code segment} is zero. */
    public static boolean isZero(MemorySegment segment, long from, long to) {
        long i = from;
        for (; i + 8 <= to; i += 8) {
            if (segment.get(U64, i) != 0) {
                return false;
            }
        }
        for (; i < to; i++) {
            if (segment.get(U8, i) != 0) {
                return false;
            }
        }
        return true;
    }
}
