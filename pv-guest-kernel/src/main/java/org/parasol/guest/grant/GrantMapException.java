package org.parasol.guest.grant;

import org.parasol.hypercall.abi.Gntst;

/**
 * The hypervisor refused a grant map or unmap: {@link #status()} is the {@code GNTST_*} code
 * it reported (for example {@code GNTST_general_error} for a grant that does not permit this
 * domain, {@code GNTST_bad_gntref} for a reference beyond the granter's table).
 */
public final class GrantMapException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;

    /** A refusal with {@code GNTST_*} {@code status} of the operation described by {@code what}. */
    public GrantMapException(String what, int status) {
        super(what + ": " + Gntst.name(status) + " (" + status + ")");
        this.status = status;
    }

    /** The {@code GNTST_*} code. */
    public int status() {
        return status;
    }
}
