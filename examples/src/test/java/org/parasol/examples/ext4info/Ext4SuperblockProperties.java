package org.parasol.examples.ext4info;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;


/**
 * The superblock comes from a disk the guest does not trust: any bytes either decode or are
 * refused with {@link IllegalArgumentException}, never another exception, and a decode can
 * always describe itself.
 */
class Ext4SuperblockProperties {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * Random bytes, mostly long enough for a superblock; of those, three in four get the right
     * magic and half of these a block size log of 0..7 (7 is still refused).
     */
    @Provide
    Arbitrary<byte[]> superblocks() {
        Arbitrary<byte[]> raw = Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.bytes().array(byte[].class).ofMaxSize(1100)),
                Tuple.of(4, Arbitraries.bytes().array(byte[].class).ofMinSize(1024).ofMaxSize(1100)));
        return raw.flatMap(bytes -> Arbitraries.integers().between(0, 3).map(mode -> {
            if (bytes.length >= Ext4Superblock.SIZE && mode > 0) {
                MemorySegment s = MemorySegment.ofArray(bytes);
                s.set(U16, Ext4Superblock.MAGIC_OFFSET, (short) Ext4Superblock.MAGIC);
                if (mode > 1) {
                    s.set(U32, Ext4Superblock.LOG_BLOCK_SIZE_OFFSET, s.get(U32, Ext4Superblock.LOG_BLOCK_SIZE_OFFSET) & 7);
                }
            }
            return bytes;
        }));
    }

    @Property(tries = 2000)
    @Label("any bytes decode, or are refused with IllegalArgumentException; a decode describes itself")
    void shouldDecodeOrRefuseAnyBytes(@ForAll("superblocks") byte[] bytes) {
        Ext4Superblock sb;
        try {
            sb = Ext4Superblock.decode(MemorySegment.ofArray(bytes));
        } catch (IllegalArgumentException refused) {
            assertThat(refused.getMessage()).isNotBlank();
            return;
        }
        assertThat(bytes.length).isGreaterThanOrEqualTo(Ext4Superblock.SIZE);
        assertThat(sb.blockSize()).isBetween(1024, 65536);
        assertThat(sb.blocksCount()).isNotNegative();
        assertThat(sb.reservedBlocksCount()).isNotNegative();
        assertThat(sb.freeBlocksCount()).isNotNegative();
        assertThat(sb.inodesCount()).isNotNegative();
        assertThat(sb.volumeName().length()).isLessThanOrEqualTo(16);
        assertThat(sb.uuid()).matches("<none>|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
        assertThat(sb.featureNames()).hasSize(Integer.bitCount(sb.featureCompat())
                + Integer.bitCount(sb.featureIncompat()) + Integer.bitCount(sb.featureRoCompat()));
        assertThat(sb.describe()).hasSize(5).allMatch(line -> line.startsWith("ext4info: "));
        assertThat(sb.toString()).contains("blockSize=" + sb.blockSize());
    }

    @Property
    @Label("whatever the other bytes hold, the right magic, a 1..64 KiB block size and high words below 2^31 decode")
    void shouldDecodeAnyFieldsAroundAValidMagicAndBlockSize(@ForAll @Size(1024) byte[] bytes,
            @ForAll @IntRange(min = 0, max = 6) int log) {
        MemorySegment s = MemorySegment.ofArray(bytes);
        s.set(U16, Ext4Superblock.MAGIC_OFFSET, (short) Ext4Superblock.MAGIC);
        s.set(U32, Ext4Superblock.LOG_BLOCK_SIZE_OFFSET, log);
        for (long high : new long[] {Ext4Superblock.BLOCKS_COUNT_HI_OFFSET, Ext4Superblock.R_BLOCKS_COUNT_HI_OFFSET,
            Ext4Superblock.FREE_BLOCKS_HI_OFFSET}) {
            s.set(U32, high, s.get(U32, high) & 0x7FFF_FFFF);
        }

        Ext4Superblock sb = Ext4Superblock.decode(s);

        assertThat(sb.blockSize()).isEqualTo(1024 << log);
        assertThat(sb.describe().get(0)).contains("block size " + (1024 << log) + ", blocks " + sb.blocksCount());
    }
}
