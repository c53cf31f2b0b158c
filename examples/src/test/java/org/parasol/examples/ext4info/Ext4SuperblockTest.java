package org.parasol.examples.ext4info;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** {@code struct ext2_super_block}: the layout, hand-made bytes, and hostile bytes. */
class Ext4SuperblockTest {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static MemoryLayout u8(String name) {
        return ValueLayout.JAVA_BYTE.withName(name);
    }

    private static MemoryLayout u16(String name) {
        return U16.withName(name);
    }

    private static MemoryLayout u32(String name) {
        return U32.withName(name);
    }

    private static MemoryLayout u64(String name) {
        return ValueLayout.JAVA_LONG_UNALIGNED.withName(name);
    }

    private static MemoryLayout bytes(String name, long n) {
        return MemoryLayout.sequenceLayout(n, ValueLayout.JAVA_BYTE).withName(name);
    }

    /**
     * The on-disk superblock of e2fsprogs' ext2_fs.h (1.47), field by field with the C types'
     * sizes and no implicit padding: the offsets the decoder's constants must agree with.
     */
    static final StructLayout EXT2_SUPER_BLOCK = MemoryLayout.structLayout(
            u32("s_inodes_count"), u32("s_blocks_count"), u32("s_r_blocks_count"), u32("s_free_blocks_count"),
            u32("s_free_inodes_count"), u32("s_first_data_block"), u32("s_log_block_size"), u32("s_log_cluster_size"),
            u32("s_blocks_per_group"), u32("s_clusters_per_group"), u32("s_inodes_per_group"), u32("s_mtime"),
            u32("s_wtime"), u16("s_mnt_count"), u16("s_max_mnt_count"), u16("s_magic"), u16("s_state"),
            u16("s_errors"), u16("s_minor_rev_level"), u32("s_lastcheck"), u32("s_checkinterval"),
            u32("s_creator_os"), u32("s_rev_level"), u16("s_def_resuid"), u16("s_def_resgid"),
            u32("s_first_ino"), u16("s_inode_size"), u16("s_block_group_nr"), u32("s_feature_compat"),
            u32("s_feature_incompat"), u32("s_feature_ro_compat"), bytes("s_uuid", 16),
            bytes("s_volume_name", 16), bytes("s_last_mounted", 64), u32("s_algorithm_usage_bitmap"),
            u8("s_prealloc_blocks"), u8("s_prealloc_dir_blocks"), u16("s_reserved_gdt_blocks"),
            bytes("s_journal_uuid", 16), u32("s_journal_inum"), u32("s_journal_dev"), u32("s_last_orphan"),
            MemoryLayout.sequenceLayout(4, U32).withName("s_hash_seed"), u8("s_def_hash_version"),
            u8("s_jnl_backup_type"), u16("s_desc_size"), u32("s_default_mount_opts"), u32("s_first_meta_bg"),
            u32("s_mkfs_time"), MemoryLayout.sequenceLayout(17, U32).withName("s_jnl_blocks"),
            u32("s_blocks_count_hi"), u32("s_r_blocks_count_hi"), u32("s_free_blocks_hi"),
            u16("s_min_extra_isize"), u16("s_want_extra_isize"), u32("s_flags"), u16("s_raid_stride"),
            u16("s_mmp_update_interval"), u64("s_mmp_block"), u32("s_raid_stripe_width"),
            u8("s_log_groups_per_flex"), u8("s_checksum_type"), u8("s_encryption_level"), u8("s_reserved_pad"),
            u64("s_kbytes_written"), u32("s_snapshot_inum"), u32("s_snapshot_id"),
            u64("s_snapshot_r_blocks_count"), u32("s_snapshot_list"), u32("s_error_count"),
            u32("s_first_error_time"), u32("s_first_error_ino"), u64("s_first_error_block"),
            bytes("s_first_error_func", 32), u32("s_first_error_line"), u32("s_last_error_time"),
            u32("s_last_error_ino"), u32("s_last_error_line"), u64("s_last_error_block"),
            bytes("s_last_error_func", 32), bytes("s_mount_opts", 64), u32("s_usr_quota_inum"),
            u32("s_grp_quota_inum"), u32("s_overhead_clusters"),
            MemoryLayout.sequenceLayout(2, U32).withName("s_backup_bgs"), bytes("s_encrypt_algos", 4),
            bytes("s_encrypt_pw_salt", 16), u32("s_lpf_ino"), u32("s_prj_quota_inum"), u32("s_checksum_seed"),
            u8("s_wtime_hi"), u8("s_mtime_hi"), u8("s_mkfs_time_hi"), u8("s_lastcheck_hi"),
            u8("s_first_error_time_hi"), u8("s_last_error_time_hi"), u8("s_first_error_errcode"),
            u8("s_last_error_errcode"), u16("s_encoding"), u16("s_encoding_flags"),
            MemoryLayout.sequenceLayout(95, U32).withName("s_reserved"), u32("s_checksum"));

