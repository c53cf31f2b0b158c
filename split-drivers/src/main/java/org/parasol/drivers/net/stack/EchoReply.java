package org.parasol.drivers.net.stack;

/**
 * An echo reply that answered one of our pings.
 *
 * @param from who answered
 * @param identifier the identifier we sent (the stack's own)
 * @param sequence the sequence number we sent
 * @param payload the payload the reply carried (a copy, the caller's to keep)
 * @param roundTripNanos from sending the request to taking the reply
 */
public record EchoReply(Ipv4Address from, int identifier, int sequence, byte[] payload, long roundTripNanos) {
}
