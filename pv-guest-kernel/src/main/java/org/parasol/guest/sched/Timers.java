package org.parasol.guest.sched;

import java.util.PriorityQueue;

import org.parasol.guest.pvops.PvOps;

/**
 * Many software timers multiplexed onto the vCPU's one hardware one-shot timer
 * ({@code set_timer_op}), as Mini-OS and Linux's tickless mode do: a queue ordered by
 * deadline, and the hardware timer always programmed for the earliest one — or not at all.
 *
 * <pre>
 *  queue:  [t=10ms] [t=50ms] [t=2s]        programmed: 10ms
 *  10ms fires -> run it; program 50ms      queue empty -> set_timer_op(0): no upcalls at all
 * </pre>
 *
 * <p>The hardware timer is reprogrammed only when the earliest deadline differs from what is
 * programmed, so an idle vCPU makes no timer hypercalls and takes no timer upcalls.
 */
public final class Timers {
    private final PvOps ops;
    private final PriorityQueue<Timer> queue = new PriorityQueue<>();
    private long programmed;
    private long reprogrammings;

    Timers(PvOps ops) {
        this.ops = ops;
    }

    void add(Timer t) {
        queue.add(t);
    }

    void remove(Timer t) {
        queue.remove(t);
    }

    /** Timers waiting. */
    public int pending() {
        return queue.size();
    }

    /** The earliest deadline waiting, or 0 if none. */
    public long earliest() {
        Timer t = queue.peek();
        return t == null ? 0 : t.deadline();
    }

    /** What the hardware one-shot timer is set to (0: nothing). */
    public long programmed() {
        return programmed;
    }

    /** How many times the hardware timer was set or cancelled. */
    public long reprogrammings() {
        return reprogrammings;
    }

    /** The hardware timer fired: it is no longer armed. Called from the timer event. */
    void hardwareTimerFired() {
        programmed = 0;
    }

    /** Fires, in deadline order, every timer due at {@code now}; returns how many. */
    int fireDue(long now) {
        int n = 0;
        for (Timer t = queue.peek(); t != null && t.deadline() - now <= 0; t = queue.peek()) {
            queue.poll();
            t.fire();
            n++;
        }
        return n;
    }

    /** Points the hardware timer at the earliest deadline (or cancels it) if it differs. */
    void program() {
        long want = earliest();
        if (want != programmed) {
            programmed = want;
            reprogrammings++;
            ops.programTimer(want);
        }
    }
}
