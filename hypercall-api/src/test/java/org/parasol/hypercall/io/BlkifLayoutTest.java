package org.parasol.hypercall.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import org.parasol.hypercall.SegmentBuffer;

import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Layouts of {@code io/blkif.h}. */
class BlkifLayoutTest {

    @Nested
    class Segment {

        @Test
        void shouldMatchXenSizeAndOffsets() {
            // fact sheet §12.1 blkif_request_segment
            assertThat(BlkifRequestSegment.LAYOUT.byteSize()).isEqualTo(8);
            assertThat(BlkifRequestSegment.GREF_OFFSET).isEqualTo(0);
            assertThat(BlkifRequestSegment.FIRST_SECT_OFFSET).isEqualTo(4);
            assertThat(BlkifRequestSegment.LAST_SECT_OFFSET).isEqualTo(5);
        }
    }

    @Nested
    class Request {

        @Test
        @DisplayName("blkif_request is 112 bytes with seg[11] @24")
        void shouldMatchXenSizeAndOffsets() {
            // fact sheet §12.1 blkif_request
            assertThat(BlkifRequest.LAYOUT.byteSize()).isEqualTo(112);
            assertThat(BlkifRequest.SIZE).isEqualTo(112);
            assertThat(BlkifRequest.OPERATION_OFFSET).isEqualTo(0);
            assertThat(BlkifRequest.NR_SEGMENTS_OFFSET).isEqualTo(1);
            assertThat(BlkifRequest.HANDLE_OFFSET).isEqualTo(2);
            assertThat(BlkifRequest.ID_OFFSET).isEqualTo(8);
            assertThat(BlkifRequest.SECTOR_NUMBER_OFFSET).isEqualTo(16);
            assertThat(BlkifRequest.SEG_OFFSET).isEqualTo(24);
            // fact sheet §12.1 BLKIF_MAX_SEGMENTS_PER_REQUEST = 11
            assertThat(BlkifRequest.SEG_LENGTH).isEqualTo(11);
        }

        @Test
        void shouldWriteXensBytes() {
            byte[] bytes = new byte[112];
            BlkifRequest request = new BlkifRequest().wrap(new SegmentBuffer(MemorySegment.ofArray(bytes)), 0);

            request.operation(1).nrSegments(2).handle(0xCA00).id(0x1122_3344_5566_7788L).sectorNumber(0x800);
            request.seg(0).gref(0x102).firstSect(0).lastSect(7);
            request.seg(1).gref(0xAABB_CCDDL).firstSect(1).lastSect(3);

            // fact sheet §12.1 blkif_request, little-endian
            assertThat(bytes).containsExactly(
                    0x01, 0x02, 0x00, 0xCA, 0x00, 0x00, 0x00, 0x00, // operation, nr_segments, handle, pad
                    0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, // id
                    0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // sector_number
                    0x02, 0x01, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, // seg[0]
                    0xDD, 0xCC, 0xBB, 0xAA, 0x01, 0x03, 0x00, 0x00, // seg[1]
                    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // seg[2]
                    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // seg[3]
                    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // seg[4]
                    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // seg[5]
                    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // seg[6]
                    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // seg[7]
                    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // seg[8]
                    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // seg[9]
                    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00); // seg[10]
        }

        @Test
        void shouldSnapshotOnlyTheSegmentsTheRequestCounts() {
            BlkifRequest request = new BlkifRequest().wrap(new SegmentBuffer(MemorySegment.ofArray(new byte[112])), 0);
            request.operation(0).nrSegments(1).handle(51712).id(-1L).sectorNumber(8);
            request.seg(0).gref(9).firstSect(0).lastSect(7);
            request.seg(1).gref(10);

            assertThat(request.toValue()).isEqualTo(new BlkifRequestValue(0, 1, 51712, -1L, 8,
                    List.of(new BlkifRequestSegmentValue(9, 0, 7))));
        }

        @Test
        @DisplayName("a hostile nr_segments above 11 is kept, but only 11 descriptors exist")
        void shouldSnapshotAHostileSegmentCountWithoutReadingPastSeg() {
            BlkifRequest request = new BlkifRequest().wrap(new SegmentBuffer(MemorySegment.ofArray(new byte[112])), 0);
            request.nrSegments(200);

            BlkifRequestValue value = request.toValue();

            assertThat(value.nrSegments()).isEqualTo(200);
            assertThat(value.segments()).hasSize(11);
        }

        @Test
        void shouldWriteAValueBackIdentically() {
            BlkifRequestValue value = new BlkifRequestValue(1, 2, 0xFFFF, 42, 1L << 40,
                    List.of(new BlkifRequestSegmentValue(0xFFFF_FFFFL, 2, 5), new BlkifRequestSegmentValue(3, 0, 0)));
            BlkifRequest request = new BlkifRequest().wrap(new SegmentBuffer(MemorySegment.ofArray(new byte[200])), 77);

            assertThat(request.set(value).toValue()).isEqualTo(value);
        }

        @Test
        void shouldRefuseSegmentIndexOutsideSeg() {
            BlkifRequest request = new BlkifRequest().wrap(new SegmentBuffer(MemorySegment.ofArray(new byte[112])), 0);

            assertThatThrownBy(() -> request.seg(11)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> request.seg(-1)).isInstanceOf(IndexOutOfBoundsException.class);
        }

