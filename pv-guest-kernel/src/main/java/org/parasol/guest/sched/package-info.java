/**
 * The per-vCPU run loop: ready tasks, software timers multiplexed onto the one-shot timer,
 * deferred event handlers, and {@link org.parasol.guest.sched.Promise}, the one async API.
 */
package org.parasol.guest.sched;
