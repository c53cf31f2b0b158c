package org.parasol.examples.stubborn;

import java.time.Duration;

import org.parasol.guest.kernel.ApplicationKernel;
import org.parasol.guest.kernel.CommandLine;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.kernel.ShutdownRequest;
import org.parasol.guest.sched.Promise;

/**
 * stubborn: a guest that hears the toolstack's shutdown request and never complies. Its kernel
 * acknowledges the request (the store's {@code control/shutdown} goes back to empty) and asks
 * the application, whose {@link #onShutdownRequest} returns a promise it never completes; the
 * domain goes on ticking until the toolstack's shutdown timeout runs out and dom0 destroys it,
 * as {@code xendomains} destroys a guest that ignored {@code xl shutdown}.
 *
 * <p>It runs until it is shut down or destroyed: once a second (command line
 * {@code period=MS}) it prints {@code stubborn: still here (N)}. With {@code ask=WORD} on its
 * command line it first writes {@code WORD} into its own {@code control/shutdown}, as any store
 * client with the right may: the toolstack times that request as it times its own.
 *
 * <p>Expected console output, with dom0 asked to shut it down ({@code xl shutdown stubborn}):
 * <pre>
 * stubborn: running until destroyed
 * stubborn: still here (1)
 * xen: shutdown request from the toolstack: poweroff
 * stubborn: asked to poweroff; not going
 * stubborn: still here (2)
 * ...
 * </pre>
 */
public final class StubbornKernel extends ApplicationKernel {
    private Kernel k;
    private Promise<Void> never;

    /** The kernel class an image names needs a public no-argument constructor. */
    public StubbornKernel() {
    }

    @Override
    public Promise<?> main(Kernel kernel) {
        this.k = kernel;
        this.never = k.loop().promise();
        long[] period = {1000};
        String[] asked = {null};
        new CommandLine("stubborn")
                .number("period", 1, 3_600_000, v -> period[0] = v)
                .string("ask", v -> asked[0] = v)
                .parse(k.commandLine());
        k.println("stubborn: running until destroyed");
        tick(Duration.ofMillis(period[0]), 1);
        String ask = asked[0];
        if (ask != null) {
            k.xenbus().write("control/shutdown", ask).whenDone((v, e) ->
                    k.println("stubborn: wrote '" + ask + "' into control/shutdown" + (e != null ? ": " + e.getMessage() : "")));
        }
        return never;
    }

    private void tick(Duration period, int n) {
        k.sleep(period).whenDone((t, e) -> {
            k.println("stubborn: still here (" + n + ")");
            tick(period, n + 1);
        });
    }

    @Override
    public Promise<?> onShutdownRequest(Kernel kernel, ShutdownRequest request) {
        kernel.println("stubborn: asked to " + request.word() + "; not going");
        return never;
    }
}
