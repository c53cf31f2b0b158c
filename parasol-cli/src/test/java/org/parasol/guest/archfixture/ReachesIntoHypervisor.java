package org.parasol.guest.archfixture;

import org.parasol.hypervisor.HostConfig;

/**
 * A deliberately wrong class for the architecture tests: guest code (it lives under
 * {@code org.parasol.guest}) that names a hypervisor class directly instead of going through
 * hypercall-api. {@code ArchitectureRulesCatchViolationsTest} shows the guest rule rejects it;
 * the real checks leave this package out.
 */
public final class ReachesIntoHypervisor {
    private ReachesIntoHypervisor() {
    }

    /** The forbidden reference: a class literal, so it stays in the bytecode (constants would be inlined). */
    public static Class<?> hypervisorClass() {
        return HostConfig.class;
    }
}
