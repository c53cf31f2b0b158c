package org.parasol.drivers.ring;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.parasol.drivers.ring.SeqEntries.Request;
import org.parasol.drivers.ring.SeqEntries.Response;

/**
 * A front end and a back end on one ring, driven by one thread through a schedule jqwik chooses:
 * each step is one side's ring operation, optionally preempted after its n-th ordered access (or
 * fence) by one operation of the other side — the windows in which another CPU could act. Every
 * schedule is deterministic, so a failure shrinks to a short schedule and replays.
 *
 * <p>Each side is either busy or idle. It goes idle only when its final check finds nothing, and
 * wakes only when the other side notifies it (an event-channel send, modelled as a pending flag
 * delivered between steps). Consuming is done only while busy; producing and pushing are driven
 * by the application (front) or I/O completion (back) and happen at any time.
 */
class RingInterleavingProperties {

    enum Kind {
        FRONT_PRODUCE(true), FRONT_PUSH(true), FRONT_CONSUME(true), FRONT_FINAL_CHECK(true),
        BACK_CONSUME(false), BACK_RESPOND(false), BACK_PUSH(false), BACK_FINAL_CHECK(false);

        final boolean front;

        Kind(boolean front) {
            this.front = front;
        }

        List<Kind> peers() {
            return front ? List.of(BACK_CONSUME, BACK_RESPOND, BACK_PUSH, BACK_FINAL_CHECK)
                    : List.of(FRONT_PRODUCE, FRONT_PUSH, FRONT_CONSUME, FRONT_FINAL_CHECK);
        }
    }

    /**
     * One operation ({@code kind}, on up to {@code count} entries) and, when {@code preemptAfter}
     * is positive, the other side's operation run right after the step's {@code preemptAfter}-th
     * ordered access.
     */
    record Step(Kind kind, int count, int preemptAfter, Kind peer, int peerCount) {
    }

    @Provide
    Arbitrary<Step> steps() {
        Arbitrary<Integer> counts = Arbitraries.integers().between(1, 9);
        Arbitrary<Integer> preempt = Arbitraries.frequencyOf(
                Tuple.of(2, Arbitraries.just(0)), Tuple.of(3, Arbitraries.integers().between(1, 4)));
        return Arbitraries.of(Kind.class).flatMap(kind -> Combinators
                .combine(Arbitraries.just(kind), counts, preempt, Arbitraries.of(kind.peers()), counts)
                .as(Step::new));
    }

