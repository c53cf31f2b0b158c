package org.parasol.hypervisor.domain;

/**
 * The hypercall table as a vCPU's hypercall entry sees it: Xen's {@code hypercall_table}
 * behind the {@code syscall} entry. The table itself, with one handler per family, is
 * {@code org.parasol.hypervisor.hypercall.HypercallTable}; this interface is what keeps the
 * vCPU from depending on the handlers that depend on it.
 */
public interface HypercallDispatch {

    /**
     * Runs hypercall {@code nr} ({@code 0 <= nr < Hypercall.TABLE_SIZE}) for {@code v}, on
     * its thread: {@code >= 0}, {@code -errno}, or {@link Vcpu#CONTINUATION} after the
     * handler saved its progress with {@link Vcpu#setContinuation}.
     */
    long dispatch(Vcpu v, int nr, long a1, long a2, long a3, long a4, long a5);

    /**
     * An argument area for the handlers, for a vCPU of domain {@code domid} about to make a
     * hypercall: from the host's pool (one last used by the same domain if there is one, else
     * one wiped of another domain's arguments), or new.
     */
    HypercallScratch takeScratch(int domid);

    /** Gives back an argument area its vCPU no longer holds (it blocked): to the pool, or to the collector if the pool is full. */
    void giveScratch(HypercallScratch scratch);

    /**
     * Whether hypercall {@code nr} with command {@code cmd} (its first argument) may start with
     * less than the stack headroom every other entry from guest code needs
     * ({@code sched.StackGuard}): true only for calls that take no lock and change no state
     * beyond the caller's own vCPU and memory, so that a {@link StackOverflowError} anywhere
     * inside them leaves nothing half-done, and the vCPU's entry turns it into the domain's
     * crash. The default is false.
     */
    default boolean runsWithoutHeadroom(int nr, long cmd) {
        return false;
    }
}
