package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * Argument of {@code VCPUOP_register_runstate_memory_area} (5): mirrors {@code vcpu.h}:
 * {@code vcpu_register_runstate_memory_area} (8 bytes).
 *
 * <pre>
 *  0                    8
 *  +--------------------+
 *  | addr.v | addr.p    |
 *  +--------------------+
 * </pre>
 *
 * <p>Invariants: {@code addr} is the guest virtual address of a {@code vcpu_runstate_info}
 * that Xen refreshes whenever the vCPU is scheduled; 0 unregisters.
 */
public final class VcpuRegisterRunstateMemoryArea {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            MemoryLayout.unionLayout(
                    Layouts.U64.withName("h"),
                    Layouts.U64.withName("p")).withName("addr")).withName("vcpu_register_runstate_memory_area");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long ADDR_OFFSET = Layouts.offsetOf(LAYOUT, "addr");
    public static final long ADDR_P_OFFSET = Layouts.offsetOf(LAYOUT, "addr", "p");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public VcpuRegisterRunstateMemoryArea() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public VcpuRegisterRunstateMemoryArea wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public VcpuRegisterRunstateMemoryArea clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** The guest virtual address of the runstate area. */
    public long addr() {
        return buffer.getLong(base + ADDR_P_OFFSET);
    }

    public VcpuRegisterRunstateMemoryArea addr(long v) {
        buffer.putLong(base + ADDR_P_OFFSET, v);
        return this;
    }
}
