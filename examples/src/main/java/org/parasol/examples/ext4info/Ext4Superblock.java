package org.parasol.examples.ext4info;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The superblock of an ext2, ext3 or ext4 file system ({@code struct ext2_super_block} of
 * e2fsprogs' {@code lib/ext2fs/ext2_fs.h}), decoded from its 1024 little-endian bytes into the
 * values {@code dumpe2fs -h} prints: label, UUID, block size and counts, group geometry, inode
 * size and the feature words with their names.
 *
 * <p>The primary superblock sits at byte {@value #DEVICE_OFFSET} of the device whatever the
 * block size: sectors {@value #FIRST_SECTOR} and 3 with 512-byte sectors. {@link #decode} takes
 * those 1024 bytes; {@link #fromDevice} takes the device's first bytes (two sectors more).
 *
 * <p>The bytes come from a disk a guest does not trust, so decoding checks what the values are
 * used for: the magic must be {@code 0xEF53}, the block size one ext4 allows (1 KiB to 64 KiB),
 * and a 64-bit block count must fit a {@code long} (a high word below 2^31: no device has
 * 2^63 blocks); anything else is an {@link IllegalArgumentException}, never another exception.
 * Every other field is reported as found, unsigned, so every count is non-negative. The
 * decoded values are copied out, so the segment may be reused at once.
 *
 * <p>Written for unprivileged guest images: it uses only the JDK members of the guest allow-list
 * (heap segments, value layouts, strings) and has no mutable static state.
 */
public final class Ext4Superblock {
    /** Byte offset of the primary superblock on the device. */
    public static final long DEVICE_OFFSET = 1024;
    /** Size of the superblock, bytes. */
    public static final int SIZE = 1024;
    /** The sector size the superblock's position is counted in. */
    public static final int SECTOR_SIZE = 512;
    /** First sector of the superblock ({@code DEVICE_OFFSET / SECTOR_SIZE}). */
    public static final long FIRST_SECTOR = DEVICE_OFFSET / SECTOR_SIZE;
    /** Sectors the superblock spans. */
    public static final int SECTOR_COUNT = SIZE / SECTOR_SIZE;
    /** {@code EXT2_SUPER_MAGIC}. */
    public static final int MAGIC = 0xEF53;
    /** {@code s_log_block_size} of the largest block ext4 allows (64 KiB, {@code EXT2_MAX_BLOCK_LOG_SIZE - 10}). */
    public static final int MAX_LOG_BLOCK_SIZE = 6;
    /** {@code EXT2_GOOD_OLD_REV}: fixed 128-byte inodes, no feature words. */
    public static final int GOOD_OLD_REV = 0;
    /** {@code EXT2_GOOD_OLD_INODE_SIZE}. */
    public static final int GOOD_OLD_INODE_SIZE = 128;
    /** Length of {@code s_volume_name} and {@code s_uuid}. */
    public static final int LABEL_LENGTH = 16;
    public static final int UUID_LENGTH = 16;

    // Field offsets in struct ext2_super_block (all little-endian; u32 unless noted).
    public static final long INODES_COUNT_OFFSET = 0x000;
    public static final long BLOCKS_COUNT_LO_OFFSET = 0x004;
    public static final long R_BLOCKS_COUNT_LO_OFFSET = 0x008;
    public static final long FREE_BLOCKS_COUNT_LO_OFFSET = 0x00C;
    public static final long FREE_INODES_COUNT_OFFSET = 0x010;
    public static final long FIRST_DATA_BLOCK_OFFSET = 0x014;
    public static final long LOG_BLOCK_SIZE_OFFSET = 0x018;
    public static final long LOG_CLUSTER_SIZE_OFFSET = 0x01C;
    public static final long BLOCKS_PER_GROUP_OFFSET = 0x020;
    public static final long CLUSTERS_PER_GROUP_OFFSET = 0x024;
    public static final long INODES_PER_GROUP_OFFSET = 0x028;
    public static final long MTIME_OFFSET = 0x02C;
    public static final long WTIME_OFFSET = 0x030;
    /** u16. */
    public static final long MNT_COUNT_OFFSET = 0x034;
    /** s16. */
    public static final long MAX_MNT_COUNT_OFFSET = 0x036;
    /** u16. */
    public static final long MAGIC_OFFSET = 0x038;
    /** u16. */
    public static final long STATE_OFFSET = 0x03A;
    /** u16. */
    public static final long ERRORS_OFFSET = 0x03C;
    /** u16. */
    public static final long MINOR_REV_LEVEL_OFFSET = 0x03E;
    public static final long LASTCHECK_OFFSET = 0x040;
    public static final long CHECKINTERVAL_OFFSET = 0x044;
    public static final long CREATOR_OS_OFFSET = 0x048;
    public static final long REV_LEVEL_OFFSET = 0x04C;
    /** u16. */
    public static final long DEF_RESUID_OFFSET = 0x050;
    /** u16. */
    public static final long DEF_RESGID_OFFSET = 0x052;
    public static final long FIRST_INO_OFFSET = 0x054;
    /** u16. */
    public static final long INODE_SIZE_OFFSET = 0x058;
    /** u16. */
    public static final long BLOCK_GROUP_NR_OFFSET = 0x05A;
    public static final long FEATURE_COMPAT_OFFSET = 0x05C;
    public static final long FEATURE_INCOMPAT_OFFSET = 0x060;
    public static final long FEATURE_RO_COMPAT_OFFSET = 0x064;
    /** u8[16]. */
    public static final long UUID_OFFSET = 0x068;
    /** u8[16], NUL-padded, not necessarily NUL-terminated. */
    public static final long VOLUME_NAME_OFFSET = 0x078;
    /** u8[64]. */
    public static final long LAST_MOUNTED_OFFSET = 0x088;
    /** u16. */
    public static final long DESC_SIZE_OFFSET = 0x0FE;
    public static final long MKFS_TIME_OFFSET = 0x108;
    public static final long BLOCKS_COUNT_HI_OFFSET = 0x150;
    public static final long R_BLOCKS_COUNT_HI_OFFSET = 0x154;
    public static final long FREE_BLOCKS_HI_OFFSET = 0x158;
    public static final long CHECKSUM_OFFSET = 0x3FC;

    // s_feature_compat bits (dumpe2fs names in the comments where they differ from the constant).
    public static final int COMPAT_DIR_PREALLOC = 0x0001;
    public static final int COMPAT_IMAGIC_INODES = 0x0002;
    public static final int COMPAT_HAS_JOURNAL = 0x0004;
    public static final int COMPAT_EXT_ATTR = 0x0008;
    public static final int COMPAT_RESIZE_INODE = 0x0010;
    public static final int COMPAT_DIR_INDEX = 0x0020;
    public static final int COMPAT_LAZY_BG = 0x0040;
    /** {@code snapshot_bitmap}. */
    public static final int COMPAT_EXCLUDE_BITMAP = 0x0100;
    public static final int COMPAT_SPARSE_SUPER2 = 0x0200;
    public static final int COMPAT_FAST_COMMIT = 0x0400;
    public static final int COMPAT_STABLE_INODES = 0x0800;
    public static final int COMPAT_ORPHAN_FILE = 0x1000;

    // s_feature_incompat bits.
    public static final int INCOMPAT_COMPRESSION = 0x0001;
    public static final int INCOMPAT_FILETYPE = 0x0002;
    /** {@code needs_recovery}. */
    public static final int INCOMPAT_RECOVER = 0x0004;
    public static final int INCOMPAT_JOURNAL_DEV = 0x0008;
    public static final int INCOMPAT_META_BG = 0x0010;
    /** {@code extent}. */
    public static final int INCOMPAT_EXTENTS = 0x0040;
    /** Block counts have a high word; group descriptors are {@code s_desc_size} bytes. */
    public static final int INCOMPAT_64BIT = 0x0080;
    public static final int INCOMPAT_MMP = 0x0100;
    public static final int INCOMPAT_FLEX_BG = 0x0200;
    public static final int INCOMPAT_EA_INODE = 0x0400;
    public static final int INCOMPAT_DIRDATA = 0x1000;
    /** {@code metadata_csum_seed}. */
    public static final int INCOMPAT_CSUM_SEED = 0x2000;
    /** {@code large_dir}. */
    public static final int INCOMPAT_LARGEDIR = 0x4000;
    public static final int INCOMPAT_INLINE_DATA = 0x8000;
    public static final int INCOMPAT_ENCRYPT = 0x10000;
    public static final int INCOMPAT_CASEFOLD = 0x20000;

    // s_feature_ro_compat bits.
    public static final int RO_COMPAT_SPARSE_SUPER = 0x0001;
    public static final int RO_COMPAT_LARGE_FILE = 0x0002;
    public static final int RO_COMPAT_HUGE_FILE = 0x0008;
    /** {@code uninit_bg}. */
    public static final int RO_COMPAT_GDT_CSUM = 0x0010;
    public static final int RO_COMPAT_DIR_NLINK = 0x0020;
    public static final int RO_COMPAT_EXTRA_ISIZE = 0x0040;
    public static final int RO_COMPAT_QUOTA = 0x0100;
    public static final int RO_COMPAT_BIGALLOC = 0x0200;
    public static final int RO_COMPAT_METADATA_CSUM = 0x0400;
    public static final int RO_COMPAT_REPLICA = 0x0800;
    /** {@code read-only}. */
    public static final int RO_COMPAT_READONLY = 0x1000;
    public static final int RO_COMPAT_PROJECT = 0x2000;
    public static final int RO_COMPAT_SHARED_BLOCKS = 0x4000;
    public static final int RO_COMPAT_VERITY = 0x8000;
    public static final int RO_COMPAT_ORPHAN_PRESENT = 0x10000;

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final String HEX_DIGITS = "0123456789abcdef";

    private final long inodesCount;
    private final long blocksCount;
    private final long reservedBlocksCount;
    private final long freeBlocksCount;
    private final long freeInodesCount;
    private final long firstDataBlock;
    private final int logBlockSize;
    private final long blocksPerGroup;
    private final long inodesPerGroup;
    private final int state;
    private final long revisionLevel;
    private final int minorRevisionLevel;
    private final int inodeSize;
    private final int featureCompat;
    private final int featureIncompat;
    private final int featureRoCompat;
    private final long uuidHigh;
    private final long uuidLow;
    private final String volumeName;

    private Ext4Superblock(MemorySegment sb) {
        inodesCount = u32(sb, INODES_COUNT_OFFSET);
        featureCompat = sb.get(U32, FEATURE_COMPAT_OFFSET);
        featureIncompat = sb.get(U32, FEATURE_INCOMPAT_OFFSET);
        featureRoCompat = sb.get(U32, FEATURE_RO_COMPAT_OFFSET);
        boolean wide = (featureIncompat & INCOMPAT_64BIT) != 0;
        blocksCount = lowHigh(sb, BLOCKS_COUNT_LO_OFFSET, BLOCKS_COUNT_HI_OFFSET, wide);
        reservedBlocksCount = lowHigh(sb, R_BLOCKS_COUNT_LO_OFFSET, R_BLOCKS_COUNT_HI_OFFSET, wide);
        freeBlocksCount = lowHigh(sb, FREE_BLOCKS_COUNT_LO_OFFSET, FREE_BLOCKS_HI_OFFSET, wide);
        freeInodesCount = u32(sb, FREE_INODES_COUNT_OFFSET);
        firstDataBlock = u32(sb, FIRST_DATA_BLOCK_OFFSET);
        logBlockSize = (int) u32(sb, LOG_BLOCK_SIZE_OFFSET); // checked <= MAX_LOG_BLOCK_SIZE before
        blocksPerGroup = u32(sb, BLOCKS_PER_GROUP_OFFSET);
        inodesPerGroup = u32(sb, INODES_PER_GROUP_OFFSET);
        state = u16(sb, STATE_OFFSET);
        revisionLevel = u32(sb, REV_LEVEL_OFFSET);
        minorRevisionLevel = u16(sb, MINOR_REV_LEVEL_OFFSET);
        inodeSize = revisionLevel == GOOD_OLD_REV ? GOOD_OLD_INODE_SIZE : u16(sb, INODE_SIZE_OFFSET);
        uuidHigh = bigEndian64(sb, UUID_OFFSET);
        uuidLow = bigEndian64(sb, UUID_OFFSET + 8);
        volumeName = nulPadded(sb, VOLUME_NAME_OFFSET, LABEL_LENGTH);
    }

    /**
     * Decodes the superblock from its {@value #SIZE} bytes at the start of {@code superblock}
     * (bytes past them are ignored).
     *
     * @throws IllegalArgumentException if the segment is shorter than {@value #SIZE} bytes, the
     *         magic is not {@code 0xEF53}, {@code s_log_block_size} names a block larger than
     *         64 KiB, or (with the 64bit feature) a block count's high word is 2^31 or more
     */
    public static Ext4Superblock decode(MemorySegment superblock) {
        if (superblock.byteSize() < SIZE) {
            throw new IllegalArgumentException("an ext2/3/4 superblock is " + SIZE + " bytes, got "
                    + superblock.byteSize());
        }
        int magic = u16(superblock, MAGIC_OFFSET);
        if (magic != MAGIC) {
            throw new IllegalArgumentException("not an ext2/3/4 superblock: magic 0x" + Integer.toHexString(magic)
                    + " at byte " + MAGIC_OFFSET + ", expected 0x" + Integer.toHexString(MAGIC));
        }
        long log = u32(superblock, LOG_BLOCK_SIZE_OFFSET);
        if (log > MAX_LOG_BLOCK_SIZE) {
            throw new IllegalArgumentException("absurd block size: s_log_block_size " + log + " (1024 << " + log
                    + "), ext4 blocks are 1024 to 65536 bytes (log 0.." + MAX_LOG_BLOCK_SIZE + ")");
        }
        if ((superblock.get(U32, FEATURE_INCOMPAT_OFFSET) & INCOMPAT_64BIT) != 0) {
            checkHighWord(superblock, BLOCKS_COUNT_HI_OFFSET, "s_blocks_count_hi");
            checkHighWord(superblock, R_BLOCKS_COUNT_HI_OFFSET, "s_r_blocks_count_hi");
            checkHighWord(superblock, FREE_BLOCKS_HI_OFFSET, "s_free_blocks_hi");
        }
        return new Ext4Superblock(superblock);
    }

    private static void checkHighWord(MemorySegment sb, long offset, String field) {
        int high = sb.get(U32, offset);
        if (high < 0) {
            throw new IllegalArgumentException("absurd block count: " + field + " 0x" + Integer.toHexString(high)
                    + " makes it 2^63 blocks or more");
        }
    }

    /**
     * Decodes the primary superblock from the first bytes of a device: {@code device} must hold
     * at least {@code DEVICE_OFFSET + SIZE} (2048) bytes, i.e. sectors 0 to 3.
     *
     * @throws IllegalArgumentException as {@link #decode}, or if the segment is too short
     */
    public static Ext4Superblock fromDevice(MemorySegment device) {
        if (device.byteSize() < DEVICE_OFFSET + SIZE) {
            throw new IllegalArgumentException("the superblock ends at byte " + (DEVICE_OFFSET + SIZE)
                    + " of the device, got " + device.byteSize() + " bytes");
        }
        return decode(device.asSlice(DEVICE_OFFSET, SIZE));
    }

    /** {@code s_magic}: always {@link #MAGIC}, as decoding checks it. */
    public int magic() {
        return MAGIC;
    }

    /**
     * {@code s_volume_name}: the bytes before the first NUL (at most 16) as UTF-8, malformed
     * sequences replaced; empty when the file system has no label (dumpe2fs prints {@code <none>}).
     */
    public String volumeName() {
        return volumeName;
    }

    /**
     * {@code s_uuid} as dumpe2fs prints it: 36 characters, lower-case hex in the byte order of
     * the disk ({@code 8-4-4-4-12}), or {@code <none>} when all 16 bytes are zero.
     */
    public String uuid() {
        if (uuidHigh == 0 && uuidLow == 0) {
            return "<none>";
        }
        StringBuilder s = new StringBuilder(36);
        hex(s, uuidHigh >>> 32, 8).append('-');
        hex(s, uuidHigh >>> 16, 4).append('-');
        hex(s, uuidHigh, 4).append('-');
        hex(s, uuidLow >>> 48, 4).append('-');
        return hex(s, uuidLow, 12).toString();
    }

    /** {@code s_log_block_size}, 0 to {@value #MAX_LOG_BLOCK_SIZE}. */
    public int logBlockSize() {
        return logBlockSize;
    }

    /** Block size in bytes: {@code 1024 << s_log_block_size}, 1024 to 65536. */
    public int blockSize() {
        return 1024 << logBlockSize;
    }

    /** Blocks in the file system: {@code s_blocks_count_lo}, plus {@code s_blocks_count_hi << 32} with 64bit. */
    public long blocksCount() {
        return blocksCount;
    }

    /** Blocks reserved for the super-user ({@code s_r_blocks_count_lo}/{@code _hi}). */
    public long reservedBlocksCount() {
        return reservedBlocksCount;
    }

    /** Free blocks ({@code s_free_blocks_count_lo}, plus {@code s_free_blocks_hi << 32} with 64bit). */
    public long freeBlocksCount() {
        return freeBlocksCount;
    }

    /** {@code s_inodes_count}. */
    public long inodesCount() {
        return inodesCount;
    }

    /** {@code s_free_inodes_count}. */
    public long freeInodesCount() {
        return freeInodesCount;
    }

    /** {@code s_first_data_block}: 1 with 1 KiB blocks (block 0 holds the boot sector), else 0. */
    public long firstDataBlock() {
        return firstDataBlock;
    }

    /** {@code s_blocks_per_group}. */
    public long blocksPerGroup() {
        return blocksPerGroup;
    }

    /** {@code s_inodes_per_group}. */
    public long inodesPerGroup() {
        return inodesPerGroup;
    }

    /** {@code s_inode_size}; 128 on a revision 0 file system, which has no such field. */
    public int inodeSize() {
        return inodeSize;
    }

    /** {@code s_rev_level}: 0 (good old) or 1 (dynamic). */
    public long revisionLevel() {
        return revisionLevel;
    }

    /** {@code s_minor_rev_level}. */
    public int minorRevisionLevel() {
        return minorRevisionLevel;
    }

    /** {@code s_state}: bit 0 clean, bit 1 errors detected, bit 2 orphans being recovered. */
    public int state() {
        return state;
    }

    /** {@code s_feature_compat}. */
    public int featureCompat() {
        return featureCompat;
    }

    /** {@code s_feature_incompat}. */
    public int featureIncompat() {
        return featureIncompat;
    }

    /** {@code s_feature_ro_compat}. */
    public int featureRoCompat() {
        return featureRoCompat;
    }

    /** Whether the 64bit incompat feature is set (block counts have a high word). */
    public boolean is64Bit() {
        return (featureIncompat & INCOMPAT_64BIT) != 0;
    }

    /**
     * The feature names in dumpe2fs's "Filesystem features:" order: the compat word's set bits,
     * then incompat's, then ro_compat's, each from bit 0 up. A bit without a name is
     * {@code FEATURE_C<n>}, {@code FEATURE_I<n>} or {@code FEATURE_R<n>}, as dumpe2fs prints it.
     * Empty when no bit is set (dumpe2fs prints {@code (none)}).
     */
    public List<String> featureNames() {
        List<String> names = new ArrayList<>();
        addFeatures(names, 'C', featureCompat);
        addFeatures(names, 'I', featureIncompat);
        addFeatures(names, 'R', featureRoCompat);
        return List.copyOf(names);
    }

    /**
     * The name dumpe2fs gives bit {@code bit} (0..31) of the feature word {@code word}: 'C'
     * (compat), 'I' (incompat) or 'R' (ro_compat); {@code FEATURE_<word><bit>} when it has none.
     *
     * @throws IllegalArgumentException for another word or a bit outside 0..31
     */
    public static String featureName(char word, int bit) {
        if (bit < 0 || bit > 31) {
            throw new IllegalArgumentException("feature bits are 0..31: " + bit);
        }
        String name = switch (word) {
            case 'C' -> compatName(1 << bit);
            case 'I' -> incompatName(1 << bit);
            case 'R' -> roCompatName(1 << bit);
            default -> throw new IllegalArgumentException("feature words are C, I and R: " + word);
        };
        return name != null ? name : "FEATURE_" + word + bit;
    }

    /**
     * What the ext4info image prints, one line each: label, block size and count first (the
     * line the issue's test compares), then the rest of the geometry, then the features.
     */
    public List<String> describe() {
        List<String> features = featureNames();
        return List.of(
                "ext4info: label " + (volumeName.isEmpty() ? "<none>" : volumeName) + ", block size " + blockSize()
                        + ", blocks " + blocksCount,
                "ext4info: uuid " + uuid() + ", revision " + revisionLevel + ", inode size " + inodeSize,
                "ext4info: " + inodesCount + " inodes (" + freeInodesCount + " free), " + freeBlocksCount
                        + " free blocks, " + reservedBlocksCount + " reserved",
                "ext4info: first data block " + firstDataBlock + ", " + blocksPerGroup + " blocks and "
                        + inodesPerGroup + " inodes per group",
                "ext4info: features " + (features.isEmpty() ? "(none)" : String.join(" ", features)));
    }

    @Override
    public String toString() {
        return "Ext4Superblock[label=" + volumeName + ", uuid=" + uuid() + ", blockSize=" + blockSize() + ", blocks="
                + blocksCount + ", inodes=" + inodesCount + "]";
    }

    private static void addFeatures(List<String> names, char word, int bits) {
        for (int bit = 0; bit < 32; bit++) {
            if ((bits & (1 << bit)) != 0) {
                names.add(featureName(word, bit));
            }
        }
    }

    private static String compatName(int mask) {
        return switch (mask) {
            case COMPAT_DIR_PREALLOC -> "dir_prealloc";
            case COMPAT_IMAGIC_INODES -> "imagic_inodes";
            case COMPAT_HAS_JOURNAL -> "has_journal";
            case COMPAT_EXT_ATTR -> "ext_attr";
            case COMPAT_RESIZE_INODE -> "resize_inode";
            case COMPAT_DIR_INDEX -> "dir_index";
            case COMPAT_LAZY_BG -> "lazy_bg";
            case COMPAT_EXCLUDE_BITMAP -> "snapshot_bitmap";
            case COMPAT_SPARSE_SUPER2 -> "sparse_super2";
            case COMPAT_FAST_COMMIT -> "fast_commit";
            case COMPAT_STABLE_INODES -> "stable_inodes";
            case COMPAT_ORPHAN_FILE -> "orphan_file";
            default -> null;
        };
    }

    private static String incompatName(int mask) {
        return switch (mask) {
            case INCOMPAT_COMPRESSION -> "compression";
            case INCOMPAT_FILETYPE -> "filetype";
            case INCOMPAT_RECOVER -> "needs_recovery";
            case INCOMPAT_JOURNAL_DEV -> "journal_dev";
            case INCOMPAT_META_BG -> "meta_bg";
            case INCOMPAT_EXTENTS -> "extent";
            case INCOMPAT_64BIT -> "64bit";
            case INCOMPAT_MMP -> "mmp";
            case INCOMPAT_FLEX_BG -> "flex_bg";
            case INCOMPAT_EA_INODE -> "ea_inode";
            case INCOMPAT_DIRDATA -> "dirdata";
            case INCOMPAT_CSUM_SEED -> "metadata_csum_seed";
            case INCOMPAT_LARGEDIR -> "large_dir";
            case INCOMPAT_INLINE_DATA -> "inline_data";
            case INCOMPAT_ENCRYPT -> "encrypt";
            case INCOMPAT_CASEFOLD -> "casefold";
            default -> null;
        };
    }

    private static String roCompatName(int mask) {
        return switch (mask) {
            case RO_COMPAT_SPARSE_SUPER -> "sparse_super";
            case RO_COMPAT_LARGE_FILE -> "large_file";
            case RO_COMPAT_HUGE_FILE -> "huge_file";
            case RO_COMPAT_GDT_CSUM -> "uninit_bg";
            case RO_COMPAT_DIR_NLINK -> "dir_nlink";
            case RO_COMPAT_EXTRA_ISIZE -> "extra_isize";
            case RO_COMPAT_QUOTA -> "quota";
            case RO_COMPAT_BIGALLOC -> "bigalloc";
            case RO_COMPAT_METADATA_CSUM -> "metadata_csum";
            case RO_COMPAT_REPLICA -> "replica";
            case RO_COMPAT_READONLY -> "read-only";
            case RO_COMPAT_PROJECT -> "project";
            case RO_COMPAT_SHARED_BLOCKS -> "shared_blocks";
            case RO_COMPAT_VERITY -> "verity";
            case RO_COMPAT_ORPHAN_PRESENT -> "orphan_present";
            default -> null;
        };
    }

    private static int u16(MemorySegment sb, long offset) {
        return Short.toUnsignedInt(sb.get(U16, offset));
    }

    private static long u32(MemorySegment sb, long offset) {
        return Integer.toUnsignedLong(sb.get(U32, offset));
    }

    /** A count split in a low and a high u32; the high word counts only with the 64bit feature. */
    private static long lowHigh(MemorySegment sb, long lowOffset, long highOffset, boolean wide) {
        long low = u32(sb, lowOffset);
        return wide ? low | (u32(sb, highOffset) << 32) : low;
    }

    /** Eight bytes read as one number, the first byte most significant (the UUID's printing order). */
    private static long bigEndian64(MemorySegment sb, long offset) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | Byte.toUnsignedLong(sb.get(ValueLayout.JAVA_BYTE, offset + i));
        }
        return v;
    }

    private static String nulPadded(MemorySegment sb, long offset, int length) {
        byte[] bytes = sb.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE);
        int end = 0;
        while (end < length && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, 0, end, StandardCharsets.UTF_8);
    }

    /** Appends the low {@code digits} hex digits of {@code value}, most significant first. */
    private static StringBuilder hex(StringBuilder s, long value, int digits) {
        for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) {
            s.append(HEX_DIGITS.charAt((int) (value >>> shift) & 0xF));
        }
        return s;
    }
}
