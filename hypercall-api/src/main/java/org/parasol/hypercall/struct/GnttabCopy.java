package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * Argument of {@code GNTTABOP_copy} (5): mirrors {@code grant_table.h}: {@code gnttab_copy} (40
 * bytes).
 *
 * <pre>
 *  0               8       10       12     16              24      26       28     32    34     36     38  40
 *  +---------------+-------+--------+------+---------------+-------+--------+------+-----+------+------+---+
 *  | source.u      |source.|source. | pad  | dest.u        | dest. | dest.  | pad  | len |flags |status|pad|
 *  | (ref | gmfn)  | domid | offset |      | (ref | gmfn)  | domid | offset |      |     |      |      |   |
 *  +---------------+-------+--------+------+---------------+-------+--------+------+-----+------+------+---+
 * </pre>
 *
 * <p>Invariants: {@code flags} bit {@code GNTCOPY_source_gref} (1) / {@code GNTCOPY_dest_gref}
 * (2) says a side is a grant reference rather than a local frame; {@code offset + len} must
 * not pass 4096 on either side; a frame side must name {@code DOMID_SELF}.
 */
public final class GnttabCopy {
    /** Layout of {@code gnttab_copy_ptr}, one side of the copy (16 bytes). */
    public static final StructLayout PTR_LAYOUT = MemoryLayout.structLayout(
            MemoryLayout.unionLayout(
                    Layouts.U32.withName("ref"),
                    Layouts.U64.withName("gmfn")).withName("u"),
            Layouts.U16.withName("domid"),
            Layouts.U16.withName("offset"),
            MemoryLayout.paddingLayout(4)).withName("gnttab_copy_ptr");

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            PTR_LAYOUT.withName("source"),
            PTR_LAYOUT.withName("dest"),
            Layouts.U16.withName("len"),
            Layouts.U16.withName("flags"),
            Layouts.S16.withName("status"),
            MemoryLayout.paddingLayout(2)).withName("gnttab_copy");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long SOURCE_REF_OFFSET = Layouts.offsetOf(LAYOUT, "source", "u", "ref");
    public static final long SOURCE_GMFN_OFFSET = Layouts.offsetOf(LAYOUT, "source", "u", "gmfn");
    public static final long SOURCE_DOMID_OFFSET = Layouts.offsetOf(LAYOUT, "source", "domid");
    public static final long SOURCE_OFFSET_OFFSET = Layouts.offsetOf(LAYOUT, "source", "offset");
    public static final long DEST_REF_OFFSET = Layouts.offsetOf(LAYOUT, "dest", "u", "ref");
    public static final long DEST_GMFN_OFFSET = Layouts.offsetOf(LAYOUT, "dest", "u", "gmfn");
    public static final long DEST_DOMID_OFFSET = Layouts.offsetOf(LAYOUT, "dest", "domid");
    public static final long DEST_OFFSET_OFFSET = Layouts.offsetOf(LAYOUT, "dest", "offset");
    public static final long LEN_OFFSET = Layouts.offsetOf(LAYOUT, "len");
    public static final long FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "flags");
    public static final long STATUS_OFFSET = Layouts.offsetOf(LAYOUT, "status");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public GnttabCopy() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public GnttabCopy wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public GnttabCopy clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** {@code source.u.ref}. */
    public long sourceRef() {
        return Layouts.u32(buffer.getInt(base + SOURCE_REF_OFFSET));
    }

    public GnttabCopy sourceRef(long v) {
        buffer.putInt(base + SOURCE_REF_OFFSET, (int) v);
        return this;
    }

    /** {@code source.u.gmfn}. */
    public long sourceGmfn() {
        return buffer.getLong(base + SOURCE_GMFN_OFFSET);
    }

    public GnttabCopy sourceGmfn(long v) {
        buffer.putLong(base + SOURCE_GMFN_OFFSET, v);
        return this;
    }

    /** {@code source.domid}. */
    public int sourceDomid() {
        return Layouts.u16(buffer.getShort(base + SOURCE_DOMID_OFFSET));
    }

    public GnttabCopy sourceDomid(int v) {
        buffer.putShort(base + SOURCE_DOMID_OFFSET, (short) v);
        return this;
    }

    /** {@code source.offset}. */
    public int sourceOffset() {
        return Layouts.u16(buffer.getShort(base + SOURCE_OFFSET_OFFSET));
    }

    public GnttabCopy sourceOffset(int v) {
        buffer.putShort(base + SOURCE_OFFSET_OFFSET, (short) v);
        return this;
    }

    /** {@code dest.u.ref}. */
    public long destRef() {
        return Layouts.u32(buffer.getInt(base + DEST_REF_OFFSET));
    }

    public GnttabCopy destRef(long v) {
        buffer.putInt(base + DEST_REF_OFFSET, (int) v);
        return this;
    }

    /** {@code dest.u.gmfn}. */
    public long destGmfn() {
        return buffer.getLong(base + DEST_GMFN_OFFSET);
    }

    public GnttabCopy destGmfn(long v) {
        buffer.putLong(base + DEST_GMFN_OFFSET, v);
        return this;
    }

    /** {@code dest.domid}. */
    public int destDomid() {
        return Layouts.u16(buffer.getShort(base + DEST_DOMID_OFFSET));
    }

    public GnttabCopy destDomid(int v) {
        buffer.putShort(base + DEST_DOMID_OFFSET, (short) v);
        return this;
    }

    /** {@code dest.offset}. */
    public int destOffset() {
        return Layouts.u16(buffer.getShort(base + DEST_OFFSET_OFFSET));
    }

    public GnttabCopy destOffset(int v) {
        buffer.putShort(base + DEST_OFFSET_OFFSET, (short) v);
        return this;
    }

    /** Bytes to copy. */
    public int len() {
        return Layouts.u16(buffer.getShort(base + LEN_OFFSET));
    }

    public GnttabCopy len(int v) {
        buffer.putShort(base + LEN_OFFSET, (short) v);
        return this;
    }

    /** {@code GNTCOPY_*}. */
    public int flags() {
        return Layouts.u16(buffer.getShort(base + FLAGS_OFFSET));
    }

    public GnttabCopy flags(int v) {
        buffer.putShort(base + FLAGS_OFFSET, (short) v);
        return this;
    }

    /** OUT: {@code GNTST_*}. */
    public int status() {
        return buffer.getShort(base + STATUS_OFFSET);
    }

    public GnttabCopy status(int v) {
        buffer.putShort(base + STATUS_OFFSET, (short) v);
        return this;
    }
}
