package org.parasol.drivers.ring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.statistics.Statistics;
import org.parasol.drivers.ring.SeqEntries.Request;
import org.parasol.drivers.ring.SeqEntries.Response;
import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.io.SharedRingHeader;

/**
 * The back end's run API ({@link BackRing#consumeRequests}, {@link BackRing#produceResponses})
 * against the one-at-a-time calls it replaces, and against a front end that moves
 * {@code req_prod} where it must not while a run is being taken.
 */
class RingBatchProperties {

    /**
     * One turn of both ends: the front end produces {@code produce} requests (as many as are
     * free, if fewer) and pushes; the back end takes up to {@code take} requests and answers
     * {@code answer} of those it holds (as many as it holds, if fewer), then pushes; the front end
     * takes every response and, if {@code idle}, makes its final check.
     */
    record Turn(int produce, int take, int answer, boolean idle) {
    }

    @Provide
    Arbitrary<Turn> turns() {
        return Combinators.combine(Arbitraries.integers().between(0, 9), Arbitraries.integers().between(0, 9),
                Arbitraries.integers().between(0, 9), Arbitraries.of(true, false)).as(Turn::new);
    }

    @Property(tries = 300)
    @Label("Runs consumed and answered in one pass (both ends) equal one-at-a-time consume and produce: same entries, same page bytes, same notifications")
    void shouldConsumeAndAnswerARunAsOneAtATimeDoes(
            @ForAll int start,
            @ForAll @IntRange(min = 0, max = 3) int sizeLog2,
            @ForAll @Size(min = 1, max = 30) List<@From("turns") Turn> turns) throws RingOverflowException {
        int size = 1 << sizeLog2;
        Twin single = new Twin(size, start);
        Twin batch = new Twin(size, start);
        Request[] run = new Request[size + 3];
        Response[] answers = new Response[size + 3];
        for (int i = 0; i < run.length; i++) {
            run[i] = new Request();
            answers[i] = new Response();
        }
        Request one = new Request();
        Response response = new Response();
        long seq = 0;
        for (Turn turn : turns) {
            for (int p = Math.min(turn.produce(), single.front.freeRequests()); p > 0; p--) {
                seq++;
                single.front.produceRequest(one.of(seq));
                batch.front.produceRequest(one.of(seq));
            }
            assertThat(batch.front.pushRequestsAndCheckNotify()).isEqualTo(single.front.pushRequestsAndCheckNotify());

            int taken = 0;
            while (taken < turn.take() && single.back.consumeRequest(one)) {
                single.taken.add(one.seq);
                assertThat(one.valid()).isTrue();
                taken++;
            }
            int n = batch.back.consumeRequests(run, turn.take());
            assertThat(n).isEqualTo(taken);
            for (int i = 0; i < n; i++) {
                assertThat(run[i].valid()).isTrue();
                batch.taken.add(run[i].seq);
            }
            assertThat(batch.back.reqCons()).isEqualTo(single.back.reqCons());
            Statistics.collect(n == 0 ? "empty run" : n == 1 ? "run of 1" : "longer run");

            int answer = Math.min(turn.answer(), single.back.pendingResponses());
            for (int i = 0; i < answer; i++) {
                long s = single.taken.remove(0);
                single.back.produceResponse(response.of(s, (int) s * 3));
                long b = batch.taken.remove(0);
                answers[i].of(b, (int) b * 3);
            }
            batch.back.produceResponses(answers, 0, answer);
            assertThat(batch.back.rspProdPvt()).isEqualTo(single.back.rspProdPvt());
            assertThat(batch.back.pushResponsesAndCheckNotify()).isEqualTo(single.back.pushResponsesAndCheckNotify());

            assertThat(batch.page.segment().mismatch(single.page.segment()))
                    .as("the two pages differ at this byte").isEqualTo(-1L);

            java.util.ArrayList<Long> singleAnswers = new java.util.ArrayList<>();
            while (single.front.consumeResponse(response)) {
                assertThat(response.status).isEqualTo((int) response.seq * 3);
                singleAnswers.add(response.seq);
            }
            java.util.ArrayList<Long> batchAnswers = new java.util.ArrayList<>();
            int m;
            while ((m = batch.front.consumeResponses(answers, Math.max(1, turn.take()))) > 0) {
                for (int i = 0; i < m; i++) {
                    assertThat(answers[i].status).isEqualTo((int) answers[i].seq * 3);
                    batchAnswers.add(answers[i].seq);
                }
            }
            assertThat(batchAnswers).isEqualTo(singleAnswers);
            assertThat(batch.front.rspCons()).isEqualTo(single.front.rspCons());
            if (turn.idle()) {
                assertThat(batch.front.finalCheckForResponses()).isEqualTo(single.front.finalCheckForResponses());
                assertThat(batch.back.finalCheckForRequests()).isEqualTo(single.back.finalCheckForRequests());
            }
        }
        Statistics.coverage(c -> c.check("longer run").percentage(p -> p > 10));
    }

