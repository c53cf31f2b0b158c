package org.parasol.drivers.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

import org.junit.jupiter.api.Test;

/**
 * netback's RX queue ({@link RxQueue}) under random interleavings of frames arriving (of any
 * length up to a 64 KiB frame), the front end posting buffers (frames taken, in batches, then
 * their copies made and their bytes released), time passing and the drain timeout: frames are
 * given out in the order they came and byte for byte as they were copied in (so no two frames
 * held ever share a byte of the ring), the bytes held never pass the bound, and every byte
 * offered is accounted for once: given to the front end, refused for want of room, expired, or
 * dropped when the vif goes.
 */
class RxQueueProperties {

    /** One step: 0 a frame arrives (len, dt ns later), 1 take up to n waiting frames, 2 release, 3 expire. */
    private record Step(int kind, int len, int n, long dt) {
    }

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Step> arrive = Combinators.combine(
                Arbitraries.oneOf(Arbitraries.integers().between(1, 128), Arbitraries.integers().between(60, 1514),
                        Arbitraries.integers().between(1, 0xFFFF)),
                Arbitraries.longs().between(0, 50_000_000L)).as((len, dt) -> new Step(0, len, 0, dt));
        Arbitrary<Step> take = Arbitraries.integers().between(1, 20).map(n -> new Step(1, 0, n, 0));
        Arbitrary<Step> release = Arbitraries.just(new Step(2, 0, 0, 0));
        Arbitrary<Step> expire = Arbitraries.longs().between(0, 400_000_000L).map(dt -> new Step(3, 0, 0, dt));
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, arrive), net.jqwik.api.Tuple.of(2, take), net.jqwik.api.Tuple.of(2, release),
                net.jqwik.api.Tuple.of(1, expire)).list().ofMaxSize(400);
    }

    /** A frame as the model keeps it: its number, bytes, flags and arrival. */
    private record Frame(int seq, byte[] bytes, int flags, long at) {
    }

    @Property(tries = 300)
    @Label("in order, byte for byte, never over the bound, every byte delivered, refused, expired or dropped on disconnect")
    void shouldDeliverInOrderWithinTheBoundAndAccountForEveryByte(@ForAll("steps") List<Step> steps,
            @ForAll @IntRange(min = 1, max = 40) int pages, @ForAll @IntRange(min = 1, max = 300) int maxFrames) {
        int capacity = pages * 4096;
        RxQueue q = new RxQueue(capacity, maxFrames);
        byte[] ring = new byte[capacity];
        ArrayDeque<Frame> waiting = new ArrayDeque<>();
        int taken = 0; // frames taken and not released (the model's: only how many)
        long timeout = 200_000_000L;
        long now = 1_000_000_000L;
        int seq = 0;
        int nextExpected = 0;
        long offered = 0;
        long offeredBytes = 0;
        long gotBytes = 0;
        long expiredModel = 0;
        for (Step s : steps) {
            switch (s.kind()) {
                case 0 -> {
                    now += s.dt();
                    byte[] b = new byte[Math.min(s.len(), capacity)];
                    for (int i = 0; i < b.length; i++) {
                        b[i] = (byte) (seq * 31 + i * 7);
                    }
                    int flags = seq & 7;
                    int at = q.offer(b.length, flags, now);
                    offered++;
                    offeredBytes += b.length;
                    if (at >= 0) {
                        assertThat(at).isBetween(0, capacity - b.length);
                        System.arraycopy(b, 0, ring, at, b.length);
                        waiting.add(new Frame(seq, b, flags, now));
                    }
                    seq++;
                }
                case 1 -> {
                    for (int i = 0; i < s.n() && !q.noneWaiting(); i++) {
                        Frame f = waiting.poll();
                        assertThat(f).as("the model has the frame the queue gives").isNotNull();
                        assertThat(f.seq()).as("in order").isGreaterThanOrEqualTo(nextExpected);
                        nextExpected = f.seq() + 1;
                        assertThat(q.headLength()).isEqualTo(f.bytes().length);
                        assertThat(q.headFlags()).isEqualTo(f.flags());
                        assertThat(q.headArrived()).isEqualTo(f.at());
                        int at = q.headStart();
                        assertThat(Arrays.copyOfRange(ring, at, at + f.bytes().length)).as("frame %d's bytes", f.seq())
                                .isEqualTo(f.bytes());
                        q.take();
                        gotBytes += f.bytes().length;
                        taken++;
                    }
                }
                case 2 -> {
                    q.release();
                    taken = 0;
                }
                default -> {
                    now += s.dt();
                    int n = q.expire(now - timeout);
                    if (taken > 0) {
                        assertThat(n).as("nothing expires while frames are taken").isZero();
                    }
                    for (int i = 0; i < n; i++) {
                        Frame f = waiting.poll();
                        assertThat(f.at()).isLessThanOrEqualTo(now - timeout);
                        nextExpected = f.seq() + 1;
                        expiredModel++;
                    }
                    if (taken == 0) {
                        assertThat(waiting.isEmpty() || waiting.peek().at() > now - timeout)
                                .as("every frame older than the timeout is gone").isTrue();
                    }
                }
            }
            assertThat(q.held()).isBetween(0, capacity);
            assertThat(q.waiting()).isEqualTo(waiting.size());
            long waitingBytes = waiting.stream().mapToLong(f -> f.bytes().length).sum();
            assertThat(q.held()).as("bytes held cover the frames held").isGreaterThanOrEqualTo((int) waitingBytes);
            assertThat(q.queuedBytes()).isEqualTo(q.deliveredBytes() + q.expiredBytes() + waitingBytes);
        }
        assertThat(q.peak()).isLessThanOrEqualTo(capacity);
        q.release();
        long waitingBytes = waiting.stream().mapToLong(f -> f.bytes().length).sum();
        q.clear();
        assertThat(q.held()).isZero();
        assertThat(q.isEmpty()).isTrue();
        assertThat(q.clearedBytes()).isEqualTo(waitingBytes);
        assertThat(q.expired()).isEqualTo(expiredModel);
        assertThat(q.queued() + q.full()).isEqualTo(offered);
        assertThat(q.queuedBytes() + q.fullBytes()).isEqualTo(offeredBytes);
        assertThat(q.deliveredBytes()).isEqualTo(gotBytes);
        assertThat(q.deliveredBytes() + q.expiredBytes() + q.clearedBytes() + q.fullBytes())
                .as("every byte offered accounted for once").isEqualTo(offeredBytes);
    }

    @Property(tries = 200)
    @Label("a queue with nothing held takes any frame up to its size; one frame over the free bytes is refused")
    void shouldTakeAnyFrameWhenEmptyAndRefuseOverTheBound(@ForAll @IntRange(min = 1, max = 32) int pages,
            @ForAll @IntRange(min = 1, max = 0xFFFF) int len) {
        int capacity = pages * 4096;
        RxQueue q = new RxQueue(capacity, 4);
        int at = q.offer(Math.min(len, capacity), 0, 5);
        assertThat(at).isZero();
        int second = q.offer(capacity - Math.min(len, capacity) + 1, 0, 6);
        assertThat(second).isEqualTo(-1);
        assertThat(q.full()).isOne();
        assertThat(q.held()).isEqualTo(Math.min(len, capacity));
    }

    @Test
    void shouldBoundFramesByItsEntries() {
        RxQueue q = new RxQueue(4096, 2);
        assertThat(q.offer(10, 0, 1)).isZero();
        assertThat(q.offer(10, 0, 1)).isEqualTo(10);
        assertThat(q.offer(10, 0, 1)).isEqualTo(-1);
        q.take();
        assertThat(q.offer(10, 0, 1)).as("a taken frame holds its entry until released").isEqualTo(-1);
        q.release();
        assertThat(q.offer(10, 0, 1)).isEqualTo(20);
        assertThatThrownBy(() -> q.offer(0, 0, 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
