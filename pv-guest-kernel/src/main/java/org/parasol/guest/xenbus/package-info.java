/**
 * The xenbus client (Mini-OS's {@code xenbus.c}, Linux's {@code xenbus_xs.c} and
 * {@code xenbus_client.c}): requests to xenstored over the domain's store page and store
 * event channel in the {@code xs_wire} format, each answered by a
 * {@link org.parasol.guest.sched.Promise}; watches with callbacks; transactions retried on
 * {@code EAGAIN}; and the split-driver handshake, each end's {@code state} node moving
 * through {@link org.parasol.hypercall.abi.XenbusState}.
 */
package org.parasol.guest.xenbus;
