package org.parasol.guest.event;

import org.parasol.hypercall.Port;

/**
 * What runs when an event arrives on a bound port: Mini-OS's {@code evtchn_handler_t}.
 *
 * <p>Called from the event upcall on the vCPU's own thread, with upcalls masked, after the
 * port's pending bit was cleared. It should do little and may issue hypercalls. The port is
 * the handle the dispatcher made when the port was bound: passing it allocates nothing.
 */
@FunctionalInterface
public interface PortHandler {
    /** An event arrived on {@code port}. */
    void onEvent(Port port);
}
