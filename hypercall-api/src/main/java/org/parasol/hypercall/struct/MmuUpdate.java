package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * One request of {@code HYPERVISOR_mmu_update}: mirrors {@code xen.h}: {@code mmu_update}
 * (16 bytes).
 *
 * <pre>
 *  0                                  8                                 16
 *  +----------------------------------+----------------------------------+
 *  | ptr: machine address | cmd (2 b) |               val                |
 *  +----------------------------------+----------------------------------+
 * </pre>
 *
 * <p>Invariants: the low two bits of {@code ptr} are the command ({@code MMU_NORMAL_PT_UPDATE}
 * 0, {@code MMU_MACHPHYS_UPDATE} 1, {@code MMU_PT_UPDATE_PRESERVE_AD} 2,
 * {@code MMU_PT_UPDATE_NO_TRANSLATE} 3); the rest is the 8-byte aligned machine address of
 * the PTE (or, for the M2P command, of any byte in the frame). {@code val} is the new PTE
 * (or PFN).
 */
public final class MmuUpdate {
    /** Mask of the command bits in {@code ptr}. */
    public static final long CMD_MASK = 3;

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U64.withName("ptr"),
            Layouts.U64.withName("val")).withName("mmu_update");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long PTR_OFFSET = Layouts.offsetOf(LAYOUT, "ptr");
    public static final long VAL_OFFSET = Layouts.offsetOf(LAYOUT, "val");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public MmuUpdate() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public MmuUpdate wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public MmuUpdate clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** The raw {@code ptr}: address with the command in its low two bits. */
    public long ptr() {
        return buffer.getLong(base + PTR_OFFSET);
    }

    public MmuUpdate ptr(long v) {
        buffer.putLong(base + PTR_OFFSET, v);
        return this;
    }

    /** Writes {@code ptr} as {@code address | cmd}. */
    public MmuUpdate ptr(long address, int cmd) {
        return ptr((address & ~CMD_MASK) | (cmd & CMD_MASK));
    }

    /** The command: {@code ptr & 3}. */
    public int cmd() {
        return (int) (ptr() & CMD_MASK);
    }

    /** The machine address: {@code ptr & ~3}. */
    public long address() {
        return ptr() & ~CMD_MASK;
    }

    public long val() {
        return buffer.getLong(base + VAL_OFFSET);
    }

    public MmuUpdate val(long v) {
        buffer.putLong(base + VAL_OFFSET, v);
        return this;
    }
}
