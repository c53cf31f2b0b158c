package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

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

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public GnttabTransfer() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public GnttabTransfer wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public GnttabTransfer clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** The frame given away. */
    public long mfn() {
        return buffer.getLong(base + MFN_OFFSET);
    }

    public GnttabTransfer mfn(long v) {
        buffer.putLong(base + MFN_OFFSET, v);
        return this;
    }

    /** The receiving domain. */
    public int domid() {
        return Layouts.u16(buffer.getShort(base + DOMID_OFFSET));
    }

    public GnttabTransfer domid(int v) {
        buffer.putShort(base + DOMID_OFFSET, (short) v);
        return this;
    }

    /** The accept-transfer grant reference of the receiver. */
    public long ref() {
        return Layouts.u32(buffer.getInt(base + REF_OFFSET));
    }

    public GnttabTransfer ref(long v) {
        buffer.putInt(base + REF_OFFSET, (int) v);
        return this;
    }

    /** OUT: {@code GNTST_*}. */
    public int status() {
        return buffer.getShort(base + STATUS_OFFSET);
    }

    public GnttabTransfer status(int v) {
        buffer.putShort(base + STATUS_OFFSET, (short) v);
        return this;
    }
}