        @Test
        void shouldRefuseToWrapARequestThatOverrunsTheSegment() {
            SegmentBuffer slot = new SegmentBuffer(MemorySegment.ofArray(new byte[111]));

            assertThatThrownBy(() -> new BlkifRequest().wrap(slot, 0)).isInstanceOf(IndexOutOfBoundsException.class);
        }

        @Test
        void shouldRefuseValuesTheWireCannotHold() {
            assertThatThrownBy(() -> new BlkifRequestValue(256, 0, 0, 0, 0, List.of()))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> new BlkifRequestValue(0, 0, 0x1_0000, 0, 0, List.of()))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> new BlkifRequestSegmentValue(1L << 32, 0, 0))
                    .isInstanceOf(IllegalArgumentException.class);
            List<BlkifRequestSegmentValue> twelve = java.util.Collections.nCopies(12, new BlkifRequestSegmentValue(0, 0, 0));
            assertThatThrownBy(() -> new BlkifRequestValue(0, 12, 0, 0, 0, twelve))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Nested
    class Discard {

        @Test
        void shouldMatchXenSizeAndOffsets() {
            // fact sheet §12.1 blkif_request_discard
            assertThat(BlkifRequestDiscard.LAYOUT.byteSize()).isEqualTo(32);
            assertThat(BlkifRequestDiscard.OPERATION_OFFSET).isEqualTo(0);
            assertThat(BlkifRequestDiscard.FLAG_OFFSET).isEqualTo(1);
            assertThat(BlkifRequestDiscard.HANDLE_OFFSET).isEqualTo(2);
            assertThat(BlkifRequestDiscard.ID_OFFSET).isEqualTo(8);
            assertThat(BlkifRequestDiscard.SECTOR_NUMBER_OFFSET).isEqualTo(16);
            assertThat(BlkifRequestDiscard.NR_SECTORS_OFFSET).isEqualTo(24);
        }
    }

    @Nested
    class Indirect {

        @Test
        void shouldMatchXenSizeAndOffsets() {
            // fact sheet §12.1 blkif_request_indirect (x86-64)
            assertThat(BlkifRequestIndirect.LAYOUT.byteSize()).isEqualTo(64);
            assertThat(BlkifRequestIndirect.OPERATION_OFFSET).isEqualTo(0);
            assertThat(BlkifRequestIndirect.INDIRECT_OP_OFFSET).isEqualTo(1);
            assertThat(BlkifRequestIndirect.NR_SEGMENTS_OFFSET).isEqualTo(2);
            assertThat(BlkifRequestIndirect.ID_OFFSET).isEqualTo(8);
            assertThat(BlkifRequestIndirect.SECTOR_NUMBER_OFFSET).isEqualTo(16);
            assertThat(BlkifRequestIndirect.HANDLE_OFFSET).isEqualTo(24);
            assertThat(BlkifRequestIndirect.INDIRECT_GREFS_OFFSET).isEqualTo(28);
            // fact sheet §12.1 BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST = 8
            assertThat(BlkifRequestIndirect.INDIRECT_GREFS_LENGTH).isEqualTo(8);
        }

        @Test
        void shouldPlaceEachIndirectGrefAtItsOffset() {
            byte[] bytes = new byte[64];
            BlkifRequestIndirect request = new BlkifRequestIndirect().wrap(new SegmentBuffer(MemorySegment.ofArray(bytes)), 0);

            request.indirectGref(7, 0x0403_0201L);

            // fact sheet §12.1 indirect_grefs[8] u32 @28: element 7 at 28 + 28 = 56
            assertThat(java.util.Arrays.copyOfRange(bytes, 56, 60)).containsExactly(1, 2, 3, 4);
            assertThatThrownBy(() -> request.indirectGref(8)).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    @Nested
    class Response {

        @Test
        void shouldMatchXenSizeAndOffsets() {
            // fact sheet §12.1 blkif_response
            assertThat(BlkifResponse.LAYOUT.byteSize()).isEqualTo(16);
            assertThat(BlkifResponse.ID_OFFSET).isEqualTo(0);
            assertThat(BlkifResponse.OPERATION_OFFSET).isEqualTo(8);
            assertThat(BlkifResponse.STATUS_OFFSET).isEqualTo(10);
        }

        @Test
        @DisplayName("status is signed: BLKIF_RSP_EOPNOTSUPP = -2")
        void shouldSignExtendStatus() {
            byte[] bytes = new byte[16];
            BlkifResponse response = new BlkifResponse().wrap(new SegmentBuffer(MemorySegment.ofArray(bytes)), 0);

            response.id(5).operation(3).status(-2);

            assertThat(bytes[10]).isEqualTo((byte) 0xFE);
            assertThat(bytes[11]).isEqualTo((byte) 0xFF);
            assertThat(response.toValue()).isEqualTo(new BlkifResponseValue(5, 3, -2));
        }

        @Test
        void shouldRefuseAStatusOutsideS16() {
            assertThatThrownBy(() -> new BlkifResponseValue(0, 0, 0x8000)).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
