package org.parasol.hypercall;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A {@link SharedBuffer} over {@code capacity} bytes of guest virtual memory starting at
 * {@code va}, reached through one vCPU's {@link GuestMemory}: how a guest sees a page it shares
 * (its shared_info, a ring page it granted or mapped, its grant table).
 *
 * <p>Offset {@code o} is the guest virtual address {@code va + o}; every access is checked
 * against the capacity first, then translated by the vCPU's MMU, with {@link GuestMemory}'s
 * rules: a page fault goes to the guest's handler, and an ordered or atomic access that is not
 * naturally aligned crashes the domain. Like the {@code GuestMemory} under it, a buffer is used
 * only on its vCPU's thread.
 */
public final class GuestMemoryBuffer implements SharedBuffer {
    private final GuestMemory memory;
    private final long va;
    private final long capacity;

    /**
     * {@code capacity} bytes at guest virtual address {@code va}.
     *
     * @throws IllegalArgumentException if the capacity is negative or the range wraps around
     *         the address space
     */
    public GuestMemoryBuffer(GuestMemory memory, long va, long capacity) {
        this.memory = Objects.requireNonNull(memory, "memory");
        if (capacity < 0 || (capacity > 0 && Long.compareUnsigned(va + (capacity - 1), va) < 0)) {
            throw new IllegalArgumentException("bad guest range of " + capacity + " bytes at 0x" + Long.toHexString(va));
        }
        this.va = va;
        this.capacity = capacity;
    }

    /** The guest virtual address of offset 0. */
    public long va() {
        return va;
    }

    /** The memory the buffer reads and writes. */
    public GuestMemory memory() {
        return memory;
    }

    @Override
    public long capacity() {
        return capacity;
    }

    @Override
    public long alignment() {
        return va == 0 ? 1L << 62 : Long.lowestOneBit(va);
    }

    /** The guest virtual address of {@code [offset, offset + length)}, which must lie inside the buffer. */
    private long at(long offset, long length) {
        return va + Objects.checkFromIndexSize(offset, length, capacity);
    }

    @Override
    public byte getByte(long offset) {
        return memory.getByte(at(offset, Byte.BYTES));
    }

    @Override
    public void putByte(long offset, byte value) {
        memory.putByte(at(offset, Byte.BYTES), value);
    }

    @Override
    public short getShort(long offset) {
        return memory.getShort(at(offset, Short.BYTES));
    }

    @Override
    public void putShort(long offset, short value) {
        memory.putShort(at(offset, Short.BYTES), value);
    }

    @Override
    public int getInt(long offset) {
        return memory.getInt(at(offset, Integer.BYTES));
    }

    @Override
    public void putInt(long offset, int value) {
        memory.putInt(at(offset, Integer.BYTES), value);
    }

    @Override
    public long getLong(long offset) {
        return memory.getLong(at(offset, Long.BYTES));
    }

    @Override
    public void putLong(long offset, long value) {
        memory.putLong(at(offset, Long.BYTES), value);
    }

    @Override
    public byte getByteAcquire(long offset) {
        return memory.getByteAcquire(at(offset, Byte.BYTES));
    }

    @Override
    public void putByteRelease(long offset, byte value) {
        memory.putByteRelease(at(offset, Byte.BYTES), value);
    }

    @Override
    public short getShortAcquire(long offset) {
        return memory.getShortAcquire(at(offset, Short.BYTES));
    }

    @Override
    public void putShortRelease(long offset, short value) {
        memory.putShortRelease(at(offset, Short.BYTES), value);
    }

    @Override
    public int getIntAcquire(long offset) {
        return memory.getIntAcquire(at(offset, Integer.BYTES));
    }

    @Override
    public void putIntRelease(long offset, int value) {
        memory.putIntRelease(at(offset, Integer.BYTES), value);
    }

    @Override
    public long getLongAcquire(long offset) {
        return memory.getLongAcquire(at(offset, Long.BYTES));
    }

    @Override
    public void putLongRelease(long offset, long value) {
        memory.putLongRelease(at(offset, Long.BYTES), value);
    }

    @Override
    public boolean compareAndSetInt(long offset, int expected, int update) {
        return memory.compareAndSetInt(at(offset, Integer.BYTES), expected, update);
    }

    @Override
    public boolean compareAndSetLong(long offset, long expected, long update) {
        return memory.compareAndSetLong(at(offset, Long.BYTES), expected, update);
    }

    @Override
    public int compareAndExchangeInt(long offset, int expected, int update) {
        return memory.compareAndExchangeInt(at(offset, Integer.BYTES), expected, update);
    }

    @Override
    public long compareAndExchangeLong(long offset, long expected, long update) {
        return memory.compareAndExchangeLong(at(offset, Long.BYTES), expected, update);
    }

    @Override
    public int getAndSetInt(long offset, int value) {
        return memory.getAndSetInt(at(offset, Integer.BYTES), value);
    }

    @Override
    public long getAndSetLong(long offset, long value) {
        return memory.getAndSetLong(at(offset, Long.BYTES), value);
    }

    @Override
    public int getAndAddInt(long offset, int delta) {
        return memory.getAndAddInt(at(offset, Integer.BYTES), delta);
    }

    @Override
    public long getAndAddLong(long offset, long delta) {
        return memory.getAndAddLong(at(offset, Long.BYTES), delta);
    }

    @Override
    public int getAndBitwiseOrInt(long offset, int mask) {
        return memory.getAndBitwiseOrInt(at(offset, Integer.BYTES), mask);
    }

    @Override
    public long getAndBitwiseOrLong(long offset, long mask) {
        return memory.getAndBitwiseOrLong(at(offset, Long.BYTES), mask);
    }

    @Override
    public int getAndBitwiseAndInt(long offset, int mask) {
        return memory.getAndBitwiseAndInt(at(offset, Integer.BYTES), mask);
    }

    @Override
    public long getAndBitwiseAndLong(long offset, long mask) {
        return memory.getAndBitwiseAndLong(at(offset, Long.BYTES), mask);
    }

    @Override
    public int getAndBitwiseXorInt(long offset, int mask) {
        return memory.getAndBitwiseXorInt(at(offset, Integer.BYTES), mask);
    }

    @Override
    public long getAndBitwiseXorLong(long offset, long mask) {
        return memory.getAndBitwiseXorLong(at(offset, Long.BYTES), mask);
    }

    @Override
    public void getBytes(long offset, MemorySegment dst, long dstOffset, long length) {
        memory.copyToSegment(at(offset, length), dst, dstOffset, length);
    }

    @Override
    public void putBytes(long offset, MemorySegment src, long srcOffset, long length) {
        memory.copyFromSegment(src, srcOffset, at(offset, length), length);
    }

    @Override
    public void setMemory(long offset, long length, byte value) {
        memory.fill(at(offset, length), length, value);
    }

    @Override
    public String toString() {
        return "GuestMemoryBuffer[" + capacity + " bytes at 0x" + Long.toHexString(va) + "]";
    }
}
