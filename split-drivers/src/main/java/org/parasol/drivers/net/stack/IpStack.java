package org.parasol.drivers.net.stack;

import java.time.Duration;
import java.util.Objects;

import org.parasol.guest.sched.Promise;

/**
 * A guest's IPv4 host stack on one {@link NetDevice}: Ethernet, {@link Arp}, IPv4 with
 * reassembly, {@link Icmp} echo and {@link Udp} sockets, statically addressed.
 *
 * <pre>
 *   NetDevice --receive--> IpStack.receive --+-- ARP  --> cache, replies, queued packets out
 *       ^                                    +-- IPv4 --> (reassembly) --+-- ICMP --> echo replies, ping promises
 *       |                                                                +-- UDP  --> sockets
 *       +------ transmit <-- Ethernet <-- ARP resolution <-- IPv4 out (fragments) <-- ICMP / UDP
 * </pre>
 *
 * <p>Everything runs on the run loop of {@link NetTime}: frames as the device delivers them,
 * timers (ARP retries and expiry, reassembly and ping timeouts) as loop timers, results as
 * {@link Promise}s. Nothing blocks and nothing is thread-safe. A frame from the network never
 * makes it throw: what it cannot use it drops and counts ({@link #counters}).
 *
 * <pre>
 *   IpStack ip = new IpStack(dev, NetTime.of(k), Ipv4Settings.parse("ip=10.0.0.2/24 gw=10.0.0.1"),
 *           IpStack.Config.defaults());
 *   UdpSocket echo = ip.udp().bind(7);
 *   echo.onReceive(d -&gt; echo.send(d.source(), d.sourcePort(), d.payload()));
 *   ip.icmp().ping(Ipv4Address.parse("10.0.0.1"), payload, Duration.ofSeconds(1)).map(r -&gt; ...);
 * </pre>
 */
public final class IpStack implements AutoCloseable {
    /**
     * The stack's bounds and timeouts.
     *
     * @param arpEntryLifetime how long a learned MAC address is used before it is asked again
     * @param arpRetryInterval time between ARP requests for one destination
     * @param arpRequests requests sent for one destination before its packets are dropped
     * @param arpCacheEntries cache bound; the eldest entry is evicted beyond it
     * @param arpQueuePerDestination packets held per destination while ARP resolves it
     * @param arpPendingDestinations destinations resolving at once
     * @param reassemblyTimeout time a fragmented datagram may take to complete
     * @param reassemblies datagrams reassembled at once
     * @param reassemblyBytes buffer bytes all reassemblies together may hold
     * @param udpQueueCapacity datagrams a socket queues
     * @param ttl TTL of packets sent
     * @param pingsOutstanding pings waiting for replies at once
     */
    public record Config(Duration arpEntryLifetime, Duration arpRetryInterval, int arpRequests, int arpCacheEntries,
            int arpQueuePerDestination, int arpPendingDestinations, Duration reassemblyTimeout, int reassemblies,
            int reassemblyBytes, int udpQueueCapacity, int ttl, int pingsOutstanding) {

        /** @throws IllegalArgumentException for a non-positive duration or bound, or a TTL outside 1..255 */
        public Config {
            for (Duration d : new Duration[] {arpEntryLifetime, arpRetryInterval, reassemblyTimeout}) {
                if (d == null || d.isNegative() || d.isZero()) {
                    throw new IllegalArgumentException("durations must be positive: " + d);
                }
            }
            for (int bound : new int[] {arpRequests, arpCacheEntries, arpQueuePerDestination, arpPendingDestinations,
                    reassemblies, reassemblyBytes, udpQueueCapacity, pingsOutstanding}) {
                if (bound < 1) {
                    throw new IllegalArgumentException("bounds must be at least 1: " + bound);
                }
            }
            if (ttl < 1 || ttl > 255) {
                throw new IllegalArgumentException("TTL 1..255: " + ttl);
            }
        }

        /**
         * Linux-like defaults: entries live 60 s, 3 requests 1 s apart, 256 entries, 8 packets
         * per destination, 64 destinations; 30 s and 16 datagrams / 256 KiB for reassembly; 64
         * datagrams per socket; TTL 64; 64 pings.
         */
        public static Config defaults() {
            return new Config(Duration.ofSeconds(60), Duration.ofSeconds(1), 3, 256, 8, 64, Duration.ofSeconds(30), 16,
                    256 * 1024, 64, 64, 64);
        }

        /** This with another ARP entry lifetime. */
        public Config withArpEntryLifetime(Duration d) {
            return new Config(d, arpRetryInterval, arpRequests, arpCacheEntries, arpQueuePerDestination,
                    arpPendingDestinations, reassemblyTimeout, reassemblies, reassemblyBytes, udpQueueCapacity, ttl,
                    pingsOutstanding);
        }

        /** This with another ARP cache bound. */
        public Config withArpCacheEntries(int n) {
            return new Config(arpEntryLifetime, arpRetryInterval, arpRequests, n, arpQueuePerDestination,
                    arpPendingDestinations, reassemblyTimeout, reassemblies, reassemblyBytes, udpQueueCapacity, ttl,
                    pingsOutstanding);
        }

        /** This with another per-destination ARP queue bound. */
        public Config withArpQueuePerDestination(int n) {
            return new Config(arpEntryLifetime, arpRetryInterval, arpRequests, arpCacheEntries, n,
                    arpPendingDestinations, reassemblyTimeout, reassemblies, reassemblyBytes, udpQueueCapacity, ttl,
                    pingsOutstanding);
        }

        /** This with other reassembly bounds. */
        public Config withReassembly(Duration timeout, int datagrams, int bytes) {
            return new Config(arpEntryLifetime, arpRetryInterval, arpRequests, arpCacheEntries, arpQueuePerDestination,
                    arpPendingDestinations, timeout, datagrams, bytes, udpQueueCapacity, ttl, pingsOutstanding);
        }

        /** This with another socket queue bound. */
        public Config withUdpQueueCapacity(int n) {
            return new Config(arpEntryLifetime, arpRetryInterval, arpRequests, arpCacheEntries, arpQueuePerDestination,
                    arpPendingDestinations, reassemblyTimeout, reassemblies, reassemblyBytes, n, ttl, pingsOutstanding);
        }
    }

