package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * Result of {@code XENVER_platform_parameters} (5): mirrors {@code version.h}:
 * {@code xen_platform_parameters} (8 bytes).
 *
 * <pre>
 *  0                    8
 *  +--------------------+
 *  |     virt_start     |
 *  +--------------------+
 * </pre>
 *
 * <p>Invariants: {@code virt_start} is the lowest virtual address the hypervisor reserves for
 * itself.
 */
public final class XenPlatformParameters {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U64.withName("virt_start")).withName("xen_platform_parameters");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long VIRT_START_OFFSET = Layouts.offsetOf(LAYOUT, "virt_start");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public XenPlatformParameters() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public XenPlatformParameters wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public XenPlatformParameters clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** Start of the hypervisor's virtual address range. */
    public long virtStart() {
        return buffer.getLong(base + VIRT_START_OFFSET);
    }

    public XenPlatformParameters virtStart(long v) {
        buffer.putLong(base + VIRT_START_OFFSET, v);
        return this;
    }
}
