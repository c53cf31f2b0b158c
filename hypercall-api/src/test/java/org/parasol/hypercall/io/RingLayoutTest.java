package org.parasol.hypercall.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import org.parasol.hypercall.SegmentBuffer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Layouts and helpers of {@code io/ring.h}. */
class RingLayoutTest {

    @Nested
    class SharedRingHeaderLayout {

        @Test
        @DisplayName("sring header = 64 bytes; ring[] starts @64")
        void shouldMatchXenSizeAndOffsets() {
            // fact sheet §11 sring header
            assertThat(SharedRingHeader.LAYOUT.byteSize()).isEqualTo(64);
            assertThat(SharedRingHeader.SIZE).isEqualTo(64);
            assertThat(SharedRingHeader.REQ_PROD_OFFSET).isEqualTo(0);
            assertThat(SharedRingHeader.REQ_EVENT_OFFSET).isEqualTo(4);
            assertThat(SharedRingHeader.RSP_PROD_OFFSET).isEqualTo(8);
            assertThat(SharedRingHeader.RSP_EVENT_OFFSET).isEqualTo(12);
            assertThat(SharedRingHeader.PVT_OFFSET).isEqualTo(16);
            assertThat(SharedRingHeader.PVT_LENGTH).isEqualTo(4);
            assertThat(SharedRingHeader.PAD_OFFSET).isEqualTo(20);
            assertThat(SharedRingHeader.PAD_LENGTH).isEqualTo(44);
            assertThat(SharedRingHeader.RING_OFFSET).isEqualTo(64);
        }

        @Test
        void shouldRefuseToWrapPastTheSegmentEnd() {
            MemorySegment page = MemorySegment.ofArray(new byte[4096]);
            SharedRingHeader header = new SharedRingHeader();

            assertThatThrownBy(() -> header.wrap(new SegmentBuffer(page), 4096 - 63)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> header.wrap(new SegmentBuffer(page), -1)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThat(header.wrap(new SegmentBuffer(page), 4096 - 64).base()).isEqualTo(4032);
        }

        @Test
        void shouldRefusePvtIndexOutsideTheUnion() {
            SharedRingHeader header = new SharedRingHeader().wrap(new SegmentBuffer(MemorySegment.ofArray(new byte[64])), 0);

            assertThatThrownBy(() -> header.pvt(4)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> header.pvt(-1, 0)).isInstanceOf(IndexOutOfBoundsException.class);
        }

        @Test
        void shouldPublishIndicesWithReleaseAndReadThemWithAcquire() {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment page = arena.allocate(4096, 4096);
                SharedRingHeader header = new SharedRingHeader().wrap(new SegmentBuffer(page), 0);

                header.reqProdRelease(0xFFFF_FFFE);
                header.reqEventRelease(1);
                header.rspProdRelease(7);
                header.rspEventRelease(0x8000_0000);

                assertThat(header.reqProd()).isEqualTo(0xFFFF_FFFEL);
                assertThat(header.reqEvent()).isEqualTo(1);
                assertThat(header.rspProd()).isEqualTo(7);
                assertThat(header.rspEvent()).isEqualTo(0x8000_0000L);
                assertThat(header.reqProdAcquire()).isEqualTo(0xFFFF_FFFE);
                assertThat(header.reqEventAcquire()).isEqualTo(1);
                assertThat(header.rspProdAcquire()).isEqualTo(7);
                assertThat(header.rspEventAcquire()).isEqualTo(0x8000_0000);
            }
        }

        @Test
        @DisplayName("ordered access needs naturally aligned 32-bit indices")
        void shouldRefuseOrderedAccessToAMisalignedHeader() {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment page = arena.allocate(4096, 4096);
                SegmentBuffer buffer = new SegmentBuffer(page);

                assertThatThrownBy(() -> new SharedRingHeader().wrap(buffer, 2).reqProdAcquire())
                        .isInstanceOf(IllegalArgumentException.class);
                assertThatThrownBy(() -> new SharedRingHeader().wrap(buffer, 1).rspProdRelease(0))
                        .isInstanceOf(IllegalArgumentException.class);
            }
        }

