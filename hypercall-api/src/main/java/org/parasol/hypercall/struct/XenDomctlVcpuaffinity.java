package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * {@code XEN_DOMCTL_setvcpuaffinity}'s and {@code XEN_DOMCTL_getvcpuaffinity}'s member of
 * {@code xen_domctl.u}: mirrors {@code domctl.h}: {@code xen_domctl_vcpuaffinity} (40 bytes),
 * with its two {@code xenctl_bitmap}s ({@code xen.h}).
 *
 * <pre>
 *  0       4       8                  16        20     24                 32        36     40
 *  +-------+-------+------------------+---------+------+------------------+---------+------+
 *  | vcpu  | flags | cpumap_hard.     | .nr_bits| pad  | cpumap_soft.     | .nr_bits| pad  |
 *  |       |       |   bitmap (VA)    |         |      |   bitmap (VA)    |         |      |
 *  +-------+-------+------------------+---------+------+------------------+---------+------+
 *    IN      IN      the bitmaps' bytes are IN for set and OUT for both (the affinity in effect)
 * </pre>
 *
 * <p>A bitmap is {@code nr_bits} bits in {@code (nr_bits + 7) / 8} bytes at a guest address:
 * bit {@code i % 8} of byte {@code i / 8} is pCPU {@code i}. Invariants: {@code flags} names
 * {@code XEN_VCPUAFFINITY_HARD}, {@code _SOFT} or both, and each bitmap it names has a non-null
 * address.
 */
public final class XenDomctlVcpuaffinity {
    /** Layout of {@code xenctl_bitmap}: a guest handle and a bit count, 16 bytes. */
    public static final StructLayout BITMAP = MemoryLayout.structLayout(
            Layouts.U64.withName("bitmap"),
            Layouts.U32.withName("nr_bits"),
            MemoryLayout.paddingLayout(4)).withName("xenctl_bitmap");

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U32.withName("vcpu"),
            Layouts.U32.withName("flags"),
            BITMAP.withName("cpumap_hard"),
            BITMAP.withName("cpumap_soft")).withName("xen_domctl_vcpuaffinity");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long VCPU_OFFSET = Layouts.offsetOf(LAYOUT, "vcpu");
    public static final long FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "flags");
    public static final long HARD_BITMAP_OFFSET = Layouts.offsetOf(LAYOUT, "cpumap_hard", "bitmap");
    public static final long HARD_NR_BITS_OFFSET = Layouts.offsetOf(LAYOUT, "cpumap_hard", "nr_bits");
    public static final long SOFT_BITMAP_OFFSET = Layouts.offsetOf(LAYOUT, "cpumap_soft", "bitmap");
    public static final long SOFT_NR_BITS_OFFSET = Layouts.offsetOf(LAYOUT, "cpumap_soft", "nr_bits");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public XenDomctlVcpuaffinity() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public XenDomctlVcpuaffinity wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public XenDomctlVcpuaffinity clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** The vCPU. */
    public long vcpu() {
        return Layouts.u32(buffer.getInt(base + VCPU_OFFSET));
    }

    public XenDomctlVcpuaffinity vcpu(long v) {
        buffer.putInt(base + VCPU_OFFSET, (int) v);
        return this;
    }

    /** {@code XEN_VCPUAFFINITY_*}. */
    public long flags() {
        return Layouts.u32(buffer.getInt(base + FLAGS_OFFSET));
    }

    public XenDomctlVcpuaffinity flags(long v) {
        buffer.putInt(base + FLAGS_OFFSET, (int) v);
        return this;
    }

    /** {@code cpumap_hard.bitmap}: the guest address of the hard affinity's bytes. */
    public long hardBitmap() {
        return buffer.getLong(base + HARD_BITMAP_OFFSET);
    }

    public XenDomctlVcpuaffinity hardBitmap(long va) {
        buffer.putLong(base + HARD_BITMAP_OFFSET, va);
        return this;
    }

    /** {@code cpumap_hard.nr_bits}. */
    public long hardNrBits() {
        return Layouts.u32(buffer.getInt(base + HARD_NR_BITS_OFFSET));
    }

    public XenDomctlVcpuaffinity hardNrBits(long v) {
        buffer.putInt(base + HARD_NR_BITS_OFFSET, (int) v);
        return this;
    }

    /** {@code cpumap_soft.bitmap}: the guest address of the soft affinity's bytes. */
    public long softBitmap() {
        return buffer.getLong(base + SOFT_BITMAP_OFFSET);
    }

    public XenDomctlVcpuaffinity softBitmap(long va) {
        buffer.putLong(base + SOFT_BITMAP_OFFSET, va);
        return this;
    }

    /** {@code cpumap_soft.nr_bits}. */
    public long softNrBits() {
        return Layouts.u32(buffer.getInt(base + SOFT_NR_BITS_OFFSET));
    }

    public XenDomctlVcpuaffinity softNrBits(long v) {
        buffer.putInt(base + SOFT_NR_BITS_OFFSET, (int) v);
        return this;
    }
}
