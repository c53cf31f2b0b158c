package org.parasol.hypercall.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.List;

import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** The uplink's frame queue: first in, first out, each frame whole and in bounds, never over another, both bounds kept. */
class FrameFifoProperties {

    private record Held(int at, int length, int word, byte fill) {
    }

    @Property(tries = 300)
    @Label("frames of any length come out in order with their bytes and words, none overlapping another, within both bounds")
    void shouldKeepFramesWholeInOrderAndBounded(@ForAll @Size(min = 1, max = 400) List<@IntRange(min = 1, max = 70_000) Integer> lengths,
            @ForAll @Size(min = 1, max = 400) List<@IntRange(min = 0, max = 3) Integer> takes,
            @ForAll @IntRange(min = 8, max = 300_000) int bytes, @ForAll @IntRange(min = 1, max = 64) int records) {
        FrameFifo fifo = new FrameFifo(bytes, records);
        byte[] area = new byte[bytes];
        ArrayDeque<Held> model = new ArrayDeque<>();
        for (int i = 0; i < lengths.size(); i++) {
            int n = lengths.get(i);
            int at = fifo.reserve(n);
            if (at >= 0) {
                assertThat(at + n).as("in bounds").isLessThanOrEqualTo(bytes);
                for (Held h : model) {
                    assertThat(at + n <= h.at() || h.at() + h.length() <= at).as("over a waiting frame").isTrue();
                }
                byte fill = (byte) (i * 31 + 7);
                java.util.Arrays.fill(area, at, at + n, fill);
                fifo.add(at, n, i);
                model.add(new Held(at, n, i, fill));
            } else {
                // Refused only for a reason: an empty queue takes anything its size holds; else a full count or no room.
                int used = model.stream().mapToInt(h -> (h.length() + 7) & ~7).sum();
                assertThat(model.isEmpty() ? ((n + 7) & ~7) > bytes
                        : model.size() == records || bytes - used < ((n + 7) & ~7) || fragmented(model, bytes, n)).isTrue();
            }
            assertThat(fifo.size()).isEqualTo(model.size()).isLessThanOrEqualTo(records);
            for (int t = 0; t < takes.get(i % takes.size()) && !model.isEmpty(); t++) {
                Held h = model.poll();
                assertThat(fifo.headOffset()).isEqualTo(h.at());
                assertThat(fifo.headLength()).isEqualTo(h.length());
                assertThat(fifo.headWord()).isEqualTo(h.word());
                for (int b = h.at(); b < h.at() + h.length(); b++) {
                    assertThat(area[b]).isEqualTo(h.fill());
                }
                fifo.sent(h.length() / 2);
                assertThat(fifo.sent()).isEqualTo(h.length() / 2);
                fifo.remove();
                assertThat(fifo.sent()).isZero();
            }
        }
        assertThat(fifo.isEmpty()).isEqualTo(model.isEmpty());
    }

    /** Whether no contiguous run of free bytes (after the last frame, or before the first) holds {@code n}. */
    private static boolean fragmented(ArrayDeque<Held> model, int bytes, int n) {
        int need = (n + 7) & ~7;
        Held first = model.peekFirst();
        Held last = model.peekLast();
        int end = last.at() + ((last.length() + 7) & ~7);
        if (end > first.at()) {
            return bytes - end < need && first.at() < need;
        }
        return first.at() - end < need;
    }

    @Property(tries = 100)
    @Label("an empty queue takes any frame up to its size; a queue takes as many frames as its count and no more")
    void shouldTakeUpToItsBounds(@ForAll @IntRange(min = 1, max = 64) int records, @ForAll @IntRange(min = 1, max = 2000) int n) {
        FrameFifo fifo = new FrameFifo(records * 2048, records);
        for (int i = 0; i < records; i++) {
            int at = fifo.reserve(n);
            assertThat(at).isNotNegative();
            fifo.add(at, n, 0);
        }
        assertThat(fifo.reserve(1)).isEqualTo(-1);
        fifo.remove();
        assertThat(fifo.reserve(n)).isNotNegative();
        FrameFifo empty = new FrameFifo((n + 7) & ~7, 1);
        assertThat(empty.reserve(n)).isZero();
        assertThat(empty.reserve(n + 8)).isEqualTo(-1);
    }
}
