package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * Argument of {@code XENMEM_current_reservation}, {@code maximum_reservation} and
 * {@code maximum_gpfn}: mirrors {@code memory.h}: {@code xen_memory_domain} (2 bytes).
 *
 * <pre>
 *  0       2
 *  +-------+
 *  | domid |
 *  +-------+
 * </pre>
 *
 * <p>Invariants: asking about another domain needs privilege.
 */
public final class XenMemoryDomain {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U16.withName("domid")).withName("xen_memory_domain");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long DOMID_OFFSET = Layouts.offsetOf(LAYOUT, "domid");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public XenMemoryDomain() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public XenMemoryDomain wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public XenMemoryDomain clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** The domain asked about. */
    public int domid() {
        return Layouts.u16(buffer.getShort(base + DOMID_OFFSET));
    }

    public XenMemoryDomain domid(int v) {
        buffer.putShort(base + DOMID_OFFSET, (short) v);
        return this;
    }
}
