package org.parasol.hypercall.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.SegmentBuffer;

/** The uplink page's frame rings: records wrap byte-wise, positions wrap at twice the capacity, bad ones are seen. */
class FrameRelayPageTest {
    private final Arena arena = Arena.ofAuto();
    private final SegmentBuffer page = new SegmentBuffer(arena.allocate(4096, 4096));

    @Test
    @DisplayName("the layout: four positions, then two 2032-byte rings filling the page")
    void shouldFillThePage() {
        assertThat(FrameRelayPage.TO_HOST.ringOffset() + FrameRelayPage.CAPACITY).isEqualTo(4096);
        assertThat(FrameRelayPage.TO_DOM0.ringOffset() + FrameRelayPage.CAPACITY).isEqualTo(FrameRelayPage.TO_HOST.ringOffset());
        assertThat(FrameRelayPage.recordSize(14)).isEqualTo(20);
        assertThat(FrameRelayPage.recordSize(1514)).isEqualTo(1520);
    }

    @Test
    @DisplayName("frames of every size cross the ring intact through many wraps of the ring and of the positions")
    void shouldCarryFramesThroughWraps() {
        Random r = new Random(7);
        MemorySegment src = arena.allocate(FrameRelayPage.MAX_FRAME);
        MemorySegment dst = arena.allocate(FrameRelayPage.MAX_FRAME);
        int prod = FrameRelayPage.WRAP - 40;
        int cons = prod;
        for (int i = 0; i < 5000; i++) {
            int len = FrameRelayPage.MIN_FRAME + r.nextInt(FrameRelayPage.MAX_FRAME - FrameRelayPage.MIN_FRAME + 1);
            for (int j = 0; j < len; j++) {
                src.set(java.lang.foreign.ValueLayout.JAVA_BYTE, j, (byte) r.nextInt());
            }
            assertThat(FrameRelayPage.used(prod, cons)).isZero();
            prod = FrameRelayPage.put(page, FrameRelayPage.TO_DOM0, prod, src, 0, len);
            FrameRelayPage.prodRelease(page, FrameRelayPage.TO_DOM0, prod);
            int used = FrameRelayPage.used(FrameRelayPage.prodAcquire(page, FrameRelayPage.TO_DOM0), cons);
            assertThat(used).isEqualTo(FrameRelayPage.recordSize(len));
            assertThat(FrameRelayPage.length(page, FrameRelayPage.TO_DOM0, cons, used)).isEqualTo(len);
            cons = FrameRelayPage.get(page, FrameRelayPage.TO_DOM0, cons, dst, 0, len);
            assertThat(dst.asSlice(0, len).mismatch(src.asSlice(0, len))).isEqualTo(-1);
            assertThat(cons).isEqualTo(prod).isBetween(0, FrameRelayPage.WRAP - 1);
        }
    }

    @Test
    @DisplayName("positions out of range, further apart than the ring, or records longer than a frame or than what is in use are refused")
    void shouldRefuseImpossiblePositionsAndRecords() {
        assertThat(FrameRelayPage.used(FrameRelayPage.WRAP, 0)).isEqualTo(-1);
        assertThat(FrameRelayPage.used(-1, 0)).isEqualTo(-1);
        assertThat(FrameRelayPage.used(FrameRelayPage.CAPACITY + 4, 0)).isEqualTo(-1);
        assertThat(FrameRelayPage.used(2, FrameRelayPage.WRAP - 2)).isEqualTo(4);
        page.putInt(FrameRelayPage.TO_HOST.ringOffset(), 1515);
        assertThat(FrameRelayPage.length(page, FrameRelayPage.TO_HOST, 0, 2000)).isEqualTo(-1);
        page.putInt(FrameRelayPage.TO_HOST.ringOffset(), 13);
        assertThat(FrameRelayPage.length(page, FrameRelayPage.TO_HOST, 0, 2000)).isEqualTo(-1);
        page.putInt(FrameRelayPage.TO_HOST.ringOffset(), 100);
        assertThat(FrameRelayPage.length(page, FrameRelayPage.TO_HOST, 0, 100)).isEqualTo(-1);
        assertThat(FrameRelayPage.length(page, FrameRelayPage.TO_HOST, 0, 104)).isEqualTo(100);
        assertThat(FrameRelayPage.length(page, FrameRelayPage.TO_HOST, 0, 3)).isEqualTo(-1);
        assertThatThrownBy(() -> FrameRelayPage.put(page, FrameRelayPage.TO_HOST, 0, arena.allocate(2000), 0, 1515))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
