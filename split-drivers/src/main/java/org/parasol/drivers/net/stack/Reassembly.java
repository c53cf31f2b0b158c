package org.parasol.drivers.net.stack;

import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;

import org.parasol.guest.sched.Timer;

/**
 * IPv4 fragment reassembly (RFC 791 §3.2, RFC 815's idea of tracking what is missing),
 * bounded and strict. A datagram is keyed by (source, destination, protocol, identification);
 * its bytes gather in one buffer that grows to the highest offset seen, and a bit per 8-byte
 * block says what arrived.
 *
 * <pre>
 *   blocks:  [x x x x . . . . x x]      x: arrived   .: missing
 *   total known from the fragment with MF clear; complete when every block below it is x
 * </pre>
 *
 * <p>Refused and counted:
 * <ul>
 *   <li>{@link Drop#FRAGMENT_BAD}: an empty fragment, a non-last fragment whose length is not
 *       a multiple of 8, or one ending past {@value Ipv4#MAX_PAYLOAD} bytes of payload (the
 *       "ping of death");</li>
 *   <li>{@link Drop#FRAGMENT_DUPLICATE}: every block of the fragment already arrived (ignored,
 *       the datagram goes on: a duplicating link is harmless);</li>
 *   <li>{@link Drop#FRAGMENT_OVERLAP}: a fragment covering part of what arrived, a second last
 *       fragment with another end, or data past the end: the whole datagram is dropped, as
 *       Linux has done since FragmentSmack (overlaps are how filters are evaded);</li>
 *   <li>{@link Drop#REASSEMBLY_FULL}: a new datagram while {@code reassemblies} are in
 *       progress, or a fragment that would take the bytes held past {@code reassemblyBytes}
 *       (new work is refused; what is in progress finishes or times out);</li>
 *   <li>{@link Drop#FRAGMENT_TIMEOUT}: a datagram still incomplete {@code reassemblyTimeout}
 *       after its first fragment (no ICMP time-exceeded is sent).</li>
 * </ul>
 */
final class Reassembly {
    private record Key(int src, int dst, int protocol, int id) {
    }

    private final class Datagram {
        final Key key;
        final boolean broadcast;
        final BitSet blocks = new BitSet();
        byte[] data = new byte[0];
        /** The payload length, once the last fragment arrived; -1 before. */
        int total = -1;
        /** The highest end offset seen. */
        int highest;
        Timer timer;

        Datagram(Key key, boolean broadcast) {
            this.key = key;
            this.broadcast = broadcast;
        }
    }

    private final IpStack s;
    private final Ipv4 ip;
    private final Map<Key, Datagram> inProgress = new HashMap<>();
    private int bytesHeld;

    Reassembly(IpStack s, Ipv4 ip) {
        this.s = s;
        this.ip = ip;
    }

    /** Datagrams in progress. */
    int inProgress() {
        return inProgress.size();
    }

    /** Bytes of buffer the datagrams in progress hold. */
    int bytesHeld() {
        return bytesHeld;
    }

    void add(int src, int dst, int protocol, int id, int offset, boolean more, boolean broadcast,
            byte[] b, int off, int len) {
        StackCounters c = s.counters();
        int end = offset + len;
        if (len == 0 || (more && (len & 7) != 0) || end > Ipv4.MAX_PAYLOAD) {
            c.drop(Drop.FRAGMENT_BAD);
            return;
        }
        Key key = new Key(src, dst, protocol, id);
        Datagram d = inProgress.get(key);
        if (d == null) {
            if (inProgress.size() >= s.config().reassemblies()) {
                c.drop(Drop.REASSEMBLY_FULL);
                return;
            }
            d = new Datagram(key, broadcast);
            Datagram started = d;
            d.timer = s.time().after(s.config().reassemblyTimeout().toNanos(), () -> expire(started));
            inProgress.put(key, d);
        }
        int first = offset >>> 3;
        int last = (end + 7) >>> 3; // exclusive
        if (d.blocks.nextClearBit(first) >= last) {
            c.drop(Drop.FRAGMENT_DUPLICATE);
            return;
        }
        boolean partlyThere = d.blocks.nextSetBit(first) >= 0 && d.blocks.nextSetBit(first) < last;
        boolean contradicts = more ? d.total >= 0 && end > d.total : (d.total >= 0 && d.total != end) || d.highest > end;
        if (partlyThere || contradicts) {
            discard(d);
            c.drop(Drop.FRAGMENT_OVERLAP);
            return;
        }
        if (end > d.data.length) {
            int capacity = Math.min(Ipv4.MAX_PAYLOAD, Math.max(end, Math.min(2 * d.data.length, 16384)));
            capacity = Math.max(capacity, end);
            if (bytesHeld + capacity - d.data.length > s.config().reassemblyBytes()) {
                c.drop(Drop.REASSEMBLY_FULL);
                if (d.blocks.isEmpty()) {
                    discard(d);
                }
                return;
            }
            bytesHeld += capacity - d.data.length;
            d.data = Arrays.copyOf(d.data, capacity);
        }
        System.arraycopy(b, off, d.data, offset, len);
        d.blocks.set(first, last);
        d.highest = Math.max(d.highest, end);
        if (!more) {
            d.total = end;
        }
        c.inc(Counter.FRAGMENTS_IN);
        if (d.total >= 0 && d.blocks.nextClearBit(0) >= (d.total + 7) >>> 3) {
            discard(d);
            c.inc(Counter.REASSEMBLED);
            ip.deliver(protocol, src, dst, d.broadcast, d.data, 0, d.total);
        }
    }

    private void expire(Datagram d) {
        if (inProgress.get(d.key) == d) {
            discard(d);
            s.counters().drop(Drop.FRAGMENT_TIMEOUT);
        }
    }

    private void discard(Datagram d) {
        inProgress.remove(d.key);
        bytesHeld -= d.data.length;
        if (d.timer != null) {
            d.timer.cancel();
        }
    }

    /** Drops everything in progress (the stack is closing). */
    void clear() {
        for (Datagram d : inProgress.values().toArray(new Datagram[0])) {
            discard(d);
        }
    }
}
