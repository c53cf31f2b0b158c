package org.parasol.examples.faulty;

import java.time.Duration;

import org.parasol.guest.event.EventDispatcher;
import org.parasol.guest.kernel.ApplicationKernel;
import org.parasol.guest.kernel.CommandLine;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.sched.Promise;
import org.parasol.guest.x86.NativeOps;
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
 * <p>On emulated hardware ({@code --virt trap}, {@code bt} or {@code bare}) two more: with
 * {@code msr} it reads an MSR the machine does not have, first through {@code rdmsr_safe} (the
 * {@code #GP} is fixed up by the kernel's exception table and the accessor answers -EIO), then
 * with a plain {@code rdmsr}, whose {@code #GP} has no fixup: the kernel oopses with
 * "general protection fault: 0000 [#1]" and the domain crashes. With {@code ud} it executes
 * {@code ud2} (Linux's {@code BUG()}): "invalid opcode: 0000 [#1]"; with {@code ud vcpu=1} (and
 * {@code --vcpus 2}) it starts vCPU 1 and executes it there, whose own IDT has the same gates.
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

    /** An MSR no model CPU has (in the architectural range, unassigned). */
    static final int NO_SUCH_MSR = 0x1F5;

    @Override
    public Promise<?> main(Kernel k) {
        boolean[] f = new boolean[5]; // ud, msr, handler, exception, vcpu=1
        new CommandLine("faulty")
                .flag("ud", () -> f[0] = true)
                .flag("msr", () -> f[1] = true)
                .flag("handler", () -> f[2] = true)
                .flag("exception", () -> f[3] = true)
                .number("vcpu", 0, 1, v -> f[4] = v == 1)
                .parse(k.commandLine());
        boolean ud = f[0];
        if (ud || f[1]) {
            if (!(k.pvOps() instanceof NativeOps cpu)) {
                k.println("faulty: msr and ud need emulated hardware (--virt trap, bt or bare)");
                k.poweroff();
                return null;
            }
            if (ud && f[4]) {
                k.startVcpu(1, v -> {
                    v.println("faulty: executing ud2 on vCPU 1");
                    ((NativeOps) v.pvOps()).bug();
                    v.println("faulty: this line is never printed");
                });
                return k.loop().promise(); // never completed: vCPU 1's oops ends the domain
            }
            if (ud) {
                k.println("faulty: executing ud2");
                cpu.bug();
            } else {
                long[] value = new long[1];
                int rc = cpu.rdmsrSafe(NO_SUCH_MSR, value);
                k.println(String.format("faulty: rdmsr_safe(0x%x) = %d, value %d", NO_SUCH_MSR, rc, value[0]));
                k.println(String.format("faulty: rdmsr(0x%x) without a fixup", NO_SUCH_MSR));
                cpu.rdmsr(NO_SUCH_MSR);
            }
            k.println("faulty: this line is never printed");
            return null;
        }
        if (f[2]) {
            // A handler that runs inside the upcall (not deferred) and throws there.
            k.println("faulty: an event handler throws");
            EventDispatcher.BoundPort receiver = k.events().allocUnbound(DomId.SELF, port -> {
                throw new IllegalStateException("faulty: this event handler fails on purpose");
            });
            k.events().bindInterdomain(DomId.SELF, receiver.port(), port -> { }).notifyRemote();
            return null;
        }
        boolean exception = f[3];
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
