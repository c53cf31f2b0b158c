package org.parasol.guest.sched;

/**
 * A one-shot software timer on a vCPU's {@link RunLoop}: at {@code deadline} (system time,
 * ns) its action runs as a task. Cancelling a timer that has not fired removes it.
 */
public final class Timer implements Comparable<Timer> {
    private final RunLoop loop;
    private final long deadline;
    private final long sequence;
    private final Runnable action;
    private boolean done;

    Timer(RunLoop loop, long deadline, long sequence, Runnable action) {
        this.loop = loop;
        this.deadline = deadline;
        this.sequence = sequence;
        this.action = action;
    }

    /** When it fires, in system time. */
    public long deadline() {
        return deadline;
    }

    /** Whether it fired or was cancelled. */
    public boolean isDone() {
        return done;
    }

    /**
     * Cancels the timer if it has not fired.
     *
     * @return true if this call stopped it
     */
    public boolean cancel() {
        if (done) {
            return false;
        }
        done = true;
        loop.timers().remove(this);
        return true;
    }

    void fire() {
        done = true;
        loop.execute(action);
    }

    /** Earlier deadline first; equal deadlines in the order they were set. */
    @Override
    public int compareTo(Timer o) {
        int c = Long.compare(deadline, o.deadline);
        return c != 0 ? c : Long.compare(sequence, o.sequence);
    }
}
