package org.parasol.drivers.ring;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.drivers.ring.SeqEntries.Request;
import org.parasol.drivers.ring.SeqEntries.Response;
import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.io.SharedRingHeader;

/**
 * A front end and a back end on two threads over one native segment, with real acquire/release
 * accesses and fences, counters starting just below 2<sup>32</sup>, and notifications delivered as
 * a flag plus {@code unpark}. Each side goes idle only after a final check finds nothing, so a
 * missed notification leaves a side parked with work waiting, which the liveness bound reports.
 *
 * <p>Bounded: at most {@value #REQUESTS} requests, and the front end stops producing after
 * {@link #PRODUCE_BUDGET} (a bound on work on a loaded machine, not a speed assertion).
 */
class RingStressTest {

    private static final int REQUESTS = 200_000;
    private static final int SLOTS = 32;
    private static final int START = -97;
    private static final long STOP = -1L;
    private static final Duration PRODUCE_BUDGET = Duration.ofSeconds(10);
    /** Far beyond any healthy run; reached only if a side waits for a notification that never comes. */
    private static final Duration LIVENESS_BOUND = Duration.ofSeconds(90);

    /** One side's event channel: a pending flag and the thread to wake. */
    static final class Wakeup {
        private final AtomicBoolean pending = new AtomicBoolean();
        private final AtomicLong sent = new AtomicLong();
        volatile Thread owner;

        void send() {
            sent.incrementAndGet();
            pending.set(true);
            LockSupport.unpark(owner);
        }

        void await(long deadlineNanos, Object where) {
            while (!pending.compareAndSet(true, false)) {
                if (System.nanoTime() - deadlineNanos > 0) {
                    throw new AssertionError("no notification came; stranded at " + where);
                }
                LockSupport.parkNanos(this, 10_000_000L);
            }
        }
    }

    @Test
    @DisplayName("Two threads, counters from just below 2^32: every request answered in order, no notification missed")
    void shouldCarryEveryRequestAndResponseBetweenTwoThreads() throws Exception {
        try (Arena arena = Arena.ofShared()) {
            SegmentBuffer page = new SegmentBuffer(arena.allocate(SharedRingHeader.RING_OFFSET + SLOTS * 16L, 4096));
            Wakeup toFront = new Wakeup();
            Wakeup toBack = new Wakeup();
            FrontRing<Request, Response> front =
                    new FrontRing<>(page, SeqEntries.REQUESTS, SeqEntries.RESPONSES, toBack::send).init(START);
            BackRing<Request, Response> back =
                    new BackRing<>(page, SeqEntries.REQUESTS, SeqEntries.RESPONSES, toFront::send).attach(START);
            assertThat(front.size()).isEqualTo(SLOTS);
            long deadline = System.nanoTime() + LIVENESS_BOUND.toNanos();
            AtomicLong produced = new AtomicLong();
            AtomicLong answered = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();

            Thread backThread = Thread.ofPlatform().name("ring-back").daemon().unstarted(
                    guarded(failure, () -> runBack(back, toBack, deadline)));
            Thread frontThread = Thread.ofPlatform().name("ring-front").daemon().unstarted(
                    guarded(failure, () -> runFront(front, toFront, deadline, produced, answered)));
            toBack.owner = backThread;
            toFront.owner = frontThread;
            backThread.start();
            frontThread.start();
            frontThread.join(LIVENESS_BOUND.plusSeconds(5));
            backThread.join(Duration.ofSeconds(5));

            assertThat(failure.get()).as("failure on a ring thread").isNull();
            assertThat(frontThread.isAlive() || backThread.isAlive()).as("a ring thread is still running").isFalse();
            assertThat(produced.get()).isPositive();
            assertThat(answered.get()).isEqualTo(produced.get());
            assertThat(front.reqProdPvt() - START).as("requests on the ring, stop marker included")
                    .isEqualTo((int) produced.get() + 1);
            assertThat(back.reqCons()).isEqualTo(front.reqProdPvt());
            assertThat(front.rspCons()).isEqualTo(front.reqProdPvt());
        }
    }

    private interface Body {
        void run() throws Exception;
    }

    private static Runnable guarded(AtomicReference<Throwable> failure, Body body) {
        return () -> {
            try {
                body.run();
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        };
    }

    private static void runFront(FrontRing<Request, Response> front, Wakeup wakeup, long deadline,
            AtomicLong produced, AtomicLong answered) throws RingOverflowException {
        Request request = new Request();
        Response response = new Response();
        long produceUntil = System.nanoTime() + PRODUCE_BUDGET.toNanos();
        long next = 0;
        long expect = 0;
        boolean stopSent = false;
        while (true) {
            while (!stopSent && !front.full()) {
                if (next == REQUESTS || System.nanoTime() - produceUntil > 0) {
                    front.produceRequest(request.of(STOP));
                    stopSent = true;
                } else {
                    front.produceRequest(request.of(next++));
                }
            }
            front.pushRequestsAndCheckNotify();
            boolean progressed = false;
            while (front.consumeResponse(response)) {
                progressed = true;
                if (response.seq == STOP) {
                    assertThat(expect).isEqualTo(next);
                    produced.set(next);
                    answered.set(expect);
                    return;
                }
                assertThat(response.seq).as("response order").isEqualTo(expect);
                assertThat(response.status).isEqualTo((int) expect ^ 0x5A5A);
                expect++;
            }
            if (progressed || !stopSent && !front.full() || front.finalCheckForResponses()) {
                continue;
            }
            wakeup.await(deadline, front);
        }
    }

    private static void runBack(BackRing<Request, Response> back, Wakeup wakeup, long deadline)
            throws RingOverflowException {
        Request request = new Request();
        Response response = new Response();
        long expect = 0;
        while (true) {
            boolean progressed = false;
            boolean stop = false;
            while (!stop && back.consumeRequest(request)) {
                progressed = true;
                assertThat(request.valid()).as("request intact").isTrue();
                if (request.seq == STOP) {
                    stop = true;
                    back.produceResponse(response.of(STOP, 0));
                } else {
                    assertThat(request.seq).as("request order").isEqualTo(expect);
                    back.produceResponse(response.of(expect, (int) expect ^ 0x5A5A));
                    expect++;
                }
            }
            back.pushResponsesAndCheckNotify();
            if (stop) {
                return;
            }
            if (progressed || back.finalCheckForRequests()) {
                continue;
            }
            wakeup.await(deadline, back);
        }
    }
}
