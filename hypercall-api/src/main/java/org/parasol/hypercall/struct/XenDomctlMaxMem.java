package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * {@code XEN_DOMCTL_max_mem}'s member of {@code xen_domctl.u}: mirrors {@code domctl.h}:
 * {@code xen_domctl_max_mem} (8 bytes).
 *
 * <pre>
 *  0              8
 *  +--------------+
 *  |  max_memkb   |  IN
 *  +--------------+
 * </pre>
 *
 * <p>Invariant: the domain's {@code max_pages} becomes {@code max_memkb >> 2}; lowering it
 * below {@code tot_pages} takes nothing away, it only stops further allocation.
 */
public final class XenDomctlMaxMem {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U64.withName("max_memkb")).withName("xen_domctl_max_mem");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long MAX_MEMKB_OFFSET = Layouts.offsetOf(LAYOUT, "max_memkb");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public XenDomctlMaxMem() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public XenDomctlMaxMem wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public XenDomctlMaxMem clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** The most memory the domain may own, in KiB (unsigned). */
    public long maxMemkb() {
        return buffer.getLong(base + MAX_MEMKB_OFFSET);
    }

    public XenDomctlMaxMem maxMemkb(long v) {
        buffer.putLong(base + MAX_MEMKB_OFFSET, v);
        return this;
    }
}
