package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The scalar layouts every ABI structure is built from: x86 little-endian, unaligned access
 * allowed (the flyweight's base offset may be anything), sizes as in Xen's C headers.
 * {@code xen_ulong_t}, {@code xen_pfn_t} and guest handles are 64 bits on x86-64.
 *
 * <p>Because the scalar layouts have byte alignment, a {@link java.lang.foreign.StructLayout}
 * built from them inserts no implicit padding: every structure spells out Xen's padding with
 * {@link MemoryLayout#paddingLayout(long)} so that its size equals {@code sizeof} in C.
 *
 * <p>The layouts describe the bytes; every access to them goes through a
 * {@link org.parasol.hypercall.SharedBuffer}, which also owns the aligned, ordered and atomic
 * accesses for fields two parties touch concurrently (event bits, grant flags, seqlock
 * versions).
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
}
