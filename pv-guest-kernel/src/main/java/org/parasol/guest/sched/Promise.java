package org.parasol.guest.sched;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * The kernel's one asynchronous result type: a value (or a failure) that will be ready
 * later, in the spirit of MirageOS's Lwt promises. Timers, events and I/O all hand results
 * to applications as promises; nothing ever blocks waiting for one.
 *
 * <pre>
 *   kernel.sleep(ms(50))                      Promise&lt;Long&gt;  (the wake-up time)
 *         .map(t -&gt; t - start)                Promise&lt;Long&gt;  (how long it slept)
 *         .then(d -&gt; kernel.sleep(ms(d)))     Promise&lt;Long&gt;  (chained)
 *         .whenDone((v, failure) -&gt; ...)
 * </pre>
 *
 * <p>Rules:
 * <ul>
 *   <li>A promise completes once: {@link #complete} or {@link #fail}; later attempts are
 *       ignored and return false.</li>
 *   <li>Callbacks never run inside the call that completes the promise (which may be an
 *       event upcall): each runs later as its own task on the promise's {@link RunLoop},
 *       on the vCPU's own thread, in the order they were added.</li>
 *   <li>A callback that throws is an uncaught exception in a task: the domain crashes with
 *       the stack trace on the console.</li>
 *   <li>{@link #whenTaken}: whoever completes a promise may ask to be told once its value has
 *       been taken, that is, once the first callback that does more than pass the value on to a
 *       chained promise (a {@link #then}'s result) has run. A driver uses it to hold back what
 *       would reach the application before the application holds the value.</li>
 * </ul>
 *
 * <p>Invariants: used on one vCPU's thread.
 */
public final class Promise<T> {
    private final RunLoop loop;
    private List<BiConsumer<? super T, ? super Throwable>> callbacks;
    private boolean done;
    private T value;
    private Throwable failure;
    /** {@link #whenTaken}'s hook, until it runs; handed along with the value to a chained promise. */
    private Runnable taken;

    Promise(RunLoop loop) {
        this.loop = Objects.requireNonNull(loop, "loop");
    }

    /** Whether it completed, successfully or not. */
    public boolean isDone() {
        return done;
    }

    /** Whether it failed. */
    public boolean isFailed() {
        return done && failure != null;
    }

    /**
     * The value of a successfully completed promise.
     *
     * @throws IllegalStateException if it is not done or failed
     */
    public T value() {
        if (!done || failure != null) {
            throw new IllegalStateException(done ? "promise failed: " + failure : "promise not done yet");
        }
        return value;
    }

    /** The failure of a failed promise, else null. */
    public Throwable failure() {
        return failure;
    }

    /** Completes it with {@code v}; false if it was already done. */
    public boolean complete(T v) {
        if (done) {
            return false;
        }
        done = true;
        value = v;
        dispatch();
        return true;
    }

    /** Completes it with {@code cause}; false if it was already done. */
    public boolean fail(Throwable cause) {
        Objects.requireNonNull(cause, "cause");
        if (done) {
            return false;
        }
        done = true;
        failure = cause;
        dispatch();
        return true;
    }

    /**
     * Runs {@code hook} once the value of this promise (completed, not failed) has been taken:
     * in the task of the first callback that receives the value and does more than pass it on,
     * right after that callback. A {@link #then} whose function returned this promise only
     * passes the value on: the hook goes with it to the promise {@code then} returned, and is
     * run after the first callback that takes it from there, however many such hops it makes.
     * If nobody waits for the value when it arrives (no callback on the promise it reached), the
     * hook runs as a task of its own. A promise that fails never runs it. One hook per promise.
     *
     * @throws IllegalStateException if a hook is already set or the promise is done
     */
    public void whenTaken(Runnable hook) {
        Objects.requireNonNull(hook, "hook");
        if (taken != null || done) {
            throw new IllegalStateException(done ? "promise already done" : "a hook is already set");
        }
        taken = hook;
    }

    /** Runs {@code callback(value, failure)} as a task once the promise is done. */
    public void whenDone(BiConsumer<? super T, ? super Throwable> callback) {
        Objects.requireNonNull(callback, "callback");
        if (done) {
            schedule(callback);
            return;
        }
        if (callbacks == null) {
            callbacks = new ArrayList<>(2);
        }
        callbacks.add(callback);
    }

    /** A promise of {@code f(value)}; a failure (of this promise or of {@code f}) passes through. */
    public <R> Promise<R> map(Function<? super T, ? extends R> f) {
        Objects.requireNonNull(f, "f");
        Promise<R> next = new Promise<>(loop);
        whenDone((v, e) -> {
            if (e != null) {
                next.fail(e);
                return;
            }
            R r;
            try {
                r = f.apply(v);
            } catch (RuntimeException ex) {
                next.fail(ex);
                return;
            }
            next.complete(r);
        });
        return next;
    }

    /** A promise of the promise {@code f(value)} returns (chaining); failures pass through. */
    public <R> Promise<R> then(Function<? super T, Promise<R>> f) {
        Objects.requireNonNull(f, "f");
        Promise<R> next = new Promise<>(loop);
        whenDone((v, e) -> {
            if (e != null) {
                next.fail(e);
                return;
            }
            Promise<R> inner;
            try {
                inner = Objects.requireNonNull(f.apply(v), "then: the function returned no promise");
            } catch (RuntimeException ex) {
                next.fail(ex);
                return;
            }
            inner.whenDone(new PassOn<>(next));
        });
        return next;
    }

    /** A {@link #then}'s callback on the promise its function returned: the value passed on to {@code next}, untaken. */
    private record PassOn<R>(Promise<R> next) implements BiConsumer<R, Throwable> {
        @Override
        public void accept(R r, Throwable e) {
            if (e != null) {
                next.fail(e);
            } else {
                next.complete(r);
            }
        }
    }

    private void dispatch() {
        List<BiConsumer<? super T, ? super Throwable>> cbs = callbacks;
        callbacks = null;
        if (cbs != null) {
            for (BiConsumer<? super T, ? super Throwable> cb : cbs) {
                schedule(cb);
            }
        } else if (taken != null && failure == null) {
            Runnable hook = taken; // nobody waits for the value: nothing to hold back for
            taken = null;
            loop.execute(hook);
        }
    }

    private void schedule(BiConsumer<? super T, ? super Throwable> cb) {
        loop.execute(() -> {
            if (cb instanceof PassOn<?> p && failure == null && taken != null) {
                handOn(p.next());
            }
            cb.accept(value, failure);
            Runnable hook = taken;
            if (hook != null && failure == null && !(cb instanceof PassOn<?>)) {
                taken = null;
                hook.run();
            }
        });
    }

    /** The hook goes with the value to {@code next} (which is not done: only this promise completes it). */
    private void handOn(Promise<?> next) {
        if (next.taken == null && !next.done) {
            next.taken = taken;
            taken = null;
        }
    }
}
