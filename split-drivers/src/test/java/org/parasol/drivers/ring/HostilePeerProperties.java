package org.parasol.drivers.ring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Random;
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
import net.jqwik.api.statistics.Statistics;
import org.parasol.drivers.ring.SeqEntries.Request;
import org.parasol.drivers.ring.SeqEntries.Response;
import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.io.SharedRingHeader;

/**
 * One honest end of a ring against a peer that writes whatever it likes into the shared page:
 * its producer index, both event indices, the other side's producer index and the slots. The
 * honest end must consume exactly the entries a sane index covers, refuse an impossible one with
 * {@link RingOverflowException} (and stay broken), and never crash, throw anything else, or loop.
 */
class HostilePeerProperties {

    /**
     * What the hostile peer writes before the honest end's next turn: its producer index
     * ({@code anywhere}, or when {@code relative} the honest end's private index plus {@code near},
     * to land on the edges of what is allowed), an event index, the honest end's own producer index,
     * and a seed for noise over every slot.
     */
    record Scribble(boolean relative, int near, int anywhere, int event, int otherIndex, long slotNoise) {
        int index(int base) {
            return relative ? base + near : anywhere;
        }
    }

    @Provide
    Arbitrary<Scribble> scribbles() {
        Arbitrary<Boolean> relative = Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.just(true)), Tuple.of(1, Arbitraries.just(false)));
        return Combinators.combine(relative, Arbitraries.integers().between(-3, 11), Arbitraries.integers(),
                Arbitraries.integers(), Arbitraries.integers(), Arbitraries.longs()).as(Scribble::new);
    }

    @Property(tries = 500)
    @Label("A hostile front end's req_prod is consumed up to the ring's bound or refused as overflow, never crashing or looping")
    void shouldSurviveAnyRequestProducerIndex(
            @ForAll int start,
            @ForAll @IntRange(min = 0, max = 3) int sizeLog2,
            @ForAll @Size(min = 1, max = 25) List<@From("scribbles") Scribble> scribbles,
            @ForAll long seed) {
        int size = 1 << sizeLog2;
        SegmentBuffer page = SeqEntries.heapPage(size);
        new FrontRing<>(page, SeqEntries.REQUESTS, SeqEntries.RESPONSES, () -> { }).init(start);
        BackRing<Request, Response> back =
                new BackRing<>(page, SeqEntries.REQUESTS, SeqEntries.RESPONSES, () -> { }).attach(start);
        Random random = new Random(seed);
        Request request = new Request();
        Response response = new Response();

        for (Scribble scribble : scribbles) {
            int reqProd = scribble.index(back.rspProdPvt());
            scribble(page, scribble, SharedRingHeader.REQ_PROD_OFFSET, reqProd,
                    SharedRingHeader.RSP_PROD_OFFSET, SharedRingHeader.REQ_EVENT_OFFSET);
            int outstanding = reqProd - back.rspProdPvt();
            boolean sane = Integer.compareUnsigned(outstanding, size) <= 0
                    && Integer.compareUnsigned(outstanding, back.reqCons() - back.rspProdPvt()) >= 0;
            int reqConsBefore = back.reqCons();
            try {
                int consumed = 0;
                while (back.consumeRequest(request)) {
                    if (++consumed > size) {
                        fail("consumed more than the ring holds: " + back);
                    }
                }
                assertThat(sane).as("accepted req_prod %s: %s", Integer.toUnsignedString(reqProd), back).isTrue();
                assertThat(consumed).isEqualTo(reqProd - reqConsBefore);
                for (int answer = random.nextInt(back.pendingResponses() + 1); answer > 0; answer--) {
                    back.produceResponse(response.of(request.seq, 0));
                }
                back.pushResponsesAndCheckNotify();
                assertThat(back.finalCheckForRequests()).isFalse();
            } catch (RingOverflowException e) {
                assertThat(sane).as("refused a sane req_prod %s: %s", Integer.toUnsignedString(reqProd), back).isFalse();
                assertThat(e.producerIndex()).isEqualTo(reqProd);
                assertThat(back.broken()).isTrue();
                assertThat(back.reqCons()).isEqualTo(reqConsBefore);
                assertThatThrownBy(() -> back.consumeRequest(request)).isInstanceOf(RingOverflowException.class);
                Statistics.collect("refused");
                return;
            } finally {
                checkBothOutcomesCovered();
            }
            Statistics.collect("accepted");
        }
    }

    @Property(tries = 500)
    @Label("A hostile back end's rsp_prod is consumed up to the outstanding requests or refused as overflow")
    void shouldSurviveAnyResponseProducerIndex(
            @ForAll int start,
            @ForAll @IntRange(min = 0, max = 3) int sizeLog2,
            @ForAll @Size(min = 1, max = 25) List<@From("scribbles") Scribble> scribbles,
            @ForAll long seed) {
        int size = 1 << sizeLog2;
        SegmentBuffer page = SeqEntries.heapPage(size);
        FrontRing<Request, Response> front =
                new FrontRing<>(page, SeqEntries.REQUESTS, SeqEntries.RESPONSES, () -> { }).init(start);
        Random random = new Random(seed);
        Request request = new Request();
        Response response = new Response();

        for (Scribble scribble : scribbles) {
            for (int produce = random.nextInt(front.freeRequests() + 1); produce > 0; produce--) {
                front.produceRequest(request.of(produce));
            }
            front.pushRequestsAndCheckNotify();
            int rspProd = scribble.index(front.rspCons());
            scribble(page, scribble, SharedRingHeader.RSP_PROD_OFFSET, rspProd,
                    SharedRingHeader.REQ_PROD_OFFSET, SharedRingHeader.RSP_EVENT_OFFSET);
            int available = rspProd - front.rspCons();
            boolean sane = Integer.compareUnsigned(available, front.reqProdPvt() - front.rspCons()) <= 0;
            int rspConsBefore = front.rspCons();
            try {
                int consumed = 0;
                while (front.consumeResponse(response)) {
                    if (++consumed > size) {
                        fail("consumed more than the ring holds: " + front);
                    }
                }
                assertThat(sane).as("accepted rsp_prod %s: %s", Integer.toUnsignedString(rspProd), front).isTrue();
                assertThat(consumed).isEqualTo(rspProd - rspConsBefore);
                assertThat(front.finalCheckForResponses()).isFalse();
            } catch (RingOverflowException e) {
                assertThat(sane).as("refused a sane rsp_prod %s: %s", Integer.toUnsignedString(rspProd), front).isFalse();
                assertThat(e.producerIndex()).isEqualTo(rspProd);
                assertThat(front.broken()).isTrue();
                assertThat(front.rspCons()).isEqualTo(rspConsBefore);
                assertThatThrownBy(() -> front.consumeResponse(response)).isInstanceOf(RingOverflowException.class);
                Statistics.collect("refused");
                return;
            } finally {
                checkBothOutcomesCovered();
            }
            Statistics.collect("accepted");
        }
    }

    /** Both branches must be exercised often: sane indices consumed, impossible ones refused. */
    private static void checkBothOutcomesCovered() {
        Statistics.coverage(coverage -> {
            coverage.check("accepted").percentage(p -> p > 10);
            coverage.check("refused").percentage(p -> p > 10);
        });
    }

    /**
     * The peer writes its producer index, the event index the honest end publishes (which the
     * peer may overwrite too), the honest end's own producer index (read back as the old value
     * of its next push), and noise over every slot.
     */
    private static void scribble(SegmentBuffer page, Scribble scribble, long producerOffset, int producer,
            long otherProducerOffset, long eventOffset) {
        MemorySegment slots = page.segment().asSlice(SharedRingHeader.RING_OFFSET);
        Random noise = new Random(scribble.slotNoise());
        for (long i = 0; i < slots.byteSize(); i++) {
            slots.set(ValueLayout.JAVA_BYTE, i, (byte) noise.nextInt());
        }
        page.putIntRelease(eventOffset, scribble.event());
        page.putIntRelease(otherProducerOffset, scribble.otherIndex());
        page.putIntRelease(producerOffset, producer);
    }
}
