package org.parasol.hypercall.guest;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestCode;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.struct.Layouts;

/**
 * A tiny stand-in for one vCPU: flat guest memory mapped at {@link #BASE} and a hypercall
 * entry that records each call's registers and lets the test play the hypervisor.
 */
final class FakeGuest implements Cpu {
    /** Guest virtual address of the first byte of the flat memory. */
    static final long BASE = 0x40_0000L;
    /** Bytes of flat memory. */
    static final int SIZE = 64 * 1024;
    /** The argument page the tests hand to the wrappers. */
    static final long ARGUMENT_PAGE_VA = BASE + 0x1000;

    /** One recorded hypercall with the memory as the hypervisor saw it (a copy). */
    record Call(int nr, long a1, long a2, long a3, long a4, long a5, byte[] memoryAtCall) {
        /** {@code length} bytes of guest memory at {@code va} when the call was made. */
        byte[] bytesAt(long va, int length) {
            byte[] out = new byte[length];
            System.arraycopy(memoryAtCall, (int) (va - BASE), out, 0, length);
            return out;
        }
    }

    /** The test's hypervisor: answers a call, possibly writing OUT fields into memory. */
    @FunctionalInterface
    interface Hypervisor {
        long answer(Call call, Memory memory);
    }

    final Memory memory = new Memory();
    final List<Call> calls = new ArrayList<>();
    Hypervisor hypervisor = (call, mem) -> 0;

    @Override
    public long hypercall(int nr, long a1, long a2, long a3, long a4, long a5) {
        Call call = new Call(nr, a1, a2, a3, a4, a5, memory.segment.toArray(Layouts.U8));
        calls.add(call);
        return hypervisor.answer(call, memory);
    }

    Call onlyCall() {
        if (calls.size() != 1) {
            throw new AssertionError("expected one hypercall, got " + calls.size());
        }
        return calls.get(0);
    }

    @Override
    public int vcpuId() {
        return 0;
    }

    @Override
    public GuestMemory memory() {
        return memory;
    }

    private final java.util.List<GuestCode> code = new java.util.ArrayList<>();

    /** Gives each object a stable synthetic address, as a domain's code table does. */
    @Override
    public long registerCode(GuestCode c) {
        int i = code.indexOf(c);
        if (i < 0) {
            code.add(c);
            i = code.size() - 1;
        }
        return 0xFFFF_FFFF_C000_0000L + 16L * (i + 1);
    }

    @Override
    public long rdtsc() {
        return 0;
    }

    /** Flat little-endian memory; an address outside it throws. */
    static final class Memory implements GuestMemory {
        final MemorySegment segment = MemorySegment.ofArray(new long[SIZE / Long.BYTES]);

        long offset(long va, long length) {
            long off = va - BASE;
            if (off < 0 || length < 0 || off + length > SIZE) {
                throw new IndexOutOfBoundsException("guest address outside fake memory: 0x" + Long.toHexString(va));
            }
            return off;
        }

        byte[] bytes(long va, int length) {
            return segment.asSlice(offset(va, length), length).toArray(Layouts.U8);
        }

        void putBytes(long va, byte[] bytes) {
            MemorySegment.copy(MemorySegment.ofArray(bytes), 0, segment, offset(va, bytes.length), bytes.length);
        }

        @Override
        public byte getByte(long va) {
            return segment.get(Layouts.U8, offset(va, 1));
        }

        @Override
        public void putByte(long va, byte value) {
            segment.set(Layouts.U8, offset(va, 1), value);
        }

        @Override
        public short getShort(long va) {
            return segment.get(Layouts.U16, offset(va, 2));
        }

        @Override
        public void putShort(long va, short value) {
            segment.set(Layouts.U16, offset(va, 2), value);
        }

        @Override
        public int getInt(long va) {
            return segment.get(Layouts.U32, offset(va, 4));
        }

        @Override
        public void putInt(long va, int value) {
            segment.set(Layouts.U32, offset(va, 4), value);
        }

        @Override
        public long getLong(long va) {
            return segment.get(Layouts.U64, offset(va, 8));
        }