    private static long offsetOf(String field) {
        return EXT2_SUPER_BLOCK.byteOffset(PathElement.groupElement(field));
    }

    /** A plausible superblock: 16384 blocks of 4 KiB, label parasol, a known UUID, ext4's default features. */
    static byte[] sample() {
        byte[] b = new byte[Ext4Superblock.SIZE];
        MemorySegment s = MemorySegment.ofArray(b);
        s.set(U32, Ext4Superblock.INODES_COUNT_OFFSET, 16384);
        s.set(U32, Ext4Superblock.BLOCKS_COUNT_LO_OFFSET, 16384);
        s.set(U32, Ext4Superblock.R_BLOCKS_COUNT_LO_OFFSET, 819);
        s.set(U32, Ext4Superblock.FREE_BLOCKS_COUNT_LO_OFFSET, 14000);
        s.set(U32, Ext4Superblock.FREE_INODES_COUNT_OFFSET, 16373);
        s.set(U32, Ext4Superblock.FIRST_DATA_BLOCK_OFFSET, 0);
        s.set(U32, Ext4Superblock.LOG_BLOCK_SIZE_OFFSET, 2);
        s.set(U32, Ext4Superblock.BLOCKS_PER_GROUP_OFFSET, 32768);
        s.set(U32, Ext4Superblock.INODES_PER_GROUP_OFFSET, 16384);
        s.set(U16, Ext4Superblock.MAGIC_OFFSET, (short) 0xEF53);
        s.set(U16, Ext4Superblock.STATE_OFFSET, (short) 1);
        s.set(U32, Ext4Superblock.REV_LEVEL_OFFSET, 1);
        s.set(U16, Ext4Superblock.INODE_SIZE_OFFSET, (short) 256);
        s.set(U32, Ext4Superblock.FEATURE_COMPAT_OFFSET, 0x3C);
        s.set(U32, Ext4Superblock.FEATURE_INCOMPAT_OFFSET, 0x2C2);
        s.set(U32, Ext4Superblock.FEATURE_RO_COMPAT_OFFSET, 0x46B);
        for (int i = 0; i < 16; i++) {
            b[(int) Ext4Superblock.UUID_OFFSET + i] = (byte) (0x10 * i + 0x0F - i); // 0f 1e 2d ... f0
        }
        byte[] label = "parasol".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(label, 0, b, (int) Ext4Superblock.VOLUME_NAME_OFFSET, label.length);
        return b;
    }

    @Nested
    class Layout {

        @Test
        @DisplayName("struct ext2_super_block is 1024 bytes, s_checksum last")
        void shouldBeOneKibibyte() {
            assertThat(EXT2_SUPER_BLOCK.byteSize()).isEqualTo(1024).isEqualTo(Ext4Superblock.SIZE);
            assertThat(offsetOf("s_checksum")).isEqualTo(0x3FC).isEqualTo(Ext4Superblock.CHECKSUM_OFFSET);
        }

