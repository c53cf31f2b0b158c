package org.parasol.hypervisor.domain;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

import org.parasol.hypercall.struct.SharedInfo;
import org.parasol.hypercall.struct.VcpuInfo;
import org.parasol.hypercall.struct.VcpuTimeInfo;

/**
 * The hypervisor's side of a domain's {@code shared_info} page (and the {@code vcpu_info}
 * slots in it): the atomic updates Xen makes there, in Xen's order.
 *
 * <p>The page lives in machine memory and the guest writes it concurrently, so every field
 * both sides touch is updated with atomics or release stores, and every guest-writable field
 * is read once into a local before it is acted on.
 */
public final class SharedInfoPage {
    /** {@code sizeof(vcpu_info)}. */
    public static final int VCPU_INFO_SIZE = (int) VcpuInfo.SIZE;
    /** {@code XEN_LEGACY_MAX_VCPUS}: vcpu_info slots in shared_info. */
    public static final int LEGACY_MAX_VCPUS = (int) (SharedInfo.EVTCHN_PENDING_OFFSET / VcpuInfo.SIZE);

    static final long UPCALL_PENDING = VcpuInfo.EVTCHN_UPCALL_PENDING_OFFSET;
    static final long UPCALL_MASK = VcpuInfo.EVTCHN_UPCALL_MASK_OFFSET;
    static final long PENDING_SEL = VcpuInfo.EVTCHN_PENDING_SEL_OFFSET;
    static final long ARCH_CR2 = VcpuInfo.ARCH_CR2_OFFSET;
    static final long TIME = VcpuInfo.TIME_OFFSET;
    static final long TIME_VERSION = TIME + VcpuTimeInfo.VERSION_OFFSET;
    static final long TIME_TSC_TIMESTAMP = TIME + VcpuTimeInfo.TSC_TIMESTAMP_OFFSET;
    static final long TIME_SYSTEM_TIME = TIME + VcpuTimeInfo.SYSTEM_TIME_OFFSET;
    static final long TIME_MUL = TIME + VcpuTimeInfo.TSC_TO_SYSTEM_MUL_OFFSET;
    static final long TIME_SHIFT = TIME + VcpuTimeInfo.TSC_SHIFT_OFFSET;
    static final long TIME_FLAGS = TIME + VcpuTimeInfo.FLAGS_OFFSET;

    static final long EVTCHN_PENDING = SharedInfo.EVTCHN_PENDING_OFFSET;
    static final long EVTCHN_MASK = SharedInfo.EVTCHN_MASK_OFFSET;
    static final long WC_VERSION = SharedInfo.WC_VERSION_OFFSET;
    static final long WC_SEC = SharedInfo.WC_SEC_OFFSET;
    static final long WC_NSEC = SharedInfo.WC_NSEC_OFFSET;
    static final long WC_SEC_HI = SharedInfo.WC_SEC_HI_OFFSET;
    static final long ARCH_MAX_PFN = SharedInfo.ARCH_MAX_PFN_OFFSET;

    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    private static final VarHandle BYTE = ValueLayout.JAVA_BYTE.varHandle();

    private final MemorySegment mem;
    private final long base;

    /** The shared_info page at machine address {@code base} of {@code machine}. */
    public SharedInfoPage(MemorySegment machine, long base) {
        this.mem = machine;
        this.base = base;
    }

    /** Machine address of the page. */
    public long base() {
        return base;
    }

    private long vcpu(int vcpuId) {
        return base + (long) vcpuId * VCPU_INFO_SIZE;
    }

    /** Reads {@code evtchn_upcall_pending} of a vCPU (acquire). */
    public boolean upcallPending(int vcpuId) {
        return (byte) BYTE.getAcquire(mem, vcpu(vcpuId) + UPCALL_PENDING) != 0;
    }

    /** Reads {@code evtchn_upcall_mask} of a vCPU (acquire). */
    public boolean upcallMasked(int vcpuId) {
        return (byte) BYTE.getAcquire(mem, vcpu(vcpuId) + UPCALL_MASK) != 0;
    }

    /** Writes {@code evtchn_upcall_mask} (release); returns the previous value. */
    public boolean setUpcallMask(int vcpuId, boolean masked) {
        long a = vcpu(vcpuId) + UPCALL_MASK;
        boolean old = (byte) BYTE.getAcquire(mem, a) != 0;
        BYTE.setRelease(mem, a, (byte) (masked ? 1 : 0));
        return old;
    }

    /**
     * Test-and-set of {@code evtchn_upcall_pending}: a 32-bit compare-and-set over the word
     * holding pending and mask, so a concurrent guest store to the mask is never lost.
     * Returns whether it was clear before (a new edge).
     */
    public boolean testAndSetUpcallPending(int vcpuId) {
        long a = vcpu(vcpuId) + UPCALL_PENDING;
        while (true) {
            int w = (int) INT.getVolatile(mem, a);
            if ((w & 0xFF) != 0) {
                return false;
            }
            if (INT.compareAndSet(mem, a, w, w | 1)) {
                return true;
            }
        }
    }

