package org.parasol.hypercall.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import org.parasol.hypercall.SegmentBuffer;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Layouts of {@code io/netif.h}. */
class NetifLayoutTest {

    @Nested
    class TxRequest {

        @Test
        void shouldMatchXenSizeAndOffsets() {
            // fact sheet §13.1 netif_tx_request
            assertThat(NetifTxRequest.LAYOUT.byteSize()).isEqualTo(12);
            assertThat(NetifTxRequest.GREF_OFFSET).isEqualTo(0);
            assertThat(NetifTxRequest.OFFSET_OFFSET).isEqualTo(4);
            assertThat(NetifTxRequest.FLAGS_OFFSET).isEqualTo(6);
            assertThat(NetifTxRequest.ID_OFFSET).isEqualTo(8);
            assertThat(NetifTxRequest.SIZE_OFFSET).isEqualTo(10);
        }

        @Test
        void shouldWriteXensBytes() {
            byte[] bytes = new byte[12];
            NetifTxRequest request = new NetifTxRequest().wrap(new SegmentBuffer(MemorySegment.ofArray(bytes)), 0);

            // csum_blank | more_data | extra_info, a 1500-byte packet
            request.gref(0x0102_0304L).offset(0x123).flags(0x000D).id(0x42).size(1500);

            // fact sheet §13.1 netif_tx_request, little-endian
            assertThat(bytes).containsExactly(
                    0x04, 0x03, 0x02, 0x01, // gref
                    0x23, 0x01,             // offset
                    0x0D, 0x00,             // flags
                    0x42, 0x00,             // id
                    0xDC, 0x05);            // size
        }

        @Test
        void shouldRefuseToWrapPastTheSegmentEnd() {
            SegmentBuffer slot = new SegmentBuffer(MemorySegment.ofArray(new byte[20]));

            assertThatThrownBy(() -> new NetifTxRequest().wrap(slot, 9)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThat(new NetifTxRequest().wrap(slot, 8).base()).isEqualTo(8);
        }
    }

    @Nested
    class TxResponse {

        @Test
        void shouldMatchXenSizeAndOffsets() {
            // fact sheet §13.1 netif_tx_response
            assertThat(NetifTxResponse.LAYOUT.byteSize()).isEqualTo(4);
            assertThat(NetifTxResponse.ID_OFFSET).isEqualTo(0);
            assertThat(NetifTxResponse.STATUS_OFFSET).isEqualTo(2);
        }

        @Test
        @DisplayName("status is signed: NETIF_RSP_DROPPED = -2")
        void shouldSignExtendStatus() {
            NetifTxResponse response = new NetifTxResponse().wrap(new SegmentBuffer(MemorySegment.ofArray(new byte[4])), 0);

            assertThat(response.status(-2).status()).isEqualTo(-2);
        }
    }

    @Nested
    class RxRequest {

        @Test
        void shouldMatchXenSizeAndOffsets() {
            // fact sheet §13.1 netif_rx_request
            assertThat(NetifRxRequest.LAYOUT.byteSize()).isEqualTo(8);
            assertThat(NetifRxRequest.ID_OFFSET).isEqualTo(0);
            assertThat(NetifRxRequest.GREF_OFFSET).isEqualTo(4);
        }
    }

    @Nested
    class RxResponse {

        @Test
        void shouldMatchXenSizeAndOffsets() {
            // fact sheet §13.1 netif_rx_response
            assertThat(NetifRxResponse.LAYOUT.byteSize()).isEqualTo(8);
            assertThat(NetifRxResponse.ID_OFFSET).isEqualTo(0);
            assertThat(NetifRxResponse.OFFSET_OFFSET).isEqualTo(2);
            assertThat(NetifRxResponse.FLAGS_OFFSET).isEqualTo(4);
            assertThat(NetifRxResponse.STATUS_OFFSET).isEqualTo(6);
        }
    }

    @Nested
    class ExtraInfo {