    /** One ring: a page, its two ends, and the sequence numbers the back end holds unanswered. */
    private static final class Twin {
        final SegmentBuffer page;
        final FrontRing<Request, Response> front;
        final BackRing<Request, Response> back;
        final java.util.ArrayList<Long> taken = new java.util.ArrayList<>();

        Twin(int size, int start) {
            page = SeqEntries.heapPage(size);
            front = new FrontRing<>(page, SeqEntries.REQUESTS, SeqEntries.RESPONSES, () -> { }).init(start);
            back = new BackRing<>(page, SeqEntries.REQUESTS, SeqEntries.RESPONSES, () -> { }).attach(start);
        }
    }

    @Property(tries = 500)
    @Label("A front end that moves req_prod backwards or past the ring while a run is taken gets the run its first reading covered, then is refused")
    void shouldCatchAReqProdMovedWhileARunIsTaken(
            @ForAll int start,
            @ForAll @IntRange(min = 0, max = 3) int sizeLog2,
            @ForAll @IntRange(min = 0, max = 8) int published,
            @ForAll @IntRange(min = 0, max = 8) int alreadyTaken,
            @ForAll @IntRange(min = 1, max = 9) int max,
            @ForAll boolean backwards,
            @ForAll @IntRange(min = 1, max = 1 << 20) int by) throws RingOverflowException {
        int size = 1 << sizeLog2;
        TracingBuffer page = new TracingBuffer(SeqEntries.heapPage(size));
        FrontRing<Request, Response> front =
                new FrontRing<>(page, SeqEntries.REQUESTS, SeqEntries.RESPONSES, () -> { }).init(start);
        BackRing<Request, Response> back =
                new BackRing<>(page, SeqEntries.REQUESTS, SeqEntries.RESPONSES, () -> { }).attach(start);
        Request one = new Request();
        int before = Math.min(alreadyTaken, size);
        for (int i = 0; i < before; i++) {
            front.produceRequest(one.of(i));
        }
        front.pushRequests();
        for (int i = 0; i < before; i++) {
            assertThat(back.consumeRequest(one)).isTrue(); // taken, not yet answered: rsp_prod_pvt stays behind
        }
        int more = Math.min(published, front.freeRequests());
        for (int i = 0; i < more; i++) {
            front.produceRequest(one.of(before + i));
        }
        front.pushRequests();
        int reqCons = back.reqCons();
        // Backwards: anywhere behind req_cons. Past: more than size ahead of rsp_prod_pvt.
        int bad = backwards ? reqCons - by : back.rspProdPvt() + size + by;
        // Right after the run's one acquire of req_prod (the first ordered access), the front end
        // moves req_prod where no correct front end can put it.
        page.hook(n -> {
            if (n == 1) {
                page.putIntRelease(SharedRingHeader.REQ_PROD_OFFSET, bad);
            }
        });
        Request[] run = new Request[9];
        for (int i = 0; i < run.length; i++) {
            run[i] = new Request();
        }

        int n = back.consumeRequests(run, max);
        page.hook(null);

        assertThat(n).isEqualTo(Math.min(more, max));
        for (int i = 0; i < n; i++) {
            assertThat(run[i].seq).isEqualTo(before + i);
            assertThat(run[i].valid()).isTrue();
        }
        assertThat(back.reqCons()).isEqualTo(reqCons + n);
        assertThat(back.requestOverflow(bad)).isTrue();
        int reqConsAfter = back.reqCons();
        assertThatThrownBy(() -> back.consumeRequests(run, max))
                .isInstanceOfSatisfying(RingOverflowException.class, e -> assertThat(e.producerIndex()).isEqualTo(bad));
        assertThat(back.broken()).isTrue();
        assertThat(back.reqCons()).isEqualTo(reqConsAfter);
        assertThatThrownBy(() -> back.consumeRequests(run, max)).isInstanceOf(RingOverflowException.class);
        assertThatThrownBy(() -> back.consumeRequest(one)).isInstanceOf(RingOverflowException.class);
        Statistics.collect(backwards ? "backwards" : "past the ring");
    }

