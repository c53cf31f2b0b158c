package org.parasol.examples.pingpong;

import org.parasol.guest.kernel.ApplicationKernel;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.sched.Promise;

/**
 * pingpong: two domains exchange messages over a Xen shared ring in a granted page and an
 * interdomain event channel, and print round-trip latency percentiles.
 *
 * <p>One image, two roles, chosen by the command line ({@link PingpongOptions}):
 * <ul>
 *   <li>{@code peer=<domid> [rounds=<n>]}: the offering domain and ring front end
 *       ({@link PingFront}). It grants a ring page and offers an unbound port to {@code peer},
 *       prints the offer line {@code pingpong: offer gref=<n> port=<p> peer=<domid>}, then
 *       makes {@code rounds} round trips (default 10000), one at a time, and prints
 *       p50, p99 and max.</li>
 *   <li>{@code peer=<domid> gref=<n> port=<p>}: the accepting domain and ring back end
 *       ({@link PongBack}). It maps the grant, binds the port and answers until the front end
 *       closes.</li>
 * </ul>
 * The peers need each other's domain ids and the offer; {@code parasol run pingpong} provides
 * them (see {@code pingpong.launch}). Both power off at the end.
 *
 * <p>Expected console output (ids, refs, ports and times vary):
 * <pre>
 * [ping] Parasol guest kernel 0.1 on Xen 4.19: ..., command line 'peer=2'
 * [ping] pingpong: offer gref=8 port=3 peer=2
 * [pong] Parasol guest kernel 0.1 on Xen 4.19: ..., command line 'peer=1 gref=8 port=3'
 * [pong] pingpong: accepted gref 8 and port 3 of domain 1: ring mapped at 0x..., local port 3
 * [ping] pingpong: domain 2 connected; 10000 round trips, one at a time
 * [pong] pingpong: answered 10000 pings; ring unmapped, port closed
 * [ping] pingpong: 10000 round trips in 812.4 ms: p50 61.0 us, p99 210.3 us, max 1520.7 us
 * </pre>
 */
public final class PingpongKernel extends ApplicationKernel {

    /** The kernel class an image names needs a public no-argument constructor. */
    public PingpongKernel() {
    }

    @Override
    public Promise<?> main(Kernel k) {
        PingpongOptions options = PingpongOptions.parse(k.commandLine());
        return options.accepting() ? new PongBack(k, options).start() : new PingFront(k, options).start();
    }
}
