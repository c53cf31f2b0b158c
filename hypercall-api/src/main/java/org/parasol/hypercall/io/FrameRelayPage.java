package org.parasol.hypercall.io;

import java.lang.foreign.MemorySegment;

import org.parasol.hypercall.SharedBuffer;

/**
 * The page of a bridge's uplink on the host relay ({@code HostRelayOp.KIND_NET_UPLINK}):
 * Ethernet frames both ways between dom0's bridge and the host's TAP device. Parasol's own
 * structure (Xen has no such page: its dom0 reaches the TAP itself; deviations §16 and §22).
 *
 * <pre>
 *  0          4          8          12         16            20          32                 2064               4096
 *  +----------+----------+----------+----------+-------------+-----------+------------------+------------------+
 *  | dom0_prod| dom0_cons| host_prod| host_cons|host_features| reserved  | to_dom0[2032]    | to_host[2032]    |
 *  +----------+----------+----------+----------+-------------+-----------+------------------+------------------+
 *   to_dom0: the host produces, dom0 consumes   to_host: dom0 produces, the host consumes
 * </pre>
 *
 * <p>{@code host_features}: what the host's TAP takes, written by the host before it first
 * raises dom0's port: {@link #FEATURE_GSO_TCPV4}, TCP/IPv4 GSO frames whole (the TAP was opened
 * with {@code IFF_VNET_HDR} and took {@code TUN_F_CSUM | TUN_F_TSO4}: the host kernel cuts them).
 * A GSO frame crosses either way as a run of records, whatever that feature says for the way
 * to the host: a head ({@link #KIND_GSO_HEAD}: a {@value #GSO_DESCRIPTOR}-byte descriptor, u32
 * frame length and u16 MSS and u16 zero, then the frame's first bytes) and as many
 * continuations ({@link #KIND_GSO_MORE}) as its length needs, nothing else between them; each
 * record's length word carries its kind in bits 29 and 30 and its data bytes (at most
 * {@value #MAX_CHUNK}) below; bit 31 is never set, so a word is never negative.</p>
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

    /** Where the host's features lie (u32, the host writes, dom0 reads). */
    public static final long HOST_FEATURES = 16;
    /** {@code host_features}: the TAP takes TCP/IPv4 GSO frames whole, with their MSS. */
    public static final int FEATURE_GSO_TCPV4 = 1;
    /** A record's kind, bits 29 and 30 of its length word. */
    public static final int KIND_MASK = 0x6000_0000;
    /** A whole frame of 14..{@value #MAX_FRAME} bytes. */
    public static final int KIND_FRAME = 0;
    /** The first record of a GSO frame: its descriptor, then its first bytes. */
    public static final int KIND_GSO_HEAD = 0x4000_0000;
    /** A further record of the GSO frame being carried. */
    public static final int KIND_GSO_MORE = 0x2000_0000;
    /** A GSO head's descriptor: u32 frame length, u16 MSS, u16 zero. */
    public static final int GSO_DESCRIPTOR = 8;
    /** The most data bytes in one record: it fits an empty ring. */
    public static final int MAX_CHUNK = 2028;
    /** The longest GSO frame: 64 KiB less one, as netif's. */
    public static final int MAX_GSO_FRAME = 0xFFFF;

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

    /** The host's features, read with acquire. */
    public static int hostFeaturesAcquire(SharedBuffer page) {
        return page.getIntAcquire(HOST_FEATURES);
    }

    /** Publishes the host's features (before the host first raises dom0's port). */
    public static void hostFeaturesRelease(SharedBuffer page, int features) {
        page.putIntRelease(HOST_FEATURES, features);
    }

    /**
     * Writes one record of any kind at {@code prod}: {@code word} ({@code kind | bytes}) and then
     * {@code bytes} bytes of {@code src}; the caller checked it fits ({@link #recordSize} of free
     * space). Returns the position after it; not yet published.
     */
    public static int putRecord(SharedBuffer page, Pipe pipe, int prod, int word, MemorySegment src, long srcOffset) {
        int bytes = word & ~KIND_MASK;
        int kind = word & KIND_MASK;
        if (kind == KIND_FRAME ? bytes < MIN_FRAME || bytes > MAX_FRAME
                : kind == KIND_GSO_HEAD ? bytes <= GSO_DESCRIPTOR || bytes > MAX_CHUNK
                : kind != KIND_GSO_MORE || bytes < 1 || bytes > MAX_CHUNK) {
            throw new IllegalArgumentException("record word " + Integer.toHexString(word));
        }
        int at = prod % CAPACITY;
        page.putInt(pipe.ringOffset() + at, word);
        int data = (at + RECORD_HEADER) % CAPACITY;
        int first = Math.min(bytes, CAPACITY - data);
        page.putBytes(pipe.ringOffset() + data, src, srcOffset, first);
        if (bytes > first) {
            page.putBytes(pipe.ringOffset(), src, srcOffset + first, bytes - first);
        }
        return advance(prod, recordSize(bytes));
    }

    /**
     * The length word of the record at {@code cons}, checked against the {@code used} bytes before
     * the producer's position: its kind and data bytes ({@link #KIND_MASK}), or -1 when the record is
     * impossible (a frame out of 14..{@value #MAX_FRAME}, a GSO record out of its bounds, an unknown
     * kind, more bytes than are in use).
     */
    public static int record(SharedBuffer page, Pipe pipe, int cons, int used) {
        if (used < RECORD_HEADER) {
            return -1;
        }
        int word = page.getInt(pipe.ringOffset() + cons % CAPACITY);
        int bytes = word & ~KIND_MASK;
        int kind = word & KIND_MASK;
        boolean ok = kind == KIND_FRAME ? bytes >= MIN_FRAME && bytes <= MAX_FRAME
                : kind == KIND_GSO_HEAD ? bytes > GSO_DESCRIPTOR && bytes <= MAX_CHUNK
                : kind == KIND_GSO_MORE && bytes >= 1 && bytes <= MAX_CHUNK;
        return ok && recordSize(bytes) <= used ? word : -1;
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

    /**
     * Copies the data of the record at {@code cons} ({@code length} bytes: from {@link #length}, or
     * the bytes of {@link #record}'s word); returns the position after it.
     */
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
