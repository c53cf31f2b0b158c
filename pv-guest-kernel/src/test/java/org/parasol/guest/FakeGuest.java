package org.parasol.guest;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongUnaryOperator;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestCode;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.testing.FlatGuestMemory;

/**
 * A stand-in vCPU for testing guest libraries without a hypervisor: 64 KiB of memory at
 * guest address {@link #BASE}, and a hypercall entry that records each call and answers
 * through a function the test sets.
 */
public final class FakeGuest extends FlatGuestMemory implements Cpu {
    public static final long BASE = 0x10_0000L;
    public static final int SIZE = 64 * 1024;

    /** Every hypercall made: {nr, a1, a2, a3}. */
    public final List<long[]> calls = new ArrayList<>();
    /** Whether {@link #calls} records them (off for tests that count allocations). */
    public boolean recordCalls = true;
    /** Answers a hypercall given {@code nr << 32 | a1} (the sub-op); the default answers 0. */
    public LongUnaryOperator answer = x -> 0;

    public FakeGuest() {
        super(BASE, SIZE);
    }

    @Override
    public long hypercall(int nr, long a1, long a2, long a3, long a4, long a5) {
        if (recordCalls) {
            calls.add(new long[] {nr, a1, a2, a3});
        }
        return answer.applyAsLong(((long) nr << 32) | (a1 & 0xFFFF_FFFFL));
    }

    @Override
    public int vcpuId() {
        return 0;
    }

    @Override
    public GuestMemory memory() {
        return this;
    }

    @Override
    public long registerCode(GuestCode code) {
        return 1;
    }

    @Override
    public long rdtsc() {
        return System.nanoTime();
    }
}
