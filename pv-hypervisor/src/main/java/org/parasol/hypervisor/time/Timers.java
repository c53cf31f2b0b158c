package org.parasol.hypervisor.time;

import java.util.Arrays;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The hypervisor's timer queue: vCPU single-shot and periodic timers, poll timeouts,
 * watchdogs. On the host clock one platform thread of the hypervisor fires them; on a
 * {@link ManualClock} they fire on the thread that advances time.
 *
 * <p>Timer actions run without the queue lock held and must not block: they set pending
 * bits and wake vCPUs.
 *
 * <p>The queue is a binary min-heap of the armed timers by deadline in which each timer keeps
 * its own position ({@code heapIndex}), so arming, re-arming and stopping one are
 * O(log n) in the armed timers, not a linear search: with thousands of domains each
 * re-arming a vCPU timer, a set costs the same as with one.
 */
public final class Timers implements AutoCloseable {

    /** A reusable timer; {@link #set} re-arms it, {@link #stop} disarms it. */
    public final class Timer {
        private final Runnable action;
        private long deadline;
        /** Its slot in {@link #heap}, or -1 while it is not armed; guarded by the queue lock. */
        private int heapIndex = -1;

        private Timer(Runnable action) {
            this.action = action;
        }

        /** Arms the timer for the absolute clock time {@code deadlineNanos}, replacing any earlier setting. */
        public void set(long deadlineNanos) {
            lock.lock();
            try {
                if (heapIndex >= 0) {
                    long was = deadline;
                    deadline = deadlineNanos;
                    if (deadlineNanos < was) {
                        siftUp(heapIndex, this);
                    } else {
                        siftDown(heapIndex, this);
                    }
                } else {
                    deadline = deadlineNanos;
                    offer(this);
                }
                if (heap[0] == this) {
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
                if (heapIndex >= 0) {
                    removeAt(heapIndex);
                }
            } finally {
                lock.unlock();
            }
        }

        /** Whether the timer is armed. */
        public boolean armed() {
            lock.lock();
            try {
                return heapIndex >= 0;
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
    }

    private final Clock clock;
    private final ManualClock manual;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /** The armed timers, a binary min-heap by deadline in {@code heap[0, size)}; guarded by {@link #lock}. */
    private Timer[] heap = new Timer[16];
    private int size;
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
                due = size == 0 ? null : heap[0];
                if (due == null || due.deadline > now) {
                    return;
                }
                removeAt(0);
            } finally {
                lock.unlock();
            }
            fire(due);
        }
    }

    /** How many timers are armed: for tests. */
    public int armedCount() {
        lock.lock();
        try {
            return size;
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- the heap (lock held)

    private void offer(Timer t) {
        if (size == heap.length) {
            heap = Arrays.copyOf(heap, size * 2);
        }
        siftUp(size++, t);
    }

    /** Takes the timer at slot {@code i} out of the heap and disarms it. */
    private void removeAt(int i) {
        Timer t = heap[i];
        Timer last = heap[--size];
        heap[size] = null;
        t.heapIndex = -1;
        if (i == size) {
            return;
        }
        siftDown(i, last);
        if (heap[i] == last) {
            siftUp(i, last);
        }
    }

    /** Places {@code t} at slot {@code i} or above it, moving greater parents down. */
    private void siftUp(int i, Timer t) {
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            Timer p = heap[parent];
            if (p.deadline <= t.deadline) {
                break;
            }
            heap[i] = p;
            p.heapIndex = i;
            i = parent;
        }
        heap[i] = t;
        t.heapIndex = i;
    }

    /** Places {@code t} at slot {@code i} or below it, moving lesser children up. */
    private void siftDown(int i, Timer t) {
        int half = size >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            Timer c = heap[child];
            int right = child + 1;
            if (right < size && heap[right].deadline < c.deadline) {
                child = right;
                c = heap[child];
            }
            if (t.deadline <= c.deadline) {
                break;
            }
            heap[i] = c;
            c.heapIndex = i;
            i = child;
        }
        heap[i] = t;
        t.heapIndex = i;
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
                Timer head = size == 0 ? null : heap[0];
                if (head == null) {
                    changed.await();
                    continue;
                }
                long wait = head.deadline - clock.nanos();
                if (wait > 0) {
                    changed.awaitNanos(wait);
                    continue;
                }
                removeAt(0);
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
