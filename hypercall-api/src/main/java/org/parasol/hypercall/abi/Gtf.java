package org.parasol.hypercall.abi;

/**
 * Grant-entry flags ({@code GTF_*}), mirrors {@code public/grant_table.h}.
 *
 * <pre>
 *  15 ....... 9    8       7     6     5      4         3        2       1 .. 0
 * +-----------+--------+-----+-----+-----+---------+---------+----------+------+
 * | reserved  |sub_page| PAT | PCD | PWT | writing | reading | readonly | type |
 * +-----------+--------+-----+-----+-----+---------+---------+----------+------+
 * </pre>
 * The granter writes the type and its sub-flags; Xen alone sets {@code reading}/{@code writing}
 * (and, for {@code accept_transfer} entries, {@code transfer_committed}/{@code _completed},
 * which reuse bits 2 and 3).
 */
public final class Gtf {
    private Gtf() {
    }

    /** {@code GTF_invalid}: type, no rights granted. */
    public static final int INVALID = 0;
    /** {@code GTF_permit_access}: type, the grantee may map or copy the frame. */
    public static final int PERMIT_ACCESS = 1;
    /** {@code GTF_accept_transfer}: type, the grantee may transfer a page into this entry. */
    public static final int ACCEPT_TRANSFER = 2;
    /** {@code GTF_transitive}: type (v2 only), copy through another domain's grant. */
    public static final int TRANSITIVE = 3;
    /** {@code GTF_type_mask}: the type field. */
    public static final int TYPE_MASK = 3;
    /** {@code _GTF_readonly}: bit number of {@link #READONLY}. */
    public static final int READONLY_BIT = 2;
    /** {@code GTF_readonly}: only read-only mappings and copies. */
    public static final int READONLY = 1 << READONLY_BIT;
    /** {@code _GTF_reading}: bit number of {@link #READING}. */
    public static final int READING_BIT = 3;
    /** {@code GTF_reading}: set by Xen while the frame is mapped or copied from. */
    public static final int READING = 1 << READING_BIT;
    /** {@code _GTF_writing}: bit number of {@link #WRITING}. */
    public static final int WRITING_BIT = 4;
    /** {@code GTF_writing}: set by Xen while the frame is mapped writable or copied to. */
    public static final int WRITING = 1 << WRITING_BIT;
    /** {@code GTF_PWT}: write-through cache attribute for mappings. */
    public static final int PWT = 1 << 5;
    /** {@code GTF_PCD}: cache-disable attribute for mappings. */
    public static final int PCD = 1 << 6;
    /** {@code GTF_PAT}: PAT attribute for mappings. */
    public static final int PAT = 1 << 7;
    /** {@code GTF_sub_page}: grant of a byte range; may be copied, never mapped. */
    public static final int SUB_PAGE = 1 << 8;
    /** {@code GTF_transfer_committed}: Xen has committed to the transfer (accept_transfer only). */
    public static final int TRANSFER_COMMITTED = 1 << 2;
    /** {@code GTF_transfer_completed}: the frame field is final (accept_transfer only). */
    public static final int TRANSFER_COMPLETED = 1 << 3;
}
