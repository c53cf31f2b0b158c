package org.parasol.guest.pvops;

/**
 * The hypervisor (or the machine) refused a page-table update: carries the {@code -errno}
 * it answered, as Linux's {@code BUG_ON(HYPERVISOR_mmu_update(...) < 0)} would report.
 */
public final class MmuException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final long errno;

    /** {@code what} failed with result {@code errno} (negative). */
    public MmuException(String what, long errno) {
        super(what + " failed: " + errno);
        this.errno = errno;
    }

    /** The hypercall's result, {@code -errno}. */
    public long errno() {
        return errno;
    }
}
