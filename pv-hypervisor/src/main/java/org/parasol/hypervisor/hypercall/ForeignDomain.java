package org.parasol.hypervisor.hypercall;

import static org.parasol.hypercall.Errno.EINVAL;
import static org.parasol.hypercall.Errno.EPERM;
import static org.parasol.hypercall.Errno.ESRCH;

import org.parasol.hypercall.DomId;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.Vcpu;

/**
 * The {@code foreigndom} argument of {@code mmu_update} and {@code mmuext_op}
 * ({@code get_pg_owner}): bits 15..0 name the page owner (FD), bits 31..16 the page-table
 * owner (PFD) as {@code domid + 1}, 0 meaning the caller.
 *
 * <p>{@code DOMID_SELF} or the caller's own id is the caller. Any other domain needs a
 * privileged caller ({@code -EPERM}); an unknown one is {@code -ESRCH}; the special ids
 * ({@code DOMID_IO}, {@code DOMID_XEN}...) are {@code -EPERM} unprivileged and {@code -EINVAL}
 * privileged (Parasol has no I/O memory and maps no hypervisor heap into guests).
 */
final class ForeignDomain {
    private ForeignDomain() {
    }

    /** The page owner's id: {@code foreigndom}'s low 16 bits. */
    static int pageOwnerId(long foreigndom) {
        return (int) (foreigndom & 0xFFFF);
    }

    /** The page-table owner's id: bits 31..16 minus one, or {@code DOMID_SELF} for 0. */
    static int tableOwnerId(long foreigndom) {
        int pfd = (int) ((foreigndom >>> 16) & 0xFFFF);
        return pfd == 0 ? DomId.DOMID_SELF : pfd - 1;
    }

    /** 0 if {@code v} may name {@code domid} as a foreign domain, else the errno (negative). */
    static long check(Vcpu v, int domid) {
        Domain self = v.domain();
        if (domid == DomId.DOMID_SELF || domid == self.domid()) {
            return 0;
        }
        if (!self.privileged()) {
            return -EPERM;
        }
        if (domid >= DomId.DOMID_FIRST_RESERVED) {
            return -EINVAL;
        }
        Domain d = self.host().lookup(domid);
        return d == null || !d.mayRun() ? -ESRCH : 0;
    }

    /** The domain {@code domid} names for {@code v}, after {@link #check} answered 0 (else null). */
    static Domain resolve(Vcpu v, int domid) {
        Domain self = v.domain();
        if (domid == DomId.DOMID_SELF || domid == self.domid()) {
            return self;
        }
        return self.host().lookup(domid);
    }
}
