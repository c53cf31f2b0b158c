/**
 * Flyweights for the structures of Xen's {@code public/io/} headers: shared rings, blkif,
 * netif, XenStore and the PV console.
 */
package org.parasol.hypercall.io;
