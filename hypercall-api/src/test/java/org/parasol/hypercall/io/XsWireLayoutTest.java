package org.parasol.hypercall.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import org.parasol.hypercall.SegmentBuffer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Layouts of {@code io/xs_wire.h}. */
class XsWireLayoutTest {

    @Nested
    class Sockmsg {

        @Test
        void shouldMatchXenSizeAndOffsets() {
            // fact sheet §14.1 xsd_sockmsg
            assertThat(XsdSockmsg.LAYOUT.byteSize()).isEqualTo(16);
            assertThat(XsdSockmsg.TYPE_OFFSET).isEqualTo(0);
            assertThat(XsdSockmsg.REQ_ID_OFFSET).isEqualTo(4);
            assertThat(XsdSockmsg.TX_ID_OFFSET).isEqualTo(8);
            assertThat(XsdSockmsg.LEN_OFFSET).isEqualTo(12);
        }

        @Test
        void shouldWriteXensBytes() {
            byte[] bytes = new byte[16];
            XsdSockmsg header = new XsdSockmsg().wrap(new SegmentBuffer(MemorySegment.ofArray(bytes)), 0);

            // XS_READ of an 18-byte path in transaction 7
            header.type(2).reqId(0xDEAD_BEEFL).txId(7).len(18);

            // fact sheet §14.1 xsd_sockmsg, little-endian
            assertThat(bytes).containsExactly(
                    0x02, 0x00, 0x00, 0x00, // type
                    0xEF, 0xBE, 0xAD, 0xDE, // req_id
                    0x07, 0x00, 0x00, 0x00, // tx_id
                    0x12, 0x00, 0x00, 0x00); // len
            assertThat(header.toValue()).isEqualTo(new XsdSockmsgValue(2, 0xDEAD_BEEFL, 7, 18));
        }

