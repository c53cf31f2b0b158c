package org.parasol.hypervisor.sched;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The halt-poll window's rules (KVM's {@code halt_poll_ns} grow and shrink, with a shrink on a
 * miss and a back-off): driven with block durations directly, no clock, no threads.
 */
class HaltPollTest {
    private static final long MAX = 50_000;

    @Test
    @DisplayName("a short block that slept opens a 10 us window; hits in its first half keep it, hits in its second half double it up to the maximum")
    void shouldOpenOnAShortSleepAndGrowOnLateHits() {
        HaltPoll p = new HaltPoll(MAX);
        assertThat(p.window()).isZero();
        p.blocked(false, 3_000);
        assertThat(p.window()).isEqualTo(HaltPoll.GROW_START_NS);
        p.blocked(true, 2_000);
        p.blocked(true, 5_000);
        assertThat(p.window()).as("hits in the first half").isEqualTo(10_000);
        long[] seen = new long[4];
        for (int i = 0; i < seen.length; i++) {
            p.blocked(true, p.window() - 1);
            seen[i] = p.window();
        }
        assertThat(seen).containsExactly(20_000, 40_000, 50_000, 50_000);
        assertThat(p.hits()).isEqualTo(6);
        assertThat(p.misses()).isOne();
    }

    @Test
    @DisplayName("a poll that runs out halves the window; under 10 us it closes and the next tries wait out a back-off of 2, 4 ... 64 blocks")
    void shouldShrinkOnMissesAndBackOff() {
        HaltPoll p = new HaltPoll(MAX);
        p.blocked(false, 1_000);
        for (int i = 0; i < 3; i++) {
            p.blocked(true, p.window());
        }
        assertThat(p.window()).isEqualTo(50_000);
        p.blocked(false, 49_000); // polled 50 us, the event came later, within the maximum
        assertThat(p.window()).isEqualTo(25_000);
        p.blocked(false, 40_000);
        assertThat(p.window()).isEqualTo(12_500);
        p.blocked(false, 40_000);
        assertThat(p.window()).as("6.25 us is under the first window: closed").isZero();
        assertThat(p.backoff()).isEqualTo(2);
        for (int expected : new int[] {4, 8, 16, 32, 64, 64}) {
            int backoff = p.backoff();
            assertThat(sleepUntilOpen(p, 30_000)).as("blocks slept before the next try").isEqualTo(backoff);
            assertThat(p.window()).isEqualTo(HaltPoll.GROW_START_NS);
            p.blocked(false, 30_000); // the try misses again
            assertThat(p.window()).isZero();
            assertThat(p.backoff()).isEqualTo(expected);
        }
        sleepUntilOpen(p, 30_000);
        p.blocked(true, 3_000); // a hit clears the run of misses
        p.blocked(false, 30_000);
        assertThat(p.backoff()).as("the first miss after a hit backs off 2 blocks again").isEqualTo(2);
    }

    private static int sleepUntilOpen(HaltPoll p, long blockedNs) {
        int slept = 0;
        while (p.window() == 0) {
            p.blocked(false, blockedNs);
            slept++;
        }
        return slept;
    }

    @Test
    @DisplayName("a block longer than the maximum closes the window and clears the back-off: an idle vCPU never polls")
    void shouldStopOnLongBlocks() {
        HaltPoll p = new HaltPoll(MAX);
        p.blocked(false, 1_000);
        p.blocked(false, 20_000); // ran out: closed, back-off 2
        assertThat(p.backoff()).isEqualTo(2);
        p.blocked(false, MAX + 1);
        assertThat(p.window()).isZero();
        assertThat(p.backoff()).isZero();
        p.blocked(false, 100_000_000);
        assertThat(p.window()).as("an idle vCPU never starts polling").isZero();
        p.blocked(false, 2_000);
        assertThat(p.window()).as("a short block after an idle spell opens it at once").isEqualTo(HaltPoll.GROW_START_NS);
    }