    @Provide
    Arbitrary<Integer> starts() {
        return Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.integers().between(-40, -1)),
                Tuple.of(2, Arbitraries.integers()),
                Tuple.of(1, Arbitraries.just(0)));
    }

    @Property(tries = 1000)
    @Label("No request or response is lost, duplicated or reordered, and no idle consumer misses a notification,"
            + " also with the front end's batched final check (rsp_event half the outstanding requests ahead)")
    void shouldDeliverEverythingInOrderAndNeverStrandAnIdleConsumer(
            @ForAll @Size(max = 60) List<@From("steps") Step> schedule,
            @ForAll("starts") int start,
            @ForAll @IntRange(min = 0, max = 3) int sizeLog2,
            @ForAll boolean batched) throws RingOverflowException {
        Model model = new Model(1 << sizeLog2, start, batched);

        for (Step step : schedule) {
            model.run(step);
            model.deliverNotifications();
            model.checkInvariants();
        }
        model.drain();

        assertThat(model.backExpect).as("requests consumed by the back end").isEqualTo(model.nextSeq);
        assertThat(model.frontExpect).as("responses consumed by the front end").isEqualTo(model.nextSeq);
    }

    /** Both ends, their idle states and what each has seen. */
    static final class Model {
        final TracingBuffer page;
        final FrontRing<Request, Response> front;
        final BackRing<Request, Response> back;
        final int size;
        /** The front end goes idle through {@link FrontRing#finalCheckForResponsesBatched}. */
        final boolean batched;
        final Request request = new Request();
        final Response response = new Response();
        /** Consumed by the back end, not yet answered, in order. */
        final ArrayDeque<Long> unanswered = new ArrayDeque<>();
        long nextSeq;
        long backExpect;
        long frontExpect;
        // Both ends start idle: init leaves req_event = rsp_event = start + 1, asking for the first entry.
        boolean frontIdle = true;
        boolean backIdle = true;
        boolean frontPending;
        boolean backPending;

        Model(int size, int start, boolean batched) {
            this.size = size;
            this.batched = batched;
            this.page = new TracingBuffer(SeqEntries.heapPage(size));
            this.front = new FrontRing<>(page, SeqEntries.REQUESTS, SeqEntries.RESPONSES, () -> backPending = true)
                    .init(start);
            this.back = new BackRing<>(page, SeqEntries.REQUESTS, SeqEntries.RESPONSES, () -> frontPending = true)
                    .attach(start);
        }

        void run(Step step) throws RingOverflowException {
            if (step.preemptAfter() > 0) {
                page.hook(n -> {
                    if (n == step.preemptAfter()) {
                        act(step.peer(), step.peerCount());
                    }
                });
            }
            try {
                act(step.kind(), step.count());
            } finally {
                page.hook(null);
            }
        }

        /** One side's operation; consuming and final checks happen only while that side is busy. */
        void act(Kind kind, int count) {
            try {
                switch (kind) {
                    case FRONT_PRODUCE -> {
                        for (int i = 0; i < count && !front.full(); i++) {
                            front.produceRequest(request.of(nextSeq++));
                        }
                    }
                    case FRONT_PUSH -> front.pushRequestsAndCheckNotify();
                    case FRONT_CONSUME -> {
                        for (int i = 0; i < count && !frontIdle && front.consumeResponse(response); i++) {
                            assertThat(response.seq).as("response order").isEqualTo(frontExpect);
                            assertThat(response.status).isEqualTo(statusOf(frontExpect));
                            frontExpect++;
                        }
                    }
                    case FRONT_FINAL_CHECK -> {
                        if (!frontIdle && !(batched ? front.finalCheckForResponsesBatched() : front.finalCheckForResponses())) {
                            frontIdle = true;
                        }
                    }
                    case BACK_CONSUME -> {
                        for (int i = 0; i < count && !backIdle && back.consumeRequest(request); i++) {
                            assertThat(request.valid()).as("request intact").isTrue();
                            assertThat(request.seq).as("request order").isEqualTo(backExpect);
                            unanswered.add(backExpect++);
                        }
                    }
                    case BACK_RESPOND -> {
                        for (int i = 0; i < count && !unanswered.isEmpty(); i++) {
                            long seq = unanswered.poll();
                            back.produceResponse(response.of(seq, statusOf(seq)));
                        }
                    }
                    case BACK_PUSH -> back.pushResponsesAndCheckNotify();
                    case BACK_FINAL_CHECK -> {
                        if (!backIdle && !back.finalCheckForRequests()) {
                            backIdle = true;
                        }
                    }
                }
            } catch (RingOverflowException e) {
                throw new AssertionError("an honest peer was reported as overflowing: " + front + " / " + back, e);
            }
        }

        /** An event-channel upcall: a side with a pending notification is busy again. */
        void deliverNotifications() {
            if (frontPending) {
                frontPending = false;
                frontIdle = false;
            }
            if (backPending) {
                backPending = false;
                backIdle = false;
            }
        }

        void checkInvariants() throws RingOverflowException {
            if (backIdle) {
                assertThat(back.unconsumedRequests()).as("requests stranded at an idle back end: " + back).isZero();
            }
            if (frontIdle && batched) {
                // Idle with fewer responses than it asked to wait for, and waiting for no more
                // than the back end has yet to answer: the notification is still to come.
                int wait = front.sring().rspEvent() - front.rspCons();
                assertThat(front.unconsumedResponses()).as("rsp_event reached at an idle front end: " + front)
                        .isLessThan(wait);
                assertThat(wait).as("rsp_event beyond the requests published: " + front)
                        .isLessThanOrEqualTo(Math.max(1, front.sring().reqProd() - front.rspCons()));
            } else if (frontIdle) {
                assertThat(front.unconsumedResponses()).as("responses stranded at an idle front end: " + front).isZero();
            }
            assertThat(front.freeRequests()).isBetween(0, size);
            assertThat(back.pendingResponses()).isEqualTo(unanswered.size());
        }

        /** Both sides keep working, notified as the protocol says, until the front end has every answer. */
        void drain() throws RingOverflowException {
            for (int round = 0; round < 4 * size + 8 && frontExpect < nextSeq; round++) {
                act(Kind.FRONT_PUSH, 1);
                deliverNotifications();
                act(Kind.BACK_CONSUME, size);
                act(Kind.BACK_RESPOND, size);
                act(Kind.BACK_PUSH, 1);
                act(Kind.BACK_FINAL_CHECK, 1);
                deliverNotifications();
                act(Kind.FRONT_CONSUME, size);
                act(Kind.FRONT_FINAL_CHECK, 1);
                deliverNotifications();
                checkInvariants();
            }
        }

        static int statusOf(long seq) {
            return (int) seq ^ 0x5A5A;
        }
    }
}
