/**
 * The granting side of a guest's grant table (Mini-OS's {@code gnttab.c}, Linux's
 * {@code grant-table.c}): a grant-reference allocator, publishing grants, and ending access
 * with compare-and-swap, deferred while the hypervisor has the grant in use.
 */
package org.parasol.guest.grant;
