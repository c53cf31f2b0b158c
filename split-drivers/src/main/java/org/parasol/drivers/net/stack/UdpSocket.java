package org.parasol.drivers.net.stack;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.function.Consumer;

import org.parasol.guest.sched.Promise;
import org.parasol.guest.sched.Timer;

/**
 * A UDP socket bound to one local port: datagrams sent from it carry that port, datagrams to
 * it wait in a bounded queue ({@code udpQueueCapacity}; beyond it they are dropped as
 * {@link Drop#QUEUE_FULL}) until taken with {@link #poll} or {@link #receive}, or go straight
 * to a handler set with {@link #onReceive}.
 */
public final class UdpSocket implements AutoCloseable {
    private final Udp udp;
    private final int port;
    private final int capacity;
    private final ArrayDeque<UdpDatagram> queue = new ArrayDeque<>();
    private final ArrayDeque<Promise<UdpDatagram>> waiting = new ArrayDeque<>();
    private Consumer<UdpDatagram> handler;
    private long dropped;
    private boolean closed;

    UdpSocket(Udp udp, int port, int capacity) {
        this.udp = udp;
        this.port = port;
        this.capacity = capacity;
    }

    /** The local port. */
    public int port() {
        return port;
    }

    /**
     * Sends {@code payload} to {@code dstPort} at {@code dst}.
     *
     * @return false if it was dropped at once (no route, device busy); a datagram waiting for
     *         ARP counts as sent
     * @throws IllegalArgumentException if the port is not 1..65535 or the payload is longer
     *         than {@link Udp#MAX_PAYLOAD}
     * @throws IllegalStateException if the socket is closed
     */
    public boolean send(Ipv4Address dst, int dstPort, byte[] payload) {
        return send(dst, dstPort, payload, 0, payload.length);
    }

    /** As {@link #send(Ipv4Address, int, byte[])}, for {@code payload[offset, offset + length)}. */
    public boolean send(Ipv4Address dst, int dstPort, byte[] payload, int offset, int length) {
        if (closed) {
            throw new IllegalStateException("UDP socket " + port + " is closed");
        }
        Objects.requireNonNull(dst, "dst");
        Objects.requireNonNull(payload, "payload");
        if (!Bytes.inBounds(payload.length, offset, length)) {
            throw new IllegalArgumentException("payload range " + offset + "+" + length + " outside " + payload.length + " bytes");
        }
        return udp.send(port, dst.bits(), dstPort, payload, offset, length);
    }

    /** The next queued datagram, or null if none. */
    public UdpDatagram poll() {
        return queue.poll();
    }

    /** Datagrams queued. */
    public int queued() {
        return queue.size();
    }

    /** Datagrams this socket dropped because its queue was full. */
    public long dropped() {
        return dropped;
    }

    /**
     * A promise of the next datagram: completed at once if one is queued, else by the next to
     * arrive (several waiting promises complete in the order they were asked for). Fails with
     * {@link IllegalStateException} if the socket closes first.
     */
    public Promise<UdpDatagram> receive() {
        Promise<UdpDatagram> p = udp.stack().time().promise();
        if (closed) {
            p.fail(new IllegalStateException("UDP socket " + port + " is closed"));
            return p;
        }
        UdpDatagram d = queue.poll();
        if (d != null) {
            p.complete(d);
        } else {
            waiting.add(p);
        }
        return p;
    }

    /**
     * As {@link #receive()}, but fails with {@link NetTimeoutException} if nothing arrives within
     * {@code timeout} (a datagram lost on the way: UDP does not resend, its user does). A
     * datagram that comes later goes to the next receiver or the queue, not to this promise.
     */
    public Promise<UdpDatagram> receive(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        Promise<UdpDatagram> p = receive();
        if (p.isDone()) {
            return p;
        }
        Timer t = udp.stack().time().after(timeout.toNanos(), () -> {
            if (waiting.remove(p)) {
                p.fail(new NetTimeoutException("no datagram on UDP port " + port + " within " + timeout.toMillis() + " ms"));
            }
        });
        p.whenDone((d, e) -> t.cancel());
        return p;
    }

    /**
     * Hands every datagram from now on to {@code h} instead of the queue (null: back to the
     * queue). It runs on the run loop inside the frame's receive, so it should be short; an
     * exception it throws is a crash of the task, as anywhere on the loop. Datagrams already
     * queued stay there.
     */
    public void onReceive(Consumer<UdpDatagram> h) {
        handler = h;
    }

    /** Whether {@link #close} was called. */
    public boolean isClosed() {
        return closed;
    }

    /** Unbinds the port, drops what is queued and fails what waits. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        udp.unbind(this);
        queue.clear();
        for (Promise<UdpDatagram> p = waiting.poll(); p != null; p = waiting.poll()) {
            p.fail(new IllegalStateException("UDP socket " + port + " closed"));
        }
    }

    /** One arriving datagram; false if the queue was full. */
    boolean deliver(UdpDatagram d) {
        Consumer<UdpDatagram> h = handler;
        if (h != null) {
            h.accept(d);
            return true;
        }
        Promise<UdpDatagram> p = waiting.poll();
        if (p != null) {
            p.complete(d);
            return true;
        }
        if (queue.size() >= capacity) {
            dropped++;
            return false;
        }
        queue.add(d);
        return true;
    }
}
