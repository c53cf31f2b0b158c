/**
 * The pingpong example: two domains, a shared ring in a granted page and an interdomain event
 * channel, which meet through the store as Xen's split drivers do: dom0 adds the pingpong
 * device (the front end's {@code device/pingpong/0}, the back end's
 * {@code backend/pingpong/<front>/0}), the front end publishes {@code ring-ref} and
 * {@code event-channel}, and the two follow the XenbusState handshake. {@code pingpong-liar}
 * is a front end that lies on purpose, to show the back end refusing it cleanly.
 */
package org.parasol.examples.pingpong;
