package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * Per-vCPU event and time state: mirrors {@code xen.h}: {@code vcpu_info} (64 bytes), 32 of
 * them at the start of {@code shared_info} or one relocated by {@code VCPUOP_register_vcpu_info}.
 *
 * <pre>
 *  0       1      2        8                   16          24         32            64
 *  +-------+------+--------+-------------------+-----------+----------+-------------+
 *  |pending| mask |  pad   | evtchn_pending_sel| arch.cr2  | arch.pad | time (32 B) |
 *  +-------+------+--------+-------------------+-----------+----------+-------------+
 * </pre>
 *
 * <p>Invariants: {@code evtchn_upcall_pending} is set by the hypervisor and cleared by the
 * guest before it scans; {@code evtchn_upcall_mask} non-zero means upcalls are disabled;
 * bit {@code i} of {@code evtchn_pending_sel} says word {@code i} of
 * {@code shared_info.evtchn_pending} may have work. Both sides change the selector only with
 * atomic operations; the static helpers here do so on a naturally aligned record.
 */
public final class VcpuInfo {
    /** Layout of {@code arch_vcpu_info}: the PV page-fault address and a pad word. */
    public static final StructLayout ARCH_LAYOUT = MemoryLayout.structLayout(
            Layouts.U64.withName("cr2"),
            Layouts.U64.withName("pad")).withName("arch");

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U8.withName("evtchn_upcall_pending"),
            Layouts.U8.withName("evtchn_upcall_mask"),
            MemoryLayout.paddingLayout(6),
            Layouts.U64.withName("evtchn_pending_sel"),
            ARCH_LAYOUT,
            VcpuTimeInfo.LAYOUT.withName("time")).withName("vcpu_info");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long EVTCHN_UPCALL_PENDING_OFFSET = Layouts.offsetOf(LAYOUT, "evtchn_upcall_pending");
    public static final long EVTCHN_UPCALL_MASK_OFFSET = Layouts.offsetOf(LAYOUT, "evtchn_upcall_mask");
    public static final long EVTCHN_PENDING_SEL_OFFSET = Layouts.offsetOf(LAYOUT, "evtchn_pending_sel");
    public static final long ARCH_CR2_OFFSET = Layouts.offsetOf(LAYOUT, "arch", "cr2");
    public static final long ARCH_PAD_OFFSET = Layouts.offsetOf(LAYOUT, "arch", "pad");
    public static final long TIME_OFFSET = Layouts.offsetOf(LAYOUT, "time");

    private MemorySegment segment;
    private long base;
    private final VcpuTimeInfo time = new VcpuTimeInfo();

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public VcpuInfo() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code segment}; returns this. */
    public VcpuInfo wrap(MemorySegment segment, long offset) {
        this.base = Layouts.checkWrap(segment, offset, SIZE);
        this.segment = segment;
        time.wrap(segment, offset + TIME_OFFSET);
        return this;
    }

    /** Zeroes the whole structure. */
    public VcpuInfo clear() {
        Layouts.zero(segment, base, SIZE);
        return this;
    }

    public int evtchnUpcallPending() {
        return Layouts.u8(segment.get(Layouts.U8, base + EVTCHN_UPCALL_PENDING_OFFSET));
    }

    public VcpuInfo evtchnUpcallPending(int v) {
        segment.set(Layouts.U8, base + EVTCHN_UPCALL_PENDING_OFFSET, (byte) v);
        return this;
    }

    public int evtchnUpcallMask() {
        return Layouts.u8(segment.get(Layouts.U8, base + EVTCHN_UPCALL_MASK_OFFSET));
    }

    public VcpuInfo evtchnUpcallMask(int v) {
        segment.set(Layouts.U8, base + EVTCHN_UPCALL_MASK_OFFSET, (byte) v);
        return this;
    }

    public long evtchnPendingSel() {
        return segment.get(Layouts.U64, base + EVTCHN_PENDING_SEL_OFFSET);
    }

    public VcpuInfo evtchnPendingSel(long v) {
        segment.set(Layouts.U64, base + EVTCHN_PENDING_SEL_OFFSET, v);
        return this;
    }

    /** {@code arch.cr2}: the faulting address of the last page fault delivered. */
    public long cr2() {
        return segment.get(Layouts.U64, base + ARCH_CR2_OFFSET);
    }

    public VcpuInfo cr2(long v) {
        segment.set(Layouts.U64, base + ARCH_CR2_OFFSET, v);
        return this;
    }

    /** The embedded {@code time} record, already wrapped at this structure's offset 32. */
    public VcpuTimeInfo time() {
        return time;
    }

    /** Acquire-reads {@code evtchn_upcall_pending} of the record at {@code offset}. */
    public static int upcallPendingAcquire(MemorySegment segment, long offset) {
        return Layouts.u8((byte) Layouts.ATOMIC_U8.getAcquire(segment, offset + EVTCHN_UPCALL_PENDING_OFFSET));
    }

    /** Release-writes {@code evtchn_upcall_pending}; the guest writes 0 before scanning. */
    public static void upcallPendingRelease(MemorySegment segment, long offset, int value) {
        Layouts.ATOMIC_U8.setRelease(segment, offset + EVTCHN_UPCALL_PENDING_OFFSET, (byte) value);
    }

    /**
     * Xen's {@code test_and_set(evtchn_upcall_pending)}: a 32-bit compare-and-set loop over
     * the first word of the record (pending, mask and padding), so the mask byte is left as
     * it was. The record must be 4-byte aligned. Returns whether pending was already set.
     */
    public static boolean testAndSetUpcallPending(MemorySegment segment, long offset) {
        long word = offset + EVTCHN_UPCALL_PENDING_OFFSET;
        while (true) {
            int old = (int) Layouts.ATOMIC_U32.getVolatile(segment, word);
            if ((old & 0xFF) != 0) {
                return true;
            }
            if (Layouts.ATOMIC_U32.compareAndSet(segment, word, old, old | 1)) {
                return false;
            }
        }
    }

    /** Acquire-reads {@code evtchn_upcall_mask} of the record at {@code offset}. */
    public static int upcallMaskAcquire(MemorySegment segment, long offset) {
        return Layouts.u8((byte) Layouts.ATOMIC_U8.getAcquire(segment, offset + EVTCHN_UPCALL_MASK_OFFSET));
    }

    /** Release-writes {@code evtchn_upcall_mask} (1 = "cli", 0 = "sti"). */
    public static void upcallMaskRelease(MemorySegment segment, long offset, int value) {
        Layouts.ATOMIC_U8.setRelease(segment, offset + EVTCHN_UPCALL_MASK_OFFSET, (byte) value);
    }

    /**
     * Atomically sets bit {@code bit} (0..63) of {@code evtchn_pending_sel} of the 8-byte
     * aligned record at {@code offset}; returns whether it was already set.
     */
    public static boolean testAndSetPendingSel(MemorySegment segment, long offset, int bit) {
        long mask = 1L << bit;
        long old = (long) Layouts.ATOMIC_U64.getAndBitwiseOr(segment, offset + EVTCHN_PENDING_SEL_OFFSET, mask);
        return (old & mask) != 0;
    }

    /** Atomically takes the whole selector, leaving zero ({@code xchg(pending_sel, 0)}). */
    public static long takePendingSel(MemorySegment segment, long offset) {
        return (long) Layouts.ATOMIC_U64.getAndSet(segment, offset + EVTCHN_PENDING_SEL_OFFSET, 0L);
    }
}
