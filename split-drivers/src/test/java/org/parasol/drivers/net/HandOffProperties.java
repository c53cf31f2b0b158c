package org.parasol.drivers.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The hand-off between dom0's vCPUs ({@link HandOff}) under random interleavings of several
 * producers' reservations, copies and commits (a producer's steps split, as a vCPU may be held
 * between them) and the consumer's takes: bounded (never more bytes reserved than the ring
 * holds), FIFO per producer, byte for byte, and no frame lost unless counted (every frame offered
 * is taken, refused, or dropped on close). Then the same with real threads, bounded in time.
 */
class HandOffProperties {

    /** One step: 0 producer p reserves a frame of len; 1 producer p commits its oldest reservation; 2 the consumer takes up to n; 3 arm. */
    private record Step(int kind, int producer, int len, int n) {
    }

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Integer> producer = Arbitraries.integers().between(0, 3);
        Arbitrary<Step> reserve = Combinators.combine(producer, Arbitraries.oneOf(Arbitraries.integers().between(0, 100),
                Arbitraries.integers().between(60, 1514), Arbitraries.integers().between(1, 9000)))
                .as((p, len) -> new Step(0, p, len, 0));
        Arbitrary<Step> commit = producer.map(p -> new Step(1, p, 0, 0));
        Arbitrary<Step> take = Arbitraries.integers().between(1, 10).map(n -> new Step(2, 0, 0, n));
        Arbitrary<Step> arm = Arbitraries.just(new Step(3, 0, 0, 0));
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(5, reserve), net.jqwik.api.Tuple.of(5, commit),
                net.jqwik.api.Tuple.of(3, take), net.jqwik.api.Tuple.of(1, arm)).list().ofMaxSize(500);
    }

    /** A frame as a producer made it: its producer, number, bytes. */
    private record Frame(int producer, int seq, byte[] bytes) {
    }

    private static byte[] bytesOf(int producer, int seq, int len) {
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) {
            b[i] = (byte) (producer * 31 + seq * 7 + i);
        }
        return b;
    }

    @Property(tries = 400)
    @Label("bounded, FIFO per producer, byte for byte, every frame taken, refused or dropped on close; a kick for every wait")
    void shouldKeepEachProducersOrderWithinTheBound(@ForAll("steps") List<Step> steps,
            @ForAll @IntRange(min = 6, max = 14) int capacityLog) {
        int capacity = 1 << capacityLog;
        HandOff h = new HandOff(capacity);
        MemorySegment ring = h.bytes();
        // Per producer: reservations not committed yet (offset, frame), in order.
        List<ArrayDeque<Object[]>> open = new ArrayList<>();
        int[] seq = new int[4];
        int[] nextTaken = new int[4];
        for (int p = 0; p < 4; p++) {
            open.add(new ArrayDeque<>());
        }
        List<Frame> committed = new ArrayList<>();
        long offered = 0;
        long refusedSeen = 0;
        long takenSeen = 0;
        boolean waiting = true; // the consumer armed and waits for a kick (a new hand-off's does)
        for (Step s : steps) {
            switch (s.kind()) {
                case 0 -> {
                    offered++;
                    int at = h.reserve(s.len());
                    if (at < 0) {
                        refusedSeen++;
                        break;
                    }
                    assertThat(at % 8).as("records are 8-aligned").isZero();
                    assertThat(at + HandOff.HEADER + s.len()).as("a record lies whole in the ring").isLessThanOrEqualTo(capacity);
                    byte[] b = bytesOf(s.producer(), seq[s.producer()], s.len());
                    MemorySegment.copy(MemorySegment.ofArray(b), 0, ring, at + HandOff.HEADER, b.length);
                    open.get(s.producer()).add(new Object[] {at, new Frame(s.producer(), seq[s.producer()]++, b)});
                }
                case 1 -> {
                    Object[] r = open.get(s.producer()).poll();
                    if (r != null) {
                        Frame f = (Frame) r[1];
                        h.commit((int) r[0], f.bytes().length, f.producer() << 16 | f.seq());
                        committed.add(f);
                        boolean kick = h.needsKick();
                        assertThat(kick).as("a kick exactly when the consumer waits for one").isEqualTo(waiting);
                        waiting = false;
                    }
                }
                case 2 -> {
                    for (int i = 0; i < s.n(); i++) {
                        int at = h.peek();
                        if (at < 0) {
                            break;
                        }
                        int flags = h.flags(at);
                        int p = flags >>> 16;
                        int sq = flags & 0xFFFF;
                        assertThat(sq).as("producer %d's frames in the order it committed them", p).isEqualTo(nextTaken[p]);
                        nextTaken[p]++;
                        byte[] got = new byte[h.length(at)];
                        MemorySegment.copy(ring, ValueLayout.JAVA_BYTE, at + HandOff.HEADER, got, 0, got.length);
                        assertThat(got).as("byte for byte").isEqualTo(bytesOf(p, sq, got.length));
                        h.pop(at);
                        takenSeen++;
                    }
                }
                default -> {
                    if (!waiting) {
                        // The consumer waits only once nothing committed is left to take.
                        waiting = h.arm();
                        if (!waiting) {
                            assertThat(h.peek()).as("arm refuses only while a frame is there").isGreaterThanOrEqualTo(0);
                        }
                    }
                }
            }
            assertThat(h.held()).as("never more reserved than the ring holds").isBetween(0L, (long) capacity);
        }
        // Every open reservation is committed, then the owner closes: the rest is dropped and counted.
        for (ArrayDeque<Object[]> q : open) {
            for (Object[] r = q.poll(); r != null; r = q.poll()) {
                Frame f = (Frame) r[1];
                h.commit((int) r[0], f.bytes().length, f.producer() << 16 | f.seq());
            }
        }
        h.close();
        assertThat(h.refused()).isEqualTo(refusedSeen);
        assertThat(h.taken()).isEqualTo(takenSeen);
        assertThat(h.taken() + h.cleared() + h.refused()).as("every frame offered taken, dropped on close or refused")
                .isEqualTo(offered);
        assertThat(h.handed()).isEqualTo(offered - refusedSeen);
        assertThat(h.reserve(1)).as("a closed hand-off refuses").isEqualTo(-1);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    @DisplayName("three producer threads and a consumer thread: each producer's frames in order and whole, none lost uncounted, "
            + "the consumer woken for every frame it waited for")
    void shouldHandOverBetweenThreads() throws InterruptedException {
        HandOff h = new HandOff(16 * 1024);
        int producers = 3;
        int perProducer = 20_000;
        AtomicLong kicks = new AtomicLong();
        Object bell = new Object();
        Thread[] ts = new Thread[producers];
        CountDownLatch go = new CountDownLatch(1);
        long[] refused = new long[producers];
        for (int p = 0; p < producers; p++) {
            int me = p;
            ts[p] = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < perProducer; i++) {
                    int len = 1 + (i * 37 + me * 11) % 1600;
                    byte[] b = bytesOf(me, i, len);
                    int at = h.reserve(len);
                    if (at < 0) {
                        refused[me]++;
                        continue;
                    }
                    MemorySegment.copy(MemorySegment.ofArray(b), 0, h.bytes(), at + HandOff.HEADER, len);
                    h.commit(at, len, me << 16 | i & 0xFFFF);
                    if (h.needsKick()) {
                        kicks.incrementAndGet();
                        synchronized (bell) {
                            bell.notifyAll();
                        }
                    }
                }
            });
            ts[p].start();
        }
        int[] last = {-1, -1, -1};
        long taken = 0;
        go.countDown();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(50);
        boolean producing = true;
        while (producing || h.peek() >= 0) {
            for (int at = h.peek(); at >= 0; at = h.peek()) {
                int flags = h.flags(at);
                int p = flags >>> 16;
                int i = flags & 0xFFFF;
                int len = h.length(at);
                assertThat(i).as("producer %d in order", p).isGreaterThan(last[p]);
                last[p] = i;
                byte[] got = new byte[len];
                MemorySegment.copy(h.bytes(), ValueLayout.JAVA_BYTE, at + HandOff.HEADER, got, 0, len);
                assertThat(got[0]).isEqualTo((byte) (p * 31 + i * 7));
                assertThat(got[len - 1]).isEqualTo((byte) (p * 31 + i * 7 + len - 1));
                h.pop(at);
                taken++;
            }
            producing = false;
            for (Thread t : ts) {
                producing |= t.isAlive();
            }
            if (h.arm()) {
                synchronized (bell) {
                    if (h.peek() < 0) {
                        bell.wait(2); // a kick, or a look again soon (the producers may have ended)
                    }
                }
            }
            assertThat(System.nanoTime()).as("done in time").isLessThan(deadline);
        }
        for (Thread t : ts) {
            t.join();
        }
        long refusedAll = refused[0] + refused[1] + refused[2];
        assertThat(taken + refusedAll).as("every frame taken or refused").isEqualTo((long) producers * perProducer);
        assertThat(h.refused()).isEqualTo(refusedAll);
        assertThat(h.handed()).isEqualTo(taken);
    }
}
