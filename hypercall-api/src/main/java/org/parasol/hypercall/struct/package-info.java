/**
 * Flyweights over {@link java.lang.foreign.MemorySegment} for the structures of Xen's public
 * headers, each with its {@link java.lang.foreign.MemoryLayout}.
 */
package org.parasol.hypercall.struct;
