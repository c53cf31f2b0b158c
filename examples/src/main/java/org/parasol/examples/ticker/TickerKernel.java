package org.parasol.examples.ticker;

import java.time.Duration;

import org.parasol.guest.event.EventDispatcher.BoundPort;
import org.parasol.guest.kernel.ApplicationKernel;
import org.parasol.guest.kernel.CommandLine;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.mm.GuestBuffer;
import org.parasol.guest.sched.Promise;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GuestMemory;

/**
 * ticker: the application docs/guest-kernel.md writes step by step — timers chained as
 * promises, a counter in a guest-memory buffer, and an event channel whose handler runs as a
 * task.
 *
 * <p>Every {@code period} a timer bumps the counter and notifies a loopback event channel; the
 * channel's handler prints the count. After {@code ticks} ticks (command line
 * {@code ticks=N period=MS}, default 5 and 100) the application's promise completes and the
 * kernel powers the domain off.
 *
 * <p>Expected console output:
 * <pre>
 * Parasol guest kernel 0.1 on Xen 4.19: ...
 * ticker: 5 ticks, one every 100 ms
 * tick 1 at 100.2 ms
 * ...
 * tick 5 at 500.9 ms
 * ticker: done
 * </pre>
 */
public final class TickerKernel extends ApplicationKernel {

    /** The kernel class an image names needs a public no-argument constructor. */
    public TickerKernel() {
    }

    @Override
    public Promise<?> main(Kernel k) {
        long[] o = {5, 100}; // ticks, period in ms
        new CommandLine("ticker")
                .number("ticks", 0, 100_000_000, v -> o[0] = v)
                .number("period", 0, 3_600_000, v -> o[1] = v)
                .parse(k.commandLine());
        int ticks = (int) o[0];
        Duration period = Duration.ofMillis(o[1]);
        k.println("ticker: " + ticks + " ticks, one every " + period.toMillis() + " ms");

        // A counter in guest memory, as a real driver would keep a ring index.
        GuestBuffer counter = k.heap().allocate(8, 8);
        GuestMemory mem = k.cpu().memory();
        long start = k.now();

        // A loopback event channel: one end notifies, the other's handler runs as a task.
        BoundPort receiver = k.events().allocUnbound(DomId.SELF, k.loop().deferred(port ->
                k.println(String.format("tick %d at %.1f ms", mem.getLong(counter.va()), (k.now() - start) / 1e6))));
        BoundPort sender = k.events().bindInterdomain(DomId.SELF, receiver.port(), port -> { });

        Promise<Long> done = k.loop().completed(0L);
        for (int i = 0; i < ticks; i++) {
            done = done.then(x -> k.sleep(period)).map(t -> {
                mem.putLong(counter.va(), mem.getLong(counter.va()) + 1);
                sender.notifyRemote();
                return t;
            });
        }
        // The last send's upcall queued the handler's task before this callback's: it prints first.
        return done.map(t -> {
            sender.close();
            receiver.close();
            counter.close();
            k.println("ticker: done");
            return t;
        });
    }
}