    @Property(tries = 500)
    @Label("Responses pushed in runs notify exactly when ring.h says: at the push whose run covers rsp_event, and once")
    void shouldNotifyARunOnlyWhenItCoversTheEvent(
            @ForAll int start,
            @ForAll @IntRange(min = 0, max = 4) int sizeLog2,
            @ForAll @IntRange(min = 0, max = 20) int eventAhead,
            @ForAll @Size(min = 1, max = 8) List<@IntRange(min = 1, max = 16) Integer> runs) throws RingOverflowException {
        int size = 1 << sizeLog2;
        SegmentBuffer page = SeqEntries.heapPage(size);
        FrontRing<Request, Response> front =
                new FrontRing<>(page, SeqEntries.REQUESTS, SeqEntries.RESPONSES, () -> { }).init(start);
        int[] notified = {0};
        BackRing<Request, Response> back =
                new BackRing<>(page, SeqEntries.REQUESTS, SeqEntries.RESPONSES, () -> notified[0]++).attach(start);
        Request one = new Request();
        for (int i = 0; i < size; i++) {
            front.produceRequest(one.of(i));
        }
        front.pushRequests();
        Request[] run = new Request[size];
        Response[] answers = new Response[size];
        for (int i = 0; i < size; i++) {
            run[i] = new Request();
            answers[i] = new Response().of(i, 0);
        }
        assertThat(back.consumeRequests(run, size)).isEqualTo(size);
        // The front end waits for rsp_event: anywhere from just past rsp_cons to beyond what will come.
        int event = start + eventAhead;
        page.putIntRelease(SharedRingHeader.RSP_EVENT_OFFSET, event);

        int pushed = 0;
        int expected = 0;
        for (int length : runs) {
            int k = Math.min(length, back.pendingResponses());
            int oldProd = start + pushed;
            back.produceResponses(answers, pushed, k);
            int before = notified[0];
            boolean told = back.pushResponsesAndCheckNotify();
            pushed += k;
            // ring.h: notify iff the event lies in (old, new].
            boolean covers = k > 0 && Integer.compareUnsigned(event - oldProd - 1, k) < 0;
            assertThat(told).isEqualTo(covers);
            assertThat(notified[0] - before).isEqualTo(covers ? 1 : 0);
            expected += covers ? 1 : 0;
            assertThat(page.getIntAcquire(SharedRingHeader.RSP_PROD_OFFSET)).isEqualTo(start + pushed);
        }
        // Pushing one at a time would have notified once if the event was reached, never twice.
        boolean reached = eventAhead >= 1 && eventAhead <= pushed;
        assertThat(notified[0]).isEqualTo(expected).isEqualTo(reached ? 1 : 0);
        Statistics.collect(reached ? "notified" : "not notified");
        Statistics.coverage(c -> {
            c.check("notified").percentage(p -> p > 20);
            c.check("not notified").percentage(p -> p > 20);
        });
    }

