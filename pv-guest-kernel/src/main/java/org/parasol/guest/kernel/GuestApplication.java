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
 *
 * <p>When the toolstack asks the domain to shut down ({@code xl shutdown}, {@code xl reboot}:
 * a word in the domain's {@code control/shutdown}, which the kernel watches whenever the domain
 * has a store; see {@link ShutdownWatcher}), the kernel acknowledges the request and calls
 * {@link #onShutdownRequest}: the application's chance to finish what it is doing, as a Linux
 * guest's userspace runs its shutdown scripts. The domain shuts down with the requested reason
 * when the promise it returns completes (or fails); the default complies at once.
 */
@FunctionalInterface
public interface GuestApplication {
    /** Starts the application on a booted kernel. Must not block. */
    Promise<?> main(Kernel kernel);

    /**
     * The toolstack asked the domain to {@code request} (power off, halt or reboot; suspend only
     * for a kernel that can). Return a promise for the application's cleanup, which the kernel
     * waits for before {@code SCHEDOP_shutdown}, or null to shut down at once (the default).
     * Called once, as a task. Must not block; an application that never completes the promise
     * is destroyed by the toolstack after its shutdown timeout, as {@code xendomains} does.
     */
    default Promise<?> onShutdownRequest(Kernel kernel, ShutdownRequest request) {
        return null;
    }
}
