package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * Result of {@code XENMEM_machphys_mapping} (12): mirrors {@code memory.h}:
 * {@code xen_machphys_mapping} (24 bytes).
 *
 * <pre>
 *  0                  8                  16                 24
 *  +------------------+------------------+------------------+
 *  |     v_start      |      v_end       |     max_mfn      |
 *  +------------------+------------------+------------------+
 * </pre>
 *
 * <p>Invariants: the M2P table is mapped read-only at {@code [v_start, v_end)} and covers MFNs
 * up to {@code max_mfn}.
 */
public final class XenMachphysMapping {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U64.withName("v_start"),
            Layouts.U64.withName("v_end"),
            Layouts.U64.withName("max_mfn")).withName("xen_machphys_mapping");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long V_START_OFFSET = Layouts.offsetOf(LAYOUT, "v_start");
    public static final long V_END_OFFSET = Layouts.offsetOf(LAYOUT, "v_end");
    public static final long MAX_MFN_OFFSET = Layouts.offsetOf(LAYOUT, "max_mfn");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public XenMachphysMapping() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public XenMachphysMapping wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public XenMachphysMapping clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** Start of the M2P mapping. */
    public long vStart() {
        return buffer.getLong(base + V_START_OFFSET);
    }

    public XenMachphysMapping vStart(long v) {
        buffer.putLong(base + V_START_OFFSET, v);
        return this;
    }

    /** End of the M2P mapping. */
    public long vEnd() {
        return buffer.getLong(base + V_END_OFFSET);
    }

    public XenMachphysMapping vEnd(long v) {
        buffer.putLong(base + V_END_OFFSET, v);
        return this;
    }

    /** Highest MFN covered. */
    public long maxMfn() {
        return buffer.getLong(base + MAX_MFN_OFFSET);
    }

    public XenMachphysMapping maxMfn(long v) {
        buffer.putLong(base + MAX_MFN_OFFSET, v);
        return this;
    }
}
