package org.parasol.drivers.net.stack;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import org.parasol.guest.sched.Timer;

/**
 * ARP (RFC 826) for Ethernet and IPv4: answers requests for our address, resolves next hops
 * with a bounded cache whose entries expire, and holds a few packets per destination while a
 * request is out.
 *
 * <pre>
 *   0          2          4      5      6          8
 *   | htype=1  | ptype=0x0800 | hlen=6 | plen=4 | oper (1 request, 2 reply) |
 *   | sender MAC (6) | sender IP (4) | target MAC (6) | target IP (4) |       28 bytes
 * </pre>
 *
 * <p>Learning follows RFC 826's merge rule: a sender already cached is refreshed from any ARP
 * packet; a new sender is cached only from a packet whose target is our address. Nothing
 * else (gratuitous ARP, replies we did not ask for to other hosts) adds entries, which limits
 * what a neighbour can make us believe.
 *
 * <p>Resolution: a packet for an unknown next hop is queued ({@code arpQueuePerDestination}
 * per destination, the oldest pushed out: {@link Drop#ARP_QUEUE_FULL}) and a broadcast
 * request goes out, again every {@code arpRetryInterval} up to {@code arpRequests} in all;
 * after the last one's interval the packets are dropped ({@link Drop#ARP_UNRESOLVED}) and the
 * destination forgotten, so the next packet starts over. At most {@code arpPendingDestinations}
 * destinations wait at once.
 *
 * <p>Received: shorter than 28 bytes is {@link Drop#TRUNCATED}; not Ethernet/IPv4 or an
 * operation other than 1 and 2 {@link Drop#BAD_HEADER}; a multicast or zero sender MAC, or our
 * own IP address as sender (an address conflict), {@link Drop#BAD_SOURCE}; a packet neither
 * for us nor about a cached sender {@link Drop#NOT_FOR_US}.
 */
public final class Arp {
    static final int PACKET_LENGTH = 28;
    private static final int OP_REQUEST = 1;
    private static final int OP_REPLY = 2;

    private static final class Entry {
        long mac;
        long expires;

        Entry(long mac, long expires) {
            this.mac = mac;
            this.expires = expires;
        }
    }

    private final class Pending {
        final int ip;
        final ArrayDeque<Ipv4.Queued> packets = new ArrayDeque<>();
        int requests;
        Timer timer;

        Pending(int ip) {
            this.ip = ip;
        }
    }

    private final IpStack s;
    /** Insertion order: the eldest is evicted first when the cache is full. */
    private final LinkedHashMap<Integer, Entry> cache = new LinkedHashMap<>();
    private final Map<Integer, Pending> pending = new HashMap<>();
    private final byte[] tx = new byte[Ethernet.HEADER_LENGTH + PACKET_LENGTH];

    Arp(IpStack s) {
        this.s = s;
    }

    // ---------------------------------------------------------------- the public view

    /** The cached, unexpired address of {@code ip}, if any (an expired entry is removed). */
    public Optional<MacAddress> cached(Ipv4Address ip) {
        long mac = lookup(ip.bits());
        return mac < 0 ? Optional.empty() : Optional.of(new MacAddress(mac));
    }

    /** Entries in the cache, expired ones not yet removed included. */
    public int cacheSize() {
        return cache.size();
    }

    /** Destinations with a request out. */
    public int pendingDestinations() {
        return pending.size();
    }

    /** Packets waiting for {@code ip} to resolve. */
    public int queuedFor(Ipv4Address ip) {
        Pending p = pending.get(ip.bits());
        return p == null ? 0 : p.packets.size();
    }

    // ---------------------------------------------------------------- lookups and resolution

    /** The cached MAC address of {@code ip} (48 bits), or -1 if none or expired. */
    long lookup(int ip) {
        Entry e = cache.get(ip);
        if (e == null) {
            return -1;
        }
        if (e.expires - s.time().now() <= 0) {
            cache.remove(ip);
            s.counters().inc(Counter.ARP_EXPIRED);
            return -1;
        }
        return e.mac;
    }

    /** Queues {@code packet} until {@code ip} resolves, asking for it if nobody has yet. */
    boolean await(int ip, Ipv4.Queued packet) {
        IpStack.Config cfg = s.config();
        Pending p = pending.get(ip);
        if (p == null) {
            if (pending.size() >= cfg.arpPendingDestinations()) {
                s.counters().drop(Drop.ARP_QUEUE_FULL);
                return false;
            }
            p = new Pending(ip);
            pending.put(ip, p);
            p.packets.add(packet);
            request(p);
            return true;
        }
        if (p.packets.size() >= cfg.arpQueuePerDestination()) {
            p.packets.poll();
            s.counters().drop(Drop.ARP_QUEUE_FULL);
        }
        p.packets.add(packet);
        return true;
    }

