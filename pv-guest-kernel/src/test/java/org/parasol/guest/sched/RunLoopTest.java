package org.parasol.guest.sched;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.guest.FakePvOps;
import org.parasol.guest.event.PortHandler;
import org.parasol.hypercall.GuestAbort;
import org.parasol.hypercall.Port;

class RunLoopTest {
    private FakePvOps ops;
    private RunLoop loop;
    private final List<Throwable> crashes = new ArrayList<>();

    @BeforeEach
    void setUp() {
        ops = new FakePvOps();
        loop = new RunLoop(ops, crashes::add);
        ops.onTimer = loop::timerEvent;
    }

    /** Runs the loop until it would idle for ever (nothing armed, nothing ready). */
    private void runUntilIdle() {
        assertThatThrownBy(() -> {
            for (int i = 0; i < 10_000; i++) {
                loop.runOnce();
            }
        }).isInstanceOf(FakePvOps.IdleForever.class);
    }

    @Test
    void shouldRunReadyTasksInOrderBeforeHalting() {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            int n = i;
            loop.execute(() -> order.add(n));
        }
        runUntilIdle();
        assertThat(order).containsExactly(0, 1, 2, 3, 4);
        assertThat(ops.halts).isEqualTo(1);
    }

    @Test
    @DisplayName("tickless: with no work and no timer the loop halts with the one-shot timer cancelled")
    void shouldHaltWithNoTimerArmedWhenIdle() {
        loop.at(ops.now + 5_000, () -> { });
        runUntilIdle();
        assertThat(ops.programmed).as("fired once, so nothing left to cancel").containsExactly(1_005_000L);
        assertThat(ops.armed).isZero();
    }

    @Test
    void shouldCancelTheHardwareTimerWhenItsLastTimerIsCancelled() {
        Timer t = loop.at(ops.now + 5_000, () -> { });
        ops.onHalt = () -> loop.execute(t::cancel); // an event wakes us and a task cancels it
        loop.runOnce();
        runUntilIdle();
        assertThat(ops.programmed).containsExactly(1_005_000L, 0L);
    }

    @Test
    @DisplayName("timers are multiplexed: the hardware timer is always set to the earliest deadline, fired in order")
    void shouldFireTimersInDeadlineOrderProgrammingOnlyTheEarliest() {
        long t0 = ops.now;
        List<Long> fired = new ArrayList<>();
        for (long d : new long[] {30, 10, 20, 10}) {
            long deadline = t0 + d * 1_000;
            loop.at(deadline, () -> {
                assertThat(ops.now).isGreaterThanOrEqualTo(deadline);
                fired.add(deadline - t0);
            });
        }
        runUntilIdle();
        assertThat(fired).containsExactly(10_000L, 10_000L, 20_000L, 30_000L);
        assertThat(ops.programmed).containsExactly(t0 + 10_000, t0 + 20_000, t0 + 30_000);
    }

    @Test
    void shouldNeverFireACancelledTimer() {
        Timer t = loop.at(ops.now + 1_000, () -> {
            throw new AssertionError("cancelled timer fired");
        });
        assertThat(t.cancel()).isTrue();
        assertThat(t.cancel()).isFalse();
        runUntilIdle();
        assertThat(ops.programmed).isEmpty();
        assertThat(crashes).isEmpty();
    }

    @Test
    @DisplayName("an event racing the halt: work queued while events are being masked prevents the halt")
    void shouldNotHaltWhenAnEventQueuedWorkBeforeTheMask() {
        List<String> ran = new ArrayList<>();
        ops.onMask = () -> {
            ops.onMask = () -> { };
            loop.execute(() -> ran.add("late"));
        };
        loop.runOnce();
        assertThat(ops.halts).isZero();
        assertThat(ops.eventsEnabled).as("events restored").isTrue();
        runUntilIdle();
        assertThat(ran).containsExactly("late");
    }

    @Test
    @DisplayName("a burst of events before the deferred handler runs calls it once, like the pending bit")
    void shouldCoalesceDeferredEvents() {
        List<Port> calls = new ArrayList<>();
        Port seven = Port.of(7);
        PortHandler h = loop.deferred(calls::add);
        ops.onHalt = () -> {
            h.onEvent(seven);
            h.onEvent(seven);
            h.onEvent(seven);
        };
        loop.runOnce();
        runUntilIdle();
        assertThat(calls).containsExactly(seven);
        h.onEvent(seven);
        runUntilIdle();
        assertThat(calls).containsExactly(seven, seven);
    }

    @Test
    void shouldHandAnExceptionEscapingATaskToTheCrashHandler() {
        IllegalStateException boom = new IllegalStateException("boom");
        loop.execute(() -> {
            throw boom;
        });
        runUntilIdle();
        assertThat(crashes).containsExactly(boom);
    }

    @Test
    @DisplayName("GuestAbort is not a crash: it unwinds the vCPU through the loop")
    void shouldLetGuestAbortUnwind() {
        loop.execute(() -> {
            throw new GuestAbort("domain gone");
        });
        assertThatThrownBy(loop::runOnce).isInstanceOf(GuestAbort.class);
        assertThat(crashes).isEmpty();
    }

    @Test
    void shouldCompleteSleepWithTheWakeUpTime() {
        Promise<Long> p = loop.sleep(2_000);
        runUntilIdle();
        assertThat(p.value()).isEqualTo(1_002_000L);
    }

    @Test
    @DisplayName("a task another vCPU posts just before the halt is taken with events masked: no halt")
    void shouldTakeATaskPostedWhileMaskingInsteadOfHalting() {
        List<String> ran = new ArrayList<>();
        ops.onMask = () -> {
            ops.onMask = () -> { };
            loop.post(() -> ran.add("posted")); // as another vCPU's thread would, before its IPI
        };
        loop.runOnce();
        assertThat(ops.halts).isZero();
        runUntilIdle();
        assertThat(ran).containsExactly("posted");
    }

    @Test
    void shouldRunPostedTasksOnceTheIpiHandlerTakesThem() throws Exception {
        List<Integer> ran = new ArrayList<>();
        Thread other = new Thread(() -> {
            for (int i = 0; i < 100; i++) {
                int n = i;
                loop.post(() -> ran.add(n));
            }
        });
        other.start();
        other.join(10_000);
        ops.onHalt = loop::takePosted; // the IPI's handler, in the upcall that ends the halt
        loop.runOnce();
        runUntilIdle();
        assertThat(ran).hasSize(100).isSorted();
    }

    @Test
    void shouldStopAfterTheCurrentTask() {
        List<Integer> ran = new ArrayList<>();
        loop.execute(() -> {
            ran.add(1);
            loop.stop();
        });
        loop.execute(() -> ran.add(2));
        loop.run();
        assertThat(ran).containsExactly(1);
        assertThat(loop.isStopped()).isTrue();
    }
}
