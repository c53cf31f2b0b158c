/**
 * The guest's event channels (Mini-OS's {@code events.c}): binding ports with handlers,
 * masking and unmasking with the re-check, and the 2-level upcall scan.
 */
package org.parasol.guest.event;