    /** Atomically sets bit {@code bit} of the vCPU's {@code evtchn_pending_sel}; returns its old value. */
    public boolean testAndSetPendingSel(int vcpuId, int bit) {
        long m = 1L << bit;
        long old = (long) LONG.getAndBitwiseOr(mem, vcpu(vcpuId) + PENDING_SEL, m);
        return (old & m) != 0;
    }

    /** Atomically sets a port's bit in {@code evtchn_pending}; returns its old value. */
    public boolean testAndSetPending(int port) {
        long m = 1L << (port & 63);
        long old = (long) LONG.getAndBitwiseOr(mem, base + EVTCHN_PENDING + 8L * (port >>> 6), m);
        return (old & m) != 0;
    }

    /** Atomically clears a port's bit in {@code evtchn_pending}. */
    public void clearPending(int port) {
        long m = 1L << (port & 63);
        LONG.getAndBitwiseAnd(mem, base + EVTCHN_PENDING + 8L * (port >>> 6), ~m);
    }

    /** Reads a port's pending bit. */
    public boolean pending(int port) {
        long w = (long) LONG.getAcquire(mem, base + EVTCHN_PENDING + 8L * (port >>> 6));
        return (w & (1L << (port & 63))) != 0;
    }

    /** Reads a port's mask bit. */
    public boolean masked(int port) {
        long w = (long) LONG.getAcquire(mem, base + EVTCHN_MASK + 8L * (port >>> 6));
        return (w & (1L << (port & 63))) != 0;
    }

    /** Atomically sets a port's mask bit. */
    public void setMask(int port) {
        LONG.getAndBitwiseOr(mem, base + EVTCHN_MASK + 8L * (port >>> 6), 1L << (port & 63));
    }

    /** Atomically clears a port's mask bit; returns whether it was set. */
    public boolean testAndClearMask(int port) {
        long m = 1L << (port & 63);
        long old = (long) LONG.getAndBitwiseAnd(mem, base + EVTCHN_MASK + 8L * (port >>> 6), ~m);
        return (old & m) != 0;
    }

    /** Writes {@code arch.cr2} of a vCPU: the faulting address of a page fault. */
    public void setCr2(int vcpuId, long va) {
        LONG.setRelease(mem, vcpu(vcpuId) + ARCH_CR2, va);
    }

    /**
     * Rewrites a vCPU's {@code vcpu_time_info} under its version seqlock: version odd, fields,
     * version even, with release ordering so a reader that sees an even, unchanged version
     * saw consistent fields.
     */
    public void writeTime(int vcpuId, long tscTimestamp, long systemTime, int mul, int shift) {
        long v = vcpu(vcpuId);
        int version = (int) INT.getAcquire(mem, v + TIME_VERSION);
        INT.setRelease(mem, v + TIME_VERSION, (version | 1) + ((version & 1) == 0 ? 0 : 2));
        VarHandle.storeStoreFence();
        LONG.set(mem, v + TIME_TSC_TIMESTAMP, tscTimestamp);
        LONG.set(mem, v + TIME_SYSTEM_TIME, systemTime);
        INT.set(mem, v + TIME_MUL, mul);
        BYTE.set(mem, v + TIME_SHIFT, (byte) shift);
        BYTE.set(mem, v + TIME_FLAGS, (byte) 1); // XEN_PVCLOCK_TSC_STABLE_BIT
        int odd = (int) INT.get(mem, v + TIME_VERSION);
        INT.setRelease(mem, v + TIME_VERSION, odd + 1);
    }

    /** Writes the wall clock (seconds and nanoseconds at system time 0) under {@code wc_version}. */
    public void writeWallClock(long epochNanosAtSystemTimeZero) {
        int version = (int) INT.getAcquire(mem, base + WC_VERSION);
        int odd = (version & 1) == 0 ? version + 1 : version + 2;
        INT.setRelease(mem, base + WC_VERSION, odd);
        VarHandle.storeStoreFence();
        long sec = Math.floorDiv(epochNanosAtSystemTimeZero, 1_000_000_000L);
        long nsec = Math.floorMod(epochNanosAtSystemTimeZero, 1_000_000_000L);
        INT.set(mem, base + WC_SEC, (int) sec);
        INT.set(mem, base + WC_NSEC, (int) nsec);
        INT.set(mem, base + WC_SEC_HI, (int) (sec >>> 32));
        INT.setRelease(mem, base + WC_VERSION, odd + 1);
    }

    /** Writes {@code arch.max_pfn}. */
    public void setMaxPfn(long maxPfn) {
        LONG.setRelease(mem, base + ARCH_MAX_PFN, maxPfn);
    }
}
