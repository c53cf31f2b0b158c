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
    @Test
    @DisplayName("a 64 KiB GSO frame crosses as a head with its descriptor and continuations, each record in bounds, its bytes intact")
    void shouldCarryAGsoFrameInRecords() {
        Random r = new Random(11);
        int length = FrameRelayPage.MAX_GSO_FRAME;
        byte[] frame = new byte[length];
        r.nextBytes(frame);
        MemorySegment chunk = arena.allocate(FrameRelayPage.CAPACITY);
        MemorySegment got = arena.allocate(length);
        int prod = FrameRelayPage.WRAP - 100;
        int cons = prod;
        int sent = 0;
        int at = 0;
        int records = 0;
        while (at < length) {
            int desc = sent == 0 ? FrameRelayPage.GSO_DESCRIPTOR : 0;
            int n = Math.min(length - sent, FrameRelayPage.MAX_CHUNK - desc - r.nextInt(1000));
            if (desc > 0) {
                chunk.set(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 0, length);
                chunk.set(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, 4, (short) 1448);
            }
            MemorySegment.copy(MemorySegment.ofArray(frame), sent, chunk, desc, n);
            int kind = desc > 0 ? FrameRelayPage.KIND_GSO_HEAD : FrameRelayPage.KIND_GSO_MORE;
            prod = FrameRelayPage.putRecord(page, FrameRelayPage.TO_HOST, prod, kind | (desc + n), chunk, 0);
            sent += n;
            records++;
            int used = FrameRelayPage.used(prod, cons);
            int word = FrameRelayPage.record(page, FrameRelayPage.TO_HOST, cons, used);
            assertThat(word).as("a word is never negative: -1 is the refusal").isPositive();
            assertThat(word & FrameRelayPage.KIND_MASK).isEqualTo(kind);
            int bytes = word & ~FrameRelayPage.KIND_MASK;
            assertThat(bytes).isEqualTo(desc + n);
            assertThat(FrameRelayPage.length(page, FrameRelayPage.TO_HOST, cons, used)).as("no plain frame").isEqualTo(-1);
            MemorySegment in = arena.allocate(bytes);
            cons = FrameRelayPage.get(page, FrameRelayPage.TO_HOST, cons, in, 0, bytes);
            if (desc > 0) {
                assertThat(in.get(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 0)).isEqualTo(length);
                assertThat(in.get(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, 4)).isEqualTo((short) 1448);
            }
            MemorySegment.copy(in, desc, got, at, bytes - desc);
            at += bytes - desc;
            assertThat(cons).isEqualTo(prod);
        }
        assertThat(records).isGreaterThan(32);
        assertThat(got.mismatch(MemorySegment.ofArray(frame))).isEqualTo(-1);
    }

    @Test
    @DisplayName("GSO records out of their bounds, or of an unknown kind, are refused as impossible")
    void shouldRefuseImpossibleGsoRecords() {
        page.putInt(FrameRelayPage.TO_HOST.ringOffset(), FrameRelayPage.KIND_GSO_HEAD | FrameRelayPage.GSO_DESCRIPTOR);
        assertThat(FrameRelayPage.record(page, FrameRelayPage.TO_HOST, 0, 2000)).isEqualTo(-1);
        page.putInt(FrameRelayPage.TO_HOST.ringOffset(), FrameRelayPage.KIND_GSO_MORE | (FrameRelayPage.MAX_CHUNK + 1));
        assertThat(FrameRelayPage.record(page, FrameRelayPage.TO_HOST, 0, FrameRelayPage.CAPACITY)).isEqualTo(-1);
        page.putInt(FrameRelayPage.TO_HOST.ringOffset(), FrameRelayPage.KIND_GSO_MORE);
        assertThat(FrameRelayPage.record(page, FrameRelayPage.TO_HOST, 0, 2000)).isEqualTo(-1);
        page.putInt(FrameRelayPage.TO_HOST.ringOffset(), 0x6000_0000 | 100);
        assertThat(FrameRelayPage.record(page, FrameRelayPage.TO_HOST, 0, 2000)).isEqualTo(-1);
        page.putInt(FrameRelayPage.TO_HOST.ringOffset(), 0x8000_0000 | FrameRelayPage.KIND_GSO_MORE | 100);
        assertThat(FrameRelayPage.record(page, FrameRelayPage.TO_HOST, 0, 2000)).isEqualTo(-1);
        page.putInt(FrameRelayPage.TO_HOST.ringOffset(), FrameRelayPage.KIND_GSO_MORE | 100);
        assertThat(FrameRelayPage.record(page, FrameRelayPage.TO_HOST, 0, 100)).isEqualTo(-1);
        assertThat(FrameRelayPage.record(page, FrameRelayPage.TO_HOST, 0, 104)).isEqualTo(FrameRelayPage.KIND_GSO_MORE | 100);
        assertThat(FrameRelayPage.MAX_CHUNK + FrameRelayPage.RECORD_HEADER).isEqualTo(FrameRelayPage.CAPACITY);
        assertThatThrownBy(() -> FrameRelayPage.putRecord(page, FrameRelayPage.TO_HOST, 0, FrameRelayPage.KIND_GSO_HEAD | 4,
                arena.allocate(100), 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
