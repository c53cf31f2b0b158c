package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

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
 * atomic operations, and the pending and mask bytes with release stores or a compare-and-set
 * over the word that holds them; the methods below do so on a naturally aligned record.
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

    private SharedBuffer buffer;
    private long base;
    private final VcpuTimeInfo time = new VcpuTimeInfo();

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public VcpuInfo() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public VcpuInfo wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        time.wrap(buffer, offset + TIME_OFFSET);
        return this;
    }

    /** Zeroes the whole structure. */
    public VcpuInfo clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    public int evtchnUpcallPending() {
        return Layouts.u8(buffer.getByte(base + EVTCHN_UPCALL_PENDING_OFFSET));
    }

    public VcpuInfo evtchnUpcallPending(int v) {
        buffer.putByte(base + EVTCHN_UPCALL_PENDING_OFFSET, (byte) v);
        return this;
    }

    public int evtchnUpcallMask() {
        return Layouts.u8(buffer.getByte(base + EVTCHN_UPCALL_MASK_OFFSET));
    }

    public VcpuInfo evtchnUpcallMask(int v) {
        buffer.putByte(base + EVTCHN_UPCALL_MASK_OFFSET, (byte) v);
        return this;
    }

    public long evtchnPendingSel() {
        return buffer.getLong(base + EVTCHN_PENDING_SEL_OFFSET);
    }

    public VcpuInfo evtchnPendingSel(long v) {
        buffer.putLong(base + EVTCHN_PENDING_SEL_OFFSET, v);
        return this;
    }

    /** {@code arch.cr2}: the faulting address of the last page fault delivered. */
    public long cr2() {
        return buffer.getLong(base + ARCH_CR2_OFFSET);
    }

    public VcpuInfo cr2(long v) {
        buffer.putLong(base + ARCH_CR2_OFFSET, v);
        return this;
    }

    /** The embedded {@code time} record, already wrapped at this structure's offset 32. */
    public VcpuTimeInfo time() {
        return time;
    }

    // ---- The fields both sides change (record naturally aligned, as in shared_info).

    /** Acquire-reads {@code evtchn_upcall_pending}. */
    public int upcallPendingAcquire() {
        return Layouts.u8(buffer.getByteAcquire(base + EVTCHN_UPCALL_PENDING_OFFSET));
    }

    /** Release-writes {@code evtchn_upcall_pending}; the guest writes 0 before it scans. */
    public VcpuInfo upcallPendingRelease(int value) {
        buffer.putByteRelease(base + EVTCHN_UPCALL_PENDING_OFFSET, (byte) value);
        return this;
    }

    /**
     * Xen's {@code test_and_set(evtchn_upcall_pending)}: a 32-bit compare-and-set loop over the
     * first word of the record (pending, mask and padding), so a concurrent store to the mask
     * byte is never lost. Returns whether pending was already set.
     */
    public boolean testAndSetUpcallPending() {
        long word = base + EVTCHN_UPCALL_PENDING_OFFSET;
        int old = buffer.getIntAcquire(word);
        for (;;) {
            if ((old & 0xFF) != 0) {
                return true;
            }
            int witness = buffer.compareAndExchangeInt(word, old, old | 1);
            if (witness == old) {
                return false;
            }
            old = witness; // the mask byte (or pending) changed under us: look again
        }
    }

    /** Acquire-reads {@code evtchn_upcall_mask}. */
    public int upcallMaskAcquire() {
        return Layouts.u8(buffer.getByteAcquire(base + EVTCHN_UPCALL_MASK_OFFSET));
    }

    /** Release-writes {@code evtchn_upcall_mask} (1 = "cli", 0 = "sti"). */
    public VcpuInfo upcallMaskRelease(int value) {
        buffer.putByteRelease(base + EVTCHN_UPCALL_MASK_OFFSET, (byte) value);
        return this;
    }

    /**
     * Atomically sets bit {@code bit} (0..63) of {@code evtchn_pending_sel}; returns whether it
     * was already set.
     */
    public boolean testAndSetPendingSel(int bit) {
        long mask = 1L << bit;
        return (buffer.getAndBitwiseOrLong(base + EVTCHN_PENDING_SEL_OFFSET, mask) & mask) != 0;
    }

    /** Atomically takes the whole selector, leaving zero: the guest's {@code xchg(pending_sel, 0)}. */
    public long takePendingSel() {
        return buffer.getAndSetLong(base + EVTCHN_PENDING_SEL_OFFSET, 0L);
    }
}
