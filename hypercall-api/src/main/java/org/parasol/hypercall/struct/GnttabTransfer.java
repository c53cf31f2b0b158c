package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * Argument of {@code GNTTABOP_transfer} (4): mirrors {@code grant_table.h}:
 * {@code gnttab_transfer} (24 bytes).
 *
 * <pre>
 *  0                  8       10      12      16       18          24
 *  +------------------+-------+-------+-------+--------+-----------+
 *  |       mfn        | domid |  pad  |  ref  | status |    pad    |
 *  +------------------+-------+-------+-------+--------+-----------+
 *    IN                 IN              IN      OUT
 * </pre>
 *
 * <p>Invariants: the target entry must be exactly {@code GTF_accept_transfer} for the sender;
 * the page is lost to the caller unless {@code status} is {@code GNTST_bad_page}.
 */
public final class GnttabTransfer {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U64.withName("mfn"),
            Layouts.U16.withName("domid"),
            MemoryLayout.paddingLayout(2),
            Layouts.U32.withName("ref"),
            Layouts.S16.withName("status"),
            MemoryLayout.paddingLayout(6)).withName("gnttab_transfer");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long MFN_OFFSET = Layouts.offsetOf(LAYOUT, "mfn");
    public static final long DOMID_OFFSET = Layouts.offsetOf(LAYOUT, "domid");
    public static final long REF_OFFSET = Layouts.offsetOf(LAYOUT, "ref");
    public static final long STATUS_OFFSET = Layouts.offsetOf(LAYOUT, "status");

    private MemorySegment segment;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public GnttabTransfer() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code segment}; returns this. */
    public GnttabTransfer wrap(MemorySegment segment, long offset) {
        this.base = Layouts.checkWrap(segment, offset, SIZE);
        this.segment = segment;
        return this;
    }

    /** Zeroes the whole structure. */
    public GnttabTransfer clear() {
        Layouts.zero(segment, base, SIZE);
        return this;
    }

    /** The frame given away. */
    public long mfn() {
        return segment.get(Layouts.U64, base + MFN_OFFSET);
    }

    public GnttabTransfer mfn(long v) {
        segment.set(Layouts.U64, base + MFN_OFFSET, v);
        return this;
    }

    /** The receiving domain. */
    public int domid() {
        return Layouts.u16(segment.get(Layouts.U16, base + DOMID_OFFSET));
    }

    public GnttabTransfer domid(int v) {
        segment.set(Layouts.U16, base + DOMID_OFFSET, (short) v);
        return this;
    }

    /** The accept-transfer grant reference of the receiver. */
    public long ref() {
        return Layouts.u32(segment.get(Layouts.U32, base + REF_OFFSET));
    }

    public GnttabTransfer ref(long v) {
        segment.set(Layouts.U32, base + REF_OFFSET, (int) v);
        return this;
    }

    /** OUT: {@code GNTST_*}. */
    public int status() {
        return segment.get(Layouts.S16, base + STATUS_OFFSET);
    }

    public GnttabTransfer status(int v) {
        segment.set(Layouts.S16, base + STATUS_OFFSET, (short) v);
        return this;
    }
}
