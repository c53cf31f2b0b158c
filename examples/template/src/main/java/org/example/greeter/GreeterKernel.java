package org.example.greeter;

import java.time.Duration;

import org.parasol.guest.kernel.ApplicationKernel;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.sched.Promise;

/**
 * greeter: a Parasol image of your own, to copy and rename. It greets the name given on the
 * kernel command line ({@code name=...}, default {@code world}), waits on a one-shot timer and
 * powers the domain off.
 *
 * <p>Expected console output of {@code parasol run greeter --images target/images --cmdline name=Parasol}:
 * <pre>
 * Parasol guest kernel 0.1 on Xen 4.19: ... command line 'name=Parasol'
 * greeter: hello, Parasol
 * greeter: done after 20.3 ms
 * </pre>
 */
public final class GreeterKernel extends ApplicationKernel {
    // Static fields final and immutable: then every domain of this image shares one class loader.
    private static final Duration PAUSE = Duration.ofMillis(20);

    /** The hypervisor instantiates the kernel class: public, no arguments. */
    public GreeterKernel() {
    }

    @Override
    public Promise<?> main(Kernel k) {
        String name = "world";
        for (String word : k.commandLine().split(" ")) {
            if (word.startsWith("name=")) {
                name = word.substring("name=".length());
            }
        }
        k.println("greeter: hello, " + name);
        long start = k.now();
        // Never block: wait by returning a promise; the domain powers off when it completes.
        return k.sleep(PAUSE).map(now -> {
            k.println(String.format("greeter: done after %.1f ms", (now - start) / 1e6));
            return now;
        });
    }
}
