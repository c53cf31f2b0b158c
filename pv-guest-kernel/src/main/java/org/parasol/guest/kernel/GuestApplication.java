package org.parasol.guest.kernel;

import org.parasol.guest.sched.Promise;

/**
 * A guest application: what a domain running the Parasol kernel is for.
 *
 * <p>{@link #main} runs as the first task once the kernel has booted. It starts whatever
 * work it wants — timers, event handlers, more tasks — and returns a {@link Promise} for the
 * application's end: when it completes the domain powers off; when it fails the domain
 * crashes with the stack trace on the console. Returning {@code null} leaves the domain
 * running until the application shuts it down itself ({@link Kernel#poweroff}).
 */
@FunctionalInterface
public interface GuestApplication {
    /** Starts the application on a booted kernel. Must not block. */
    Promise<?> main(Kernel kernel);
}
