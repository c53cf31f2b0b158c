package org.parasol.guest;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

import org.parasol.hypercall.GuestMemory;

/**
 * Guest memory for tests of guest libraries: {@code pages} pages of heap at {@code base},
 * everything mapped writable; an access outside throws, as an unhandled fault would.
 */
public class SegmentGuestMemory implements GuestMemory {
    private static final ValueLayout.OfShort S = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong L = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final VarHandle B8 = ValueLayout.JAVA_BYTE.varHandle();
    private static final VarHandle A16 = ValueLayout.JAVA_SHORT.varHandle();
    private static final VarHandle A32 = ValueLayout.JAVA_INT.varHandle();
    private static final VarHandle A64 = ValueLayout.JAVA_LONG.varHandle();

    private final long base;
    private final MemorySegment seg;

    public SegmentGuestMemory(long base, int pages) {
        this.base = base;
        this.seg = MemorySegment.ofArray(new long[pages * 512]);
    }

    private long o(long va) {
        long off = va - base;
        if (off < 0 || off >= seg.byteSize()) {
            throw new IndexOutOfBoundsException("fault at 0x" + Long.toHexString(va));
        }
        return off;
    }

    @Override public byte getByte(long va) { return seg.get(ValueLayout.JAVA_BYTE, o(va)); }
    @Override public void putByte(long va, byte v) { seg.set(ValueLayout.JAVA_BYTE, o(va), v); }
    @Override public short getShort(long va) { return seg.get(S, o(va)); }
    @Override public void putShort(long va, short v) { seg.set(S, o(va), v); }
    @Override public int getInt(long va) { return seg.get(I, o(va)); }
    @Override public void putInt(long va, int v) { seg.set(I, o(va), v); }
    @Override public long getLong(long va) { return seg.get(L, o(va)); }
    @Override public void putLong(long va, long v) { seg.set(L, o(va), v); }
    @Override public byte getByteAcquire(long va) { return (byte) B8.getAcquire(seg, o(va)); }
    @Override public void putByteRelease(long va, byte v) { B8.setRelease(seg, o(va), v); }
    @Override public short getShortAcquire(long va) { return (short) A16.getAcquire(seg, o(va)); }
    @Override public void putShortRelease(long va, short v) { A16.setRelease(seg, o(va), v); }
    @Override public int getIntAcquire(long va) { return (int) A32.getAcquire(seg, o(va)); }
    @Override public void putIntRelease(long va, int v) { A32.setRelease(seg, o(va), v); }
    @Override public long getLongAcquire(long va) { return (long) A64.getAcquire(seg, o(va)); }
    @Override public void putLongRelease(long va, long v) { A64.setRelease(seg, o(va), v); }
    @Override public boolean compareAndSetInt(long va, int e, int u) { return A32.compareAndSet(seg, o(va), e, u); }
    @Override public boolean compareAndSetLong(long va, long e, long u) { return A64.compareAndSet(seg, o(va), e, u); }
    @Override public int compareAndExchangeInt(long va, int e, int u) { return (int) A32.compareAndExchange(seg, o(va), e, u); }
    @Override public long compareAndExchangeLong(long va, long e, long u) { return (long) A64.compareAndExchange(seg, o(va), e, u); }
    @Override public int getAndSetInt(long va, int v) { return (int) A32.getAndSet(seg, o(va), v); }
    @Override public long getAndSetLong(long va, long v) { return (long) A64.getAndSet(seg, o(va), v); }
    @Override public int getAndAddInt(long va, int d) { return (int) A32.getAndAdd(seg, o(va), d); }
    @Override public long getAndAddLong(long va, long d) { return (long) A64.getAndAdd(seg, o(va), d); }
    @Override public int getAndBitwiseOrInt(long va, int m) { return (int) A32.getAndBitwiseOr(seg, o(va), m); }
    @Override public long getAndBitwiseOrLong(long va, long m) { return (long) A64.getAndBitwiseOr(seg, o(va), m); }
    @Override public int getAndBitwiseAndInt(long va, int m) { return (int) A32.getAndBitwiseAnd(seg, o(va), m); }
    @Override public long getAndBitwiseAndLong(long va, long m) { return (long) A64.getAndBitwiseAnd(seg, o(va), m); }
    @Override public int getAndBitwiseXorInt(long va, int m) { return (int) A32.getAndBitwiseXor(seg, o(va), m); }
    @Override public long getAndBitwiseXorLong(long va, long m) { return (long) A64.getAndBitwiseXor(seg, o(va), m); }

    @Override
    public void copyToSegment(long va, MemorySegment dst, long dstOffset, long length) {
        MemorySegment.copy(seg, o(va), dst, dstOffset, length);
    }

    @Override
    public void copyFromSegment(MemorySegment src, long srcOffset, long va, long length) {
        MemorySegment.copy(src, srcOffset, seg, o(va), length);
    }

    @Override
    public void fill(long va, long length, byte value) {
        seg.asSlice(o(va), length).fill(value);
    }
}
