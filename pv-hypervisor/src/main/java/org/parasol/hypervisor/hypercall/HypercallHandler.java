package org.parasol.hypervisor.hypercall;

import org.parasol.hypervisor.domain.Vcpu;

/**
 * One hypercall family's entry: the register form, with the calling vCPU. Returns
 * {@code >= 0} or {@code -errno}; validates every argument before committing anything and
 * never throws for bad guest input.
 */
@FunctionalInterface
public interface HypercallHandler {
    long call(Vcpu vcpu, long a1, long a2, long a3, long a4, long a5);
}
