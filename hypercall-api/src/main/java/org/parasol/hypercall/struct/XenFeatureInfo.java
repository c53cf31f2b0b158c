package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * Argument of {@code XENVER_get_features} (6): mirrors {@code version.h}:
 * {@code xen_feature_info} (8 bytes).
 *
 * <pre>
 *  0            4        8
 *  +------------+--------+
 *  | submap_idx | submap |
 *  +------------+--------+
 *    IN           OUT
 * </pre>
 *
 * <p>Invariants: bit {@code b} of {@code submap} is feature {@code 32 * submap_idx + b}
 * ({@code XENFEAT_*}).
 */
public final class XenFeatureInfo {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U32.withName("submap_idx"),
            Layouts.U32.withName("submap")).withName("xen_feature_info");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long SUBMAP_IDX_OFFSET = Layouts.offsetOf(LAYOUT, "submap_idx");
    public static final long SUBMAP_OFFSET = Layouts.offsetOf(LAYOUT, "submap");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public XenFeatureInfo() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public XenFeatureInfo wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public XenFeatureInfo clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** Which 32-feature word is asked for. */
    public long submapIdx() {
        return Layouts.u32(buffer.getInt(base + SUBMAP_IDX_OFFSET));
    }

    public XenFeatureInfo submapIdx(long v) {
        buffer.putInt(base + SUBMAP_IDX_OFFSET, (int) v);
        return this;
    }

    /** OUT: the feature bits. */
    public long submap() {
        return Layouts.u32(buffer.getInt(base + SUBMAP_OFFSET));
    }

    public XenFeatureInfo submap(long v) {
        buffer.putInt(base + SUBMAP_OFFSET, (int) v);
        return this;
    }
}
