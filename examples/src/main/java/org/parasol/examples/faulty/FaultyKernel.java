package org.parasol.examples.faulty;

import java.time.Duration;

import org.parasol.guest.event.EventDispatcher;
import org.parasol.guest.kernel.ApplicationKernel;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.sched.Promise;
import org.parasol.hypercall.DomId;

/**
 * faulty: a guest that crashes on purpose, to show crash containment — its domain dies with
 * the cause on its console while every other domain runs on.
 *
 * <p>After a short sleep it reads through a null pointer (virtual address 0 is never mapped):
 * the MMU raises a page fault, the kernel's page-fault handler prints the address and the
 * stack, and the domain crashes. With {@code exception} on the command line it instead throws
 * from a task, which the run loop turns into a crash with the stack trace; with
 * {@code handler}, an event handler throws inside the upcall, which the kernel's upcall
 * wrapper turns into the same crash.
 *
 * <p>Expected console output:
 * <pre>
 * Parasol guest kernel 0.1 on Xen 4.19: ...
 * faulty: reading through a null pointer in 20 ms
 * *** page fault at 0x0: read of a not-present page (error code 0x0)
 * 	at ...
 * </pre>
 */
public final class FaultyKernel extends ApplicationKernel {
    private static final Duration DELAY = Duration.ofMillis(20);

    /** The kernel class an image names needs a public no-argument constructor. */
    public FaultyKernel() {
    }

    @Override
    public Promise<?> main(Kernel k) {
        if (k.commandLine().contains("handler")) {
            // A handler that runs inside the upcall (not deferred) and throws there.
            k.println("faulty: an event handler throws");
            EventDispatcher.BoundPort receiver = k.events().allocUnbound(DomId.SELF, port -> {
                throw new IllegalStateException("faulty: this event handler fails on purpose");
            });
            k.events().bindInterdomain(DomId.SELF, receiver.port(), port -> { }).notifyRemote();
            return null;
        }
        boolean exception = k.commandLine().contains("exception");
        k.println("faulty: " + (exception ? "throwing from a task" : "reading through a null pointer") + " in "
                + DELAY.toMillis() + " ms");
        return k.sleep(DELAY).map(t -> {
            if (exception) {
                throw new IllegalStateException("faulty: this task fails on purpose");
            }
            long value = k.cpu().memory().getLong(0L);
            k.println("faulty: read " + value + " from address 0; this line is never printed");
            return value;
        });
    }
}
