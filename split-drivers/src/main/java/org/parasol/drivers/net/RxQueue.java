package org.parasol.drivers.net;

/**
 * The book-keeping of one netback queue's RX queue, as Linux's netback keeps
 * {@code queue->rx_queue} (an skb list bounded by {@code rx_queue_max} bytes, its oldest frames
 * dropped once they have waited {@code rx_drain_timeout_msecs}): frames for a front end that has
 * not posted enough RX buffers wait here, in order, until it does.
 *
 * <p>The frames' bytes lie in a byte ring of {@link #capacity} bytes (dom0's own pages, which
 * the caller owns: this class only says where each frame goes). A frame is kept whole and
 * contiguous: one that does not fit before the ring's end starts again at 0, and the bytes
 * skipped are charged to it until it is freed. A frame moves through three states, always in
 * the order it came:
 * <pre>
 *  waiting   offered, its bytes copied in; not given to the front end yet
 *  taken     its copy into the front end's buffers is gathered but not made yet ({@link #take});
 *            its bytes must stay until {@link #release}
 *  gone      released (delivered), expired, or dropped on {@link #clear}: its bytes are free
 * </pre>
 * A frame is refused (dropped and counted, nothing kept) when its bytes or an entry do not fit
 * ({@link #offer} returns -1). Nothing is allocated after construction.
 */
final class RxQueue {
    private final int capacity;
    private final int maxFrames;
    /** Per entry (a ring of {@link #maxFrames}): where its bytes start, its length, RX flags, when it came, bytes charged. */
    private final int[] start;
    private final int[] length;
    private final int[] flags;
    private final long[] arrived;
    private final int[] charge;
    /** Entries: [first, next) are taken, [next, end) waiting; counted modulo 2^31, indexed modulo maxFrames. */
    private int first;
    private int next;
    private int end;
    /** Byte ring: where the next frame goes, and bytes held (frames and skipped tails). */
    private int tail;
    private int held;
    private int peak;

    private long queued;
    private long queuedBytes;
    private long delivered;
    private long deliveredBytes;
    private long full;
    private long fullBytes;
    private long expired;
    private long expiredBytes;
    private long cleared;
    private long clearedBytes;

    /**
     * @param capacity  the byte ring's size
     * @param maxFrames entries at most (waiting and taken together)
     */
    RxQueue(int capacity, int maxFrames) {
        if (capacity <= 0 || maxFrames <= 0) {
            throw new IllegalArgumentException("capacity " + capacity + ", frames " + maxFrames);
        }
        this.capacity = capacity;
        this.maxFrames = maxFrames;
        start = new int[maxFrames];
        length = new int[maxFrames];
        flags = new int[maxFrames];
        arrived = new long[maxFrames];
        charge = new int[maxFrames];
    }

    int capacity() {
        return capacity;
    }

    /**
     * A frame of {@code len} bytes (1..capacity) with netif RX flags {@code rxFlags}, arrived at
     * {@code now}: where to copy its bytes (an offset in the byte ring), or -1 when it does not
     * fit (dropped and counted as {@link #full}).
     */
    int offer(int len, int rxFlags, long now) {
        if (len <= 0) {
            throw new IllegalArgumentException("length " + len);
        }
        int at = tail;
        int skip = 0;
        if (at + len > capacity) {
            skip = capacity - at; // the frame starts again at 0; the tail's bytes are charged to it
            at = 0;
        }
        if (end - first == maxFrames || held + skip + len > capacity) {
            full++;
            fullBytes += len;
            return -1;
        }
        int e = end++ % maxFrames;
        start[e] = at;
        length[e] = len;
        flags[e] = rxFlags;
        arrived[e] = now;
        charge[e] = skip + len;
        held += skip + len;
        peak = Math.max(peak, held);
        tail = at + len == capacity ? 0 : at + len;
        queued++;
        queuedBytes += len;
        return at;
    }

    /** No frame waits. */
    boolean noneWaiting() {
        return next == end;
    }

    /** Nothing held: no frame waits or is taken. */
    boolean isEmpty() {
        return first == end;
    }

    /** The oldest waiting frame's offset, length, flags and arrival; only while {@link #noneWaiting} is false. */
    int headStart() {
        return start[next % maxFrames];
    }

    int headLength() {
        return length[next % maxFrames];
    }

    int headFlags() {
        return flags[next % maxFrames];
    }

    long headArrived() {
        return arrived[next % maxFrames];
    }

    /** The oldest waiting frame is given to the front end: its bytes stay until {@link #release}. */
    void take() {
        if (next == end) {
            throw new IllegalStateException("no frame waits");
        }
        int e = next++ % maxFrames;
        delivered++;
        deliveredBytes += length[e];
    }

    /** The copies of every taken frame are made: their bytes are free. */
    void release() {
        while (first != next) {
            held -= charge[first++ % maxFrames];
        }
        if (first == end) {
            tail = 0; // nothing held: the next frame starts at 0, and no tail is skipped
        }
    }

    /**
     * Drops the waiting frames that arrived at or before {@code deadline} (each has waited out the
     * drain timeout), oldest first; how many. Only when no frame is taken (their bytes are freed
     * in order); a frame behind a younger one never is (frames arrive in time order).
     */
    int expire(long deadline) {
        if (first != next) {
            return 0;
        }
        int n = 0;
        while (next != end && arrived[next % maxFrames] - deadline <= 0) {
            int e = next++ % maxFrames;
            expired++;
            expiredBytes += length[e];
            held -= charge[e];
            first = next;
            n++;
        }
        if (first == end) {
            tail = 0;
        }
        return n;
    }

    /** The vif goes: every frame held is dropped (the waiting ones counted as {@link #cleared}). */
    void clear() {
        for (int i = next; i != end; i++) {
            cleared++;
            clearedBytes += length[i % maxFrames];
        }
        first = next = end = 0;
        held = 0;
        tail = 0;
    }

    /** Bytes held now (frames waiting or taken, and tails skipped before them). */
    int held() {
        return held;
    }

    /** The most bytes held at once. */
    int peak() {
        return peak;
    }

    /** Frames (and their bytes) queued, given to the front end, refused for want of room, expired, dropped by {@link #clear}. */
    long queued() {
        return queued;
    }

    long queuedBytes() {
        return queuedBytes;
    }

    long delivered() {
        return delivered;
    }

    long deliveredBytes() {
        return deliveredBytes;
    }

    long full() {
        return full;
    }

    long fullBytes() {
        return fullBytes;
    }

    long expired() {
        return expired;
    }

    long expiredBytes() {
        return expiredBytes;
    }

    long cleared() {
        return cleared;
    }

    long clearedBytes() {
        return clearedBytes;
    }

    /** Frames waiting now. */
    int waiting() {
        return end - next;
    }
}