        @Test
        void shouldClearTheWholeHeaderAndNothingElse() {
            byte[] bytes = new byte[130];
            java.util.Arrays.fill(bytes, (byte) 0x5A);
            SharedRingHeader header = new SharedRingHeader().wrap(new SegmentBuffer(MemorySegment.ofArray(bytes)), 1);

            header.clear();

            assertThat(bytes[0]).isEqualTo((byte) 0x5A);
            assertThat(java.util.Arrays.copyOfRange(bytes, 1, 65)).containsOnly(0);
            assertThat(bytes[65]).isEqualTo((byte) 0x5A);
        }
    }

    @Nested
    class RingGeometryRules {

        @Test
        @DisplayName("ring size = (bytes - 64) / sizeof(entry), rounded down to a power of two")
        void shouldGiveXensSlotCountsForOnePage() {
            // fact sheet §11 ring size: blkif 4032/112 = 36 -> 32; netif tx 336 -> 256; rx 504 -> 256
            assertThat(RingGeometry.onePage(112).size()).isEqualTo(32);
            assertThat(RingGeometry.onePage(12).size()).isEqualTo(256);
            assertThat(RingGeometry.onePage(8).size()).isEqualTo(256);
            assertThat(SringEntries.BLKIF_ONE_PAGE.size()).isEqualTo(32);
            assertThat(SringEntries.NETIF_TX_ONE_PAGE.size()).isEqualTo(256);
            assertThat(SringEntries.NETIF_RX_ONE_PAGE.size()).isEqualTo(256);
            assertThat(SringEntries.NETIF_CTRL_ONE_PAGE.size()).isEqualTo(128);
        }

        @Test
        void shouldScaleWithMultiPageRings() {
            // 4 pages of blkif: (16384 - 64) / 112 = 145 -> 128
            assertThat(RingGeometry.of(4 * 4096, 112).size()).isEqualTo(128);
        }

        @Test
        @DisplayName("slot for index i = i & (size - 1), also across 32-bit wraparound")
        void shouldMaskFreeRunningIndices() {
            RingGeometry blkif = SringEntries.BLKIF_ONE_PAGE;

            assertThat(blkif.slot(0)).isEqualTo(0);
            assertThat(blkif.slot(33)).isEqualTo(1);
            assertThat(blkif.slot(0xFFFF_FFFF)).isEqualTo(31);
            assertThat(blkif.slotOffset(0)).isEqualTo(64);
            assertThat(blkif.slotOffset(31)).isEqualTo(64 + 31 * 112);
            assertThat(blkif.slotOffset(32)).isEqualTo(64);
            assertThat(blkif.slotOffset(31) + 112).isLessThanOrEqualTo(4096);
        }

        @Test
        void shouldRefuseARingWithNoRoomForOneEntry() {
            assertThatThrownBy(() -> RingGeometry.of(64 + 111, 112)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> RingGeometry.of(10, 8)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> RingGeometry.onePage(0)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> new RingGeometry(24, 8)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Nested
    class SringEntryUnions {

        @Test
        @DisplayName("each ring entry is a union of request and response")
        void shouldSizeEntriesAsTheLargerMember() {
            // fact sheet §12.1 ring entry = 112 B
            assertThat(SringEntries.BLKIF.byteSize()).isEqualTo(112);
            // fact sheet §13.1 tx ring entry = 12 B; rx 8 B; control request 16 B
            assertThat(SringEntries.NETIF_TX.byteSize()).isEqualTo(12);
            assertThat(SringEntries.NETIF_RX.byteSize()).isEqualTo(8);
            assertThat(SringEntries.NETIF_CTRL.byteSize()).isEqualTo(16);
        }

        @Test
        void shouldFitDiscardAndIndirectRequestsInABlkifEntry() {
            // fact sheet §12.1 discard 32 B and indirect 64 B travel in the 112-byte slot
            assertThat(BlkifRequestDiscard.SIZE).isLessThanOrEqualTo(SringEntries.BLKIF.byteSize());
            assertThat(BlkifRequestIndirect.SIZE).isLessThanOrEqualTo(SringEntries.BLKIF.byteSize());
            assertThat(NetifExtraInfo.SIZE).isLessThanOrEqualTo(SringEntries.NETIF_RX.byteSize());
        }
    }
}
