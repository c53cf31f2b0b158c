package org.parasol.examples.hello;

import java.time.Duration;

import org.parasol.guest.kernel.ApplicationKernel;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.sched.Promise;

/**
 * hello: the smallest application on the Parasol guest kernel — a greeting, the time, one
 * timer, and a clean power-off.
 *
 * <p>The kernel has booted before {@link #main} runs (start_info checked, shared_info mapped,
 * the periodic tick stopped, the event upcall and page-fault handler registered, the banner
 * printed). {@code main} returns the promise of the timer's end; when it completes, the
 * kernel flushes the console and powers the domain off.
 *
 * <p>Expected console output (times vary):
 * <pre>
 * Parasol guest kernel 0.1 on Xen 4.19: 1024 pages (1012 free, 1012 mapped at boot), command line ''
 * Hello from Parasol! command line ''
 * system time 12.345 ms; sleeping 50 ms on a one-shot timer
 * woke after 50.1 ms; wall clock 2026-11-27T18:30:00.123Z
 * powering off
 * </pre>
 */
public final class HelloKernel extends ApplicationKernel {
    private static final Duration SLEEP = Duration.ofMillis(50);

    /** The kernel class an image names needs a public no-argument constructor. */
    public HelloKernel() {
    }

    @Override
    public Promise<?> main(Kernel k) {
        k.println("Hello from Parasol! command line '" + k.commandLine() + "'");
        long start = k.now();
        k.println(String.format("system time %.3f ms; sleeping %d ms on a one-shot timer", start / 1e6,
                SLEEP.toMillis()));
        return k.sleep(SLEEP).map(woke -> {
            k.println(String.format("woke after %.1f ms; wall clock %s", (woke - start) / 1e6, k.wallClock()));
            k.println("powering off");
            return woke;
        });
    }
}
