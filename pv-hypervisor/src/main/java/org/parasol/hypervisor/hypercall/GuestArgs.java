package org.parasol.hypervisor.hypercall;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import org.parasol.hypervisor.domain.Vcpu;

/**
 * copy_from_guest / copy_to_guest for handlers: arguments are copied through the caller's
 * MMU into the vCPU's private scratch (so each guest-writable field is read exactly once,
 * from a copy the guest cannot change), decoded there, and results copied back.
 */
final class GuestArgs {
    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private GuestArgs() {
    }

    /** Copies {@code len} bytes at guest {@code va} into scratch[off]; false = -EFAULT. */
    static boolean in(Vcpu v, long va, long off, long len) {
        if (va == 0) {
            return false;
        }
        return v.mmu().copyFromGuest(va, v.scratch(), off, len);
    }

    /** Copies scratch[off, off+len) to guest {@code va}; false = -EFAULT. */
    static boolean out(Vcpu v, long off, long va, long len) {
        if (va == 0) {
            return false;
        }
        return v.mmu().copyToGuest(v.scratch(), off, va, len);
    }

    static MemorySegment s(Vcpu v) {
        return v.scratch();
    }

    static int u16(Vcpu v, long off) {
        return v.scratch().get(U16, off) & 0xFFFF;
    }

    static int u32(Vcpu v, long off) {
        return v.scratch().get(U32, off);
    }

    static long u64(Vcpu v, long off) {
        return v.scratch().get(U64, off);
    }

    static void put16(Vcpu v, long off, int value) {
        v.scratch().set(U16, off, (short) value);
    }

    static void put32(Vcpu v, long off, int value) {
        v.scratch().set(U32, off, value);
    }

    static void put64(Vcpu v, long off, long value) {
        v.scratch().set(U64, off, value);
    }

    /** Zeroes scratch[off, off+len). */
    static void zero(Vcpu v, long off, long len) {
        v.scratch().asSlice(off, len).fill((byte) 0);
    }
}
