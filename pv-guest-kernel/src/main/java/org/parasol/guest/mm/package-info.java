/**
 * Guest memory management: the P2M list, the page tables taken over from the domain builder,
 * the page-frame allocator with on-demand mapping, and the buffer heap (Mini-OS's
 * {@code mm.c}).
 */
package org.parasol.guest.mm;
