package org.parasol.drivers.net.stack;

/** What a stack promise fails with when its time runs out (a ping nobody answered). */
public final class NetTimeoutException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** A timeout described by {@code message}. */
    public NetTimeoutException(String message) {
        super(message);
    }
}
