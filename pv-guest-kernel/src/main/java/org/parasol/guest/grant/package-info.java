/**
 * Grants from a guest's point of view (Mini-OS's {@code gnttab.c} and {@code gntmap.c},
 * Linux's {@code grant-table.c}): the granting side — a grant-reference allocator, publishing
 * grants as {@code AutoCloseable} granted pages, and ending access with compare-and-swap,
 * deferred while the hypervisor has the grant in use — and the mapping side, which maps other
 * domains' grants into a window of the address space as {@code AutoCloseable} mappings.
 */
package org.parasol.guest.grant;
