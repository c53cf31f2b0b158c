package org.parasol.cli.host;

import java.util.ArrayDeque;

import org.parasol.hypercall.Errno;
import org.parasol.hypervisor.Hypervisor;
import org.parasol.hypervisor.domain.ConsoleRing;
import org.parasol.hypervisor.domain.Domain;

/**
 * The host's side of one domain's console input: bytes clients sent for it that its console
 * had no room for yet (a guest reads its PV console ring, or a native kernel its UART's line,
 * at its own pace, 1 KiB at a time), up to
 * {@link #LIMIT} bytes. Whoever adds or retries never waits: each attempt copies what fits into
 * the ring ({@link Hypervisor#consoleInput}) and keeps the rest for the next one.
 *
 * <pre>
 *  offer(bytes) ─► pending (≤ 64 KiB; beyond: refused, EAGAIN) ─► drain() ─┬─ ring.in (1 KiB) ─► guest (pv)
 *                                                                          └─ COM1's line (1 KiB) ─► RX FIFO (16) ─► guest (native)
 *                                                   ▲ retried every 10 ms while bytes wait
 * </pre>
 */
final class ConsoleInputQueue {
    /** Bytes kept for a guest that is not reading, at most. */
    static final int LIMIT = 64 * 1024;

    private final Hypervisor hv;
    private final Domain domain;
    private final ArrayDeque<byte[]> pending = new ArrayDeque<>();
    private int head; // bytes of pending.peekFirst() already written
    private int size;
    private boolean retrying;

    ConsoleInputQueue(Hypervisor hv, Domain domain) {
        this.hv = hv;
        this.domain = domain;
    }

    /**
     * Queues {@code bytes} behind what waits and writes what fits: 0, or {@code -EAGAIN} when
     * the queue would pass its limit (nothing of {@code bytes} is kept), or the console's
     * {@code -errno} ({@code -ENODEV}: the domain has no console to type at; {@code -ESRCH}: it is
     * going; {@code -EIO}: it broke its ring), with everything waiting dropped.
     */
    synchronized int offer(byte[] bytes) {
        if (size + bytes.length > LIMIT) {
            return -Errno.EAGAIN;
        }
        if (bytes.length > 0) {
            pending.addLast(bytes);
            size += bytes.length;
        }
        return drain();
    }

    /**
     * Writes what the ring takes: 0 (bytes may still wait: see {@link #waiting}), or the
     * ring's {@code -errno}, after which nothing waits.
     */
    synchronized int drain() {
        while (!pending.isEmpty()) {
            byte[] b = pending.peekFirst();
            int n = hv.consoleInput(domain, b, head, b.length - head);
            if (n < 0) {
                pending.clear();
                size = 0;
                head = 0;
                return n;
            }
            if (n == 0) {
                break;
            }
            head += n;
            size -= n;
            if (head == b.length) {
                pending.removeFirst();
                head = 0;
            }
        }
        ConsoleRing ring = domain.uart() == null ? domain.consoleRing() : null;
        if (ring != null) {
            ring.raiseIfOwed();
        }
        return 0;
    }

    /** Bytes still waiting for room in the ring. */
    synchronized int waiting() {
        return size;
    }

    /** Claims the retry loop: true if none runs (the caller starts one). */
    synchronized boolean startRetrying() {
        if (retrying) {
            return false;
        }
        retrying = true;
        return true;
    }

    /** The retry loop ends: nothing waits (or the domain is gone). */
    synchronized boolean stopRetryingIfDone() {
        ConsoleRing ring = domain.uart() == null ? domain.consoleRing() : null;
        if (size > 0 && (ring == null || !ring.broken()) && domain.mayRun()) {
            return false;
        }
        retrying = false;
        return true;
    }
}
