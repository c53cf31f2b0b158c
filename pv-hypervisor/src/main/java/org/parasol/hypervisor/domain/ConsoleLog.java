package org.parasol.hypervisor.domain;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A domain's console as the hypervisor keeps it: what the domain wrote with
 * {@code CONSOLEIO_write}, cut into lines and buffered from the domain's birth, so a reader
 * that attaches late (or a domain that exits at once) loses nothing. Bounded: past
 * {@link #MAX_LINES} lines the oldest are dropped and counted.
 *
 * <p>Listeners run on the hypervisor's console thread (the executor given at construction),
 * never on the writing vCPU, so a slow reader cannot stall a guest. Lines reach each
 * listener in order, the buffered ones first.
 */
public final class ConsoleLog {
    /** Lines kept per domain. */
    public static final int MAX_LINES = 10_000;
    /** Longest line kept; longer output is cut into several lines. */
    public static final int MAX_LINE = 4096;

    private final ArrayList<String> lines = new ArrayList<>();
    private final ArrayList<Consumer<String>> listeners = new ArrayList<>();
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    private final java.util.concurrent.Executor delivery;
    private long dropped;
    private boolean closed;

    /** A console whose listeners run on {@code delivery} (a single thread keeps the order). */
    public ConsoleLog(java.util.concurrent.Executor delivery) {
        this.delivery = delivery;
    }

    /** Appends console bytes; complete lines go to the buffer and the listeners. */
    public void write(byte[] data, int off, int len) {
        List<String> complete = new ArrayList<>();
        synchronized (this) {
            if (closed) {
                return;
            }
            for (int i = off; i < off + len; i++) {
                byte b = data[i];
                if (b == '\n') {
                    complete.add(takePartial());
                } else if (b != '\r') {
                    partial.write(b);
                    if (partial.size() >= MAX_LINE) {
                        complete.add(takePartial());
                    }
                }
            }
            for (String l : complete) {
                keep(l);
            }
            deliver(complete);
        }
    }

    /** Hands lines to the listeners' thread; called with the lock held so order is kept. */
    private void deliver(List<String> lines) {
        if (lines.isEmpty() || listeners.isEmpty()) {
            return;
        }
        List<Consumer<String>> ls = List.copyOf(listeners);
        List<String> batch = List.copyOf(lines);
        delivery.execute(() -> {
            for (String l : batch) {
                for (Consumer<String> c : ls) {
                    c.accept(l);
                }
            }
        });
    }

    private String takePartial() {
        String s = partial.toString(StandardCharsets.UTF_8);
        partial.reset();
        return s;
    }

    private void keep(String line) {
        lines.add(line);
        if (lines.size() > MAX_LINES) {
            lines.removeFirst();
            dropped++;
        }
    }

    /** Flushes a trailing partial line (at the domain's death) and stops accepting output. */
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (partial.size() > 0) {
            String last = takePartial();
            keep(last);
            deliver(List.of(last));
        }
    }

    /**
     * Replays every buffered line to {@code listener}, then streams new ones, without a gap
     * or a duplicate.
     */
    public synchronized void subscribe(Consumer<String> listener) {
        List<String> replay = List.copyOf(lines);
        listeners.add(listener);
        // Queued under the lock, so the replay reaches the listener before any new line.
        if (!replay.isEmpty()) {
            delivery.execute(() -> replay.forEach(listener));
        }
    }

    /** The lines buffered so far. */
    public synchronized List<String> lines() {
        return List.copyOf(lines);
    }

    /** Lines dropped because the buffer was full. */
    public synchronized long dropped() {
        return dropped;
    }
}
