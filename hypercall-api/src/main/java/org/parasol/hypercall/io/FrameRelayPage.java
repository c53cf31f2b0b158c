package org.parasol.hypercall.io;

import java.lang.foreign.MemorySegment;

import org.parasol.hypercall.SharedBuffer;

/**
 * The page of a bridge's uplink on the host relay ({@code HostRelayOp.KIND_NET_UPLINK}):
 * Ethernet frames both ways between dom0's bridge and the host's TAP device. Parasol's own
 * structure (Xen has no such page: its dom0 reaches the TAP itself; deviations §16 and §22).
 *
 * <pre>
 *  0          4          8          12         16           32                 2064               4096
 *  +----------+----------+----------+----------+------------+------------------+------------------+
 *  | dom0_prod| dom0_cons| host_prod| host_cons|  reserved  | to_dom0[2032]    | to_host[2032]    |
 *  +----------+----------+----------+----------+------------+------------------+------------------+
 *   to_dom0: the host produces, dom0 consumes   to_host: dom0 produces, the host consumes
 * </pre>
 *
 * <p>Each direction is a byte ring of {@value #CAPACITY} bytes holding records: a u32 frame
 * length, then the frame, padded to 4 bytes, so a record's length word never wraps (the frame
 * may). Positions run from 0 to {@code 2 * CAPACITY - 1} and wrap there (the capacity is no
 * power of two, so free-running 32-bit counters would not divide it): byte {@code p} lives
 * at {@code p % CAPACITY}, and {@code (prod - cons) mod 2 * CAPACITY} bytes are in use. A
 * producer writes a record and then publishes its position with release; the consumer reads
 * the position with acquire, copies the record out, and publishes its own position with
 * release before the producer may reuse the space. After publishing, either side sends on
 * the slot's port. A frame is 14 to {@value #MAX_FRAME} bytes (an Ethernet header and at most
 * a 1500-byte payload, without FCS); anything else, or a position out of range, means the
 * page is broken and the uplink ends.
 */
public final class FrameRelayPage {
    private FrameRelayPage() {
    }

    /** Bytes of each direction's ring. */
    public static final int CAPACITY = 2032;
    /** Positions wrap at twice the capacity. */
    public static final int WRAP = 2 * CAPACITY;
    /** The largest frame: a 14-byte Ethernet header and a 1500-byte payload. */
    public static final int MAX_FRAME = 1514;
    /** The smallest frame: an Ethernet header. */
    public static final int MIN_FRAME = 14;
    /** The length word before each frame. */
    public static final int RECORD_HEADER = 4;

    /** One direction: where its two positions and its ring lie. */
    public record Pipe(String name, long prodOffset, long consOffset, long ringOffset) {
    }

    /** Frames from the host (the TAP) to dom0's bridge. */
    public static final Pipe TO_DOM0 = new Pipe("to_dom0", 0, 4, 32);
    /** Frames from dom0's bridge to the host (the TAP). */
    public static final Pipe TO_HOST = new Pipe("to_host", 8, 12, 32 + CAPACITY);

    /** The bytes a frame of {@code length} takes in a ring. */
    public static int recordSize(int length) {
        return RECORD_HEADER + ((length + 3) & ~3);
    }

    /** Position {@code p} moved on by {@code n} bytes. */
    public static int advance(int p, int n) {
        int q = p + n;
        return q >= WRAP ? q - WRAP : q;
    }

    /** Bytes in use between {@code cons} and {@code prod}; -1 when either is out of range or they are further apart than the ring. */
    public static int used(int prod, int cons) {
        if (prod < 0 || prod >= WRAP || cons < 0 || cons >= WRAP) {
            return -1;
        }
        int u = prod - cons;
        if (u < 0) {
            u += WRAP;
        }
        return u <= CAPACITY ? u : -1;
    }

    /** The producer's position, read with acquire (the records before it are visible after). */
    public static int prodAcquire(SharedBuffer page, Pipe pipe) {
        return page.getIntAcquire(pipe.prodOffset());
    }

    /** Publishes the producer's position: the records before it are visible to whoever acquires it. */
    public static void prodRelease(SharedBuffer page, Pipe pipe, int prod) {
        page.putIntRelease(pipe.prodOffset(), prod);
    }

    /** The consumer's position, read with acquire (its reads of the records before it are done). */
    public static int consAcquire(SharedBuffer page, Pipe pipe) {
        return page.getIntAcquire(pipe.consOffset());
    }

    /** Publishes the consumer's position: the space before it may be reused. */
    public static void consRelease(SharedBuffer page, Pipe pipe, int cons) {
        page.putIntRelease(pipe.consOffset(), cons);
    }

    /**
     * Writes one record at {@code prod} (the caller checked it fits: {@link #recordSize} of
     * free space) and returns the position after it; not yet published.
     */
    public static int put(SharedBuffer page, Pipe pipe, int prod, MemorySegment src, long srcOffset, int length) {
        if (length < MIN_FRAME || length > MAX_FRAME) {
            throw new IllegalArgumentException("frame of " + length + " bytes; " + MIN_FRAME + ".." + MAX_FRAME);
        }
        int at = prod % CAPACITY;
        page.putInt(pipe.ringOffset() + at, length);
        int data = (at + RECORD_HEADER) % CAPACITY;
        int first = Math.min(length, CAPACITY - data);
        page.putBytes(pipe.ringOffset() + data, src, srcOffset, first);
        if (length > first) {
            page.putBytes(pipe.ringOffset(), src, srcOffset + first, length - first);
        }
        return advance(prod, recordSize(length));
    }

    /**
     * The length of the record at {@code cons}, checked against the {@code used} bytes before
     * the producer's position: a frame length, or -1 when the record is impossible.
     */
    public static int length(SharedBuffer page, Pipe pipe, int cons, int used) {
        if (used < RECORD_HEADER) {
            return -1;
        }
        int length = page.getInt(pipe.ringOffset() + cons % CAPACITY);
        if (length < MIN_FRAME || length > MAX_FRAME || recordSize(length) > used) {
            return -1;
        }
        return length;
    }

    /** Copies the frame of the record at {@code cons} ({@code length} from {@link #length}); returns the position after it. */
    public static int get(SharedBuffer page, Pipe pipe, int cons, MemorySegment dst, long dstOffset, int length) {
        int data = (cons % CAPACITY + RECORD_HEADER) % CAPACITY;
        int first = Math.min(length, CAPACITY - data);
        page.getBytes(pipe.ringOffset() + data, dst, dstOffset, first);
        if (length > first) {
            page.getBytes(pipe.ringOffset(), dst, dstOffset + first, length - first);
        }
        return advance(cons, recordSize(length));
    }
}