    private void request(Pending p) {
        p.requests++;
        send(OP_REQUEST, MacAddress.BROADCAST.bits(), 0, p.ip);
        s.counters().inc(Counter.ARP_REQUESTS_SENT);
        p.timer = s.time().after(s.config().arpRetryInterval().toNanos(), () -> retry(p));
    }

    private void retry(Pending p) {
        if (pending.get(p.ip) != p) {
            return; // resolved meanwhile
        }
        if (p.requests < s.config().arpRequests()) {
            request(p);
            return;
        }
        pending.remove(p.ip);
        s.counters().inc(Counter.ARP_FAILURES);
        for (int i = p.packets.size(); i > 0; i--) {
            s.counters().drop(Drop.ARP_UNRESOLVED);
        }
        p.packets.clear();
    }

    // ---------------------------------------------------------------- in

    void input(byte[] b, int off, int len) {
        StackCounters c = s.counters();
        if (len < PACKET_LENGTH) {
            c.drop(Drop.TRUNCATED);
            return;
        }
        int op = Bytes.u16(b, off + 6);
        if (Bytes.u16(b, off) != 1 || Bytes.u16(b, off + 2) != Ethernet.TYPE_IPV4 || Bytes.u8(b, off + 4) != 6
                || Bytes.u8(b, off + 5) != 4 || (op != OP_REQUEST && op != OP_REPLY)) {
            c.drop(Drop.BAD_HEADER);
            return;
        }
        long sha = Bytes.u48(b, off + 8);
        int spa = Bytes.i32(b, off + 14);
        int tpa = Bytes.i32(b, off + 24);
        if (sha == 0 || MacAddress.isMulticast(sha) || spa == s.addressBits()) {
            c.drop(Drop.BAD_SOURCE);
            return;
        }
        boolean forUs = tpa == s.addressBits();
        boolean merged = false;
        if (spa != 0) {
            Entry e = cache.get(spa);
            if (e != null) {
                e.mac = sha;
                e.expires = s.time().now() + s.config().arpEntryLifetime().toNanos();
                c.inc(Counter.ARP_ENTRIES_LEARNED);
                merged = true;
            } else if (forUs) {
                insert(spa, sha);
                merged = true;
            }
        }
        if (!forUs) {
            if (!merged) {
                c.drop(Drop.NOT_FOR_US);
            }
        } else if (op == OP_REQUEST) {
            // An RFC 5227 probe (sender 0.0.0.0) is answered too: it defends our address.
            send(OP_REPLY, sha, sha, spa);
            c.inc(Counter.ARP_REPLIES_SENT);
        }
        if (merged) {
            resolved(spa, sha);
        }
    }

    private void insert(int ip, long mac) {
        if (cache.size() >= s.config().arpCacheEntries()) {
            long now = s.time().now();
            cache.values().removeIf(e -> e.expires - now <= 0);
            if (cache.size() >= s.config().arpCacheEntries()) {
                Iterator<Integer> eldest = cache.keySet().iterator();
                eldest.next();
                eldest.remove();
                s.counters().inc(Counter.ARP_EVICTIONS);
            }
        }
        cache.put(ip, new Entry(mac, s.time().now() + s.config().arpEntryLifetime().toNanos()));
        s.counters().inc(Counter.ARP_ENTRIES_LEARNED);
    }

    private void resolved(int ip, long mac) {
        Pending p = pending.remove(ip);
        if (p == null) {
            return;
        }
        if (p.timer != null) {
            p.timer.cancel();
        }
        for (Ipv4.Queued q = p.packets.poll(); q != null; q = p.packets.poll()) {
            s.ipv4().transmit(mac, q);
        }
    }

    // ---------------------------------------------------------------- out

    private void send(int op, long ethDst, long tha, int tpa) {
        byte[] f = tx;
        int a = Ethernet.HEADER_LENGTH;
        Ethernet.writeHeader(f, 0, ethDst, s.macBits(), Ethernet.TYPE_ARP);
        Bytes.put16(f, a, 1);
        Bytes.put16(f, a + 2, Ethernet.TYPE_IPV4);
        Bytes.put8(f, a + 4, 6);
        Bytes.put8(f, a + 5, 4);
        Bytes.put16(f, a + 6, op);
        Bytes.put48(f, a + 8, s.macBits());
        Bytes.put32(f, a + 14, s.addressBits());
        Bytes.put48(f, a + 18, tha);
        Bytes.put32(f, a + 24, tpa);
        s.send(f, 0, f.length);
    }

    /** Cancels every request and drops what waits (the stack is closing). */
    void clear() {
        for (Pending p : pending.values()) {
            if (p.timer != null) {
                p.timer.cancel();
            }
        }
        pending.clear();
        cache.clear();
    }
}
