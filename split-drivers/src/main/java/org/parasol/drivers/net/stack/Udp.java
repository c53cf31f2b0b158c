package org.parasol.drivers.net.stack;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * UDP (RFC 768): ports, sockets and the checksum over the pseudo-header.
 *
 * <pre>
 *   0                16               31
 *   | source port    | destination port |
 *   | length         | checksum         |     checksum 0: none sent (accepted);
 *   | payload ...                       |     a computed 0 is sent as 0xFFFF
 * </pre>
 *
 * <p>Received: shorter than 8 bytes, or than its length field says, is
 * {@link Drop#TRUNCATED}; a length field below 8 {@link Drop#BAD_HEADER}; a non-zero checksum
 * that does not verify {@link Drop#BAD_CHECKSUM}; a port no socket is bound to
 * {@link Drop#NO_LISTENER} (no ICMP port unreachable is sent); a full socket queue
 * {@link Drop#QUEUE_FULL}. Bytes past the length field are ignored.
 */
public final class Udp {
    static final int HEADER_LENGTH = 8;
    /** The largest payload of one datagram: 65535 less the IP and UDP headers. */
    public static final int MAX_PAYLOAD = Ipv4.MAX_PAYLOAD - HEADER_LENGTH;
    /** The first port {@link #bind} hands out for port 0 (the IANA dynamic range). */
    public static final int FIRST_EPHEMERAL_PORT = 49152;

    private final IpStack s;
    private final Map<Integer, UdpSocket> sockets = new HashMap<>();
    private int nextEphemeral = FIRST_EPHEMERAL_PORT;

    Udp(IpStack s) {
        this.s = s;
    }

    IpStack stack() {
        return s;
    }

    /**
     * A socket bound to {@code port}, or to a free port of the dynamic range for 0.
     *
     * @throws IllegalArgumentException if the port is not 0..65535
     * @throws IllegalStateException if it is taken (or, for 0, every dynamic port is)
     */
    public UdpSocket bind(int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("a UDP port is 0..65535: " + port);
        }
        int p = port;
        if (p == 0) {
            int span = 65536 - FIRST_EPHEMERAL_PORT;
            for (int i = 0; i < span && sockets.containsKey(nextEphemeral); i++) {
                nextEphemeral = nextEphemeral == 65535 ? FIRST_EPHEMERAL_PORT : nextEphemeral + 1;
            }
            if (sockets.containsKey(nextEphemeral)) {
                throw new IllegalStateException("every dynamic UDP port is bound");
            }
            p = nextEphemeral;
            nextEphemeral = nextEphemeral == 65535 ? FIRST_EPHEMERAL_PORT : nextEphemeral + 1;
        } else if (sockets.containsKey(p)) {
            throw new IllegalStateException("UDP port " + p + " is already bound");
        }
        UdpSocket socket = new UdpSocket(this, p, s.config().udpQueueCapacity());
        sockets.put(p, socket);
        return socket;
    }

    /** Sockets bound. */
    public int bound() {
        return sockets.size();
    }

    void unbind(UdpSocket socket) {
        sockets.remove(socket.port(), socket);
    }

    boolean send(int srcPort, int dst, int dstPort, byte[] payload, int off, int len) {
        if (dstPort < 1 || dstPort > 65535) {
            throw new IllegalArgumentException("a UDP destination port is 1..65535: " + dstPort);
        }
        if (len > MAX_PAYLOAD) {
            throw new IllegalArgumentException("a UDP payload is at most " + MAX_PAYLOAD + " bytes: " + len);
        }
        byte[] m = s.segment();
        int length = HEADER_LENGTH + len;
        Bytes.put16(m, 0, srcPort);
        Bytes.put16(m, 2, dstPort);
        Bytes.put16(m, 4, length);
        Bytes.put16(m, 6, 0);
        System.arraycopy(payload, off, m, HEADER_LENGTH, len);
        if (!s.checksumOffload() || Ipv4.HEADER_LENGTH + length > s.mtu()) {
            // A datagram sent in fragments is summed here: no one fills in a checksum across fragments.
            int sum = Checksum.finish(Checksum.add(Checksum.pseudoHeader(s.addressBits(), dst, Ipv4.PROTOCOL_UDP, length), m, 0,
                    length));
            Bytes.put16(m, 6, sum == 0 ? 0xFFFF : sum);
        } // else left blank (0): the device has it filled in (NETTXF_csum_blank)
        boolean sent = s.ipv4().output(dst, Ipv4.PROTOCOL_UDP, m, 0, length);
        if (sent) {
            s.counters().inc(Counter.UDP_DATAGRAMS_OUT);
        }
        return sent;
    }

    void input(int src, int dst, byte[] b, int off, int len) {
        StackCounters c = s.counters();
        if (len < HEADER_LENGTH) {
            c.drop(Drop.TRUNCATED);
            return;
        }
        int length = Bytes.u16(b, off + 4);
        if (length < HEADER_LENGTH) {
            c.drop(Drop.BAD_HEADER);
            return;
        }
        if (length > len) {
            c.drop(Drop.TRUNCATED);
            return;
        }
        if (Bytes.u16(b, off + 6) != 0
                && Checksum.finish(Checksum.add(Checksum.pseudoHeader(src, dst, Ipv4.PROTOCOL_UDP, length), b, off, length)) != 0) {
            c.drop(Drop.BAD_CHECKSUM);
            return;
        }
        int dstPort = Bytes.u16(b, off + 2);
        UdpSocket socket = sockets.get(dstPort);
        if (socket == null) {
            c.drop(Drop.NO_LISTENER);
            return;
        }
        UdpDatagram d = new UdpDatagram(new Ipv4Address(src), Bytes.u16(b, off), new Ipv4Address(dst), dstPort,
                Arrays.copyOfRange(b, off + HEADER_LENGTH, off + length));
        if (socket.deliver(d)) {
            c.inc(Counter.UDP_DATAGRAMS_IN);
        } else {
            c.drop(Drop.QUEUE_FULL);
        }
    }

    /** Closes every socket (the stack is closing). */
    void clear() {
        for (UdpSocket socket : sockets.values().toArray(new UdpSocket[0])) {
            socket.close();
        }
    }
}