    /**
     * A 12-byte request in a slot its 16-byte response fills: the shape where a run of requests
     * must not be copied as whole slots (bytes 12..15 are the back end's).
     */
    private static final EntryCodec<Request> SHORT_REQUESTS = new EntryCodec<>() {
        @Override
        public long byteSize() {
            return 12;
        }

        @Override
        public void encode(Request entry, org.parasol.hypercall.SharedBuffer dst) {
            dst.putLong(0, entry.seq);
            dst.putInt(8, (int) entry.check);
        }

        @Override
        public void decode(org.parasol.hypercall.SharedBuffer src, Request into) {
            into.seq = src.getLong(0);
            into.check = src.getInt(8);
        }
    };

    /** A 16-byte response (sequence, status, a marker word) for {@link #SHORT_REQUESTS}' slots. */
    private static final EntryCodec<Response> LONG_RESPONSES = new EntryCodec<>() {
        @Override
        public long byteSize() {
            return 16;
        }

        @Override
        public void encode(Response entry, org.parasol.hypercall.SharedBuffer dst) {
            dst.putLong(0, entry.seq);
            dst.putInt(8, entry.status);
            dst.putInt(12, 0x5A5A_0000 | (int) entry.seq & 0xFFFF);
        }

        @Override
        public void decode(org.parasol.hypercall.SharedBuffer src, Response into) {
            into.seq = src.getLong(0);
            into.status = src.getInt(8);
        }
    };