    @Test
    @DisplayName("a block that could not poll, or gave its core up, keeps the window, unless it lasted longer than the maximum")
    void shouldKeepTheWindowWhenNoCoreWasSpare() {
        HaltPoll p = new HaltPoll(MAX);
        p.blocked(false, 1_000);
        p.blocked(true, 9_000);
        assertThat(p.window()).isEqualTo(20_000);
        p.refused(2_000);
        assertThat(p.window()).as("not changed: it never polled its window out").isEqualTo(20_000);
        p.refused(MAX + 1);
        assertThat(p.window()).as("an idle vCPU stops polling").isZero();
        assertThat(p.refusals()).isEqualTo(2);
        assertThat(p.hits() + p.misses()).isEqualTo(2);
    }

    @Test
    @DisplayName("a maximum of 0 never polls; a maximum below 10 us is the first window; a negative one is refused")
    void shouldHonourTheMaximum() {
        HaltPoll off = new HaltPoll(0);
        off.blocked(false, 0);
        assertThat(off.enabled()).isFalse();
        assertThat(off.window()).isZero();
        HaltPoll small = new HaltPoll(4_000);
        small.blocked(false, 1_000);
        assertThat(small.window()).isEqualTo(4_000);
        small.blocked(true, 3_000);
        assertThat(small.window()).isEqualTo(4_000);
        small.blocked(false, 3_000);
        assertThat(small.window()).as("halved under the maximum's window: closed").isZero();
        assertThat(small.backoff()).isEqualTo(2);
        assertThatThrownBy(() -> new HaltPoll(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Property
    @Label("a peer that never answers within the window: after the back-off is full, at most one block in 64 polls")
    void shouldPollRarelyWhenPollsNeverPay(@ForAll @LongRange(min = 20_000, max = 1_000_000) long max,
            @ForAll @IntRange(min = 1_000, max = 20_000) int blocks) {
        HaltPoll p = new HaltPoll(max);
        int polls = 0;
        long spun = 0;
        for (int i = 0; i < blocks; i++) {
            long w = p.window();
            if (w > 0) {
                polls++;
                spun += w;
            }
            p.blocked(false, w + 1); // the event always comes just after the window, within the maximum
        }
        // 2 + 4 + ... + 64 blocks of back-off before it is full: 7 tries in the first 126 + 7 blocks.
        assertThat(polls).isLessThanOrEqualTo(7 + Math.max(0, blocks - 133) / 64 + 1);
        assertThat(spun).isLessThanOrEqualTo((long) polls * HaltPoll.GROW_START_NS);
    }

    @Property
    @Label("whatever the blocks, the window stays within [0, max], is 0 after a block longer than max, never shrinks on a hit nor grows on a miss")
    void shouldStayWithinBounds(@ForAll @LongRange(min = 1, max = 1_000_000) long max,
            @ForAll @Size(max = 64) List<@LongRange(min = 0, max = 2_000_000) Long> blocks,
            @ForAll @Size(max = 64) List<Boolean> polled) {
        HaltPoll p = new HaltPoll(max);
        for (int i = 0; i < blocks.size(); i++) {
            boolean hit = i < polled.size() && polled.get(i) && p.window() > 0;
            long before = p.window();
            long blockedNs = hit ? Math.min(blocks.get(i), before) : blocks.get(i);
            p.blocked(hit, blockedNs);
            assertThat(p.window()).isBetween(0L, max);
            assertThat(p.backoff()).isBetween(0, HaltPoll.MAX_BACKOFF_BLOCKS);
            if (hit) {
                assertThat(p.window()).isGreaterThanOrEqualTo(before);
            } else if (blockedNs > max) {
                assertThat(p.window()).isZero();
            } else if (before > 0) {
                assertThat(p.window()).isLessThan(before);
            }
        }
        assertThat(p.hits() + p.misses()).isEqualTo(blocks.size());
    }
}
