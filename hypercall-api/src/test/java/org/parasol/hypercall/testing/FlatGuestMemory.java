package org.parasol.hypercall.testing;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.struct.Layouts;

/**
 * A {@link GuestMemory} for tests of guest-side code, shared by every module's tests through
 * hypercall-api's test jar: one flat little-endian segment mapped at {@code base}, no MMU,
 * everything writable. An access that does not lie wholly inside it throws
 * {@link IndexOutOfBoundsException}, as an unhandled fault would; a misaligned ordered or
 * atomic access throws as the segment's var handles do. Subclasses may override single
 * methods to observe accesses.
 */
public class FlatGuestMemory implements GuestMemory {
    private static final VarHandle B8 = ValueLayout.JAVA_BYTE.varHandle();
    private static final VarHandle A16 = ValueLayout.JAVA_SHORT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    private static final VarHandle A32 = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    private static final VarHandle A64 = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    /** The memory; offset 0 is guest address {@link #base}. */
    public final MemorySegment segment;
    /** The guest virtual address of the first byte. */
    public final long base;

    /** {@code bytes} bytes (a multiple of 8) of zeroed memory at guest address {@code base}. */
    public FlatGuestMemory(long base, int bytes) {
        this.base = base;
        this.segment = MemorySegment.ofArray(new long[bytes / Long.BYTES]);
    }

    /** The segment offset of {@code [va, va + length)}, which must lie inside the memory. */
    public final long offset(long va, long length) {
        long off = va - base;
        if (off < 0 || length < 0 || off > segment.byteSize() - length) {
            throw new IndexOutOfBoundsException("unmapped guest address 0x" + Long.toHexString(va));
        }
        return off;
    }

    /** A copy of {@code length} bytes at {@code va}. */
    public final byte[] bytes(long va, int length) {
        return segment.asSlice(offset(va, length), length).toArray(Layouts.U8);
    }

    /** Writes {@code bytes} at {@code va}. */
    public final void putBytes(long va, byte[] bytes) {
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, segment, offset(va, bytes.length), bytes.length);
    }

    @Override public byte getByte(long va) { return segment.get(Layouts.U8, offset(va, 1)); }
    @Override public void putByte(long va, byte v) { segment.set(Layouts.U8, offset(va, 1), v); }
    @Override public short getShort(long va) { return segment.get(Layouts.U16, offset(va, 2)); }
    @Override public void putShort(long va, short v) { segment.set(Layouts.U16, offset(va, 2), v); }
    @Override public int getInt(long va) { return segment.get(Layouts.U32, offset(va, 4)); }
    @Override public void putInt(long va, int v) { segment.set(Layouts.U32, offset(va, 4), v); }
    @Override public long getLong(long va) { return segment.get(Layouts.U64, offset(va, 8)); }
    @Override public void putLong(long va, long v) { segment.set(Layouts.U64, offset(va, 8), v); }

    @Override public byte getByteAcquire(long va) { return (byte) B8.getAcquire(segment, offset(va, 1)); }
    @Override public void putByteRelease(long va, byte v) { B8.setRelease(segment, offset(va, 1), v); }
    @Override public short getShortAcquire(long va) { return (short) A16.getAcquire(segment, offset(va, 2)); }
    @Override public void putShortRelease(long va, short v) { A16.setRelease(segment, offset(va, 2), v); }
    @Override public int getIntAcquire(long va) { return (int) A32.getAcquire(segment, offset(va, 4)); }
    @Override public void putIntRelease(long va, int v) { A32.setRelease(segment, offset(va, 4), v); }
    @Override public long getLongAcquire(long va) { return (long) A64.getAcquire(segment, offset(va, 8)); }
    @Override public void putLongRelease(long va, long v) { A64.setRelease(segment, offset(va, 8), v); }

    @Override public boolean compareAndSetInt(long va, int e, int u) { return A32.compareAndSet(segment, offset(va, 4), e, u); }
    @Override public boolean compareAndSetLong(long va, long e, long u) { return A64.compareAndSet(segment, offset(va, 8), e, u); }
    @Override public int compareAndExchangeInt(long va, int e, int u) { return (int) A32.compareAndExchange(segment, offset(va, 4), e, u); }
    @Override public long compareAndExchangeLong(long va, long e, long u) { return (long) A64.compareAndExchange(segment, offset(va, 8), e, u); }
    @Override public int getAndSetInt(long va, int v) { return (int) A32.getAndSet(segment, offset(va, 4), v); }
    @Override public long getAndSetLong(long va, long v) { return (long) A64.getAndSet(segment, offset(va, 8), v); }
    @Override public int getAndAddInt(long va, int d) { return (int) A32.getAndAdd(segment, offset(va, 4), d); }
    @Override public long getAndAddLong(long va, long d) { return (long) A64.getAndAdd(segment, offset(va, 8), d); }
    @Override public int getAndBitwiseOrInt(long va, int m) { return (int) A32.getAndBitwiseOr(segment, offset(va, 4), m); }
    @Override public long getAndBitwiseOrLong(long va, long m) { return (long) A64.getAndBitwiseOr(segment, offset(va, 8), m); }
    @Override public int getAndBitwiseAndInt(long va, int m) { return (int) A32.getAndBitwiseAnd(segment, offset(va, 4), m); }
    @Override public long getAndBitwiseAndLong(long va, long m) { return (long) A64.getAndBitwiseAnd(segment, offset(va, 8), m); }
    @Override public int getAndBitwiseXorInt(long va, int m) { return (int) A32.getAndBitwiseXor(segment, offset(va, 4), m); }
    @Override public long getAndBitwiseXorLong(long va, long m) { return (long) A64.getAndBitwiseXor(segment, offset(va, 8), m); }

    @Override
    public void copyToSegment(long va, MemorySegment dst, long dstOffset, long length) {
        MemorySegment.copy(segment, offset(va, length), dst, dstOffset, length);
    }

    @Override
    public void copyFromSegment(MemorySegment src, long srcOffset, long va, long length) {
        MemorySegment.copy(src, srcOffset, segment, offset(va, length), length);
    }

    @Override
    public void fill(long va, long length, byte value) {
        segment.asSlice(offset(va, length), length).fill(value);
    }
}