    private final NetDevice device;
    private final NetTime time;
    private final Ipv4Settings settings;
    private final Config config;
    private final StackCounters counters = new StackCounters();
    private final long mac;
    private final int mtu;
    private final int address;
    private final int netmask;
    /** Our network's broadcast address, or 0 for /31 and /32, which have none (RFC 3021). */
    private final int networkBroadcast;
    private final Arp arp;
    private final Ipv4 ipv4;
    private final Icmp icmp;
    private final Udp udp;
    /** Where ICMP and UDP build what they send: the largest IP payload. */
    private final byte[] segment = new byte[Ipv4.MAX_PAYLOAD];
    private boolean closed;

    /** A stack at {@code address}/{@code prefixLength} via {@code gateway} (ANY: none), with default bounds. */
    public IpStack(NetDevice device, NetTime time, Ipv4Address address, int prefixLength, Ipv4Address gateway) {
        this(device, time, new Ipv4Settings(address, prefixLength, gateway), Config.defaults());
    }

    /**
     * A stack on {@code device} addressed as {@code settings}; it installs itself as the
     * device's receiver.
     *
     * @throws IllegalArgumentException if the device's MTU is below 576 (the IPv4 minimum)
     *         or its MAC address is multicast
     */
    public IpStack(NetDevice device, NetTime time, Ipv4Settings settings, Config config) {
        this.device = Objects.requireNonNull(device, "device");
        this.time = Objects.requireNonNull(time, "time");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.config = Objects.requireNonNull(config, "config");
        MacAddress m = Objects.requireNonNull(device.mac(), "device.mac()");
        if (m.isMulticast()) {
            throw new IllegalArgumentException("an interface needs a unicast MAC address: " + m);
        }
        this.mac = m.bits();
        this.mtu = Math.min(device.mtu(), 65535);
        if (mtu < 576) {
            throw new IllegalArgumentException("IPv4 needs an MTU of at least 576: " + device.mtu());
        }
        this.address = settings.address().bits();
        this.netmask = Ipv4Address.netmask(settings.prefixLength());
        this.networkBroadcast = settings.prefixLength() <= 30 ? address | ~netmask : 0;
        this.arp = new Arp(this);
        this.ipv4 = new Ipv4(this);
        this.icmp = new Icmp(this, (int) mac);
        this.udp = new Udp(this);
        device.setReceiver(this::receive);
    }

