package org.parasol.hypervisor.time;

import java.util.PriorityQueue;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The hypervisor's timer queue: vCPU single-shot and periodic timers, poll timeouts,
 * watchdogs. On the host clock one platform thread of the hypervisor fires them; on a
 * {@link ManualClock} they fire on the thread that advances time.
 *
 * <p>Timer actions run without the queue lock held and must not block: they set pending
 * bits and wake vCPUs.
 */
public final class Timers implements AutoCloseable {

    /** A reusable timer; {@link #set} re-arms it, {@link #stop} disarms it. */
    public final class Timer implements Comparable<Timer> {
        private final Runnable action;
        private long deadline;
        private boolean queued;

        private Timer(Runnable action) {
            this.action = action;
        }

        /** Arms the timer for the absolute clock time {@code deadlineNanos}, replacing any earlier setting. */
        public void set(long deadlineNanos) {
            lock.lock();
            try {
                if (queued) {
                    queue.remove(this);
                }
                deadline = deadlineNanos;
                queued = true;
                queue.add(this);
                if (queue.peek() == this) {
                    changed.signal();
                }
            } finally {
                lock.unlock();
            }
            if (manual != null && deadlineNanos <= manual.nanos()) {
                runDue(manual.nanos());
            }
        }

        /** Disarms the timer. */
        public void stop() {
            lock.lock();
            try {
                if (queued) {
                    queue.remove(this);
                    queued = false;
                }
            } finally {
                lock.unlock();
            }
        }

        /** Whether the timer is armed. */
        public boolean armed() {
            lock.lock();
            try {
                return queued;
            } finally {
                lock.unlock();
            }
        }

        /** The deadline it was last armed for. */
        public long deadline() {
            lock.lock();
            try {
                return deadline;
            } finally {
                lock.unlock();
            }
        }

        @Override
        public int compareTo(Timer o) {
            return Long.compare(deadline, o.deadline);
        }
    }

    private final Clock clock;
    private final ManualClock manual;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final PriorityQueue<Timer> queue = new PriorityQueue<>();
    private final Thread thread;
    private volatile boolean closed;

    /** A timer queue on {@code clock}; a thread of its own unless the clock is manual. */
    public Timers(Clock clock) {
        this.clock = clock;
        if (clock instanceof ManualClock m) {
            this.manual = m;
            this.thread = null;
            m.onAdvance(this::runDue);
        } else {
            this.manual = null;
            this.thread = Thread.ofPlatform().name("parasol-timers").daemon(true).unstarted(this::loop);
            this.thread.start();
        }
    }

    /** Creates a disarmed timer that runs {@code action} when it expires. */
    public Timer newTimer(Runnable action) {
        return new Timer(action);
    }

    /** Whether no thread holds the queue's lock: for tests that check nothing was left held. */
    public boolean lockFree() {
        return !lock.isLocked();
    }

    /** The clock this queue runs on. */
    public Clock clock() {
        return clock;
    }

    /** Fires every timer due at {@code now}. */
    public void runDue(long now) {
        while (true) {
            Timer due;
            lock.lock();
            try {
                due = queue.peek();
                if (due == null || due.deadline > now) {
                    return;
                }
                queue.poll();
                due.queued = false;
            } finally {
                lock.unlock();
            }
            fire(due);
        }
    }

    private static void fire(Timer t) {
        try {
            t.action.run();
        } catch (RuntimeException e) {
            System.getLogger("org.parasol.hypervisor.time")
                    .log(System.Logger.Level.ERROR, "timer action failed", e);
        }
    }

    private void loop() {
        while (!closed) {
            Timer due = null;
            lock.lock();
            try {
                Timer head = queue.peek();
                if (head == null) {
                    changed.await();
                    continue;
                }
                long wait = head.deadline - clock.nanos();
                if (wait > 0) {
                    changed.awaitNanos(wait);
                    continue;
                }
                queue.poll();
                head.queued = false;
                due = head;
            } catch (InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
            fire(due);
        }
    }

    @Override
    public void close() {
        closed = true;
        if (thread != null) {
            thread.interrupt();
        }
    }
}
