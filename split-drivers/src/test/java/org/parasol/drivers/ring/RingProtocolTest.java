package org.parasol.drivers.ring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.drivers.ring.SeqEntries.Request;
import org.parasol.drivers.ring.SeqEntries.Response;
import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.SharedBuffer;
import org.parasol.hypercall.io.RingGeometry;
import org.parasol.hypercall.io.SharedRingHeader;
import org.parasol.hypercall.io.SringEntries;
import org.parasol.hypercall.struct.Layouts;

class RingProtocolTest {

    private final AtomicInteger backNotified = new AtomicInteger();
    private final AtomicInteger frontNotified = new AtomicInteger();

    private FrontRing<Request, Response> front(SharedBuffer page) {
        return new FrontRing<>(page, SeqEntries.REQUESTS, SeqEntries.RESPONSES, backNotified::incrementAndGet);
    }

    private BackRing<Request, Response> back(SharedBuffer page) {
        return new BackRing<>(page, SeqEntries.REQUESTS, SeqEntries.RESPONSES, frontNotified::incrementAndGet);
    }

    @Test
    @DisplayName("SHARED_RING_INIT: req_prod = rsp_prod = 0, req_event = rsp_event = 1, pvt and pad zeroed")
    void shouldInitialiseTheSharedRingAsSharedRingInitDoes() {
        SegmentBuffer page = SeqEntries.heapPage(8);
        page.segment().fill((byte) 0xA5);

        FrontRing<Request, Response> front = front(page).init();

        MemorySegment bytes = page.segment();
        assertThat(bytes.get(Layouts.U32, SharedRingHeader.REQ_PROD_OFFSET)).isZero();
        assertThat(bytes.get(Layouts.U32, SharedRingHeader.REQ_EVENT_OFFSET)).isEqualTo(1);
        assertThat(bytes.get(Layouts.U32, SharedRingHeader.RSP_PROD_OFFSET)).isZero();
        assertThat(bytes.get(Layouts.U32, SharedRingHeader.RSP_EVENT_OFFSET)).isEqualTo(1);
        assertThat(bytes.asSlice(SharedRingHeader.PVT_OFFSET, SharedRingHeader.SIZE - SharedRingHeader.PVT_OFFSET)
                .toArray(Layouts.U8)).containsOnly((byte) 0);
        assertThat(front.reqProdPvt()).isZero();
        assertThat(front.rspCons()).isZero();
        assertThat(front.freeRequests()).isEqualTo(8);
    }

    @Test
    @DisplayName("__RING_SIZE: entries fitting after the 64-byte header, rounded down to a power of two")
    void shouldSizeOnePageRingsAsRingHDoes() {
        SegmentBuffer page = SegmentBuffer.allocate(4096);
        EntryCodec<Request> blkRequest = sized(112);
        EntryCodec<Request> blkResponse = sized(16);
        EntryCodec<Request> txRequest = sized(12);
        EntryCodec<Request> txResponse = sized(4);

        FrontRing<Request, Request> blk = new FrontRing<>(page, blkRequest, blkResponse, () -> { });
        FrontRing<Request, Request> tx = new FrontRing<>(page, txRequest, txResponse, () -> { });

        assertThat(blk.sring().geometry()).isEqualTo(SringEntries.BLKIF_ONE_PAGE);
        assertThat(blk.size()).isEqualTo(32);
        assertThat(tx.sring().geometry()).isEqualTo(SringEntries.NETIF_TX_ONE_PAGE);
        assertThat(tx.size()).isEqualTo(256);
    }

