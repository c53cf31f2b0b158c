package org.parasol.hypercall;

/**
 * The event upcall: Xen's {@code CALLBACKTYPE_event} entry point.
 *
 * <p>The hypervisor enters it at a return-to-guest point when the vCPU's
 * {@code evtchn_upcall_pending} is set and {@code evtchn_upcall_mask} is clear. On entry the
 * mask is set; when the callback returns, the hypervisor restores the saved mask and
 * re-checks pending (the role of {@code HYPERVISOR_iret}). An exception thrown out of the
 * callback crashes the domain.
 */
@FunctionalInterface
public non-sealed interface EventCallback extends GuestCode {
    /** Runs on the vCPU's own thread with upcalls masked. */
    void upcall(Cpu cpu);
}
