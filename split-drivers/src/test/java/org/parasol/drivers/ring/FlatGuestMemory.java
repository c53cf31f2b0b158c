package org.parasol.drivers.ring;

import java.lang.foreign.MemorySegment;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.struct.Layouts;

/**
 * A {@link GuestMemory} for tests: one flat little-endian segment mapped at {@code base}, no MMU.
 * An address outside it throws {@link IndexOutOfBoundsException}; a misaligned ordered access
 * throws as the segment var handles do. It counts ordered accesses so tests can see the ring
 * use them.
 */
final class FlatGuestMemory implements GuestMemory {

    final MemorySegment segment;
    final long base;
    int acquires;
    int releases;

    FlatGuestMemory(long base, int bytes) {
        this.base = base;
        this.segment = MemorySegment.ofArray(new long[bytes / Long.BYTES]);
    }

    private long at(long va, long length) {
        long offset = va - base;
        if (offset < 0 || length < 0 || offset > segment.byteSize() - length) {
            throw new IndexOutOfBoundsException("unmapped guest address 0x" + Long.toHexString(va));
        }
        return offset;
    }

    @Override
    public byte getByte(long va) {
        return segment.get(Layouts.U8, at(va, 1));
    }

    @Override
    public void putByte(long va, byte value) {
        segment.set(Layouts.U8, at(va, 1), value);
    }

    @Override
    public short getShort(long va) {
        return segment.get(Layouts.U16, at(va, 2));
    }

    @Override
    public void putShort(long va, short value) {
        segment.set(Layouts.U16, at(va, 2), value);
    }

    @Override
    public int getInt(long va) {
        return segment.get(Layouts.U32, at(va, 4));
    }

    @Override
    public void putInt(long va, int value) {
        segment.set(Layouts.U32, at(va, 4), value);
    }

    @Override
    public long getLong(long va) {
        return segment.get(Layouts.U64, at(va, 8));
    }

    @Override
    public void putLong(long va, long value) {
        segment.set(Layouts.U64, at(va, 8), value);
    }

    @Override
    public byte getByteAcquire(long va) {
        acquires++;
        return (byte) Layouts.ATOMIC_U8.getAcquire(segment, at(va, 1));
    }

    @Override
    public void putByteRelease(long va, byte value) {
        releases++;
        Layouts.ATOMIC_U8.setRelease(segment, at(va, 1), value);
    }

    @Override
    public short getShortAcquire(long va) {
        acquires++;
        return (short) Layouts.ATOMIC_U16.getAcquire(segment, at(va, 2));
    }

    @Override
    public void putShortRelease(long va, short value) {
        releases++;
        Layouts.ATOMIC_U16.setRelease(segment, at(va, 2), value);
    }

    @Override
    public int getIntAcquire(long va) {
        acquires++;
        return (int) Layouts.ATOMIC_U32.getAcquire(segment, at(va, 4));
    }

    @Override
    public void putIntRelease(long va, int value) {
        releases++;
        Layouts.ATOMIC_U32.setRelease(segment, at(va, 4), value);
    }

    @Override
    public long getLongAcquire(long va) {
        acquires++;
        return (long) Layouts.ATOMIC_U64.getAcquire(segment, at(va, 8));
    }

    @Override
    public void putLongRelease(long va, long value) {
        releases++;
        Layouts.ATOMIC_U64.setRelease(segment, at(va, 8), value);
    }

    @Override
    public boolean compareAndSetInt(long va, int expected, int update) {
        return Layouts.ATOMIC_U32.compareAndSet(segment, at(va, 4), expected, update);
    }

    @Override
    public boolean compareAndSetLong(long va, long expected, long update) {
        return Layouts.ATOMIC_U64.compareAndSet(segment, at(va, 8), expected, update);
    }

    @Override
    public int compareAndExchangeInt(long va, int expected, int update) {
        return (int) Layouts.ATOMIC_U32.compareAndExchange(segment, at(va, 4), expected, update);
    }

    @Override
    public long compareAndExchangeLong(long va, long expected, long update) {
        return (long) Layouts.ATOMIC_U64.compareAndExchange(segment, at(va, 8), expected, update);
    }

    @Override
    public int getAndSetInt(long va, int value) {
        return (int) Layouts.ATOMIC_U32.getAndSet(segment, at(va, 4), value);
    }

    @Override
    public long getAndSetLong(long va, long value) {
        return (long) Layouts.ATOMIC_U64.getAndSet(segment, at(va, 8), value);
    }

    @Override
    public int getAndAddInt(long va, int delta) {
        return (int) Layouts.ATOMIC_U32.getAndAdd(segment, at(va, 4), delta);
    }

    @Override
    public long getAndAddLong(long va, long delta) {
        return (long) Layouts.ATOMIC_U64.getAndAdd(segment, at(va, 8), delta);
    }

    @Override
    public int getAndBitwiseOrInt(long va, int mask) {
        return (int) Layouts.ATOMIC_U32.getAndBitwiseOr(segment, at(va, 4), mask);
    }

    @Override
    public long getAndBitwiseOrLong(long va, long mask) {
        return (long) Layouts.ATOMIC_U64.getAndBitwiseOr(segment, at(va, 8), mask);
    }

    @Override
    public int getAndBitwiseAndInt(long va, int mask) {
        return (int) Layouts.ATOMIC_U32.getAndBitwiseAnd(segment, at(va, 4), mask);
    }

    @Override
    public long getAndBitwiseAndLong(long va, long mask) {
        return (long) Layouts.ATOMIC_U64.getAndBitwiseAnd(segment, at(va, 8), mask);
    }

    @Override
    public int getAndBitwiseXorInt(long va, int mask) {
        return (int) Layouts.ATOMIC_U32.getAndBitwiseXor(segment, at(va, 4), mask);
    }

    @Override
    public long getAndBitwiseXorLong(long va, long mask) {
        return (long) Layouts.ATOMIC_U64.getAndBitwiseXor(segment, at(va, 8), mask);
    }

    @Override
    public void copyToSegment(long va, MemorySegment dst, long dstOffset, long length) {
        MemorySegment.copy(segment, at(va, length), dst, dstOffset, length);
    }

    @Override
    public void copyFromSegment(MemorySegment src, long srcOffset, long va, long length) {
        MemorySegment.copy(src, srcOffset, segment, at(va, length), length);
    }

    @Override
    public void fill(long va, long length, byte value) {
        segment.asSlice(at(va, length), length).fill(value);
    }
}