    @Property(tries = 300)
    @Label("A run of requests produced in one call leaves the page as one-at-a-time produceRequest does: same slots, same bytes past a short request, same notifications")
    void shouldProduceARunOfRequestsAsOneAtATimeDoes(
            @ForAll int start,
            @ForAll @IntRange(min = 0, max = 3) int sizeLog2,
            @ForAll boolean shortRequests,
            @ForAll @Size(min = 1, max = 30) List<@From("turns") Turn> turns) throws RingOverflowException {
        int size = 1 << sizeLog2;
        EntryCodec<Request> requests = shortRequests ? SHORT_REQUESTS : SeqEntries.REQUESTS;
        EntryCodec<Response> responses = shortRequests ? LONG_RESPONSES : SeqEntries.RESPONSES;
        int[] singleNotified = {0};
        int[] batchNotified = {0};
        SegmentBuffer singlePage = SeqEntries.heapPage(size);
        SegmentBuffer batchPage = SeqEntries.heapPage(size);
        FrontRing<Request, Response> singleFront =
                new FrontRing<>(singlePage, requests, responses, () -> singleNotified[0]++).init(start);
        FrontRing<Request, Response> batchFront =
                new FrontRing<>(batchPage, requests, responses, () -> batchNotified[0]++).init(start);
        BackRing<Request, Response> singleBack =
                new BackRing<>(singlePage, requests, responses, () -> { }).attach(start);
        BackRing<Request, Response> batchBack =
                new BackRing<>(batchPage, requests, responses, () -> { }).attach(start);
        Request[] run = new Request[size + 3];
        for (int i = 0; i < run.length; i++) {
            run[i] = new Request();
        }
        Request one = new Request();
        Response response = new Response();
        java.util.ArrayDeque<Long> singleTaken = new java.util.ArrayDeque<>();
        java.util.ArrayDeque<Long> batchTaken = new java.util.ArrayDeque<>();
        long seq = 0;
        for (Turn turn : turns) {
            int produce = Math.min(turn.produce(), singleFront.freeRequests());
            int offset = (int) (seq % 3); // runs start anywhere in the caller's holders
            for (int p = 0; p < produce; p++) {
                seq++;
                singleFront.produceRequest(one.of(seq));
                run[offset + p].of(seq);
            }
            batchFront.produceRequests(run, offset, produce);
            assertThat(batchFront.reqProdPvt()).isEqualTo(singleFront.reqProdPvt());
            assertThat(batchFront.freeRequests()).isEqualTo(singleFront.freeRequests());
            assertThat(batchFront.pushRequestsAndCheckNotify()).isEqualTo(singleFront.pushRequestsAndCheckNotify());
            assertThat(batchNotified[0]).isEqualTo(singleNotified[0]);
            assertThat(batchPage.segment().mismatch(singlePage.segment()))
                    .as("the two pages differ at this byte after the push").isEqualTo(-1L);
            Statistics.collect(produce == 0 ? "empty run" : produce == 1 ? "run of 1" : "longer run");

            for (int t = 0; t < turn.take(); t++) {
                boolean a = singleBack.consumeRequest(one);
                if (a) {
                    assertThat(one.valid() || shortRequests).isTrue();
                    singleTaken.add(one.seq);
                }
                boolean b = batchBack.consumeRequest(one);
                assertThat(b).isEqualTo(a);
                if (b) {
                    batchTaken.add(one.seq);
                }
            }
            assertThat(batchTaken).containsExactlyElementsOf(singleTaken);
            for (int i = Math.min(turn.answer(), singleBack.pendingResponses()); i > 0; i--) {
                long s = singleTaken.remove();
                singleBack.produceResponse(response.of(s, (int) s * 3));
                batchBack.produceResponse(response.of(batchTaken.remove(), (int) s * 3));
            }
            singleBack.pushResponses();
            batchBack.pushResponses();
            if (shortRequests) {
                // The back end's part of every slot, past the 12 request bytes: whatever it leaves there stays.
                for (int slot = 0; slot < size; slot++) {
                    long at = SharedRingHeader.RING_OFFSET + slot * 16L + 12;
                    singlePage.putInt(at, (int) seq + slot);
                    batchPage.putInt(at, (int) seq + slot);
                }
            }

            assertThat(batchPage.segment().mismatch(singlePage.segment()))
                    .as("the two pages differ at this byte").isEqualTo(-1L);

            if (turn.idle()) {
                while (singleFront.consumeResponse(response)) {
                    assertThat(response.status).isEqualTo((int) response.seq * 3);
                }
                while (batchFront.consumeResponse(response)) {
                    assertThat(response.status).isEqualTo((int) response.seq * 3);
                }
                assertThat(batchFront.rspCons()).isEqualTo(singleFront.rspCons());
            }
        }
        Statistics.coverage(c -> c.check("longer run").percentage(p -> p > 10));
    }

    @Property(tries = 200)
    @Label("A run of more requests than there are free slots is refused and writes nothing")
    void shouldRefuseARunOfRequestsLargerThanTheFreeSlots(
            @ForAll int start,
            @ForAll @IntRange(min = 0, max = 3) int sizeLog2,
            @ForAll @IntRange(min = 0, max = 8) int before,
            @ForAll @IntRange(min = 1, max = 9) int over) {
        int size = 1 << sizeLog2;
        SegmentBuffer page = SeqEntries.heapPage(size);
        FrontRing<Request, Response> front =
                new FrontRing<>(page, SeqEntries.REQUESTS, SeqEntries.RESPONSES, () -> { }).init(start);
        Request one = new Request();
        for (int i = 0; i < Math.min(before, size); i++) {
            front.produceRequest(one.of(i));
        }
        int free = front.freeRequests();
        Request[] run = new Request[free + over];
        for (int i = 0; i < run.length; i++) {
            run[i] = new Request().of(1000 + i);
        }
        byte[] was = page.segment().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        int pvt = front.reqProdPvt();

        assertThatThrownBy(() -> front.produceRequests(run, 0, free + over)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> front.produceRequests(run, 1, run.length)).isInstanceOf(IndexOutOfBoundsException.class);

        assertThat(page.segment().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)).isEqualTo(was);
        assertThat(front.reqProdPvt()).isEqualTo(pvt);
        front.produceRequests(run, 0, free);
        assertThat(front.freeRequests()).isZero();
    }
}
