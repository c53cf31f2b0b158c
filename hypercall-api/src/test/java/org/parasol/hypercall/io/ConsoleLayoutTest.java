package org.parasol.hypercall.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import org.parasol.hypercall.SegmentBuffer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Layout of {@code io/console.h}. */
class ConsoleLayoutTest {

    @Test
    void shouldMatchXenSizeAndOffsets() {
        // fact sheet §16 xencons_interface, 3092 B used
        assertThat(XenconsInterface.LAYOUT.byteSize()).isEqualTo(3092);
        assertThat(XenconsInterface.IN_OFFSET).isEqualTo(0);
        assertThat(XenconsInterface.OUT_OFFSET).isEqualTo(1024);
        assertThat(XenconsInterface.IN_CONS_OFFSET).isEqualTo(3072);
        assertThat(XenconsInterface.IN_PROD_OFFSET).isEqualTo(3076);
        assertThat(XenconsInterface.OUT_CONS_OFFSET).isEqualTo(3080);
        assertThat(XenconsInterface.OUT_PROD_OFFSET).isEqualTo(3084);
        assertThat(XenconsInterface.CONNECTION_OFFSET).isEqualTo(3088);
        assertThat(XenconsInterface.IN_SIZE).isEqualTo(1024);
        assertThat(XenconsInterface.OUT_SIZE).isEqualTo(2048);
    }

    @Test
    @DisplayName("byte position = idx & (sizeof(array) - 1): 1023 for in, 2047 for out")
    void shouldMaskEachRingBySize() {
        assertThat(XenconsInterface.inSlot(1024 + 5)).isEqualTo(5);
        assertThat(XenconsInterface.outSlot(1024 + 5)).isEqualTo(1029);
        assertThat(XenconsInterface.outSlot(0xFFFF_FFFF)).isEqualTo(2047);
    }

    @Test
    void shouldPublishIndicesWithReleaseAndReadThemWithAcquire() {
        try (Arena arena = Arena.ofConfined()) {
            SegmentBuffer page = new SegmentBuffer(arena.allocate(4096, 4096));
            XenconsInterface cons = new XenconsInterface().wrap(page, 0);

            cons.out(2047, 'x');
            cons.outProdRelease(2048);
            cons.outConsRelease(2);
            cons.inProdRelease(0x8000_0000);
            cons.inConsRelease(4);
            cons.connectionRelease(1);

            assertThat(cons.outProdAcquire()).isEqualTo(2048);
            assertThat(cons.outConsAcquire()).isEqualTo(2);
            assertThat(cons.inProdAcquire()).isEqualTo(0x8000_0000);
            assertThat(cons.inConsAcquire()).isEqualTo(4);
            assertThat(cons.connectionAcquire()).isEqualTo(1);
            assertThat(cons.inProd()).isEqualTo(0x8000_0000L);
            assertThat(cons.connection()).isEqualTo(1);
            assertThat(cons.out(2047)).isEqualTo('x');
        }
    }

    @Test
    void shouldRefuseByteIndexOutsideEachRing() {
        XenconsInterface cons = new XenconsInterface().wrap(new SegmentBuffer(MemorySegment.ofArray(new byte[4096])), 0);

        assertThatThrownBy(() -> cons.in(1024)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> cons.out(2048)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThat(cons.out(2047)).isZero();
    }
}
