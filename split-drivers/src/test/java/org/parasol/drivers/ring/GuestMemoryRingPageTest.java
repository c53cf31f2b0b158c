package org.parasol.drivers.ring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.drivers.ring.SeqEntries.Request;
import org.parasol.drivers.ring.SeqEntries.Response;
import org.parasol.hypercall.io.SharedRingHeader;
import org.parasol.hypercall.struct.Layouts;

class GuestMemoryRingPageTest {

    private static final long RING_VA = 0x7f00_0000_1000L;

    @Test
    @DisplayName("A front end reaching the page through GuestMemory talks to a back end on the same bytes")
    void shouldCarryEntriesBetweenAGuestMemoryPageAndASegmentPage() throws RingOverflowException {
        CountingGuestMemory memory = new CountingGuestMemory(RING_VA, 4096);
        GuestMemoryRingPage guestPage = new GuestMemoryRingPage(memory, RING_VA, 4096);
        FrontRing<Request, Response> front =
                new FrontRing<>(guestPage, SeqEntries.REQUESTS, SeqEntries.RESPONSES, () -> { }).init(-2);
        BackRing<Request, Response> back = new BackRing<>(new SegmentRingPage(memory.segment),
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
    void shouldMapOffsetsToAddressesInsideThePageOnly() {
        CountingGuestMemory memory = new CountingGuestMemory(RING_VA, 4096);
        GuestMemoryRingPage page = new GuestMemoryRingPage(memory, RING_VA, 4096);

        page.putIntRelease(8, 0xCAFE);

        assertThat(memory.getInt(RING_VA + 8)).isEqualTo(0xCAFE);
        assertThat(page.va()).isEqualTo(RING_VA);
        assertThatThrownBy(() -> page.getIntAcquire(4094)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> page.fill(-1, 2, (byte) 0)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> new GuestMemoryRingPage(memory, RING_VA + 2, 4096))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new GuestMemoryRingPage(memory, -4096, 8192))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
