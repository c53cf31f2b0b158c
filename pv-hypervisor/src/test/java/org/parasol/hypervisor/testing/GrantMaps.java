package org.parasol.hypervisor.testing;

import org.parasol.hypercall.abi.Gntmap;
import org.parasol.hypervisor.Hypervisor;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.grant.GrantLeaks;

/** What a domain has mapped of others' grants, for tests outside the hypervisor's module. */
public final class GrantMaps {
    private GrantMaps() {
    }

    /**
     * The mappings in domain {@code mapper}'s maptrack of grants of domain {@code granter},
     * read-only ones only if asked; 0 when {@code mapper} is gone.
     */
    public static int of(Hypervisor hv, int mapper, int granter, boolean readonlyOnly) {
        Domain d = hv.domains().stream().filter(x -> x.domid() == mapper).findFirst().orElse(null);
        if (d == null) {
            return 0;
        }
        int n = 0;
        for (GrantLeaks.Mapping m : GrantLeaks.mappings(d.maptrack())) {
            if (m.granter() == granter && (!readonlyOnly || (m.flags() & Gntmap.READONLY) != 0)) {
                n++;
            }
        }
        return n;
    }
}
