package org.parasol.hypervisor.sched;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The halt-poll window's rules, as KVM's {@code kvm_vcpu_halt} adapts {@code halt_poll_ns}. */
class HaltPollTest {
    private static final long MAX = 50_000;

    @Test
    @DisplayName("short blocks the window missed grow it from 10 us, doubling, up to the maximum")
    void shouldGrowOnShortMisses() {
        HaltPoll p = new HaltPoll(MAX);
        assertThat(p.window()).isZero();
        long[] seen = new long[5];
        for (int i = 0; i < seen.length; i++) {
            p.blocked(false, 3_000);
            seen[i] = p.window();
        }
        assertThat(seen).containsExactly(10_000, 20_000, 40_000, 50_000, 50_000);
        assertThat(p.misses()).isEqualTo(5);
        assertThat(p.hits()).isZero();
    }

    @Test
    @DisplayName("an event that came while polling keeps the window; a block longer than the maximum ends polling")
    void shouldKeepOnHitsAndStopOnLongBlocks() {
        HaltPoll p = new HaltPoll(MAX);
        p.blocked(false, 1_000);
        p.blocked(false, 1_000);
        assertThat(p.window()).isEqualTo(20_000);
        p.blocked(true, 5_000);
        assertThat(p.window()).isEqualTo(20_000);
        assertThat(p.hits()).isOne();
        p.blocked(false, MAX + 1);
        assertThat(p.window()).isZero();
        p.blocked(false, 100_000_000);
        assertThat(p.window()).as("an idle vCPU never starts polling").isZero();
    }

    @Test
    @DisplayName("a block that could not poll for want of a spare core keeps the window, unless it lasted longer than the maximum")
    void shouldKeepTheWindowWhenNoCoreWasSpare() {
        HaltPoll p = new HaltPoll(MAX);
        p.blocked(false, 1_000);
        p.blocked(false, 1_000);
        assertThat(p.window()).isEqualTo(20_000);
        p.refused(2_000);
        assertThat(p.window()).as("not grown: it never polled").isEqualTo(20_000);
        p.refused(MAX + 1);
        assertThat(p.window()).as("an idle vCPU stops polling").isZero();
        assertThat(p.refusals()).isEqualTo(2);
        assertThat(p.hits() + p.misses()).isEqualTo(2);
    }

    @Test
    @DisplayName("a maximum of 0 never polls; a maximum below 10 us is the first window; a negative one is refused")
    void shouldHonourTheMaximum() {
        HaltPoll off = new HaltPoll(0);
        off.blocked(false, 1);
        assertThat(off.enabled()).isFalse();
        assertThat(off.window()).isZero();
        HaltPoll small = new HaltPoll(4_000);
        small.blocked(false, 1_000);
        assertThat(small.window()).isEqualTo(4_000);
        assertThatThrownBy(() -> new HaltPoll(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Property
    @Label("whatever the blocks, the window stays within [0, max] and is 0 after any block longer than max")
    void shouldStayWithinBounds(@ForAll @LongRange(min = 1, max = 1_000_000) long max,
            @ForAll @Size(max = 64) List<@LongRange(min = 0, max = 2_000_000) Long> blocks,
            @ForAll @Size(max = 64) List<Boolean> polled) {
        HaltPoll p = new HaltPoll(max);
        for (int i = 0; i < blocks.size(); i++) {
            boolean hit = i < polled.size() && polled.get(i) && p.window() > 0;
            long before = p.window();
            p.blocked(hit, blocks.get(i));
            assertThat(p.window()).isBetween(0L, max);
            if (hit) {
                assertThat(p.window()).isEqualTo(before);
            } else if (blocks.get(i) > max) {
                assertThat(p.window()).isZero();
            }
        }
        assertThat(p.hits() + p.misses()).isEqualTo(blocks.size());
    }
}
