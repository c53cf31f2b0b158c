package org.parasol.hypercall.guest;

import java.util.ArrayList;
import java.util.List;
import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestCode;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.struct.Layouts;
import org.parasol.hypercall.testing.FlatGuestMemory;

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

    /** The flat memory of {@link FlatGuestMemory}, mapped at {@link #BASE}. */
    static final class Memory extends FlatGuestMemory {
        Memory() {
            super(BASE, SIZE);
        }
    }
}
