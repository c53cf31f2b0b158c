package org.parasol.drivers.net.stack;

/**
 * IPv4 (RFC 791) for a host: header checks on the way in, reassembly of fragments, delivery to
 * ICMP and UDP; routing to a next hop, ARP, and fragmentation on the way out.
 *
 * <pre>
 *   0       4       8              16    19                      31
 *   | ver=4 | IHL   | TOS          | total length                 |
 *   | identification               | flags | fragment offset (x8) |
 *   | TTL           | protocol     | header checksum              |
 *   | source address                                              |
 *   | destination address                                         |
 *   | options (IHL > 5: accepted and skipped)                     |
 * </pre>
 *
 * <p>Received: shorter than 20 bytes or than IHL or total length say is
 * {@link Drop#TRUNCATED}; a version other than 4, IHL below 5 or a total length below the
 * header is {@link Drop#BAD_HEADER}; a header checksum that does not verify
 * {@link Drop#BAD_CHECKSUM}; a destination other than our address, 255.255.255.255 or our
 * network's broadcast {@link Drop#NOT_FOR_US}; a multicast, broadcast or own source
 * {@link Drop#BAD_SOURCE}. Bytes past the total length (Ethernet padding) are ignored. TTL is
 * not checked (a host is the end of the path). Fragments go to {@link Reassembly}.
 *
 * <p>Sent: header without options, DF clear, TTL from the config, identification counting
 * up; a packet larger than the MTU is cut into fragments of a multiple of 8 bytes.
 */
final class Ipv4 {
    static final int HEADER_LENGTH = 20;
    static final int PROTOCOL_ICMP = 1;
    static final int PROTOCOL_UDP = 17;
    /** The largest payload of one IP packet: 65535 less a header without options. */
    static final int MAX_PAYLOAD = 65535 - HEADER_LENGTH;

    private static final int FLAG_MF = 0x2000;
    private static final int OFFSET_MASK = 0x1FFF;

    /** {@link #nextHop}: no route. */
    static final long NO_ROUTE = -1;
    /** {@link #nextHop}: a broadcast, sent to ff:ff:ff:ff:ff:ff. */
    static final long BROADCAST = -2;

    private final IpStack s;
    private final Reassembly reassembly;
    /** The frame every packet is built in: lent to the device, which copies it. */
    private final byte[] tx;
    private int nextId;

    Ipv4(IpStack s) {
        this.s = s;
        this.reassembly = new Reassembly(s, this);
        this.tx = new byte[Ethernet.HEADER_LENGTH + s.mtu()];
        this.nextId = (int) s.macBits() & 0xFFFF;
    }

    Reassembly reassembly() {
        return reassembly;
    }

    // ---------------------------------------------------------------- in

    void input(byte[] b, int off, int len) {
        StackCounters c = s.counters();
        if (len < HEADER_LENGTH) {
            c.drop(Drop.TRUNCATED);
            return;
        }
        int vihl = Bytes.u8(b, off);
        int ihl = (vihl & 0xF) * 4;
        if ((vihl >>> 4) != 4 || ihl < HEADER_LENGTH) {
            c.drop(Drop.BAD_HEADER);
            return;
        }
        if (ihl > len) {
            c.drop(Drop.TRUNCATED);
            return;
        }
        int total = Bytes.u16(b, off + 2);
        if (total < ihl) {
            c.drop(Drop.BAD_HEADER);
            return;
        }
        if (total > len) {
            c.drop(Drop.TRUNCATED);
            return;
        }
        if (Checksum.of(b, off, ihl) != 0) {
            c.drop(Drop.BAD_CHECKSUM);
            return;
        }
        int src = Bytes.i32(b, off + 12);
        int dst = Bytes.i32(b, off + 16);
        boolean broadcast = dst == -1 || s.isNetworkBroadcast(dst);
        if (dst != s.addressBits() && !broadcast) {
            c.drop(Drop.NOT_FOR_US);
            return;
        }
        if (src == -1 || (src & 0xF000_0000) == 0xE000_0000 || s.isNetworkBroadcast(src) || src == s.addressBits()) {
            c.drop(Drop.BAD_SOURCE);
            return;
        }
        int protocol = Bytes.u8(b, off + 9);
        int fragment = Bytes.u16(b, off + 6);
        int payloadLength = total - ihl;
        if ((fragment & (FLAG_MF | OFFSET_MASK)) != 0) {
            reassembly.add(src, dst, protocol, Bytes.u16(b, off + 4), (fragment & OFFSET_MASK) * 8,
                    (fragment & FLAG_MF) != 0, broadcast, b, off + ihl, payloadLength);
            return;
        }
        deliver(protocol, src, dst, broadcast, b, off + ihl, payloadLength);
    }

