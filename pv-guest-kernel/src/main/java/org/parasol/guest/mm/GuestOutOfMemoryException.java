package org.parasol.guest.mm;

/** The domain has no free frames (or no free run long enough) for an allocation. */
public final class GuestOutOfMemoryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** No run of {@code pages} free frames was left. */
    public GuestOutOfMemoryException(String what) {
        super(what);
    }
}
