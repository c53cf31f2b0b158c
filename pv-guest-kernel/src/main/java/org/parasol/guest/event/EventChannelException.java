package org.parasol.guest.event;

/**
 * An event-channel hypercall refused a bind: carries the {@code -errno} it answered.
 */
public final class EventChannelException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final long errno;

    /** {@code what} failed with result {@code errno} (negative). */
    public EventChannelException(String what, long errno) {
        super(what + " failed: " + errno);
        this.errno = errno;
    }

    /** The hypercall's result, {@code -errno}. */
    public long errno() {
        return errno;
    }
}
