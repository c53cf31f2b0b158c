package org.parasol.hypercall;

/**
 * An event-channel port ({@code evtchn_port_t}) of one domain.
 *
 * <p>Valid values are {@code 0 ..< 131072} ({@code EVTCHN_FIFO_NR_CHANNELS}, the most any
 * event ABI can address; the 2-level ABI stops at 4096). Port 0 is reserved and never
 * allocated, so {@link #NONE} doubles as "no port". Prints as Xen does: {@code port 5}.
 *
 * @param value the port number
 */
public record Port(int value) {
    /** Ports are below this in every event ABI ({@code EVTCHN_FIFO_NR_CHANNELS}). */
    public static final int LIMIT = 1 << 17;
    /** Port 0: reserved at domain creation, never bound. */
    public static final Port NONE = new Port(0);

    /** Checks that {@code value} is a port number some event ABI can address. */
    public Port {
        if (value < 0 || value >= LIMIT) {
            throw new IllegalArgumentException("port out of range: " + Integer.toUnsignedString(value));
        }
    }

    /** Returns the handle for {@code value}. */
    public static Port of(int value) {
        return value == 0 ? NONE : new Port(value);
    }

    @Override
    public String toString() {
        return "port " + value;
    }
}
