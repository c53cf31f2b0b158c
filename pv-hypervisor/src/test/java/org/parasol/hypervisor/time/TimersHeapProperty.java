package org.parasol.hypervisor.time;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * The timer queue's indexed heap against a model: any sequence of set, re-set, stop and
 * clock advances fires exactly the timers due, in deadline order, once each.
 */
class TimersHeapProperty {

    record Op(int kind, int timer, long value) { }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Op> op = Combinators.combine(
                Arbitraries.integers().between(0, 3), Arbitraries.integers().between(0, 39),
                Arbitraries.longs().between(0, 500)).as(Op::new);
        return op.list().ofMinSize(1).ofMaxSize(300);
    }

    @Property(tries = 300)
    @Label("timers fire exactly when due, in deadline order, whatever re-arms and stops came before")
    void shouldFireAsTheModelDoes(@ForAll("ops") List<Op> ops) {
        ManualClock clock = new ManualClock(0);
        List<Integer> fired = new ArrayList<>();
        List<Long> firedAt = new ArrayList<>();
        try (Timers timers = new Timers(clock)) {
            Timers.Timer[] t = new Timers.Timer[40];
            long[] model = new long[40]; // -1: disarmed
            java.util.Arrays.fill(model, -1);
            for (int i = 0; i < t.length; i++) {
                int id = i;
                t[i] = timers.newTimer(() -> {
                    fired.add(id);
                    firedAt.add(t[id].deadline());
                });
            }
            for (Op o : ops) {
                long now = clock.nanos();
                switch (o.kind()) {
                    case 0, 1 -> { // (re-)arm in the future, so it does not fire at once
                        long d = now + 1 + o.value();
                        t[o.timer()].set(d);
                        model[o.timer()] = d;
                    }
                    case 2 -> {
                        t[o.timer()].stop();
                        model[o.timer()] = -1;
                    }
                    default -> {
                        fired.clear();
                        firedAt.clear();
                        long to = now + o.value();
                        clock.advance(o.value());
                        List<Integer> due = new ArrayList<>();
                        for (int i = 0; i < model.length; i++) {
                            if (model[i] >= 0 && model[i] <= to) {
                                due.add(i);
                                model[i] = -1;
                            }
                        }
                        assertThat(fired).containsExactlyInAnyOrderElementsOf(due);
                        assertThat(firedAt).isSorted();
                    }
                }
                int armed = 0;
                for (int i = 0; i < model.length; i++) {
                    assertThat(t[i].armed()).as("timer %d armed", i).isEqualTo(model[i] >= 0);
                    if (model[i] >= 0) {
                        armed++;
                        assertThat(t[i].deadline()).isEqualTo(model[i]);
                    }
                }
                assertThat(timers.armedCount()).isEqualTo(armed);
            }
        }
    }

    @Test
    void shouldRearmTenThousandTimersWithoutLosingOne() {
        ManualClock clock = new ManualClock(0);
        int[] fired = new int[1];
        try (Timers timers = new Timers(clock)) {
            Timers.Timer[] t = new Timers.Timer[10_000];
            for (int i = 0; i < t.length; i++) {
                t[i] = timers.newTimer(() -> fired[0]++);
                t[i].set(1_000_000 + i);
            }
            for (int round = 0; round < 5; round++) {
                for (int i = 0; i < t.length; i += 3) {
                    t[i].set(2_000_000 - i); // re-armed later, in reverse order
                }
                for (int i = 1; i < t.length; i += 7) {
                    t[i].stop();
                }
            }
            int stopped = 0;
            for (int i = 0; i < t.length; i++) {
                if (!t[i].armed()) {
                    stopped++;
                }
            }
            assertThat(timers.armedCount()).isEqualTo(t.length - stopped);
            clock.advance(2_000_000);
            assertThat(fired[0]).isEqualTo(t.length - stopped);
            assertThat(timers.armedCount()).isZero();
        }
    }
}