    /** A whole packet's payload, for ICMP or UDP. */
    void deliver(int protocol, int src, int dst, boolean broadcast, byte[] b, int off, int len) {
        switch (protocol) {
            case PROTOCOL_ICMP -> {
                s.counters().inc(Counter.IP_PACKETS_IN);
                s.icmp().input(src, broadcast, b, off, len);
            }
            case PROTOCOL_UDP -> {
                s.counters().inc(Counter.IP_PACKETS_IN);
                s.udp().input(src, dst, b, off, len);
            }
            default -> s.counters().drop(Drop.UNKNOWN_PROTOCOL);
        }
    }

    // ---------------------------------------------------------------- out

    /**
     * Where a packet to {@code dst} goes on the link: {@code dst} itself on our network, the
     * gateway beyond it, {@link #BROADCAST} for a broadcast, {@link #NO_ROUTE} if none.
     */
    long nextHop(int dst) {
        if (dst == -1 || s.isNetworkBroadcast(dst)) {
            return BROADCAST;
        }
        if ((dst & 0xF000_0000) == 0xE000_0000 || dst == 0) {
            return NO_ROUTE;
        }
        if (s.onLink(dst)) {
            return dst & 0xFFFF_FFFFL;
        }
        int gw = s.gatewayBits();
        return gw == 0 ? NO_ROUTE : gw & 0xFFFF_FFFFL;
    }

    /**
     * Sends {@code seg[off, off + len)} to {@code dst} as the payload of protocol
     * {@code protocol}: now if the next hop's MAC address is known, after ARP resolves it
     * otherwise (the bytes are copied then). Returns false if it was dropped at once.
     */
    boolean output(int dst, int protocol, byte[] seg, int off, int len) {
        StackCounters c = s.counters();
        if (dst == s.addressBits()) {
            byte[] copy = java.util.Arrays.copyOfRange(seg, off, off + len);
            c.inc(Counter.IP_PACKETS_OUT);
            c.inc(Counter.LOOPED_BACK);
            s.time().loop().execute(() -> deliver(protocol, dst, dst, false, copy, 0, copy.length));
            return true;
        }
        long hop = nextHop(dst);
        if (hop == NO_ROUTE) {
            c.drop(Drop.NO_ROUTE);
            return false;
        }
        c.inc(Counter.IP_PACKETS_OUT);
        int id = nextId;
        nextId = (nextId + 1) & 0xFFFF;
        if (hop == BROADCAST) {
            return transmit(MacAddress.BROADCAST.bits(), dst, protocol, id, seg, off, len);
        }
        int hopIp = (int) hop;
        long mac = s.arp().lookup(hopIp);
        if (mac >= 0) {
            return transmit(mac, dst, protocol, id, seg, off, len);
        }
        return s.arp().await(hopIp, new Queued(dst, protocol, id, java.util.Arrays.copyOfRange(seg, off, off + len)));
    }

    /** A packet waiting for ARP. */
    record Queued(int dst, int protocol, int id, byte[] segment) {
    }

    boolean transmit(long mac, Queued q) {
        return transmit(mac, q.dst(), q.protocol(), q.id(), q.segment(), 0, q.segment().length);
    }

    /** Frames the packet for {@code mac}, fragmenting it if it does not fit, and hands each frame to the device. */
    private boolean transmit(long mac, int dst, int protocol, int id, byte[] seg, int off, int len) {
        int room = s.mtu() - HEADER_LENGTH;
        if (len <= room) {
            return frame(mac, dst, protocol, id, 0, seg, off, len);
        }
        int chunk = room & ~7;
        boolean ok = true;
        for (int at = 0; at < len; at += chunk) {
            int n = Math.min(chunk, len - at);
            int flags = (at + n < len ? FLAG_MF : 0) | (at >>> 3);
            ok &= frame(mac, dst, protocol, id, flags, seg, off + at, n);
            s.counters().inc(Counter.FRAGMENTS_OUT);
        }
        return ok;
    }

    private boolean frame(long mac, int dst, int protocol, int id, int fragment, byte[] seg, int off, int n) {
        byte[] f = tx;
        int ip = Ethernet.HEADER_LENGTH;
        Ethernet.writeHeader(f, 0, mac, s.macBits(), Ethernet.TYPE_IPV4);
        Bytes.put8(f, ip, 0x45);
        Bytes.put8(f, ip + 1, 0);
        Bytes.put16(f, ip + 2, HEADER_LENGTH + n);
        Bytes.put16(f, ip + 4, id);
        Bytes.put16(f, ip + 6, fragment);
        Bytes.put8(f, ip + 8, s.config().ttl());
        Bytes.put8(f, ip + 9, protocol);
        Bytes.put16(f, ip + 10, 0);
        Bytes.put32(f, ip + 12, s.addressBits());
        Bytes.put32(f, ip + 16, dst);
        Bytes.put16(f, ip + 10, Checksum.of(f, ip, HEADER_LENGTH));
        System.arraycopy(seg, off, f, ip + HEADER_LENGTH, n);
        return s.send(f, 0, ip + HEADER_LENGTH + n);
    }
}