        @Test
        void shouldPutEveryNamedOffsetWhereTheOnDiskStructHasItsField() {
            assertThat(Ext4Superblock.INODES_COUNT_OFFSET).isEqualTo(offsetOf("s_inodes_count")).isEqualTo(0x00);
            assertThat(Ext4Superblock.BLOCKS_COUNT_LO_OFFSET).isEqualTo(offsetOf("s_blocks_count")).isEqualTo(0x04);
            assertThat(Ext4Superblock.R_BLOCKS_COUNT_LO_OFFSET).isEqualTo(offsetOf("s_r_blocks_count")).isEqualTo(0x08);
            assertThat(Ext4Superblock.FREE_BLOCKS_COUNT_LO_OFFSET).isEqualTo(offsetOf("s_free_blocks_count"))
                    .isEqualTo(0x0C);
            assertThat(Ext4Superblock.FREE_INODES_COUNT_OFFSET).isEqualTo(offsetOf("s_free_inodes_count"))
                    .isEqualTo(0x10);
            assertThat(Ext4Superblock.FIRST_DATA_BLOCK_OFFSET).isEqualTo(offsetOf("s_first_data_block")).isEqualTo(0x14);
            assertThat(Ext4Superblock.LOG_BLOCK_SIZE_OFFSET).isEqualTo(offsetOf("s_log_block_size")).isEqualTo(0x18);
            assertThat(Ext4Superblock.LOG_CLUSTER_SIZE_OFFSET).isEqualTo(offsetOf("s_log_cluster_size")).isEqualTo(0x1C);
            assertThat(Ext4Superblock.BLOCKS_PER_GROUP_OFFSET).isEqualTo(offsetOf("s_blocks_per_group")).isEqualTo(0x20);
            assertThat(Ext4Superblock.CLUSTERS_PER_GROUP_OFFSET).isEqualTo(offsetOf("s_clusters_per_group"))
                    .isEqualTo(0x24);
            assertThat(Ext4Superblock.INODES_PER_GROUP_OFFSET).isEqualTo(offsetOf("s_inodes_per_group")).isEqualTo(0x28);
            assertThat(Ext4Superblock.MTIME_OFFSET).isEqualTo(offsetOf("s_mtime")).isEqualTo(0x2C);
            assertThat(Ext4Superblock.WTIME_OFFSET).isEqualTo(offsetOf("s_wtime")).isEqualTo(0x30);
            assertThat(Ext4Superblock.MNT_COUNT_OFFSET).isEqualTo(offsetOf("s_mnt_count")).isEqualTo(0x34);
            assertThat(Ext4Superblock.MAX_MNT_COUNT_OFFSET).isEqualTo(offsetOf("s_max_mnt_count")).isEqualTo(0x36);
            assertThat(Ext4Superblock.MAGIC_OFFSET).isEqualTo(offsetOf("s_magic")).isEqualTo(0x38);
            assertThat(Ext4Superblock.STATE_OFFSET).isEqualTo(offsetOf("s_state")).isEqualTo(0x3A);
            assertThat(Ext4Superblock.ERRORS_OFFSET).isEqualTo(offsetOf("s_errors")).isEqualTo(0x3C);
            assertThat(Ext4Superblock.MINOR_REV_LEVEL_OFFSET).isEqualTo(offsetOf("s_minor_rev_level")).isEqualTo(0x3E);
            assertThat(Ext4Superblock.LASTCHECK_OFFSET).isEqualTo(offsetOf("s_lastcheck")).isEqualTo(0x40);
            assertThat(Ext4Superblock.CHECKINTERVAL_OFFSET).isEqualTo(offsetOf("s_checkinterval")).isEqualTo(0x44);
            assertThat(Ext4Superblock.CREATOR_OS_OFFSET).isEqualTo(offsetOf("s_creator_os")).isEqualTo(0x48);
            assertThat(Ext4Superblock.REV_LEVEL_OFFSET).isEqualTo(offsetOf("s_rev_level")).isEqualTo(0x4C);
            assertThat(Ext4Superblock.DEF_RESUID_OFFSET).isEqualTo(offsetOf("s_def_resuid")).isEqualTo(0x50);
            assertThat(Ext4Superblock.DEF_RESGID_OFFSET).isEqualTo(offsetOf("s_def_resgid")).isEqualTo(0x52);
            assertThat(Ext4Superblock.FIRST_INO_OFFSET).isEqualTo(offsetOf("s_first_ino")).isEqualTo(0x54);
            assertThat(Ext4Superblock.INODE_SIZE_OFFSET).isEqualTo(offsetOf("s_inode_size")).isEqualTo(0x58);
            assertThat(Ext4Superblock.BLOCK_GROUP_NR_OFFSET).isEqualTo(offsetOf("s_block_group_nr")).isEqualTo(0x5A);
            assertThat(Ext4Superblock.FEATURE_COMPAT_OFFSET).isEqualTo(offsetOf("s_feature_compat")).isEqualTo(0x5C);
            assertThat(Ext4Superblock.FEATURE_INCOMPAT_OFFSET).isEqualTo(offsetOf("s_feature_incompat")).isEqualTo(0x60);
            assertThat(Ext4Superblock.FEATURE_RO_COMPAT_OFFSET).isEqualTo(offsetOf("s_feature_ro_compat"))
                    .isEqualTo(0x64);
            assertThat(Ext4Superblock.UUID_OFFSET).isEqualTo(offsetOf("s_uuid")).isEqualTo(0x68);
            assertThat(Ext4Superblock.VOLUME_NAME_OFFSET).isEqualTo(offsetOf("s_volume_name")).isEqualTo(0x78);
            assertThat(Ext4Superblock.LAST_MOUNTED_OFFSET).isEqualTo(offsetOf("s_last_mounted")).isEqualTo(0x88);
            assertThat(Ext4Superblock.DESC_SIZE_OFFSET).isEqualTo(offsetOf("s_desc_size")).isEqualTo(0xFE);
            assertThat(Ext4Superblock.MKFS_TIME_OFFSET).isEqualTo(offsetOf("s_mkfs_time")).isEqualTo(0x108);
            assertThat(Ext4Superblock.BLOCKS_COUNT_HI_OFFSET).isEqualTo(offsetOf("s_blocks_count_hi")).isEqualTo(0x150);
            assertThat(Ext4Superblock.R_BLOCKS_COUNT_HI_OFFSET).isEqualTo(offsetOf("s_r_blocks_count_hi"))
                    .isEqualTo(0x154);
            assertThat(Ext4Superblock.FREE_BLOCKS_HI_OFFSET).isEqualTo(offsetOf("s_free_blocks_hi")).isEqualTo(0x158);
            assertThat(Ext4Superblock.CHECKSUM_OFFSET).isEqualTo(offsetOf("s_checksum")).isEqualTo(0x3FC);
        }