        @Test
        void shouldMatchXenSizeAndOffsets() {
            // fact sheet §13.1 netif_extra_info: type @0, flags @1, union @2 (6 B)
            assertThat(NetifExtraInfo.LAYOUT.byteSize()).isEqualTo(8);
            assertThat(NetifExtraInfo.U_LAYOUT.byteSize()).isEqualTo(6);
            assertThat(NetifExtraInfo.TYPE_OFFSET).isEqualTo(0);
            assertThat(NetifExtraInfo.FLAGS_OFFSET).isEqualTo(1);
            assertThat(NetifExtraInfo.U_OFFSET).isEqualTo(2);
            // fact sheet §13.1 gso {size u16 @2, type u8 @4, pad u8 @5, features u16 @6}
            assertThat(NetifExtraInfo.GSO_SIZE_OFFSET).isEqualTo(2);
            assertThat(NetifExtraInfo.GSO_TYPE_OFFSET).isEqualTo(4);
            assertThat(NetifExtraInfo.GSO_FEATURES_OFFSET).isEqualTo(6);
            // fact sheet §13.1 mcast {addr[6]}
            assertThat(NetifExtraInfo.MCAST_ADDR_OFFSET).isEqualTo(2);
            assertThat(NetifExtraInfo.MCAST_ADDR_LENGTH).isEqualTo(6);
            // fact sheet §13.1 hash {type u8, algorithm u8, value[4]}
            assertThat(NetifExtraInfo.HASH_TYPE_OFFSET).isEqualTo(2);
            assertThat(NetifExtraInfo.HASH_ALGORITHM_OFFSET).isEqualTo(3);
            assertThat(NetifExtraInfo.HASH_VALUE_OFFSET).isEqualTo(4);
            assertThat(NetifExtraInfo.HASH_VALUE_LENGTH).isEqualTo(4);
        }

        @Test
        @DisplayName("the gso, mcast and hash views overlay the same six bytes")
        void shouldShowOneUnionThroughEveryView() {
            byte[] bytes = new byte[8];
            NetifExtraInfo extra = new NetifExtraInfo().wrap(new SegmentBuffer(MemorySegment.ofArray(bytes)), 0);

            extra.type(1).flags(1).gsoSize(1448).gsoType(1).gsoFeatures(0);

            assertThat(bytes).containsExactly(0x01, 0x01, 0xA8, 0x05, 0x01, 0x00, 0x00, 0x00);
            assertThat(extra.mcastAddr(0)).isEqualTo(0xA8);
            assertThat(extra.mcastAddr(1)).isEqualTo(0x05);
            assertThat(extra.hashType()).isEqualTo(0xA8);
            assertThat(extra.hashValue(0)).isEqualTo(0x01);
            assertThatThrownBy(() -> extra.mcastAddr(6)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> extra.hashValue(4, 0)).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    @Nested
    class Ctrl {

        @Test
        void shouldMatchXenRequestSizeAndOffsets() {
            // fact sheet §13.1 control ring request {u16 id; u16 type; u32 data[3]}
            assertThat(NetifCtrlRequest.LAYOUT.byteSize()).isEqualTo(16);
            assertThat(NetifCtrlRequest.ID_OFFSET).isEqualTo(0);
            assertThat(NetifCtrlRequest.TYPE_OFFSET).isEqualTo(2);
            assertThat(NetifCtrlRequest.DATA_OFFSET).isEqualTo(4);
            assertThat(NetifCtrlRequest.DATA_LENGTH).isEqualTo(3);
        }

        @Test
        void shouldMatchXenResponseSizeAndOffsets() {
            // fact sheet §13.1 control ring response {u16 id; u16 type; u32 status; u32 data}
            assertThat(NetifCtrlResponse.LAYOUT.byteSize()).isEqualTo(12);
            assertThat(NetifCtrlResponse.ID_OFFSET).isEqualTo(0);
            assertThat(NetifCtrlResponse.TYPE_OFFSET).isEqualTo(2);
            assertThat(NetifCtrlResponse.STATUS_OFFSET).isEqualTo(4);
            assertThat(NetifCtrlResponse.DATA_OFFSET).isEqualTo(8);
        }

        @Test
        void shouldRefuseDataIndexOutsideTheArray() {
            NetifCtrlRequest request = new NetifCtrlRequest().wrap(new SegmentBuffer(MemorySegment.ofArray(new byte[16])), 0);

            assertThatThrownBy(() -> request.data(3)).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }
}
