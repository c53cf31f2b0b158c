/**
 * The kernel proper: the boot sequence from {@code start_info}, the services applications
 * use, and shutdown and crash handling.
 */
package org.parasol.guest.kernel;
