/**
 * The seam between the kernel and the machine, as Linux's {@code pv_ops}: {@link
 * org.parasol.guest.pvops.PvOps} and its paravirtual implementation over Xen's hypercalls.
 */
package org.parasol.guest.pvops;
