package org.parasol.drivers.net.stack;

import java.util.Objects;

/**
 * The stack's counters: what it did ({@link Counter}) and what it dropped and why
 * ({@link Drop}). Plain longs, written on the run loop's thread; read them there too.
 */
public final class StackCounters {
    private final long[] counts = new long[Counter.values().length];
    private final long[] drops = new long[Drop.values().length];

    /** The count of {@code c}. */
    public long get(Counter c) {
        return counts[c.ordinal()];
    }

    /** Drops for {@code reason}. */
    public long dropped(Drop reason) {
        return drops[reason.ordinal()];
    }

    /** Drops for every reason. */
    public long droppedTotal() {
        long n = 0;
        for (long d : drops) {
            n += d;
        }
        return n;
    }

    void add(Counter c, long n) {
        counts[c.ordinal()] += n;
    }

    void inc(Counter c) {
        counts[c.ordinal()]++;
    }

    void drop(Drop reason) {
        drops[Objects.requireNonNull(reason).ordinal()]++;
    }

    /** Every non-zero counter and drop, for logs: {@code FRAMES_IN=3 ... dropped: BAD_CHECKSUM=1}. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder();
        for (Counter c : Counter.values()) {
            if (counts[c.ordinal()] != 0) {
                s.append(s.isEmpty() ? "" : " ").append(c).append('=').append(counts[c.ordinal()]);
            }
        }
        boolean first = true;
        for (Drop d : Drop.values()) {
            if (drops[d.ordinal()] != 0) {
                s.append(first ? (s.isEmpty() ? "dropped: " : " dropped: ") : " ").append(d).append('=').append(drops[d.ordinal()]);
                first = false;
            }
        }
        return s.toString();
    }
}
