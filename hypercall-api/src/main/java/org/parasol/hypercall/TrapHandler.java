package org.parasol.hypercall;

/**
 * A guest trap handler registered with {@code set_trap_table} (Xen's {@code trap_info}).
 *
 * <p>For a page fault (vector 14) {@code address} is the faulting virtual address, also
 * written to {@code vcpu_info.arch.cr2}, and {@code errorCode} carries x86's page-fault
 * bits (P, W/R, U/S, RSVD, I/D). When the handler returns, the faulting access is retried.
 * A fault taken while the handler runs, an exception thrown out of it, or a fault with no
 * handler registered crashes the domain.
 */
@FunctionalInterface
public non-sealed interface TrapHandler extends GuestCode {
    /** Runs on the faulting vCPU's thread. */
    void trap(Cpu cpu, int vector, long errorCode, long address);
}
