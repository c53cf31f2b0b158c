package org.parasol.drivers.ring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.drivers.ring.SeqEntries.Request;
import org.parasol.drivers.ring.SeqEntries.Response;
import org.parasol.hypercall.GuestMemoryBuffer;
import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.io.SharedRingHeader;
import org.parasol.hypercall.struct.Layouts;

/** A ring whose page one end reaches through guest memory and the other through a segment. */
class GuestMemoryRingTest {

    private static final long RING_VA = 0x7f00_0000_1000L;

    @Test
    @DisplayName("A front end reaching the page through GuestMemory talks to a back end on the same bytes")
    void shouldCarryEntriesBetweenAGuestMemoryPageAndASegmentPage() throws RingOverflowException {
        CountingGuestMemory memory = new CountingGuestMemory(RING_VA, 4096);
        GuestMemoryBuffer guestPage = new GuestMemoryBuffer(memory, RING_VA, 4096);
        FrontRing<Request, Response> front =
                new FrontRing<>(guestPage, SeqEntries.REQUESTS, SeqEntries.RESPONSES, () -> { }).init(-2);
        BackRing<Request, Response> back = new BackRing<>(new SegmentBuffer(memory.segment),
                SeqEntries.REQUESTS, SeqEntries.RESPONSES, () -> { }).attach(-2);
        Request request = new Request();
        Response response = new Response();

        for (long seq = 0; seq < 5; seq++) {
            front.produceRequest(request.of(seq));
        }
        front.pushRequestsAndCheckNotify();
        while (back.consumeRequest(request)) {
            assertThat(request.valid()).isTrue();
            back.produceResponse(response.of(request.seq, 1));
        }
        back.pushResponsesAndCheckNotify();

        for (long seq = 0; seq < 5; seq++) {
            assertThat(front.consumeResponse(response)).isTrue();
            assertThat(response.seq).isEqualTo(seq);
        }
        assertThat(front.consumeResponse(response)).isFalse();
        assertThat(memory.segment.get(Layouts.U32, SharedRingHeader.REQ_PROD_OFFSET)).isEqualTo(3);
        assertThat(memory.acquires).isPositive();
        assertThat(memory.releases).isPositive();
        assertThat(front.size()).as("(4096 - 64) / 16 = 252, rounded down").isEqualTo(128);
    }

    @Test
    @DisplayName("The ring lives inside its page: a guest page not 4-byte aligned or too small is refused")
    void shouldRefuseAPageTheIndicesCannotLiveIn() {
        CountingGuestMemory memory = new CountingGuestMemory(RING_VA, 8192);

        assertThatThrownBy(() -> new FrontRing<>(new GuestMemoryBuffer(memory, RING_VA + 2, 4096),
                SeqEntries.REQUESTS, SeqEntries.RESPONSES, () -> { })).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new BackRing<>(new GuestMemoryBuffer(memory, RING_VA, 64),
                SeqEntries.REQUESTS, SeqEntries.RESPONSES, () -> { })).isInstanceOf(IllegalArgumentException.class);
        assertThat(memory.acquires + memory.releases).as("nothing was touched").isZero();
    }
}