        @Override
        public void putLong(long va, long value) {
            segment.set(Layouts.U64, offset(va, 8), value);
        }

        @Override
        public byte getByteAcquire(long va) {
            return (byte) Layouts.ATOMIC_U8.getAcquire(segment, offset(va, 1));
        }

        @Override
        public void putByteRelease(long va, byte value) {
            Layouts.ATOMIC_U8.setRelease(segment, offset(va, 1), value);
        }

        @Override
        public short getShortAcquire(long va) {
            return (short) Layouts.ATOMIC_U16.getAcquire(segment, offset(va, 2));
        }

        @Override
        public void putShortRelease(long va, short value) {
            Layouts.ATOMIC_U16.setRelease(segment, offset(va, 2), value);
        }

        @Override
        public int getIntAcquire(long va) {
            return (int) Layouts.ATOMIC_U32.getAcquire(segment, offset(va, 4));
        }

        @Override
        public void putIntRelease(long va, int value) {
            Layouts.ATOMIC_U32.setRelease(segment, offset(va, 4), value);
        }

        @Override
        public long getLongAcquire(long va) {
            return (long) Layouts.ATOMIC_U64.getAcquire(segment, offset(va, 8));
        }

        @Override
        public void putLongRelease(long va, long value) {
            Layouts.ATOMIC_U64.setRelease(segment, offset(va, 8), value);
        }

        @Override
        public boolean compareAndSetInt(long va, int expected, int update) {
            return Layouts.ATOMIC_U32.compareAndSet(segment, offset(va, 4), expected, update);
        }

        @Override
        public boolean compareAndSetLong(long va, long expected, long update) {
            return Layouts.ATOMIC_U64.compareAndSet(segment, offset(va, 8), expected, update);
        }

        @Override
        public int compareAndExchangeInt(long va, int expected, int update) {
            return (int) Layouts.ATOMIC_U32.compareAndExchange(segment, offset(va, 4), expected, update);
        }

        @Override
        public long compareAndExchangeLong(long va, long expected, long update) {
            return (long) Layouts.ATOMIC_U64.compareAndExchange(segment, offset(va, 8), expected, update);
        }

        @Override
        public int getAndSetInt(long va, int value) {
            return (int) Layouts.ATOMIC_U32.getAndSet(segment, offset(va, 4), value);
        }

        @Override
        public long getAndSetLong(long va, long value) {
            return (long) Layouts.ATOMIC_U64.getAndSet(segment, offset(va, 8), value);
        }

        @Override
        public int getAndAddInt(long va, int delta) {
            return (int) Layouts.ATOMIC_U32.getAndAdd(segment, offset(va, 4), delta);
        }

        @Override
        public long getAndAddLong(long va, long delta) {
            return (long) Layouts.ATOMIC_U64.getAndAdd(segment, offset(va, 8), delta);
        }

        @Override
        public int getAndBitwiseOrInt(long va, int mask) {
            return (int) Layouts.ATOMIC_U32.getAndBitwiseOr(segment, offset(va, 4), mask);
        }

        @Override
        public long getAndBitwiseOrLong(long va, long mask) {
            return (long) Layouts.ATOMIC_U64.getAndBitwiseOr(segment, offset(va, 8), mask);
        }

        @Override
        public int getAndBitwiseAndInt(long va, int mask) {
            return (int) Layouts.ATOMIC_U32.getAndBitwiseAnd(segment, offset(va, 4), mask);
        }

        @Override
        public long getAndBitwiseAndLong(long va, long mask) {
            return (long) Layouts.ATOMIC_U64.getAndBitwiseAnd(segment, offset(va, 8), mask);
        }

        @Override
        public int getAndBitwiseXorInt(long va, int mask) {
            return (int) Layouts.ATOMIC_U32.getAndBitwiseXor(segment, offset(va, 4), mask);
        }

        @Override
        public long getAndBitwiseXorLong(long va, long mask) {
            return (long) Layouts.ATOMIC_U64.getAndBitwiseXor(segment, offset(va, 8), mask);
        }

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
}
