/**
 * Flyweights for the structures of Xen's public headers, each with its
 * {@link java.lang.foreign.MemoryLayout}, reading and writing through a
 * {@link org.parasol.hypercall.SharedBuffer}: the hypervisor wraps them over its hypercall
 * scratch and the machine pages it shares, the guest over its argument page and its mappings,
 * so both sides decode every structure with the same class.
 */
package org.parasol.hypercall.struct;
