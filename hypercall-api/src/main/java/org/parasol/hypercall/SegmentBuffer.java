package org.parasol.hypercall;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * A {@link SharedBuffer} over a {@link MemorySegment}: memory the holder reaches directly.
 *
 * <p>The hypervisor wraps its per-vCPU hypercall scratch in one (arguments are copied in from
 * the guest, decoded, and results copied back from there), and the machine pages it shares
 * with a guest — a slice of machine memory never leaves the hypervisor. A guest wraps only its
 * private heap scratch (an argument page's mirror, a ring's entry scratch): guests never hold
 * a segment that aliases machine memory, and reach shared pages through a
 * {@link GuestMemoryBuffer}.
 *
 * <p>Plain accesses use unaligned little-endian layouts, so a structure may sit at any offset.
 * Ordered and atomic accesses use the same layouts with natural alignment, which the JDK checks
 * against the segment's address: a segment meant for them must be native, or a heap segment
 * over an array whose elements are at least as wide as the widest ordered field ({@code long[]}
 * for 64-bit words). Offsets are offsets into the segment, checked by the segment itself.
 */
public final class SegmentBuffer implements SharedBuffer {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Byte, coordinates (segment, offset): acquire/release. */
    private static final VarHandle B8 = ValueLayout.JAVA_BYTE.varHandle();
    /** Aligned 16-bit little-endian: acquire/release. */
    private static final VarHandle A16 = ValueLayout.JAVA_SHORT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    /** Aligned 32-bit little-endian: every access mode. */
    private static final VarHandle A32 = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    /** Aligned 64-bit little-endian: every access mode. */
    private static final VarHandle A64 = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    private final MemorySegment segment;

    /** The whole of {@code segment}. */
    public SegmentBuffer(MemorySegment segment) {
        this.segment = Objects.requireNonNull(segment, "segment");
    }

    /**
     * A private, zeroed heap buffer of {@code bytes} bytes backed by a {@code long[]}, so that
     * every ordered and atomic access up to 64 bits is possible on it.
     */
    public static SegmentBuffer allocate(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("negative size " + bytes);
        }
        long words = (bytes + Long.BYTES - 1) / Long.BYTES;
        return new SegmentBuffer(MemorySegment.ofArray(new long[Math.toIntExact(words)]).asSlice(0, bytes));
    }

    /** The segment under this buffer. */
    public MemorySegment segment() {
        return segment;
    }

    @Override
    public long capacity() {
        return segment.byteSize();
    }

    @Override
    public long alignment() {
        return segment.maxByteAlignment();
    }

    @Override
    public byte getByte(long offset) {
        return segment.get(ValueLayout.JAVA_BYTE, offset);
    }

    @Override
    public void putByte(long offset, byte value) {
        segment.set(ValueLayout.JAVA_BYTE, offset, value);
    }

    @Override
    public short getShort(long offset) {
        return segment.get(U16, offset);
    }

    @Override
    public void putShort(long offset, short value) {
        segment.set(U16, offset, value);
    }

    @Override
    public int getInt(long offset) {
        return segment.get(U32, offset);
    }

    @Override
    public void putInt(long offset, int value) {
        segment.set(U32, offset, value);
    }

    @Override
    public long getLong(long offset) {
        return segment.get(U64, offset);
    }

    @Override
    public void putLong(long offset, long value) {
        segment.set(U64, offset, value);
    }

    @Override
    public byte getByteAcquire(long offset) {
        return (byte) B8.getAcquire(segment, offset);
    }

    @Override
    public void putByteRelease(long offset, byte value) {
        B8.setRelease(segment, offset, value);
    }

    @Override
    public short getShortAcquire(long offset) {
        return (short) A16.getAcquire(segment, offset);
    }

    @Override
    public void putShortRelease(long offset, short value) {
        A16.setRelease(segment, offset, value);
    }

    @Override
    public int getIntAcquire(long offset) {
        return (int) A32.getAcquire(segment, offset);
    }

    @Override
    public void putIntRelease(long offset, int value) {
        A32.setRelease(segment, offset, value);
    }

    @Override
    public long getLongAcquire(long offset) {
        return (long) A64.getAcquire(segment, offset);
    }

    @Override
    public void putLongRelease(long offset, long value) {
        A64.setRelease(segment, offset, value);
    }

    @Override
    public boolean compareAndSetInt(long offset, int expected, int update) {
        return A32.compareAndSet(segment, offset, expected, update);
    }

    @Override
    public boolean compareAndSetLong(long offset, long expected, long update) {
        return A64.compareAndSet(segment, offset, expected, update);
    }

    @Override
    public int compareAndExchangeInt(long offset, int expected, int update) {
        return (int) A32.compareAndExchange(segment, offset, expected, update);
    }

    @Override
    public long compareAndExchangeLong(long offset, long expected, long update) {
        return (long) A64.compareAndExchange(segment, offset, expected, update);
    }

    @Override
    public int getAndSetInt(long offset, int value) {
        return (int) A32.getAndSet(segment, offset, value);
    }

    @Override
    public long getAndSetLong(long offset, long value) {
        return (long) A64.getAndSet(segment, offset, value);
    }

    @Override
    public int getAndAddInt(long offset, int delta) {
        return (int) A32.getAndAdd(segment, offset, delta);
    }

    @Override
    public long getAndAddLong(long offset, long delta) {
        return (long) A64.getAndAdd(segment, offset, delta);
    }

    @Override
    public int getAndBitwiseOrInt(long offset, int mask) {
        return (int) A32.getAndBitwiseOr(segment, offset, mask);
    }

    @Override
    public long getAndBitwiseOrLong(long offset, long mask) {
        return (long) A64.getAndBitwiseOr(segment, offset, mask);
    }

    @Override
    public int getAndBitwiseAndInt(long offset, int mask) {
        return (int) A32.getAndBitwiseAnd(segment, offset, mask);
    }

    @Override
    public long getAndBitwiseAndLong(long offset, long mask) {
        return (long) A64.getAndBitwiseAnd(segment, offset, mask);
    }

    @Override
    public int getAndBitwiseXorInt(long offset, int mask) {
        return (int) A32.getAndBitwiseXor(segment, offset, mask);
    }

    @Override
    public long getAndBitwiseXorLong(long offset, long mask) {
        return (long) A64.getAndBitwiseXor(segment, offset, mask);
    }

    @Override
    public void getBytes(long offset, MemorySegment dst, long dstOffset, long length) {
        MemorySegment.copy(segment, offset, dst, dstOffset, length);
    }

    @Override
    public void putBytes(long offset, MemorySegment src, long srcOffset, long length) {
        MemorySegment.copy(src, srcOffset, segment, offset, length);
    }

    @Override
    public void setMemory(long offset, long length, byte value) {
        Objects.checkFromIndexSize(offset, length, segment.byteSize());
        if (offset == 0 && length == segment.byteSize()) {
            segment.fill(value);
            return;
        }
        // No slice: a fill of part of the segment allocates nothing.
        long pattern = (value & 0xFFL) * 0x0101_0101_0101_0101L;
        long end = offset + length;
        long i = offset;
        for (; i + Long.BYTES <= end; i += Long.BYTES) {
            segment.set(U64, i, pattern);
        }
        for (; i < end; i++) {
            segment.set(ValueLayout.JAVA_BYTE, i, value);
        }
    }

    @Override
    public String toString() {
        return "SegmentBuffer[" + capacity() + " bytes]";
    }
}
