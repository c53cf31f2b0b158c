package org.parasol.toolstack.xenstore;

import org.parasol.hypercall.abi.XsWire;

/**
 * A refused xenstore request: the errno the reply names on the wire ({@code XS_ERROR} with
 * Xen's name, e.g. {@code ENOENT}) and, for the host's log, what was refused and why.
 */
public final class XsException extends Exception {
    private static final long serialVersionUID = 1L;
    private final int errno;

    /** A refusal with errno {@code errno} (positive, one of the names xs_wire.h allows). */
    public XsException(int errno, String why) {
        super(why, null, false, false);
        if (XsWire.wireErrorName(errno) == null) {
            throw new IllegalArgumentException("errno " + errno + " may not appear on the xenstore wire");
        }
        this.errno = errno;
    }

    /** The positive errno. */
    public int errno() {
        return errno;
    }

    /** Xen's name of the errno, as the {@code XS_ERROR} reply carries it. */
    public String wireName() {
        return XsWire.wireErrorName(errno);
    }
}
