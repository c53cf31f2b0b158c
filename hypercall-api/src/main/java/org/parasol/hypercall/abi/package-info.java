/**
 * Xen's ABI constants, one class per header family: sub-op numbers, flags, status codes.
 */
package org.parasol.hypercall.abi;
