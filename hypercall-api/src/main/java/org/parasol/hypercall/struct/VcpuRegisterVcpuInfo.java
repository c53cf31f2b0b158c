package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * Argument of {@code VCPUOP_register_vcpu_info} (10): mirrors {@code vcpu.h}:
 * {@code vcpu_register_vcpu_info} (16 bytes).
 *
 * <pre>
 *  0                    8        12       16
 *  +--------------------+--------+--------+
 *  |        mfn         | offset |  rsvd  |
 *  +--------------------+--------+--------+
 * </pre>
 *
 * <p>Invariants: the 64-byte {@code vcpu_info} at {@code offset} in frame {@code mfn} must not
 * cross the page; {@code rsvd} is 0; once per vCPU.
 */
public final class VcpuRegisterVcpuInfo {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U64.withName("mfn"),
            Layouts.U32.withName("offset"),
            Layouts.U32.withName("rsvd")).withName("vcpu_register_vcpu_info");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long MFN_OFFSET = Layouts.offsetOf(LAYOUT, "mfn");
    public static final long OFFSET_OFFSET = Layouts.offsetOf(LAYOUT, "offset");
    public static final long RSVD_OFFSET = Layouts.offsetOf(LAYOUT, "rsvd");

    private MemorySegment segment;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public VcpuRegisterVcpuInfo() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code segment}; returns this. */
    public VcpuRegisterVcpuInfo wrap(MemorySegment segment, long offset) {
        this.base = Layouts.checkWrap(segment, offset, SIZE);
        this.segment = segment;
        return this;
    }

    /** Zeroes the whole structure. */
    public VcpuRegisterVcpuInfo clear() {
        Layouts.zero(segment, base, SIZE);
        return this;
    }

    /** The frame that will hold the vcpu_info. */
    public long mfn() {
        return segment.get(Layouts.U64, base + MFN_OFFSET);
    }

    public VcpuRegisterVcpuInfo mfn(long v) {
        segment.set(Layouts.U64, base + MFN_OFFSET, v);
        return this;
    }

    /** Byte offset in that frame. */
    public long offset() {
        return Layouts.u32(segment.get(Layouts.U32, base + OFFSET_OFFSET));
    }

    public VcpuRegisterVcpuInfo offset(long v) {
        segment.set(Layouts.U32, base + OFFSET_OFFSET, (int) v);
        return this;
    }

    /** Reserved, 0. */
    public long rsvd() {
        return Layouts.u32(segment.get(Layouts.U32, base + RSVD_OFFSET));
    }

    public VcpuRegisterVcpuInfo rsvd(long v) {
        segment.set(Layouts.U32, base + RSVD_OFFSET, (int) v);
        return this;
    }
}
