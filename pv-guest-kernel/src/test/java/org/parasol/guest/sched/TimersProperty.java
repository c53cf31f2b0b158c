package org.parasol.guest.sched;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import org.parasol.guest.FakePvOps;

class TimersProperty {

    @Property(tries = 300)
    @Label("timers multiplexed on one one-shot: in deadline order, never early, cancelled ones never; "
            + "before every halt the hardware timer is the earliest deadline, and nothing is armed when idle")
    void shouldFireInOrderAndProgramTheEarliestBeforeEveryHalt(
            @ForAll @Size(min = 1, max = 60) List<@IntRange(min = 0, max = 50_000) Integer> delays,
            @ForAll @Size(max = 60) List<Boolean> cancels) {
        FakePvOps ops = new FakePvOps();
        List<Throwable> crashes = new ArrayList<>();
        RunLoop loop = new RunLoop(ops, crashes::add);
        ops.onTimer = loop::timerEvent;
        long t0 = ops.now;
        List<Long> fired = new ArrayList<>();
        List<Long> expected = new ArrayList<>();
        for (int i = 0; i < delays.size(); i++) {
            long deadline = t0 + delays.get(i);
            Timer t = loop.at(deadline, () -> {
                assertThat(ops.now).as("not early").isGreaterThanOrEqualTo(deadline);
                fired.add(deadline);
            });
            if (i < cancels.size() && cancels.get(i)) {
                t.cancel();
            } else {
                expected.add(deadline);
            }
        }
        expected.sort(null);
        try {
            for (int turn = 0; turn < 10_000; turn++) {
                int haltsBefore = ops.halts;
                long earliestBefore = loop.timers().earliest();
                loop.runOnce();
                if (ops.halts > haltsBefore && earliestBefore != 0) {
                    assertThat(ops.programmed.get(ops.programmed.size() - 1)).isEqualTo(earliestBefore);
                }
            }
        } catch (FakePvOps.IdleForever idle) {
            // nothing left: the loop halted with the timer disarmed
        }
        assertThat(crashes).isEmpty();
        assertThat(fired).isEqualTo(expected);
        assertThat(loop.timers().pending()).isZero();
        assertThat(ops.armed).isZero();
    }
}