        @Test
        void shouldWriteAValueBackIdentically() {
            XsdSockmsgValue value = new XsdSockmsgValue(15, 0, 0, 0xFFFF_FFFFL);
            XsdSockmsg header = new XsdSockmsg().wrap(new SegmentBuffer(MemorySegment.ofArray(new byte[21])), 5);

            assertThat(header.set(value).toValue()).isEqualTo(value);
            assertThatThrownBy(() -> new XsdSockmsgValue(-1, 0, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Nested
    class DomainInterface {

        @Test
        void shouldMatchXenSizeAndOffsets() {
            // fact sheet §14.2 xenstore_domain_interface, 2080 B used
            assertThat(XenstoreDomainInterface.LAYOUT.byteSize()).isEqualTo(2080);
            assertThat(XenstoreDomainInterface.REQ_OFFSET).isEqualTo(0);
            assertThat(XenstoreDomainInterface.RSP_OFFSET).isEqualTo(1024);
            assertThat(XenstoreDomainInterface.REQ_CONS_OFFSET).isEqualTo(2048);
            assertThat(XenstoreDomainInterface.REQ_PROD_OFFSET).isEqualTo(2052);
            assertThat(XenstoreDomainInterface.RSP_CONS_OFFSET).isEqualTo(2056);
            assertThat(XenstoreDomainInterface.RSP_PROD_OFFSET).isEqualTo(2060);
            assertThat(XenstoreDomainInterface.SERVER_FEATURES_OFFSET).isEqualTo(2064);
            assertThat(XenstoreDomainInterface.CONNECTION_OFFSET).isEqualTo(2068);
            assertThat(XenstoreDomainInterface.ERROR_OFFSET).isEqualTo(2072);
            assertThat(XenstoreDomainInterface.EVTCHN_PORT_OFFSET).isEqualTo(2076);
            // fact sheet §14.2 XENSTORE_RING_SIZE = 1024
            assertThat(XenstoreDomainInterface.RING_SIZE).isEqualTo(1024);
        }

        @Test
        @DisplayName("byte x of a ring lives at x & 1023")
        void shouldMaskFreeRunningIndices() {
            assertThat(XenstoreDomainInterface.slot(1023)).isEqualTo(1023);
            assertThat(XenstoreDomainInterface.slot(1024)).isEqualTo(0);
            assertThat(XenstoreDomainInterface.slot(0xFFFF_FFFF)).isEqualTo(1023);
        }

        @Test
        void shouldPublishIndicesWithReleaseAndReadThemWithAcquire() {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment page = arena.allocate(4096, 4096);
                XenstoreDomainInterface intf = new XenstoreDomainInterface().wrap(new SegmentBuffer(page), 0);

                intf.req(1023, 0xAB);
                intf.reqProdRelease(1024);
                intf.reqConsRelease(1);
                intf.rspProdRelease(-1);
                intf.rspConsRelease(3);
                intf.connectionRelease(1);

                assertThat(intf.reqProdAcquire()).isEqualTo(1024);
                assertThat(intf.reqConsAcquire()).isEqualTo(1);
                assertThat(intf.rspProdAcquire()).isEqualTo(-1);
                assertThat(intf.rspConsAcquire()).isEqualTo(3);
                assertThat(intf.connectionAcquire()).isEqualTo(1);
                assertThat(intf.rspProd()).isEqualTo(0xFFFF_FFFFL);
                assertThat(intf.connection()).isEqualTo(1);
                assertThat(intf.req(1023)).isEqualTo(0xAB);
                assertThat(page.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 1023)).isEqualTo((byte) 0xAB);
            }
        }

        @Test
        void shouldRefuseByteIndexOutsideTheRing() {
            XenstoreDomainInterface intf = new XenstoreDomainInterface().wrap(new SegmentBuffer(MemorySegment.ofArray(new byte[4096])), 0);

            assertThatThrownBy(() -> intf.req(1024)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> intf.rsp(-1, 0)).isInstanceOf(IndexOutOfBoundsException.class);
        }

        @Test
        @DisplayName("bulk copies land in req[] at 0..1023 and rsp[] at 1024..2047, one piece at a time")
        void shouldCopyPiecesInAndOutOfBothRings() {
            byte[] page = new byte[4096];
            XenstoreDomainInterface intf = new XenstoreDomainInterface().wrap(new SegmentBuffer(MemorySegment.ofArray(page)), 0);
            MemorySegment src = MemorySegment.ofArray(new byte[] {1, 2, 3, 4});

            intf.putReq(1022, src, 0, 2);
            intf.putRsp(0, src, 2, 2);

            assertThat(page[1022]).isEqualTo((byte) 1);
            assertThat(page[1023]).isEqualTo((byte) 2);
            assertThat(page[1024]).isEqualTo((byte) 3);
            assertThat(page[1025]).isEqualTo((byte) 4);
            byte[] out = new byte[4];
            intf.getReq(1022, MemorySegment.ofArray(out), 0, 2);
            intf.getRsp(0, MemorySegment.ofArray(out), 2, 2);
            assertThat(out).containsExactly(1, 2, 3, 4);
        }

        @Test
        @DisplayName("the producer's wrapping copy masks a free-running position and splits at the ring's end, in its own ring only")
        void shouldWrapAProducersCopyAtTheRingEnd() {
            byte[] page = new byte[4096];
            XenstoreDomainInterface intf = new XenstoreDomainInterface().wrap(new SegmentBuffer(MemorySegment.ofArray(page)), 0);
            MemorySegment src = MemorySegment.ofArray(new byte[] {1, 2, 3, 4, 5, 6});

            intf.putReqWrapping(3 * 1024 + 1021 + (1 << 31), src, 0, 6);
            intf.putRspWrapping(1022, src, 0, 4);

            assertThat(new byte[] {page[1021], page[1022], page[1023], page[0], page[1], page[2]}).containsExactly(1, 2, 3, 4, 5, 6);
            assertThat(new byte[] {page[2046], page[2047], page[1024], page[1025]}).containsExactly(1, 2, 3, 4);
            assertThat(page[3]).as("nothing past the piece").isZero();
            assertThat(page[1026]).isZero();
            assertThatThrownBy(() -> intf.putReqWrapping(0, MemorySegment.ofArray(new byte[1025]), 0, 1025))
                    .as("more than the ring holds").isInstanceOf(IndexOutOfBoundsException.class);
        }

        @Test
        @DisplayName("a piece that would run past the end of its ring is refused: the caller wraps it")
        void shouldRefuseAPieceRunningPastTheRingEnd() {
            XenstoreDomainInterface intf = new XenstoreDomainInterface().wrap(new SegmentBuffer(MemorySegment.ofArray(new byte[4096])), 0);
            MemorySegment src = MemorySegment.ofArray(new byte[4]);

            assertThatThrownBy(() -> intf.putReq(1023, src, 0, 2)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> intf.getRsp(-1, src, 0, 1)).isInstanceOf(IndexOutOfBoundsException.class);
        }

        @Test
        void shouldRefuseToWrapPastTheSegmentEnd() {
            MemorySegment page = MemorySegment.ofArray(new byte[4096]);

            assertThatThrownBy(() -> new XenstoreDomainInterface().wrap(new SegmentBuffer(page), 4096 - 2079))
                    .isInstanceOf(IndexOutOfBoundsException.class);
        }
    }
}
