package org.parasol.guest.sched;

import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;

import org.parasol.guest.event.PortHandler;
import org.parasol.guest.pvops.PvOps;
import org.parasol.hypercall.GuestAbort;
import org.parasol.hypercall.Port;

/**
 * A vCPU's cooperative, event-driven run loop: the only place a Parasol guest waits.
 *
 * <pre>
 *  loop:
 *    run every ready task                 (tasks, promise callbacks, deferred event handlers)
 *    fire every due timer                 (their actions become ready tasks)
 *    nothing ready?
 *      mask events; still nothing ready?
 *        program the one-shot timer for the earliest deadline (or cancel it)
 *        safe_halt: SCHEDOP_block, which unmasks atomically and sleeps until an event
 *      the upcall that wakes us runs event handlers, which queue tasks
 * </pre>
 *
 * <p>Tasks run to completion on the vCPU's own thread, one at a time; nothing runs on a JDK
 * thread pool. There is no busy waiting and no periodic tick: a vCPU with no ready task and
 * no timer blocks with its timer cancelled, takes no upcalls and accumulates no running
 * time until an event arrives.
 *
 * <p>Event handlers run inside the upcall, with events masked, possibly in the middle of a
 * task's hypercall. {@link #deferred} wraps a handler so the upcall only queues it (once per
 * burst of events, allocating nothing) and it runs later as an ordinary task, as a bottom
 * half does in Linux.
 *
 * <p>An exception escaping a task is handed to the crash handler the kernel installed: the
 * domain crashes with the stack trace on the console.
 *
 * <p>Invariants: one loop per vCPU, used only on that vCPU's thread, except {@link #post},
 * which other vCPUs use to hand it work.
 */
public final class RunLoop {
    /** What the kernel does with an exception that escaped a task. */
    @FunctionalInterface
    public interface CrashHandler {
        /** Reports {@code failure} and ends the domain; does not return normally. */
        void crash(Throwable failure);
    }

    private final PvOps ops;
    private final ArrayDeque<Runnable> ready = new ArrayDeque<>();
    /** Tasks other vCPUs posted: the one thread-safe entry into this loop. */
    private final ConcurrentLinkedQueue<Runnable> posted = new ConcurrentLinkedQueue<>();
    private final Timers timers;
    private final CrashHandler crashHandler;
    private long sequence;
    private long tasksRun;
    private long halts;
    private boolean stopped;

    /** A loop over {@code ops} that reports escaped exceptions to {@code crashHandler}. */
    public RunLoop(PvOps ops, CrashHandler crashHandler) {
        this.ops = Objects.requireNonNull(ops, "ops");
        this.crashHandler = Objects.requireNonNull(crashHandler, "crashHandler");
        this.timers = new Timers(ops);
    }

    /** The loop's timers. */
    public Timers timers() {
        return timers;
    }

    /** Tasks run so far. */
    public long tasksRun() {
        return tasksRun;
    }

    /** Times the loop halted the vCPU because it had nothing to do. */
    public long halts() {
        return halts;
    }

    /** Tasks waiting to run. */
    public int readyTasks() {
        return ready.size();
    }

    /** Queues {@code task} to run after those already ready. */
    public void execute(Runnable task) {
        ready.add(Objects.requireNonNull(task, "task"));
    }

    /**
     * Posts {@code task} from another vCPU's thread: the one method of a loop that may be
     * called off its own vCPU. The caller must then wake this loop's vCPU (an IPI event
     * channel), whose handler calls {@link #takePosted}; a loop about to halt also looks here
     * first, so a post racing the halt is not lost as long as the IPI is sent after it.
     */
    public void post(Runnable task) {
        posted.add(Objects.requireNonNull(task, "task"));
    }

    /** Moves every posted task to the ready queue (on this loop's vCPU: its IPI handler). */
    public void takePosted() {
        for (Runnable t = posted.poll(); t != null; t = posted.poll()) {
            ready.add(t);
        }
    }

    /** A new, pending promise whose callbacks run on this loop. */
    public <T> Promise<T> promise() {
        return new Promise<>(this);
    }

    /** A promise already completed with {@code value}. */
    public <T> Promise<T> completed(T value) {
        Promise<T> p = new Promise<>(this);
        p.complete(value);
        return p;
    }

    /** Runs {@code action} as a task at system time {@code deadline} (ns). */
    public Timer at(long deadline, Runnable action) {
        Objects.requireNonNull(action, "action");
        Timer t = new Timer(this, Math.max(deadline, 1), sequence++, action);
        timers.add(t);
        return t;
    }

    /** A promise of the system time at which it was woken, {@code nanos} from now. */
    public Promise<Long> sleep(long nanos) {
        Promise<Long> p = new Promise<>(this);
        at(ops.systemTime() + Math.max(nanos, 0), () -> p.complete(ops.systemTime()));
        return p;
    }

    /**
     * Wraps {@code handler} so an event only queues it: the upcall marks it pending and, if it
     * was not already, queues one task that clears the mark and calls the handler. A burst
     * of events before the task runs calls it once, as event channels themselves coalesce.
     */
    public PortHandler deferred(PortHandler handler) {
        Objects.requireNonNull(handler, "handler");
        return new DeferredHandler(handler);
    }

    private final class DeferredHandler implements PortHandler, Runnable {
        private final PortHandler handler;
        private boolean queued;
        private Port port;

        DeferredHandler(PortHandler handler) {
            this.handler = handler;
        }

        @Override
        public void onEvent(Port p) {
            port = p;
            if (!queued) {
                queued = true;
                ready.add(this);
            }
        }

        @Override
        public void run() {
            queued = false;
            handler.onEvent(port);
        }
    }

    /** The hardware timer event arrived (installed as the VIRQ_TIMER handler). */
    public void timerEvent() {
        timers.hardwareTimerFired();
    }

    /** Makes {@link #run} return once the current task finishes. */
    public void stop() {
        stopped = true;
    }

    /** Whether {@link #stop} was called. */
    public boolean isStopped() {
        return stopped;
    }

    /** Runs tasks, timers and events until {@link #stop}. */
    public void run() {
        while (!stopped) {
            runOnce();
        }
    }

    /**
     * One turn of the loop: the ready tasks, the due timers, and, if that left nothing to do,
     * one halt until the next event. Returns whether it halted.
     */
    public boolean runOnce() {
        takePosted();
        runReady();
        if (timers.fireDue(ops.systemTime()) > 0 || !ready.isEmpty() || stopped) {
            return false;
        }
        boolean enabled = ops.saveAndDisableEvents();
        // With events masked nothing on this vCPU can queue a task behind our back, and a task
        // another vCPU posts after this look comes with an IPI that makes the halt return.
        takePosted();
        if (!ready.isEmpty()) {
            ops.restoreEvents(enabled);
            return false;
        }
        timers.program();
        halts++;
        ops.safeHalt();
        return true;
    }

    private void runReady() {
        for (Runnable task = ready.poll(); task != null && !stopped; task = ready.poll()) {
            tasksRun++;
            try {
                task.run();
            } catch (GuestAbort abort) {
                throw abort; // the domain is gone: unwind the vCPU
            } catch (Throwable failure) {
                crashHandler.crash(failure);
            }
        }
    }
}
