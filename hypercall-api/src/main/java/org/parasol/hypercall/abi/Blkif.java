package org.parasol.hypercall.abi;

/**
 * Block-device protocol constants ({@code BLKIF_*}, {@code VDISK_*}), mirrors
 * {@code io/blkif.h}: request operations, response status, limits and disk-info bits.
 *
 * <p>Sector numbers and {@code first_sect}/{@code last_sect} are always in 512-byte units,
 * whatever the disk's {@code sector-size}.
 */
public final class Blkif {
    private Blkif() {
    }

    /** {@code BLKIF_OP_READ}. */
    public static final int OP_READ = 0;
    /** {@code BLKIF_OP_WRITE}. */
    public static final int OP_WRITE = 1;
    /** {@code BLKIF_OP_WRITE_BARRIER}: write ordered after all earlier ones (optional). */
    public static final int OP_WRITE_BARRIER = 2;
    /** {@code BLKIF_OP_FLUSH_DISKCACHE}: flush the disk's write cache (optional). */
    public static final int OP_FLUSH_DISKCACHE = 3;
    /** {@code BLKIF_OP_RESERVED_1}: reserved. */
    public static final int OP_RESERVED_1 = 4;
    /** {@code BLKIF_OP_DISCARD}: discard a sector range (optional). */
    public static final int OP_DISCARD = 5;
    /** {@code BLKIF_OP_INDIRECT}: segments live in granted indirect pages (optional). */
    public static final int OP_INDIRECT = 6;

    /** {@code BLKIF_RSP_EOPNOTSUPP}: optional operation not supported. */
    public static final int RSP_EOPNOTSUPP = -2;
    /** {@code BLKIF_RSP_ERROR}: the request failed. */
    public static final int RSP_ERROR = -1;
    /** {@code BLKIF_RSP_OKAY}: the request succeeded. */
    public static final int RSP_OKAY = 0;

    /** {@code BLKIF_MAX_SEGMENTS_PER_REQUEST}: segments in a direct request. */
    public static final int MAX_SEGMENTS_PER_REQUEST = 11;
    /** {@code BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST}: indirect pages in one request. */
    public static final int MAX_INDIRECT_PAGES_PER_REQUEST = 8;
    /** Segment descriptors in one indirect page (4096 / 8). */
    public static final int SEGS_PER_INDIRECT_FRAME = 512;
    /** {@code BLKIF_DISCARD_SECURE}: discard flag, erase securely. */
    public static final int DISCARD_SECURE = 1;
    /** Unit of {@code sector_number}, {@code first_sect}, {@code last_sect} and {@code sectors}. */
    public static final int SECTOR_SIZE = 512;
    /** Sectors in one 4 KiB frame; {@code last_sect} is at most this minus one. */
    public static final int SECTORS_PER_PAGE = 8;
    /** Size of one ring entry ({@code blkif_request}) in bytes. */
    public static final int RING_ENTRY_SIZE = 112;
    /** Entries of a one-page blkif ring. */
    public static final int RING_SIZE_ONE_PAGE = 32;

    /** {@code VDISK_CDROM}: {@code info} bit, the disk is a CD-ROM. */
    public static final int VDISK_CDROM = 1;
    /** {@code VDISK_REMOVABLE}: {@code info} bit, removable media. */
    public static final int VDISK_REMOVABLE = 2;
    /** {@code VDISK_READONLY}: {@code info} bit, read-only disk. */
    public static final int VDISK_READONLY = 4;
}
