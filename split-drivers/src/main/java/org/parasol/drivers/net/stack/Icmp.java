package org.parasol.drivers.net.stack;

import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

import org.parasol.guest.sched.Promise;
import org.parasol.guest.sched.Timer;

/**
 * ICMP (RFC 792), echo only: requests to our address are answered with the same identifier,
 * sequence number and payload, byte for byte; {@link #ping} sends requests of our own and
 * hands each reply to the promise of its request.
 *
 * <pre>
 *   0        8        16                31
 *   | type   | code   | checksum          |     type 8: echo request, 0: echo reply
 *   | identifier      | sequence number   |
 *   | payload ...                         |
 * </pre>
 *
 * <p>Received: shorter than 8 bytes is {@link Drop#TRUNCATED}; a checksum that does not
 * verify {@link Drop#BAD_CHECKSUM}; an echo request to a broadcast address
 * {@link Drop#BROADCAST_ECHO}; an echo reply matching no ping of ours
 * {@link Drop#UNSOLICITED}; any other type {@link Drop#UNSUPPORTED} (no unreachable,
 * time-exceeded or redirect handling, and the stack sends no errors of its own).
 */
public final class Icmp {
    static final int TYPE_ECHO_REPLY = 0;
    static final int TYPE_ECHO_REQUEST = 8;
    static final int HEADER_LENGTH = 8;
    /** The largest echo payload that fits one IP datagram. */
    public static final int MAX_PAYLOAD = Ipv4.MAX_PAYLOAD - HEADER_LENGTH;

    private static final class Outstanding {
        final int dst;
        final int sequence;
        final long sent;
        final Promise<EchoReply> promise;
        Timer timer;

        Outstanding(int dst, int sequence, long sent, Promise<EchoReply> promise) {
            this.dst = dst;
            this.sequence = sequence;
            this.sent = sent;
            this.promise = promise;
        }
    }

    private final IpStack s;
    private final int identifier;
    private final Map<Integer, Outstanding> outstanding = new HashMap<>();
    private int nextSequence;

    Icmp(IpStack s, int identifier) {
        this.s = s;
        this.identifier = identifier & 0xFFFF;
    }

    /** The identifier of our echo requests. */
    public int identifier() {
        return identifier;
    }

    /** Pings waiting for their reply. */
    public int outstanding() {
        return outstanding.size();
    }

    /**
     * Sends one echo request to {@code dst} with {@code payload} and the next sequence number.
     * The promise completes with the first matching reply, or fails with
     * {@link NetTimeoutException} after {@code timeout} (a request lost on the way, or to ARP,
     * looks the same), or at once with {@link IllegalStateException} when
     * {@code pingsOutstanding} pings already wait or the packet could not be sent (no route).
     *
     * @throws IllegalArgumentException if the payload is longer than {@link #MAX_PAYLOAD}
     */
    public Promise<EchoReply> ping(Ipv4Address dst, byte[] payload, Duration timeout) {
        Objects.requireNonNull(dst, "dst");
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(timeout, "timeout");
        if (payload.length > MAX_PAYLOAD) {
            throw new IllegalArgumentException("an echo payload is at most " + MAX_PAYLOAD + " bytes: " + payload.length);
        }
        Promise<EchoReply> p = s.time().promise();
        if (outstanding.size() >= s.config().pingsOutstanding()) {
            p.fail(new IllegalStateException(outstanding.size() + " pings already outstanding"));
            return p;
        }
        int seq = nextSequence;
        while (outstanding.containsKey(seq)) {
            seq = (seq + 1) & 0xFFFF;
        }
        nextSequence = (seq + 1) & 0xFFFF;
        byte[] m = s.segment();
        Bytes.put8(m, 0, TYPE_ECHO_REQUEST);
        Bytes.put8(m, 1, 0);
        Bytes.put16(m, 2, 0);
        Bytes.put16(m, 4, identifier);
        Bytes.put16(m, 6, seq);
        System.arraycopy(payload, 0, m, HEADER_LENGTH, payload.length);
        int len = HEADER_LENGTH + payload.length;
        Bytes.put16(m, 2, Checksum.of(m, 0, len));
        Outstanding o = new Outstanding(dst.bits(), seq, s.time().now(), p);
        outstanding.put(seq, o);
        s.counters().inc(Counter.ECHO_REQUESTS_SENT);
        if (!s.ipv4().output(dst.bits(), Ipv4.PROTOCOL_ICMP, m, 0, len)) {
            outstanding.remove(seq);
            p.fail(new IllegalStateException("cannot send to " + dst + ": no route"));
            return p;
        }
        o.timer = s.time().after(timeout.toNanos(), () -> {
            if (outstanding.get(o.sequence) == o) {
                outstanding.remove(o.sequence);
                s.counters().inc(Counter.PING_TIMEOUTS);
                o.promise.fail(new NetTimeoutException("no echo reply from " + dst + " (icmp_seq " + o.sequence
                        + ") within " + timeout.toMillis() + " ms"));
            }
        });
        return p;
    }

    void input(int src, boolean broadcast, byte[] b, int off, int len) {
        StackCounters c = s.counters();
        if (len < HEADER_LENGTH) {
            c.drop(Drop.TRUNCATED);
            return;
        }
        if (Checksum.of(b, off, len) != 0) {
            c.drop(Drop.BAD_CHECKSUM);
            return;
        }
        switch (Bytes.u8(b, off)) {
            case TYPE_ECHO_REQUEST -> {
                if (broadcast) {
                    c.drop(Drop.BROADCAST_ECHO);
                    return;
                }
                byte[] m = s.segment();
                System.arraycopy(b, off, m, 0, len);
                Bytes.put8(m, 0, TYPE_ECHO_REPLY);
                Bytes.put8(m, 1, 0);
                Bytes.put16(m, 2, 0);
                Bytes.put16(m, 2, Checksum.of(m, 0, len));
                if (s.ipv4().output(src, Ipv4.PROTOCOL_ICMP, m, 0, len)) {
                    c.inc(Counter.ECHO_REPLIES_SENT);
                }
            }
            case TYPE_ECHO_REPLY -> {
                int id = Bytes.u16(b, off + 4);
                Outstanding o = id == identifier ? outstanding.get(Bytes.u16(b, off + 6)) : null;
                if (o == null || o.dst != src) {
                    c.drop(Drop.UNSOLICITED);
                    return;
                }
                outstanding.remove(o.sequence);
                if (o.timer != null) {
                    o.timer.cancel();
                }
                c.inc(Counter.ECHO_REPLIES_MATCHED);
                o.promise.complete(new EchoReply(new Ipv4Address(src), id, o.sequence,
                        Arrays.copyOfRange(b, off + HEADER_LENGTH, off + len), s.time().now() - o.sent));
            }
            default -> c.drop(Drop.UNSUPPORTED);
        }
    }

    /** Fails every ping still waiting (the stack is closing). */
    void clear() {
        for (Outstanding o : outstanding.values()) {
            if (o.timer != null) {
                o.timer.cancel();
            }
            o.promise.fail(new IllegalStateException("the IP stack closed"));
        }
        outstanding.clear();
    }
}
