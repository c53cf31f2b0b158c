package org.parasol.drivers.net.stack;

import java.util.Objects;
import java.util.function.LongSupplier;

import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.sched.Promise;
import org.parasol.guest.sched.RunLoop;
import org.parasol.guest.sched.Timer;

/**
 * Where the stack's time comes from: a monotonic clock in nanoseconds and the run loop whose
 * timers and promises it uses. A guest passes its kernel ({@link #of(Kernel)}); a test passes
 * a run loop over a fake clock it moves by hand, so every timeout is deterministic.
 */
public interface NetTime {
    /** Monotonic time, ns. */
    long now();

    /** The loop timers fire on and promises complete on. */
    RunLoop loop();

    /** Runs {@code action} as a task {@code nanos} from now. */
    default Timer after(long nanos, Runnable action) {
        return loop().at(now() + Math.max(nanos, 0), action);
    }

    /** A new pending promise on {@link #loop}. */
    default <T> Promise<T> promise() {
        return loop().promise();
    }

    /** The kernel's clock ({@code k.now()}) and run loop. */
    static NetTime of(Kernel k) {
        Objects.requireNonNull(k, "k");
        return of(k.loop(), k::now);
    }

    /** {@code clock} and {@code loop}, which must read the same timebase as the loop's timers. */
    static NetTime of(RunLoop loop, LongSupplier clock) {
        Objects.requireNonNull(loop, "loop");
        Objects.requireNonNull(clock, "clock");
        return new NetTime() {
            @Override
            public long now() {
                return clock.getAsLong();
            }

            @Override
            public RunLoop loop() {
                return loop;
            }
        };
    }
}