    @Test
    void shouldRefuseAGeometryOrEntryThatDoesNotFit() {
        SegmentBuffer page = SeqEntries.heapPage(4);

        assertThatThrownBy(() -> new FrontRing<>(page, new RingGeometry(8, 16), SeqEntries.REQUESTS,
                SeqEntries.RESPONSES, () -> { })).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new BackRing<>(page, new RingGeometry(4, 8), SeqEntries.REQUESTS,
                SeqEntries.RESPONSES, () -> { })).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new FrontRing<>(new SegmentBuffer(MemorySegment.ofArray(new byte[128]).asSlice(2)),
                SeqEntries.REQUESTS, SeqEntries.RESPONSES, () -> { }))
                .as("a ring page not 4-byte aligned").isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("RING_IDX is free-running: requests and responses cross 2^32 in order")
    void shouldCarryEntriesInOrderAcrossWraparound() throws RingOverflowException {
        SegmentBuffer page = SeqEntries.heapPage(4);
        int start = -3;
        FrontRing<Request, Response> front = front(page).init(start);
        BackRing<Request, Response> back = back(page).attach(start);
        Request request = new Request();
        Response response = new Response();
        List<Long> answered = new ArrayList<>();

        for (long seq = 0; seq < 40; ) {
            while (!front.full()) {
                front.produceRequest(request.of(seq++));
            }
            front.pushRequestsAndCheckNotify();
            while (back.consumeRequest(request)) {
                assertThat(request.valid()).isTrue();
                back.produceResponse(response.of(request.seq, 0));
            }
            back.pushResponsesAndCheckNotify();
            while (front.consumeResponse(response)) {
                answered.add(response.seq);
            }
        }

        assertThat(answered).hasSize(40).isSorted().doesNotHaveDuplicates();
        assertThat(front.reqProdPvt() - start).isEqualTo(40);
        assertThat(Integer.toUnsignedLong(front.reqProdPvt())).isLessThan(Integer.toUnsignedLong(start));
    }

    @Test
    @DisplayName("notify iff (RING_IDX)(new - event) < (RING_IDX)(new - old): the event lies in (old, new]")
    void shouldNotifyOnlyWhenTheEventLiesInThePushedRange() {
        assertThat(SharedRing.notifyNeeded(0, 3, 1)).isTrue();
        assertThat(SharedRing.notifyNeeded(0, 3, 3)).isTrue();
        assertThat(SharedRing.notifyNeeded(0, 3, 0)).isFalse();
        assertThat(SharedRing.notifyNeeded(0, 3, 4)).isFalse();
        assertThat(SharedRing.notifyNeeded(5, 5, 5)).isFalse();
        assertThat(SharedRing.notifyNeeded(-2, 2, -1)).isTrue();
        assertThat(SharedRing.notifyNeeded(-2, 2, 0)).isTrue();
        assertThat(SharedRing.notifyNeeded(-2, 2, -2)).isFalse();
        assertThat(SharedRing.notifyNeeded(-2, 2, 3)).isFalse();
    }

    @Test
    @DisplayName("A consumer that set its event index in a final check is notified by the next push, and only then")
    void shouldNotifyAnIdleConsumerOnceAndSuppressWhileItIsBusy() throws RingOverflowException {
        SegmentBuffer page = SeqEntries.heapPage(8);
        FrontRing<Request, Response> front = front(page).init();
        BackRing<Request, Response> back = back(page).attach(0);
        Request request = new Request();

        front.produceRequest(request.of(0));
        assertThat(front.pushRequestsAndCheckNotify()).as("req_event = 1 after init").isTrue();
        front.produceRequest(request.of(1));
        assertThat(front.pushRequestsAndCheckNotify()).as("back end has not asked again").isFalse();
        assertThat(back.consumeRequest(request)).isTrue();
        assertThat(back.consumeRequest(request)).isTrue();
        assertThat(back.finalCheckForRequests()).isFalse();
        assertThat(back.sring().reqEvent()).isEqualTo(3);
        front.produceRequest(request.of(2));
        assertThat(front.pushRequestsAndCheckNotify()).isTrue();
        assertThat(backNotified).hasValue(2);
    }

    @Test
    @DisplayName("Push: entries before the release of req_prod, full fence, then read req_event")
    void shouldPublishEntriesBeforeTheIndexAndFenceBeforeReadingTheEvent() {
        TracingBuffer page = new TracingBuffer(SeqEntries.heapPage(4));
        FrontRing<Request, Response> front = front(page).init();
        page.record();

        front.produceRequest(new Request().of(7));
        front.pushRequestsAndCheckNotify();

        assertThat(page.trace()).containsExactly(
                "copyIn @64", "acquire req_prod", "release req_prod", "fence", "acquire req_event");
    }

    @Test
    @DisplayName("Final check: look, set the event index (release), full fence, look again")
    void shouldSetTheEventFenceAndLookAgainInAFinalCheck() throws RingOverflowException {
        TracingBuffer page = new TracingBuffer(SeqEntries.heapPage(4));
        BackRing<Request, Response> back = back(page).attach(0);
        front(page).init();
        page.record();

        assertThat(back.finalCheckForRequests()).isFalse();

        assertThat(page.trace()).containsExactly(
                "acquire req_prod", "release req_event", "fence", "acquire req_prod");
    }

    @Test
    @DisplayName("Consumers read the producer index (acquire) before copying the entry out")
    void shouldAcquireTheProducerIndexBeforeCopyingAnEntryOut() throws RingOverflowException {
        TracingBuffer page = new TracingBuffer(SeqEntries.heapPage(4));
        FrontRing<Request, Response> front = front(page).init(-1);
        BackRing<Request, Response> back = back(page).attach(-1);
        front.produceRequest(new Request().of(1));
        front.pushRequests();
        page.record();

        assertThat(back.consumeRequest(new Request())).isTrue();

        assertThat(page.trace()).containsExactly("acquire req_prod", "copyOut @" + (64 + 3 * 16));
    }

    @Test
    @DisplayName("Consumers copy an entry into private memory before validating it (no double fetch)")
    void shouldDecodeFromAPrivateCopyThatThePeerCannotRewrite() throws RingOverflowException {
        SegmentBuffer page = SeqEntries.heapPage(4);
        EntryCodec<Request> scribbledWhileDecoding = new EntryCodec<>() {
            @Override
            public long byteSize() {
                return 16;
            }

            @Override
            public void encode(Request entry, SharedBuffer dst) {
                SeqEntries.REQUESTS.encode(entry, dst);
            }

            @Override
            public void decode(SharedBuffer src, Request into) {
                into.seq = src.getLong(0);
                // A hostile front end rewrites the slot between the back end's two reads.
                page.segment().asSlice(SharedRingHeader.RING_OFFSET).fill((byte) 0x5A);
                into.check = src.getLong(8);
            }
        };
        FrontRing<Request, Response> front = front(page).init();
        BackRing<Request, Response> back = new BackRing<>(page, scribbledWhileDecoding, SeqEntries.RESPONSES, () -> { });
        front.produceRequest(new Request().of(42));
        front.pushRequests();
        Request seen = new Request();

        assertThat(back.consumeRequest(seen)).isTrue();

        assertThat(seen.seq).isEqualTo(42);
        assertThat(seen.valid()).isTrue();
    }

    @Test
    @DisplayName("A run is copied into private memory before any of it is decoded (no double fetch), in one copy per contiguous part")
    void shouldDecodeARunFromAPrivateCopyThatThePeerCannotRewrite() throws RingOverflowException {
        TracingBuffer page = new TracingBuffer(SeqEntries.heapPage(4));
        EntryCodec<Request> scribbledWhileDecoding = new EntryCodec<>() {
            @Override
            public long byteSize() {
                return 16;
            }

            @Override
            public void encode(Request entry, SharedBuffer dst) {
                SeqEntries.REQUESTS.encode(entry, dst);
            }

            @Override
            public void decode(SharedBuffer src, Request into) {
                into.seq = src.getLong(0);
                // A hostile front end rewrites every slot between the back end's two reads.
                for (long at = SharedRingHeader.RING_OFFSET; at < page.capacity(); at += 8) {
                    page.putLong(at, 0x5A5A_5A5A_5A5A_5A5AL);
                }
                into.check = src.getLong(8);
            }
        };
        FrontRing<Request, Response> front = front(page).init(-2);
        BackRing<Request, Response> back = new BackRing<>(page, scribbledWhileDecoding, SeqEntries.RESPONSES, () -> { })
                .attach(-2);
        Request[] run = {new Request(), new Request(), new Request(), new Request(), new Request()};
        Request request = new Request();
        // Slots 2, 3, then 0 and 1: the run wraps past the last slot.
        for (int i = 0; i < 4; i++) {
            front.produceRequest(request.of(40 + i));
        }
        front.pushRequests();
        page.record();

        assertThat(back.consumeRequests(run, 5)).isEqualTo(4);

        assertThat(page.trace()).containsExactly("acquire req_prod", "copyOut @" + (64 + 2 * 16), "copyOut @64");
        for (int i = 0; i < 4; i++) {
            assertThat(run[i].seq).isEqualTo(40 + i);
            assertThat(run[i].valid()).isTrue();
        }
        assertThat(back.consumeRequests(run, 5)).isZero();
    }

    @Test
    @DisplayName("A run of responses goes in as whole slots, in one copy per contiguous part, and only for requests taken")
    void shouldWriteARunOfResponsesIntoTheSlotsOfTakenRequests() throws RingOverflowException {
        TracingBuffer page = new TracingBuffer(SeqEntries.heapPage(4));
        FrontRing<Request, Response> front = front(page).init(-1);
        BackRing<Request, Response> back = back(page).attach(-1);
        Request[] run = {new Request(), new Request(), new Request()};
        Response[] answers = {new Response().of(7, 1), new Response().of(8, 2), new Response().of(9, 3)};
        for (int i = 0; i < 3; i++) {
            front.produceRequest(run[0].of(i));
        }
        front.pushRequests();
        assertThat(back.consumeRequests(run, 3)).isEqualTo(3);

        assertThatThrownBy(() -> back.produceResponses(answers, 0, 4)).isInstanceOf(IndexOutOfBoundsException.class);
        page.record();
        back.produceResponses(answers, 1, 2);
        assertThatThrownBy(() -> back.produceResponses(answers, 0, 2)).isInstanceOf(IllegalStateException.class);
        back.produceResponses(answers, 0, 1);
        back.pushResponses();

        assertThat(page.trace()).containsExactly("copyIn @" + (64 + 3 * 16), "copyIn @64", "copyIn @" + (64 + 16),
                "release rsp_prod");
        Response response = new Response();
        for (int status : new int[] {2, 3, 1}) {
            assertThat(front.consumeResponse(response)).isTrue();
            assertThat(response.status).isEqualTo(status);
        }
        assertThat(front.consumeResponse(response)).isFalse();
    }

    @Test
    void shouldRefuseToProduceIntoAFullRingOrAnswerAnUnconsumedRequest() {
        SegmentBuffer page = SeqEntries.heapPage(2);
        FrontRing<Request, Response> front = front(page).init();
        BackRing<Request, Response> back = back(page).attach(0);
        Request request = new Request();
        front.produceRequest(request.of(0));
        front.produceRequest(request.of(1));

        assertThat(front.full()).isTrue();
        assertThatThrownBy(() -> front.produceRequest(request.of(2))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> back.produceResponse(new Response())).isInstanceOf(IllegalStateException.class);
    }

    @Test
    @DisplayName("Back end: req_prod - rsp_prod_pvt > size is a misbehaving front end; the ring stays broken")
    void shouldBreakTheBackRingOnARequestProducerBeyondTheRing() {
        SegmentBuffer page = SeqEntries.heapPage(4);
        front(page).init(10);
        BackRing<Request, Response> back = back(page).attach(10);
        page.putIntRelease(SharedRingHeader.REQ_PROD_OFFSET, 15);

        assertThat(back.requestOverflow(14)).isFalse();
        assertThat(back.requestOverflow(15)).isTrue();
        assertThat(back.requestOverflow(9)).as("behind req_cons").isTrue();
        assertThatThrownBy(() -> back.consumeRequest(new Request()))
                .isInstanceOfSatisfying(RingOverflowException.class, e -> {
                    assertThat(e.index()).isEqualTo("req_prod");
                    assertThat(e.producerIndex()).isEqualTo(15);
                    assertThat(e.consumerIndex()).isEqualTo(10);
                    assertThat(e.size()).isEqualTo(4);
                });
        assertThat(back.broken()).isTrue();
        page.putIntRelease(SharedRingHeader.REQ_PROD_OFFSET, 11);
        assertThatThrownBy(back::unconsumedRequests).isInstanceOf(RingOverflowException.class);
        assertThatThrownBy(back::finalCheckForRequests).isInstanceOf(RingOverflowException.class);
        assertThat(back.reqCons()).isEqualTo(10);
    }

    @Test
    @DisplayName("Front end: rsp_prod - rsp_cons > size (or beyond the outstanding requests) is a misbehaving back end")
    void shouldBreakTheFrontRingOnAResponseProducerBeyondItsRequests() throws RingOverflowException {
        SegmentBuffer page = SeqEntries.heapPage(4);
        FrontRing<Request, Response> front = front(page).init(-2);
        front.produceRequest(new Request().of(0));
        front.produceRequest(new Request().of(1));
        front.pushRequests();

        assertThat(front.responseOverflow(0)).isFalse();
        assertThat(front.responseOverflow(1)).as("three responses to two requests").isTrue();
        assertThat(front.responseOverflow(3)).as("more than size").isTrue();
        assertThat(front.responseOverflow(-3)).as("behind rsp_cons").isTrue();
        assertThat(front.unconsumedResponses()).isZero();
        page.putIntRelease(SharedRingHeader.RSP_PROD_OFFSET, 1);
        assertThatThrownBy(() -> front.consumeResponse(new Response()))
                .isInstanceOfSatisfying(RingOverflowException.class, e -> assertThat(e.index()).isEqualTo("rsp_prod"));
        assertThat(front.broken()).isTrue();
        assertThatThrownBy(front::finalCheckForResponses).isInstanceOf(RingOverflowException.class);
        assertThatThrownBy(() -> front.consumeResponses(new Response[] {new Response()}, 1))
                .isInstanceOf(RingOverflowException.class);
        assertThat(front.rspCons()).isEqualTo(-2);
    }

    @Test
    @DisplayName("A run of responses beyond the outstanding requests is refused before any is taken")
    void shouldRefuseARunOfResponsesBeyondTheOutstandingRequests() throws RingOverflowException {
        SegmentBuffer page = SeqEntries.heapPage(4);
        FrontRing<Request, Response> front = front(page).init(-2);
        front.produceRequest(new Request().of(0));
        front.produceRequest(new Request().of(1));
        front.pushRequests();
        Response[] run = {new Response(), new Response(), new Response(), new Response()};
        page.putIntRelease(SharedRingHeader.RSP_PROD_OFFSET, 1); // three answers to two requests

        assertThatThrownBy(() -> front.consumeResponses(run, 4))
                .isInstanceOfSatisfying(RingOverflowException.class, e -> assertThat(e.producerIndex()).isEqualTo(1));
        assertThat(front.broken()).isTrue();
        assertThat(front.rspCons()).isEqualTo(-2);
    }

    @Test
    @DisplayName("Ring push and consume allocate nothing")
    void shouldAllocateNothingOnTheHotPath() throws RingOverflowException {
        SegmentBuffer page = SeqEntries.heapPage(8);
        FrontRing<Request, Response> front = front(page).init(-50);
        BackRing<Request, Response> back = back(page).attach(-50);
        Request request = new Request();
        Response response = new Response();
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        roundTrips(front, back, request, response, 20_000);

        long before = threads.getCurrentThreadAllocatedBytes();
        long answered = roundTrips(front, back, request, response, 20_000);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;

        // One object per round trip would be at least 16 bytes each; the JIT's own rare
        // deoptimisations may rematerialise a few objects, far below one byte per round trip.
        assertThat(answered).isEqualTo(20_000);
        assertThat(allocated).isLessThan(answered);
    }

    @Test
    @DisplayName("Runs taken, answered and pushed allocate nothing")
    void shouldAllocateNothingOnTheRunPath() throws RingOverflowException {
        SegmentBuffer page = SeqEntries.heapPage(8);
        FrontRing<Request, Response> front = front(page).init(-50);
        BackRing<Request, Response> back = back(page).attach(-50);
        Request[] run = new Request[8];
        Response[] answers = new Response[8];
        for (int i = 0; i < 8; i++) {
            run[i] = new Request();
            answers[i] = new Response();
        }
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        runTrips(front, back, run, answers, 20_000);

        long before = threads.getCurrentThreadAllocatedBytes();
        long answered = runTrips(front, back, run, answers, 20_000);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;

        assertThat(answered).isEqualTo(20_000);
        assertThat(allocated).isLessThan(answered);
    }

    private static long runTrips(FrontRing<Request, Response> front, BackRing<Request, Response> back,
            Request[] run, Response[] answers, int count) throws RingOverflowException {
        long answered = 0;
        long seq = 0;
        Response response = answers[0];
        while (answered < count) {
            while (!front.full() && seq < count) {
                front.produceRequest(run[0].of(seq++));
            }
            front.pushRequestsAndCheckNotify();
            int n;
            while ((n = back.consumeRequests(run, 8)) > 0) {
                for (int i = 0; i < n; i++) {
                    answers[i].of(run[i].seq, 0);
                }
                back.produceResponses(answers, 0, n);
            }
            back.pushResponsesAndCheckNotify();
            back.finalCheckForRequests();
            while (front.consumeResponse(response)) {
                answered++;
            }
            front.finalCheckForResponses();
        }
        return answered;
    }

    private static long roundTrips(FrontRing<Request, Response> front, BackRing<Request, Response> back,
            Request request, Response response, int count) throws RingOverflowException {
        long answered = 0;
        long seq = 0;
        while (answered < count) {
            while (!front.full() && seq < count) {
                front.produceRequest(request.of(seq++));
            }
            front.pushRequestsAndCheckNotify();
            while (back.consumeRequest(request)) {
                back.produceResponse(response.of(request.seq, 0));
            }
            back.pushResponsesAndCheckNotify();
            back.finalCheckForRequests();
            while (front.consumeResponse(response)) {
                answered++;
            }
            front.finalCheckForResponses();
        }
        return answered;
    }

    private static EntryCodec<Request> sized(long bytes) {
        return new EntryCodec<>() {
            @Override
            public long byteSize() {
                return bytes;
            }

            @Override
            public void encode(Request entry, SharedBuffer dst) {
                dst.putInt(0, (int) entry.seq);
            }

            @Override
            public void decode(SharedBuffer src, Request into) {
                into.seq = src.getInt(0);
            }
        };
    }
}
