package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

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

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public VcpuRegisterVcpuInfo() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public VcpuRegisterVcpuInfo wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public VcpuRegisterVcpuInfo clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** The frame that will hold the vcpu_info. */
    public long mfn() {
        return buffer.getLong(base + MFN_OFFSET);
    }

    public VcpuRegisterVcpuInfo mfn(long v) {
        buffer.putLong(base + MFN_OFFSET, v);
        return this;
    }

    /** Byte offset in that frame. */
    public long offset() {
        return Layouts.u32(buffer.getInt(base + OFFSET_OFFSET));
    }

    public VcpuRegisterVcpuInfo offset(long v) {
        buffer.putInt(base + OFFSET_OFFSET, (int) v);
        return this;
    }

    /** Reserved, 0. */
    public long rsvd() {
        return Layouts.u32(buffer.getInt(base + RSVD_OFFSET));
    }

    public VcpuRegisterVcpuInfo rsvd(long v) {
        buffer.putInt(base + RSVD_OFFSET, (int) v);
        return this;
    }
}
