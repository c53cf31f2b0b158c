package org.parasol.examples.pingpong;

import org.parasol.guest.kernel.ApplicationKernel;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.sched.Promise;
import org.parasol.guest.xenbus.XenbusTransaction;

/**
 * pingpong: two domains exchange messages over a Xen shared ring in a granted page and an
 * interdomain event channel, set up through the store as Xen's split drivers are, and print
 * round-trip latency percentiles.
 *
 * <p>One image, two roles, chosen by what dom0 wrote in the store before the domain ran:
 * <ul>
 *   <li>a domain with a pingpong device ({@code device/pingpong/0}, whose back end another
 *       domain serves) is the front end ({@link PingFront}): it grants a ring page and
 *       allocates an event channel for the back end, publishes them, and once the back end is
 *       Connected makes {@code rounds} round trips (default 10000), one at a time, and prints
 *       p50, p99 and max;</li>
 *   <li>any other domain is a back end ({@link PongBack}): it waits for dom0 to add a device
 *       under its {@code backend/pingpong}, maps the grant, binds the channel and answers until
 *       the front end closes.</li>
 * </ul>
 * {@code parasol run pingpong} builds the pair ({@code pingpong.launch}: pong first, then ping
 * with {@code device=pingpong:backend=pong}). The command line says only {@code rounds=} and
 * {@code timeout=} ({@link PingpongOptions}). Both power off at the end.
 *
 * <p>Expected console output (ids, refs, ports and times vary):
 * <pre>
 * [pong] pingpong: back end, waiting for a front end under backend/pingpong
 * [ping] pingpong: front end of device/pingpong/0, served by domain 1; 10000 round trips, one at a time
 * [pong] pingpong: serving backend/pingpong/2/0 for domain 2
 * [ping] pingpong: published ring-ref 8 and event-channel 4; Initialised
 * [pong] pingpong: mapped gref 8 of domain 2 at 0x100000000, bound its port 4 as local port 4; Connected
 * [pong] pingpong: answered 10000 pings; ring unmapped, port closed
 * [ping] pingpong: 10000 round trips in 383.2 ms: p50 22.6 us, p99 163.3 us, max 6043.3 us
 * </pre>
 */
public final class PingpongKernel extends ApplicationKernel {

    /** The kernel class an image names needs a public no-argument constructor. */
    public PingpongKernel() {
    }

    @Override
    public Promise<?> main(Kernel k) {
        PingpongOptions options = PingpongOptions.parse(k.commandLine());
        return k.xenbus().readOptional(XenbusTransaction.NONE, PingpongDevice.FRONT_DIR + "/" + PingpongDevice.BACKEND_ID)
                .then(device -> device.isPresent() ? new PingFront(k, options).start().map(s -> (Object) s)
                        : new PongBack(k, options).start().map(n -> (Object) n));
    }
}
