package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * Argument of {@code GNTTABOP_get_version} (10): mirrors {@code grant_table.h}:
 * {@code gnttab_get_version} (8 bytes).
 *
 * <pre>
 *  0       2       4         8
 *  +-------+-------+---------+
 *  |  dom  |  pad  | version |
 *  +-------+-------+---------+
 *    IN              OUT
 * </pre>
 *
 * <p>Invariants: asking about another domain needs privilege.
 */
public final class GnttabGetVersion {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U16.withName("dom"),
            MemoryLayout.paddingLayout(2),
            Layouts.U32.withName("version")).withName("gnttab_get_version");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long DOM_OFFSET = Layouts.offsetOf(LAYOUT, "dom");
    public static final long VERSION_OFFSET = Layouts.offsetOf(LAYOUT, "version");

    private MemorySegment segment;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public GnttabGetVersion() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code segment}; returns this. */
    public GnttabGetVersion wrap(MemorySegment segment, long offset) {
        this.base = Layouts.checkWrap(segment, offset, SIZE);
        this.segment = segment;
        return this;
    }

    /** Zeroes the whole structure. */
    public GnttabGetVersion clear() {
        Layouts.zero(segment, base, SIZE);
        return this;
    }

    /** The domain asked about. */
    public int dom() {
        return Layouts.u16(segment.get(Layouts.U16, base + DOM_OFFSET));
    }

    public GnttabGetVersion dom(int v) {
        segment.set(Layouts.U16, base + DOM_OFFSET, (short) v);
        return this;
    }

    /** OUT: its grant-table version. */
    public long version() {
        return Layouts.u32(segment.get(Layouts.U32, base + VERSION_OFFSET));
    }

    public GnttabGetVersion version(long v) {
        segment.set(Layouts.U32, base + VERSION_OFFSET, (int) v);
        return this;
    }
}
