package org.parasol.examples.idle;

import org.parasol.guest.kernel.ApplicationKernel;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.sched.Promise;

/**
 * idle: a domain that boots, says so, and then waits for nothing — the unit of the density
 * figures ({@code parasol bench --density}), where thousands of them sit beside each other.
 *
 * <p>The kernel has booted before {@link #main} runs (the periodic tick stopped, the banner
 * printed); {@code main} prints one line and returns a promise nobody completes, so the run
 * loop blocks its vCPU in {@code SCHEDOP_block} with no timer armed until the domain is
 * destroyed or asked to shut down. An idle domain costs the host no CPU time.
 *
 * <p>Expected console output:
 * <pre>
 * Parasol guest kernel 0.1 on Xen 4.19: 512 pages (... free, ... mapped at boot), command line ''
 * idle: up
 * </pre>
 */
public final class IdleKernel extends ApplicationKernel {

    /** The kernel class an image names needs a public no-argument constructor. */
    public IdleKernel() {
    }

    @Override
    public Promise<?> main(Kernel k) {
        k.println("idle: up");
        return k.loop().promise();
    }
}