        @Test
        @DisplayName("the superblock is sectors 2 and 3 of the device: byte 1024, whatever the block size")
        void shouldSitInSectorsTwoAndThree() {
            assertThat(Ext4Superblock.DEVICE_OFFSET).isEqualTo(1024);
            assertThat(Ext4Superblock.FIRST_SECTOR).isEqualTo(2);
            assertThat(Ext4Superblock.SECTOR_COUNT).isEqualTo(2);
            assertThat(Ext4Superblock.FIRST_SECTOR * Ext4Superblock.SECTOR_SIZE).isEqualTo(Ext4Superblock.DEVICE_OFFSET);
        }
    }

    @Nested
    class Decode {

        @Test
        void shouldDecodeEveryFieldOfAHandMadeSuperblock() {
            Ext4Superblock sb = Ext4Superblock.decode(MemorySegment.ofArray(sample()));

            assertThat(sb.magic()).isEqualTo(0xEF53);
            assertThat(sb.volumeName()).isEqualTo("parasol");
            assertThat(sb.uuid()).isEqualTo("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
            assertThat(sb.logBlockSize()).isEqualTo(2);
            assertThat(sb.blockSize()).isEqualTo(4096);
            assertThat(sb.blocksCount()).isEqualTo(16384);
            assertThat(sb.reservedBlocksCount()).isEqualTo(819);
            assertThat(sb.freeBlocksCount()).isEqualTo(14000);
            assertThat(sb.inodesCount()).isEqualTo(16384);
            assertThat(sb.freeInodesCount()).isEqualTo(16373);
            assertThat(sb.firstDataBlock()).isZero();
            assertThat(sb.blocksPerGroup()).isEqualTo(32768);
            assertThat(sb.inodesPerGroup()).isEqualTo(16384);
            assertThat(sb.inodeSize()).isEqualTo(256);
            assertThat(sb.revisionLevel()).isEqualTo(1);
            assertThat(sb.minorRevisionLevel()).isZero();
            assertThat(sb.state()).isEqualTo(1);
            assertThat(sb.featureCompat()).isEqualTo(0x3C);
            assertThat(sb.featureIncompat()).isEqualTo(0x2C2);
            assertThat(sb.featureRoCompat()).isEqualTo(0x46B);
            assertThat(sb.is64Bit()).isTrue();
            assertThat(sb.featureNames()).containsExactly("has_journal", "ext_attr", "resize_inode", "dir_index",
                    "filetype", "extent", "64bit", "flex_bg", "sparse_super", "large_file", "huge_file", "dir_nlink",
                    "extra_isize", "metadata_csum");
        }

        @Test
        void shouldPrintTheLabelBlockSizeAndBlockCountFirst() {
            List<String> lines = Ext4Superblock.decode(MemorySegment.ofArray(sample())).describe();

            assertThat(lines).containsExactly(
                    "ext4info: label parasol, block size 4096, blocks 16384",
                    "ext4info: uuid 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0, revision 1, inode size 256",
                    "ext4info: 16384 inodes (16373 free), 14000 free blocks, 819 reserved",
                    "ext4info: first data block 0, 32768 blocks and 16384 inodes per group",
                    "ext4info: features has_journal ext_attr resize_inode dir_index filetype extent 64bit flex_bg "
                            + "sparse_super large_file huge_file dir_nlink extra_isize metadata_csum");
        }

        @Test
        void shouldAddTheHighWordsOnlyWithThe64bitFeature() {
            byte[] b = sample();
            MemorySegment s = MemorySegment.ofArray(b);
            s.set(U32, Ext4Superblock.BLOCKS_COUNT_LO_OFFSET, 0x8000_0001);
            s.set(U32, Ext4Superblock.BLOCKS_COUNT_HI_OFFSET, 3);
            s.set(U32, Ext4Superblock.R_BLOCKS_COUNT_HI_OFFSET, 4);
            s.set(U32, Ext4Superblock.FREE_BLOCKS_HI_OFFSET, 5);

            Ext4Superblock wide = Ext4Superblock.decode(s);
            assertThat(wide.blocksCount()).isEqualTo(0x3_8000_0001L);
            assertThat(wide.reservedBlocksCount()).isEqualTo((4L << 32) + 819);
            assertThat(wide.freeBlocksCount()).isEqualTo((5L << 32) + 14000);

            s.set(U32, Ext4Superblock.FEATURE_INCOMPAT_OFFSET, 0x2C2 & ~Ext4Superblock.INCOMPAT_64BIT);
            Ext4Superblock narrow = Ext4Superblock.decode(s);
            assertThat(narrow.is64Bit()).isFalse();
            assertThat(narrow.blocksCount()).isEqualTo(0x8000_0001L);
            assertThat(narrow.reservedBlocksCount()).isEqualTo(819);
            assertThat(narrow.freeBlocksCount()).isEqualTo(14000);
        }

        @Test
        @DisplayName("a label of all 16 bytes has no NUL; an empty label and a nil UUID print as dumpe2fs's <none>")
        void shouldHandleFullAndEmptyLabels() {
            byte[] b = sample();
            byte[] full = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(full, 0, b, (int) Ext4Superblock.VOLUME_NAME_OFFSET, 16);
            b[(int) Ext4Superblock.LAST_MOUNTED_OFFSET] = 'X'; // the next field must not leak into the label
            assertThat(Ext4Superblock.decode(MemorySegment.ofArray(b)).volumeName()).isEqualTo("0123456789abcdef");

            byte[] none = sample();
            for (int i = 0; i < 16; i++) {
                none[(int) Ext4Superblock.VOLUME_NAME_OFFSET + i] = 0;
                none[(int) Ext4Superblock.UUID_OFFSET + i] = 0;
            }
            none[(int) Ext4Superblock.VOLUME_NAME_OFFSET + 3] = 'x'; // after the first NUL: ignored
            Ext4Superblock sb = Ext4Superblock.decode(MemorySegment.ofArray(none));
            assertThat(sb.volumeName()).isEmpty();
            assertThat(sb.uuid()).isEqualTo("<none>");
            assertThat(sb.describe().get(0)).isEqualTo("ext4info: label <none>, block size 4096, blocks 16384");
        }

        @Test
        void shouldDecodeUtf8LabelsAndReplaceMalformedBytes() {
            byte[] b = sample();
            byte[] label = "größe".getBytes(StandardCharsets.UTF_8);
            System.arraycopy(label, 0, b, (int) Ext4Superblock.VOLUME_NAME_OFFSET, label.length);
            assertThat(Ext4Superblock.decode(MemorySegment.ofArray(b)).volumeName()).isEqualTo("größe");

            b[(int) Ext4Superblock.VOLUME_NAME_OFFSET] = (byte) 0xFF;
            assertThat(Ext4Superblock.decode(MemorySegment.ofArray(b)).volumeName()).startsWith("\uFFFD");
        }

        @Test
        @DisplayName("a revision 0 file system has 128-byte inodes whatever s_inode_size holds")
        void shouldUseTheGoodOldInodeSizeForRevisionZero() {
            byte[] b = sample();
            MemorySegment.ofArray(b).set(U32, Ext4Superblock.REV_LEVEL_OFFSET, 0);

            assertThat(Ext4Superblock.decode(MemorySegment.ofArray(b)).inodeSize()).isEqualTo(128);
        }

        @Test
        void shouldTakeTheSuperblockFromByte1024OfADeviceAtAnyAlignment() {
            byte[] device = new byte[1 + 4096];
            System.arraycopy(sample(), 0, device, 1 + 1024, 1024);

            Ext4Superblock sb = Ext4Superblock.fromDevice(MemorySegment.ofArray(device).asSlice(1));

            assertThat(sb.volumeName()).isEqualTo("parasol");
            assertThat(sb.blocksCount()).isEqualTo(16384);
            assertThatThrownBy(() -> Ext4Superblock.fromDevice(MemorySegment.ofArray(new byte[2047])))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2048");
        }

        @Test
        void shouldRefuseAWrongMagicNamingIt() {
            byte[] b = sample();
            MemorySegment.ofArray(b).set(U16, Ext4Superblock.MAGIC_OFFSET, (short) 0x53EF);

            assertThatThrownBy(() -> Ext4Superblock.decode(MemorySegment.ofArray(b)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("magic 0x53ef").hasMessageContaining("0xef53");
        }

        @Test
        void shouldRefuseAbsurdBlockSizes() {
            for (int log : new int[] {7, 31, 32, -1}) {
                byte[] b = sample();
                MemorySegment.ofArray(b).set(U32, Ext4Superblock.LOG_BLOCK_SIZE_OFFSET, log);

                assertThatThrownBy(() -> Ext4Superblock.decode(MemorySegment.ofArray(b)))
                        .as("s_log_block_size %d", log)
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("block size");
            }
            byte[] largest = sample();
            MemorySegment.ofArray(largest).set(U32, Ext4Superblock.LOG_BLOCK_SIZE_OFFSET, 6);
            assertThat(Ext4Superblock.decode(MemorySegment.ofArray(largest)).blockSize()).isEqualTo(65536);
        }

        @Test
        @DisplayName("with 64bit, a count's high word of 2^31 or more is refused: counts stay non-negative longs")
        void shouldRefuseBlockCountsBeyondALong() {
            long[] highs = {Ext4Superblock.BLOCKS_COUNT_HI_OFFSET, Ext4Superblock.R_BLOCKS_COUNT_HI_OFFSET,
                Ext4Superblock.FREE_BLOCKS_HI_OFFSET};
            for (long high : highs) {
                byte[] b = sample();
                MemorySegment s = MemorySegment.ofArray(b);
                s.set(U32, high, 0x8000_0000);

                assertThatThrownBy(() -> Ext4Superblock.decode(s)).as("high word @%d", high)
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("block count");

                s.set(U32, Ext4Superblock.FEATURE_INCOMPAT_OFFSET, 0x2C2 & ~Ext4Superblock.INCOMPAT_64BIT);
                assertThat(Ext4Superblock.decode(s).blocksCount()).as("without 64bit the high words are not read")
                        .isEqualTo(16384);
            }
            byte[] largest = sample();
            MemorySegment.ofArray(largest).set(U32, Ext4Superblock.BLOCKS_COUNT_HI_OFFSET, 0x7FFF_FFFF);
            MemorySegment.ofArray(largest).set(U32, Ext4Superblock.BLOCKS_COUNT_LO_OFFSET, -1);
            assertThat(Ext4Superblock.decode(MemorySegment.ofArray(largest)).blocksCount()).isEqualTo(Long.MAX_VALUE);
        }

        @Test
        void shouldRefuseFewerThan1024Bytes() {
            assertThatThrownBy(() -> Ext4Superblock.decode(MemorySegment.ofArray(new byte[1023])))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1024");
        }

        @Test
        void shouldReadFromASegmentThatIsLaterReused() {
            byte[] b = sample();
            Ext4Superblock sb = Ext4Superblock.decode(MemorySegment.ofArray(b));
            java.util.Arrays.fill(b, (byte) 0);

            assertThat(sb.volumeName()).isEqualTo("parasol");
            assertThat(sb.uuid()).isEqualTo("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
        }
    }

    @Nested
    class Features {

        @Test
        void shouldNameUnknownBitsTheWayDumpe2fsDoes() {
            assertThat(Ext4Superblock.featureName('C', 7)).isEqualTo("FEATURE_C7");
            assertThat(Ext4Superblock.featureName('I', 5)).isEqualTo("FEATURE_I5");
            assertThat(Ext4Superblock.featureName('R', 31)).isEqualTo("FEATURE_R31");
            assertThat(Ext4Superblock.featureName('R', 12)).isEqualTo("read-only");
            assertThat(Ext4Superblock.featureName('I', 2)).isEqualTo("needs_recovery");
        }

        @Test
        void shouldRefuseOtherWordsAndBits() {
            assertThatThrownBy(() -> Ext4Superblock.featureName('X', 0)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> Ext4Superblock.featureName('C', 32)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> Ext4Superblock.featureName('C', -1)).isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        void shouldListNoFeaturesAsNoneInTheDescription() {
            byte[] b = sample();
            MemorySegment s = MemorySegment.ofArray(b);
            s.set(U32, Ext4Superblock.FEATURE_COMPAT_OFFSET, 0);
            s.set(U32, Ext4Superblock.FEATURE_INCOMPAT_OFFSET, 0);
            s.set(U32, Ext4Superblock.FEATURE_RO_COMPAT_OFFSET, 0);

            Ext4Superblock sb = Ext4Superblock.decode(s);

            assertThat(sb.featureNames()).isEmpty();
            assertThat(sb.describe()).last().isEqualTo("ext4info: features (none)");
        }

        @Test
        void shouldListCompatThenIncompatThenRoCompatEachFromBitZero() {
            byte[] b = sample();
            MemorySegment s = MemorySegment.ofArray(b);
            s.set(U32, Ext4Superblock.FEATURE_COMPAT_OFFSET, 0x8000_0001);
            s.set(U32, Ext4Superblock.FEATURE_INCOMPAT_OFFSET, 0x0002_0001);
            s.set(U32, Ext4Superblock.FEATURE_RO_COMPAT_OFFSET, 0x0001_0001);

            assertThat(Ext4Superblock.decode(s).featureNames()).containsExactly("dir_prealloc", "FEATURE_C31",
                    "compression", "casefold", "sparse_super", "orphan_present");
        }
    }
}
