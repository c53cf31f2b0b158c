package org.parasol.hypervisor.domain;

/**
 * A vCPU's private argument area for its hypercalls: where the handlers copy a call's
 * structure in from guest memory and decode it, so each guest-writable field is read once,
 * from a copy the guest cannot change. Made by the hypercall table
 * ({@link HypercallDispatch#takeScratch}) from a host-wide pool when the vCPU first needs one,
 * given back when it blocks, held by one vCPU at a time and used only on its
 * thread; what is inside belongs to the handlers ({@code hypercall.GuestArgs}), which is why
 * the vCPU sees only this interface.
 */
public interface HypercallScratch {
}
