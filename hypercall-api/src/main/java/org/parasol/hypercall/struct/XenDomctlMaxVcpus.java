package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * {@code XEN_DOMCTL_max_vcpus}'s member of {@code xen_domctl.u}: mirrors {@code domctl.h}:
 * {@code xen_domctl_max_vcpus} (4 bytes).
 *
 * <pre>
 *  0       4
 *  +-------+
 *  |  max  |  IN
 *  +-------+
 * </pre>
 *
 * <p>Invariant: {@code max} equals the {@code max_vcpus} the domain was created with; the
 * call allocates that many vCPUs, each down until its context is set.
 */
public final class XenDomctlMaxVcpus {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U32.withName("max")).withName("xen_domctl_max_vcpus");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long MAX_OFFSET = Layouts.offsetOf(LAYOUT, "max");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public XenDomctlMaxVcpus() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public XenDomctlMaxVcpus wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public XenDomctlMaxVcpus clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** The number of vCPUs. */
    public long max() {
        return Layouts.u32(buffer.getInt(base + MAX_OFFSET));
    }

    public XenDomctlMaxVcpus max(long v) {
        buffer.putInt(base + MAX_OFFSET, (int) v);
        return this;
    }
}
