package org.parasol.hypercall.io;

/**
 * Where a bridge uplink's frames wait for room in the relay page's ring ({@link FrameRelayPage}):
 * the bookkeeping of a bounded first-in-first-out queue of frames of any length up to 64 KiB,
 * each kept whole and contiguous in a byte area the owner holds (dom0's pages, the host's
 * memory), with one word of its own beside it (the MSS of a GSO frame, 0 for a plain frame).
 * Bounded twice: {@code bytes} of area and {@code records} frames; a frame that finds no room
 * is the owner's to drop and count. It copies nothing and allocates nothing once made.
 *
 * <pre>
 *  area: | ....free.... | frame h | frame h+1 | ... | frame t-1 | ....free.... |
 *                       ^ start (the head's offset)               ^ writeAt
 *  (or wrapped: frames from start to where the last one before the wrap ends, then from 0 to writeAt)
 * </pre>
 *
 * <p>A frame takes its length rounded up to 8 bytes. One that does not fit between
 * {@code writeAt} and the area's end goes to offset 0 if the head starts far enough in; the
 * bytes left at the end are skipped. The owner drains the head in pieces as it likes
 * ({@link #sent}).
 */
public final class FrameFifo {
    private final int bytes;
    private final int[] offset;
    private final int[] length;
    private final int[] word;
    /** Free-running: the head's and the next frame's numbers. */
    private long head;
    private long tail;
    private int writeAt;
    /** Bytes of the head handed on so far. */
    private int sent;

    public FrameFifo(int bytes, int records) {
        if (bytes < 8 || records < 1) {
            throw new IllegalArgumentException("a queue of " + bytes + " bytes, " + records + " frames");
        }
        this.bytes = bytes;
        this.offset = new int[records];
        this.length = new int[records];
        this.word = new int[records];
    }

    private static int rounded(int n) {
        return (n + 7) & ~7;
    }

    public boolean isEmpty() {
        return head == tail;
    }

    /** Frames waiting. */
    public int size() {
        return (int) (tail - head);
    }

    /**
     * Where a frame of {@code n} bytes may be written, or -1 if it cannot wait (no frame slot,
     * no contiguous room). Nothing is taken until {@link #add}.
     */
    public int reserve(int n) {
        int need = rounded(n);
        if (n < 1 || need > bytes || tail - head == offset.length) {
            return -1;
        }
        if (head == tail) {
            return 0;
        }
        int start = offset[slot(head)];
        if (writeAt > start) { // not wrapped: free after writeAt, and before start
            if (bytes - writeAt >= need) {
                return writeAt;
            }
            return start >= need ? 0 : -1;
        }
        // Wrapped: the free bytes run from writeAt up to the head's start.
        return start - writeAt >= need ? writeAt : -1;
    }

    /** Takes a frame of {@code n} bytes written at {@code at} (from {@link #reserve}), with its word. */
    public void add(int at, int n, int w) {
        if (head == tail) {
            sent = 0;
        }
        int i = slot(tail);
        offset[i] = at;
        length[i] = n;
        word[i] = w;
        writeAt = at + rounded(n);
        tail++;
    }

    private int slot(long n) {
        return (int) (n % offset.length);
    }

    /** The head's offset in the area, its length and word; only while not empty. */
    public int headOffset() {
        return offset[slot(head)];
    }

    public int headLength() {
        return length[slot(head)];
    }

    public int headWord() {
        return word[slot(head)];
    }

    /** Bytes of the head handed on so far; the owner moves it on with {@link #sent(int)}. */
    public int sent() {
        return sent;
    }

    public void sent(int n) {
        sent = n;
    }

    /** The head is handed on whole: it goes. */
    public void remove() {
        if (head == tail) {
            throw new IllegalStateException("empty");
        }
        head++;
        sent = 0;
        if (head == tail) {
            writeAt = 0;
        }
    }
}
