/**
 * Typed hypercall wrappers for guest kernels: one class per hypercall family that marshals
 * its arguments through guest memory and calls {@link org.parasol.hypercall.Cpu#hypercall},
 * as a C guest's {@code HYPERVISOR_*} inline functions do.
 */
package org.parasol.hypercall.guest;