    // ---------------------------------------------------------------- the public API

    /** Our MAC address. */
    public MacAddress mac() {
        return new MacAddress(mac);
    }

    /** Our address, network and gateway. */
    public Ipv4Settings settings() {
        return settings;
    }

    /** Our IPv4 address. */
    public Ipv4Address address() {
        return settings.address();
    }

    /** The bounds and timeouts. */
    public Config config() {
        return config;
    }

    /** What the stack did and dropped. */
    public StackCounters counters() {
        return counters;
    }

    /** ARP: the cache and resolution. */
    public Arp arp() {
        return arp;
    }

    /** ICMP: echo. */
    public Icmp icmp() {
        return icmp;
    }

    /** UDP: sockets. */
    public Udp udp() {
        return udp;
    }

    /** {@code udp().bind(port)}. */
    public UdpSocket bind(int port) {
        return udp.bind(port);
    }

    /** {@code icmp().ping(dst, payload, timeout)}. */
    public Promise<EchoReply> ping(Ipv4Address dst, byte[] payload, Duration timeout) {
        return icmp.ping(dst, payload, timeout);
    }

    /** Datagrams being reassembled. */
    public int reassembliesInProgress() {
        return ipv4.reassembly().inProgress();
    }

    /**
     * One received Ethernet frame, lent for the call (what the device calls). Any bytes are
     * accepted: what the stack cannot use it drops and counts. After {@link #close} frames are
     * ignored.
     */
    public void receive(byte[] frame, int offset, int length) {
        if (closed) {
            return;
        }
        counters.inc(Counter.FRAMES_IN);
        if (frame == null || !Bytes.inBounds(frame.length, offset, length) || length < Ethernet.HEADER_LENGTH) {
            counters.drop(Drop.TRUNCATED);
            return;
        }
        counters.add(Counter.BYTES_IN, length);
        if (length > Ethernet.HEADER_LENGTH + mtu) {
            counters.drop(Drop.OVERSIZED);
            return;
        }
        long dst = Bytes.u48(frame, offset + Ethernet.DESTINATION_OFFSET);
        if (dst != mac && dst != MacAddress.BROADCAST.bits()) {
            counters.drop(Drop.NOT_FOR_US);
            return;
        }
        int payload = offset + Ethernet.HEADER_LENGTH;
        int payloadLength = length - Ethernet.HEADER_LENGTH;
        switch (Bytes.u16(frame, offset + Ethernet.TYPE_OFFSET)) {
            case Ethernet.TYPE_IPV4 -> ipv4.input(frame, payload, payloadLength);
            case Ethernet.TYPE_ARP -> arp.input(frame, payload, payloadLength);
            default -> counters.drop(Drop.UNKNOWN_PROTOCOL);
        }
    }

    /**
     * Detaches from the device and lets everything go: ARP requests stop and waiting packets
     * are dropped, reassemblies are dropped, pings fail, sockets close. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        device.setReceiver(null);
        arp.clear();
        ipv4.reassembly().clear();
        icmp.clear();
        udp.clear();
    }

    @Override
    public String toString() {
        return "IpStack " + settings + " on " + mac();
    }

    // ---------------------------------------------------------------- for the layers

    NetTime time() {
        return time;
    }

    long macBits() {
        return mac;
    }

    /** Whether the device fills in blank UDP checksums ({@link NetDevice#checksumOffload}). */
    boolean checksumOffload() {
        return device.checksumOffload();
    }

    int mtu() {
        return mtu;
    }

    int addressBits() {
        return address;
    }

    int gatewayBits() {
        return settings.gateway().bits();
    }

    boolean onLink(int ip) {
        return (ip & netmask) == (address & netmask);
    }

    boolean isNetworkBroadcast(int ip) {
        return networkBroadcast != 0 && ip == networkBroadcast;
    }

    Ipv4 ipv4() {
        return ipv4;
    }

    byte[] segment() {
        return segment;
    }

    /** Hands one frame to the device, counting it. */
    boolean send(byte[] frame, int offset, int length) {
        if (closed) {
            return false;
        }
        if (!device.transmit(frame, offset, length)) {
            counters.drop(Drop.DEVICE_BUSY);
            return false;
        }
        counters.inc(Counter.FRAMES_OUT);
        counters.add(Counter.BYTES_OUT, length);
        return true;
    }
}
