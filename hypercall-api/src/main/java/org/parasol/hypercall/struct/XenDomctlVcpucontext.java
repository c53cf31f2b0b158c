package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * {@code XEN_DOMCTL_setvcpucontext}'s and {@code getvcpucontext}'s member of
 * {@code xen_domctl.u}: mirrors {@code domctl.h}: {@code xen_domctl_vcpucontext} (16 bytes).
 *
 * <pre>
 *  0       4       8                  16
 *  +-------+-------+------------------+
 *  | vcpu  |  pad  |       ctxt       |
 *  +-------+-------+------------------+
 *    IN              guest pointer to a vcpu_guest_context (5168 bytes)
 * </pre>
 *
 * <p>Invariant: {@code vcpu} is below the domain's {@code max_vcpus} and was allocated by
 * {@code XEN_DOMCTL_max_vcpus}.
 */
public final class XenDomctlVcpucontext {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U32.withName("vcpu"),
            MemoryLayout.paddingLayout(4),
            Layouts.U64.withName("ctxt")).withName("xen_domctl_vcpucontext");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long VCPU_OFFSET = Layouts.offsetOf(LAYOUT, "vcpu");
    public static final long CTXT_OFFSET = Layouts.offsetOf(LAYOUT, "ctxt");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public XenDomctlVcpucontext() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public XenDomctlVcpucontext wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public XenDomctlVcpucontext clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** The vCPU. */
    public long vcpu() {
        return Layouts.u32(buffer.getInt(base + VCPU_OFFSET));
    }

    public XenDomctlVcpucontext vcpu(long v) {
        buffer.putInt(base + VCPU_OFFSET, (int) v);
        return this;
    }

    /** Guest address of the {@code vcpu_guest_context}. */
    public long ctxt() {
        return buffer.getLong(base + CTXT_OFFSET);
    }

    public XenDomctlVcpucontext ctxt(long v) {
        buffer.putLong(base + CTXT_OFFSET, v);
        return this;
    }
}
