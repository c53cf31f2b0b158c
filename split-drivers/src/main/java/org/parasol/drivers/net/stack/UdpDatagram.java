package org.parasol.drivers.net.stack;

/**
 * A received UDP datagram.
 *
 * @param source the sender's address
 * @param sourcePort the sender's port (0: none, no reply expected)
 * @param destination the address it was sent to: ours, or a broadcast
 * @param destinationPort the socket's port
 * @param payload the data (a copy, the receiver's to keep)
 */
public record UdpDatagram(Ipv4Address source, int sourcePort, Ipv4Address destination, int destinationPort,
        byte[] payload) {
}
