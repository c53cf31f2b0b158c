package org.parasol.hypervisor.image;

/**
 * An image that cannot be booted: an unknown name, a malformed descriptor, a missing jar, a
 * kernel class that is absent or not a {@link org.parasol.hypercall.GuestKernel}. The message
 * names the image and says what to fix.
 *
 * <p>This is a toolstack error (the domain is never built), not a guest fault: nothing of
 * the image has run when it is thrown, except a kernel constructor whose failure
 * {@link KernelImage#newKernel} reports with the guest's exception as the cause.
 */
public class ImageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** An image error with a message naming the image and the problem. */
    public ImageException(String message) {
        super(message);
    }

    /** An image error caused by {@code cause} (an I/O or linkage error, or the guest's own). */
    public ImageException(String message, Throwable cause) {
        super(message, cause);
    }
}
