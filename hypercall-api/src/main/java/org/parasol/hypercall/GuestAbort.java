package org.parasol.hypercall;

/**
 * Unwinds a vCPU's Java stack when its domain can no longer run guest code: the domain was
 * crashed, shut down or destroyed, or this vCPU was taken down.
 *
 * <p>The hypervisor throws it out of any {@link Cpu} or {@link GuestMemory} call made after
 * that point. Catching it achieves nothing: every later call throws it again. Guests should
 * let it pass.
 */
public final class GuestAbort extends Error {
    private static final long serialVersionUID = 1L;

    /** Creates the unwinding error with the reason the domain stopped. */
    public GuestAbort(String reason) {
        super(reason, null, false, false);
    }
}
