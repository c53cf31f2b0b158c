package org.parasol.hypervisor.hypercall;

import org.parasol.hypercall.DomId;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.Vcpu;

/**
 * The one place a hypercall's domain-id argument becomes a domain, with Xen's three lookups
 * and its default permission rule, so every handler names domains the same way.
 *
 * <ul>
 *   <li>{@link #byAnyId} is {@code rcu_lock_domain_by_any_id}: {@code DOMID_SELF} is the
 *       caller; any other id, the caller's own included, is looked up. Most commands that
 *       take a {@code domid_t} use it.</li>
 *   <li>{@link #byId} is {@code rcu_lock_domain_by_id}: ids only, so {@code DOMID_SELF}
 *       names no domain (map_grant_ref's granter, remote_shutdown's target, mmu_update's
 *       page-table owner).</li>
 *   <li>{@link #pageOwner} is {@code get_pg_owner}, for the {@code foreigndom} argument of the
 *       PV MMU calls.</li>
 * </ul>
 * Whether the caller may then act on the domain is {@link #mayControl}, the default XSM
 * policy's {@code XSM_TARGET}. A domain that is not dead (running, paused, shutting down,
 * dying) is found; an unknown or reserved id is not.
 */
final class DomainArgs {
    private DomainArgs() {
    }

    /** {@code rcu_lock_domain_by_any_id}: the caller for {@code DOMID_SELF}, else the domain {@code domid}, or null. */
    static Domain byAnyId(Vcpu v, int domid) {
        Domain self = v.domain();
        if (domid == DomId.DOMID_SELF || domid == self.domid()) {
            return self;
        }
        return self.host().lookup(domid);
    }

    /** {@code rcu_lock_domain_by_id}: the domain {@code domid} (the caller's own id included), or null. */
    static Domain byId(Vcpu v, int domid) {
        Domain self = v.domain();
        return domid == self.domid() ? self : self.host().lookup(domid);
    }

    /**
     * {@code XSM_TARGET} under the default policy: a domain may act on itself, a privileged
     * (control) domain on any domain.
     */
    static boolean mayControl(Vcpu v, Domain target) {
        Domain self = v.domain();
        return target == self || self.privileged();
    }

    /** Whether {@code domid} is {@code DOMID_IO} or {@code DOMID_XEN}: {@link #pageOwner}'s special owners. */
    static boolean isSpecialOwner(int domid) {
        return domid == DomId.DOMID_IO || domid == DomId.DOMID_XEN;
    }

    /**
     * {@code get_pg_owner}: the page owner named by {@code foreigndom}'s low 16 bits.
     * {@code DOMID_SELF} is the caller; the caller's own id is refused (Xen: "cannot specify
     * itself as foreign domain"); {@code DOMID_IO} and {@code DOMID_XEN} are special owners
     * (check {@link #isSpecialOwner} first: this returns null for them as for an unknown id);
     * anything else is looked up by any id.
     */
    static Domain pageOwner(Vcpu v, int domid) {
        Domain self = v.domain();
        if (domid == self.domid() || isSpecialOwner(domid)) {
            return null;
        }
        return byAnyId(v, domid);
    }

    /** {@code foreigndom}'s page owner (FD): its low 16 bits. */
    static int pageOwnerId(long foreigndom) {
        return (int) (foreigndom & 0xFFFF);
    }

    /** {@code foreigndom}'s page-table owner (PFD): bits 31..16, 0 for the caller, else {@code domid + 1}. */
    static int tableOwnerField(long foreigndom) {
        return (int) ((foreigndom >>> 16) & 0xFFFF);
    }
}
