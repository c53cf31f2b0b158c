package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * One version-2 grant entry, a union of views: mirrors {@code grant_table.h}:
 * {@code grant_entry_v2} (16 bytes).
 *
 * <pre>
 *  0       2       4               8                               16
 *  +-------+-------+---------------+-------------------------------+
 *  | flags | domid |     pad0      |        full_page.frame        |
 *  | flags | domid |page_off|length|        sub_page.frame         |
 *  | flags | domid |trans_d.| pad0 |transitive.gref|               |
 *  +-------+-------+---------------+-------------------------------+
 * </pre>
 *
 * <p>Invariants: every view starts with {@link GrantEntryHeader}; the type in
 * {@code hdr.flags} selects the view ({@code GTF_permit_access} full or, with
 * {@code GTF_sub_page}, sub-page; {@code GTF_transitive} transitive). In version 2 the busy
 * bits live in the separate status array, not in {@code flags}.
 */
public final class GrantEntryV2 {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            MemoryLayout.unionLayout(
                    GrantEntryHeader.LAYOUT.withName("hdr"),
                    MemoryLayout.structLayout(
                            GrantEntryHeader.LAYOUT.withName("hdr"),
                            MemoryLayout.paddingLayout(4).withName("pad0"),
                            Layouts.U64.withName("frame")).withName("full_page"),
                    MemoryLayout.structLayout(
                            GrantEntryHeader.LAYOUT.withName("hdr"),
                            Layouts.U16.withName("page_off"),
                            Layouts.U16.withName("length"),
                            Layouts.U64.withName("frame")).withName("sub_page"),
                    MemoryLayout.structLayout(
                            GrantEntryHeader.LAYOUT.withName("hdr"),
                            Layouts.U16.withName("trans_domid"),
                            MemoryLayout.paddingLayout(2).withName("pad0"),
                            Layouts.U32.withName("gref"),
                            MemoryLayout.paddingLayout(4)).withName("transitive"),
                    MemoryLayout.sequenceLayout(4, Layouts.U32).withName("__spacer")).withName("u")).withName("grant_entry_v2");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long HDR_FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "u", "hdr", "flags");
    public static final long HDR_DOMID_OFFSET = Layouts.offsetOf(LAYOUT, "u", "hdr", "domid");
    public static final long FULL_PAGE_FRAME_OFFSET = Layouts.offsetOf(LAYOUT, "u", "full_page", "frame");
    public static final long SUB_PAGE_PAGE_OFF_OFFSET = Layouts.offsetOf(LAYOUT, "u", "sub_page", "page_off");
    public static final long SUB_PAGE_LENGTH_OFFSET = Layouts.offsetOf(LAYOUT, "u", "sub_page", "length");
    public static final long SUB_PAGE_FRAME_OFFSET = Layouts.offsetOf(LAYOUT, "u", "sub_page", "frame");
    public static final long TRANSITIVE_TRANS_DOMID_OFFSET = Layouts.offsetOf(LAYOUT, "u", "transitive", "trans_domid");
    public static final long TRANSITIVE_GREF_OFFSET = Layouts.offsetOf(LAYOUT, "u", "transitive", "gref");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public GrantEntryV2() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public GrantEntryV2 wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public GrantEntryV2 clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** {@code hdr.flags}. */
    public int flags() {
        return Layouts.u16(buffer.getShort(base + HDR_FLAGS_OFFSET));
    }

    public GrantEntryV2 flags(int v) {
        buffer.putShort(base + HDR_FLAGS_OFFSET, (short) v);
        return this;
    }

    /** {@code hdr.domid}. */
    public int domid() {
        return Layouts.u16(buffer.getShort(base + HDR_DOMID_OFFSET));
    }

    public GrantEntryV2 domid(int v) {
        buffer.putShort(base + HDR_DOMID_OFFSET, (short) v);
        return this;
    }

    /** {@code full_page.frame}: the granted frame. */
    public long fullPageFrame() {
        return buffer.getLong(base + FULL_PAGE_FRAME_OFFSET);
    }

    public GrantEntryV2 fullPageFrame(long v) {
        buffer.putLong(base + FULL_PAGE_FRAME_OFFSET, v);
        return this;
    }

    /** {@code sub_page.page_off}: first byte granted. */
    public int subPagePageOff() {
        return Layouts.u16(buffer.getShort(base + SUB_PAGE_PAGE_OFF_OFFSET));
    }

    public GrantEntryV2 subPagePageOff(int v) {
        buffer.putShort(base + SUB_PAGE_PAGE_OFF_OFFSET, (short) v);
        return this;
    }

    /** {@code sub_page.length}: bytes granted. */
    public int subPageLength() {
        return Layouts.u16(buffer.getShort(base + SUB_PAGE_LENGTH_OFFSET));
    }

    public GrantEntryV2 subPageLength(int v) {
        buffer.putShort(base + SUB_PAGE_LENGTH_OFFSET, (short) v);
        return this;
    }

    /** {@code sub_page.frame}. */
    public long subPageFrame() {
        return buffer.getLong(base + SUB_PAGE_FRAME_OFFSET);
    }

    public GrantEntryV2 subPageFrame(long v) {
        buffer.putLong(base + SUB_PAGE_FRAME_OFFSET, v);
        return this;
    }

    /** {@code transitive.trans_domid}: the domain of the underlying grant. */
    public int transitiveTransDomid() {
        return Layouts.u16(buffer.getShort(base + TRANSITIVE_TRANS_DOMID_OFFSET));
    }

    public GrantEntryV2 transitiveTransDomid(int v) {
        buffer.putShort(base + TRANSITIVE_TRANS_DOMID_OFFSET, (short) v);
        return this;
    }

    /** {@code transitive.gref}: the underlying grant reference. */
    public long transitiveGref() {
        return Layouts.u32(buffer.getInt(base + TRANSITIVE_GREF_OFFSET));
    }

    public GrantEntryV2 transitiveGref(long v) {
        buffer.putInt(base + TRANSITIVE_GREF_OFFSET, (int) v);
        return this;
    }
}
