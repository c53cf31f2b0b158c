package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * Argument of {@code XENMEM_add_to_physmap} (7): mirrors {@code memory.h}:
 * {@code xen_add_to_physmap} (24 bytes).
 *
 * <pre>
 *  0       2       4        8                  16                 24
 *  +-------+-------+--------+------------------+------------------+
 *  | domid | size  | space  |       idx        |       gpfn       |
 *  +-------+-------+--------+------------------+------------------+
 * </pre>
 *
 * <p>Invariants: {@code space} is a {@code XENMAPSPACE_*} number; {@code size} counts frames
 * only for {@code gmfn_range}.
 */
public final class XenAddToPhysmap {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U16.withName("domid"),
            Layouts.U16.withName("size"),
            Layouts.U32.withName("space"),
            Layouts.U64.withName("idx"),
            Layouts.U64.withName("gpfn")).withName("xen_add_to_physmap");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long DOMID_OFFSET = Layouts.offsetOf(LAYOUT, "domid");
    public static final long SIZE_OFFSET = Layouts.offsetOf(LAYOUT, "size");
    public static final long SPACE_OFFSET = Layouts.offsetOf(LAYOUT, "space");
    public static final long IDX_OFFSET = Layouts.offsetOf(LAYOUT, "idx");
    public static final long GPFN_OFFSET = Layouts.offsetOf(LAYOUT, "gpfn");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public XenAddToPhysmap() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public XenAddToPhysmap wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public XenAddToPhysmap clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** The target domain. */
    public int domid() {
        return Layouts.u16(buffer.getShort(base + DOMID_OFFSET));
    }

    public XenAddToPhysmap domid(int v) {
        buffer.putShort(base + DOMID_OFFSET, (short) v);
        return this;
    }

    /** Frames, for gmfn_range. */
    public int size() {
        return Layouts.u16(buffer.getShort(base + SIZE_OFFSET));
    }

    public XenAddToPhysmap size(int v) {
        buffer.putShort(base + SIZE_OFFSET, (short) v);
        return this;
    }

    /** {@code XENMAPSPACE_*}. */
    public long space() {
        return Layouts.u32(buffer.getInt(base + SPACE_OFFSET));
    }

    public XenAddToPhysmap space(long v) {
        buffer.putInt(base + SPACE_OFFSET, (int) v);
        return this;
    }

    /** Index in the space. */
    public long idx() {
        return buffer.getLong(base + IDX_OFFSET);
    }

    public XenAddToPhysmap idx(long v) {
        buffer.putLong(base + IDX_OFFSET, v);
        return this;
    }

    /** Where to map it. */
    public long gpfn() {
        return buffer.getLong(base + GPFN_OFFSET);
    }

    public XenAddToPhysmap gpfn(long v) {
        buffer.putLong(base + GPFN_OFFSET, v);
        return this;
    }
}
