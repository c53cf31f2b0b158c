package org.parasol.hypervisor.domain;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * A domain's console as the hypervisor keeps it, in the spirit of xenconsoled's per-domain
 * buffer: what the domain wrote with {@code CONSOLEIO_write}, cut into lines and kept from
 * the domain's birth in a bounded history, so a reader that attaches late (or a domain that
 * exits at once) loses nothing the bound did not drop.
 *
 * <p>Bounds: at most {@link #MAX_LINES} lines and {@link #MAX_CHARS} characters of history;
 * past either, the oldest lines are dropped and counted ({@link #dropped()}). A line longer
 * than {@link #MAX_LINE} is cut. Whatever a guest writes, the console holds at most that much
 * of the host's memory, and no queue grows with it.
 *
 * <pre>
 *   seq:  firstSeq                                     nextSeq
 *          |  oldest kept line  ...  newest line  |
 *          +--------------------------------------+
 *             ^ a reader's cursor (next line it gets)
 * </pre>
 *
 * <p>Threads. The writing vCPU only appends under a private lock (never reachable by guest
 * code) and, when a reader waits, hands one drain task to the hypervisor's console thread,
 * never more than one at a time per console. The console thread copies lines out under the
 * lock and calls the readers with no lock held, so a slow reader (a blocked standard output)
 * stalls neither the guest nor other consoles' bookkeeping: the guest keeps writing into the
 * bounded history, and a reader that falls behind by more than it holds is told how many
 * lines it missed. Lines reach each reader in order, without duplicates.
 */
public final class ConsoleLog {
    /** Lines of history kept per domain. */
    public static final int MAX_LINES = 10_000;
    /** Characters of history kept per domain. */
    public static final long MAX_CHARS = 1L << 20;
    /** Longest line kept; longer output is cut into several lines. */
    public static final int MAX_LINE = 4096;
    /** Lines a reader gets per pass of the console thread before the next reader's turn. */
    static final int DELIVERY_BATCH = 256;

    private final Object lock = new Object();
    private final Executor delivery;
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    private final List<Reader> readers = new ArrayList<>();
    /** The history, a ring that grows by doubling up to {@link #MAX_LINES}. */
    private String[] ring = new String[16];
    private int head;
    private int count;
    private long firstSeq;
    private long chars;
    private long dropped;
    private boolean drainQueued;
    private boolean closed;

    /** A reader and its cursor: the sequence number of the next line it gets. */
    private static final class Reader {
        final Consumer<String> listener;
        long next;

        Reader(Consumer<String> listener, long next) {
            this.listener = listener;
            this.next = next;
        }
    }

    /** A console whose readers run on {@code delivery} (a single thread keeps the order). */
    public ConsoleLog(Executor delivery) {
        this.delivery = delivery;
    }

    /** Appends console bytes; complete lines join the history and reach the readers. */
    public void write(byte[] data, int off, int len) {
        synchronized (lock) {
            if (closed) {
                return;
            }
            for (int i = off; i < off + len; i++) {
                byte b = data[i];
                if (b == '\n') {
                    keep(takePartial());
                } else if (b != '\r') {
                    partial.write(b);
                    if (partial.size() >= MAX_LINE) {
                        keep(takePartial());
                    }
                }
            }
            scheduleDrain();
        }
    }

    private String takePartial() {
        String s = partial.toString(StandardCharsets.UTF_8);
        partial.reset();
        return s;
    }

    /** Adds a line to the history, dropping the oldest past either bound. Lock held. */
    private void keep(String line) {
        while (count > 0 && (count == MAX_LINES || chars + line.length() > MAX_CHARS)) {
            dropOldest();
        }
        if (count == ring.length) {
            grow();
        }
        ring[(head + count) % ring.length] = line;
        count++;
        chars += line.length();
    }

    private void dropOldest() {
        chars -= ring[head].length();
        ring[head] = null;
        head = (head + 1) % ring.length;
        count--;
        firstSeq++;
        dropped++;
    }

    private void grow() {
        String[] bigger = new String[Math.min(MAX_LINES, ring.length * 2)];
        for (int i = 0; i < count; i++) {
            bigger[i] = ring[(head + i) % ring.length];
        }
        ring = bigger;
        head = 0;
    }

    private String lineAt(long seq) {
        return ring[(int) ((head + (seq - firstSeq)) % ring.length)];
    }

    /** Hands one drain task to the console thread if a reader is behind and none is queued. Lock held. */
    private void scheduleDrain() {
        if (drainQueued || readers.isEmpty()) {
            return;
        }
        long next = firstSeq + count;
        for (Reader r : readers) {
            if (r.next < next) {
                drainQueued = true;
                delivery.execute(this::drain);
                return;
            }
        }
    }

    /** On the console thread: brings every reader up to date, calling them with no lock held. */
    private void drain() {
        List<Reader> turn = new ArrayList<>();
        List<List<String>> batches = new ArrayList<>();
        for (;;) {
            turn.clear();
            batches.clear();
            synchronized (lock) {
                long next = firstSeq + count;
                for (Reader r : readers) {
                    if (r.next >= next) {
                        continue;
                    }
                    List<String> batch = new ArrayList<>();
                    if (r.next < firstSeq) {
                        batch.add("[parasol] console: " + (firstSeq - r.next)
                                + " lines dropped (the history keeps " + MAX_LINES + " lines, "
                                + MAX_CHARS / 1024 + " KiB)");
                        r.next = firstSeq;
                    }
                    long end = Math.min(next, r.next + DELIVERY_BATCH);
                    for (long seq = r.next; seq < end; seq++) {
                        batch.add(lineAt(seq));
                    }
                    r.next = end;
                    turn.add(r);
                    batches.add(batch);
                }
                if (turn.isEmpty()) {
                    drainQueued = false;
                    return;
                }
            }
            for (int i = 0; i < turn.size(); i++) {
                Consumer<String> listener = turn.get(i).listener;
                for (String line : batches.get(i)) {
                    try {
                        listener.accept(line);
                    } catch (RuntimeException e) {
                        System.getLogger("org.parasol.hypervisor.domain").log(System.Logger.Level.WARNING,
                                "console reader failed", e);
                    }
                }
            }
        }
    }

    /** Flushes a trailing partial line (at the domain's death) and stops accepting output. */
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            if (partial.size() > 0) {
                keep(takePartial());
            }
            scheduleDrain();
        }
    }

    /**
     * Replays the history to {@code listener}, then streams new lines, without a gap or a
     * duplicate (lines dropped before it read them are announced by one line saying how many).
     */
    public void subscribe(Consumer<String> listener) {
        synchronized (lock) {
            readers.add(new Reader(listener, 0)); // from the first line ever written: a truncated history is announced
            scheduleDrain();
        }
    }

    /**
     * Stops streaming to {@code listener} (compared by identity); it may still get the batch
     * being delivered at this moment.
     */
    public void unsubscribe(Consumer<String> listener) {
        synchronized (lock) {
            readers.removeIf(r -> r.listener == listener);
        }
    }

    /**
     * Runs {@code then} on the console thread once every reader has been given every line
     * written before this call: a stream's end sent from it never overtakes the stream's last
     * lines.
     */
    public void afterDelivery(Runnable then) {
        delivery.execute(() -> {
            drain();
            then.run();
        });
    }

    /** Readers subscribed now. */
    public int readers() {
        synchronized (lock) {
            return readers.size();
        }
    }

    /** The lines of history kept now. */
    public List<String> lines() {
        synchronized (lock) {
            List<String> out = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                out.add(ring[(head + i) % ring.length]);
            }
            return out;
        }
    }

    /** Lines dropped from the history because it was full. */
    public long dropped() {
        synchronized (lock) {
            return dropped;
        }
    }
}
