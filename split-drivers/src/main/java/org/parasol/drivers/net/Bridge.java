package org.parasol.drivers.net;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

import org.parasol.hypercall.GuestMemory;

/**
 * A learning Ethernet switch, as Linux's bridge is for Xen's {@code xenbr0}: ports (vifs of
 * several domains), a MAC table filled from source addresses and aged out, unicast to the port
 * a destination was learned on, flooding of broadcast, multicast and unknown destinations.
 * Frames are bytes in the owning domain's memory ({@code va}, {@code length}, up to
 * {@value Vif#MAX_SG_FRAME} bytes; or a page it mapped from another domain's grant, which
 * {@link #frameGrantDomid} names while the frame is switched), handed to each output port
 * synchronously; nothing is queued here, so a port that cannot take a frame drops
 * it and counts it, and never stalls the others.
 *
 * <p>The table is bounded ({@value #MAX_ENTRIES} entries; past it nothing new is learned, and
 * unknown destinations are flooded), so a front end forging source addresses cannot grow it.
 *
 * <p>A TCP/IPv4 GSO frame ({@link #inputGso}) goes whole, with its MSS, to each port that takes
 * GSO ({@link Port#acceptsGso}); for the others it is cut once into TCP segments ({@link Gso})
 * in the bridge's segment scratch, and each segment goes to each of them.
 */
public final class Bridge {
    /** Linux's default ageing time. */
    public static final long AGEING_NS = 300_000_000_000L;
    /** MAC table bound. */
    public static final int MAX_ENTRIES = 4096;

    /**
     * One port of the bridge: where frames come from and go to. A port may take a frame
     * without copying it at once and copy a batch of them on {@link #flush} (netback gathers
     * a batch's RX copies into one {@code GNTTABOP_copy}), so whoever hands frames to
     * {@link Bridge#input} calls {@link Bridge#flush} before it reuses their bytes.
     */
    public interface Port {
        /**
         * Takes a frame for the domain behind the port: copies it out before returning, or
         * before the next {@link #flush}; false if dropped.
         */
        boolean deliver(long va, int length);

        /**
         * {@link #deliver(long, int)} with the frame's checksum state as netif's RX flags:
         * {@code NETRXF_csum_blank} (its transport checksum is left to be filled in: only for a
         * port whose {@link #acceptsBlankChecksums} is true) and {@code NETRXF_data_validated}.
         * A port that keeps no such state takes the frame as {@link #deliver(long, int)} does.
         */
        default boolean deliver(long va, int length, int rxFlags) {
            return deliver(va, length);
        }

        /**
         * Whether the domain behind the port takes frames whose checksum is blank (a front end
         * that did not write {@code feature-no-csum-offload} = 1). False: the bridge completes
         * a blank checksum before the frame goes to this port (the host's TAP, a front end that
         * declined).
         */
        default boolean acceptsBlankChecksums() {
            return false;
        }

        /** Copies out every frame {@link #deliver} took and has not copied yet. */
        default void flush() {
        }

        /**
         * Whether the domain behind the port takes a TCP/IPv4 GSO frame whole, with its MSS (a
         * front end that wrote {@code feature-gso-tcpv4} = 1). False: the bridge cuts such a
         * frame into segments first ({@link Gso}).
         */
        default boolean acceptsGso() {
            return false;
        }

        /**
         * {@link #deliver(long, int, int)} of a TCP/IPv4 GSO frame whole, with its MSS
         * ({@code gsoSize}); called only where {@link #acceptsGso} is true.
         */
        default boolean deliverGso(long va, int length, int rxFlags, int gsoSize) {
            return false;
        }
    }

    /**
     * The MAC table: open addressing with linear probing over parallel arrays (a key is the
     * 48-bit address plus one, so 0 marks a free slot), sized at twice the bound so a probe
     * stays short; nothing is boxed or allocated per frame.
     */
    private static final int CAPACITY = 2 * MAX_ENTRIES;
    private final long[] keys = new long[CAPACITY];
    private final Port[] where = new Port[CAPACITY];
    private final long[] seen = new long[CAPACITY];
    private int size;

    private static int home(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 51) & (CAPACITY - 1); // the top 13 bits: CAPACITY is 8192
    }

    /** The slot of {@code mac}, or -1. */
    private int find(long mac) {
        long key = mac + 1;
        for (int i = home(key); ; i = (i + 1) & (CAPACITY - 1)) {
            long k = keys[i];
            if (k == key) {
                return i;
            }
            if (k == 0) {
                return -1;
            }
        }
    }

    private void insert(long mac, Port port, long now) {
        long key = mac + 1;
        int i = home(key);
        while (keys[i] != 0) {
            i = (i + 1) & (CAPACITY - 1);
        }
        keys[i] = key;
        where[i] = port;
        seen[i] = now;
        size++;
    }

    /** Frees slot {@code i}, moving back the entries of the probe run after it (no tombstones). */
    private void removeAt(int i) {
        int hole = i;
        for (int j = (i + 1) & (CAPACITY - 1); keys[j] != 0; j = (j + 1) & (CAPACITY - 1)) {
            int h = home(keys[j]);
            // j's entry may fill the hole if its home is not in (hole, j], cyclically
            boolean stays = hole <= j ? hole < h && h <= j : hole < h || h <= j;
            if (!stays) {
                keys[hole] = keys[j];
                where[hole] = where[j];
                seen[hole] = seen[j];
                hole = j;
            }
        }
        keys[hole] = 0;
        where[hole] = null;
        size--;
    }

    private final String name;
    private final GuestMemory mem;
    private final LongSupplier clock;
    private final List<Port> ports = new ArrayList<>();
    private long forwarded;
    private long flooded;
    private long dropped;

    public Bridge(String name, GuestMemory mem, LongSupplier clock) {
        this.name = name;
        this.mem = mem;
        this.clock = clock;
    }

    public String name() {
        return name;
    }

    public void attach(Port p) {
        ports.add(p);
    }

    /** Removes a port and every address learned on it. */
    public void detach(Port p) {
        ports.remove(p);
        for (int i = 0; i < CAPACITY; ) {
            if (keys[i] != 0 && where[i] == p) {
                removeAt(i); // another entry may have moved into slot i: look at it again
            } else {
                i++;
            }
        }
    }

    public int ports() {
        return ports.size();
    }

    public int learned() {
        return size;
    }

    public long forwarded() {
        return forwarded;
    }

    public long flooded() {
        return flooded;
    }

    /** Frames a port could not take. */
    public long dropped() {
        return dropped;
    }


    /**
     * A frame that came in on {@code from}: learn its source, forward or flood it. Its bytes
     * must stay as they are until the next {@link #flush}.
     */
    public void input(Port from, long va, int length) {
        input(from, va, length, clock.getAsLong());
    }

    /** {@link #input(Port, long, int)} at the time {@code now} (read once for a batch of frames). */
    public void input(Port from, long va, int length, long now) {
        input(from, va, length, now, 0);
    }

    /**
     * {@link #input(Port, long, int, long)} of a frame with netif's TX checksum flags
     * ({@code NETTXF_csum_blank}, {@code NETTXF_data_validated}). A blank checksum is completed
     * in place ({@link FrameChecksum}), once, before the frame goes to any port that does not
     * take blank checksums; ports that do are told {@code NETRXF_csum_blank} while it is
     * still blank. The caller has checked that a blank frame can be completed.
     */
    public void input(Port from, long va, int length, long now, int txFlags) {
        input(from, va, length, now, txFlags, -1, 0);
    }

    /**
     * {@link #input(Port, long, int, long, int)} of a frame that lies, read-only, in a page
     * domain {@code grantDomid} granted ({@code grantRef}) and the caller mapped: ports that
     * copy by grant copy from that grant ({@link #frameGrantDomid}), as Linux's netback copies
     * from a foreign page by its grant reference. Such a frame must not have a blank checksum
     * (it could not be completed in place).
     */
    public void input(Port from, long va, int length, long now, int txFlags, int grantDomid, int grantRef) {
        frameGrantDomid = grantDomid;
        frameGrantRef = grantRef;
        try {
            switchFrame(from, va, length, now, txFlags);
        } finally {
            frameGrantDomid = -1;
        }
    }

    /** The frame being switched lies in a page this domain mapped from {@link #frameGrantDomid}'s grant {@link #frameGrantRef}; -1: in its own memory. */
    private int frameGrantDomid = -1;
    private int frameGrantRef;

    /**
     * While a port's {@link Port#deliver} runs: the domain whose grant holds the frame's page
     * (mapped read-only by this domain), or -1 for a frame in this domain's own memory.
     */
    public int frameGrantDomid() {
        return frameGrantDomid;
    }

    /** The grant reference of the frame's page while {@link #frameGrantDomid} is not -1. */
    public int frameGrantRef() {
        return frameGrantRef;
    }

    /**
     * {@link #input(Port, long, int, long, int)} of a TCP/IPv4 GSO frame with MSS {@code gsoSize}
     * (the caller checked the extra and the frame: {@link Gso#check}, {@link Gso#headerLength}):
     * ports that take GSO get it whole; for the others it is cut into segments ({@link Gso}) in
     * this domain's segment scratch ({@link #segmentScratch}) and each segment goes to them.
     */
    public void inputGso(Port from, long va, int length, long now, int txFlags, int gsoSize) {
        gso = gsoSize;
        try {
            switchFrame(from, va, length, now, txFlags);
            if (!segmentTo.isEmpty()) {
                segmentFrame(va, length);
            }
        } finally {
            gso = 0;
            segmentTo.clear();
        }
    }

    /** The MSS of the GSO frame being switched, 0 for any other frame. */
    private int gso;
    /** Ports of the GSO frame being switched that take it as segments. */
    private final List<Port> segmentTo = new ArrayList<>();
    private final Gso segmenter = new Gso();
    /** Where segments are put: {@code scratchBytes} of this domain's memory at {@code scratchVa}; the next free byte. */
    private long scratchVa;
    private int scratchBytes;
    private int scratchAt;
    private long gsoWhole;
    private long gsoSegmented;
    private final Gso.Sink segmentSink = this::deliverSegment;

    /**
     * Gives the bridge {@code bytes} (at least {@value Vif#MAX_SG_FRAME}) of this domain's memory
     * at {@code va} to cut GSO frames into; without it a GSO frame for a port that does not take
     * GSO is dropped and counted there.
     */
    public void segmentScratch(long va, int bytes) {
        if (bytes < Vif.MAX_SG_FRAME) {
            throw new IllegalArgumentException("segment scratch of " + bytes + " bytes: a segment may be " + Vif.MAX_SG_FRAME);
        }
        scratchVa = va;
        scratchBytes = bytes;
    }

    /** GSO frames handed whole to ports that take GSO, and frames cut into segments for the others. */
    public long gsoWhole() {
        return gsoWhole;
    }

    public long gsoSegmented() {
        return gsoSegmented;
    }

    /** Segments made of GSO frames. */
    public long segmentsMade() {
        return segmenter.segmentsMade();
    }

    private void segmentFrame(long va, int length) {
        if (scratchBytes == 0) {
            dropped += segmentTo.size();
            return;
        }
        frameGrantDomid = -1; // the segments lie in this domain's scratch
        gsoSegmented++;
        // A frame sent with its checksum blank goes on blank if every port taking its segments
        // takes blank checksums: no TCP checksum is computed for them (Linux's software GSO
        // leaves it to a device with checksum offload); else each segment's is computed.
        boolean fill = !blank;
        for (int i = 0; i < segmentTo.size() && !fill; i++) {
            fill = !segmentTo.get(i).acceptsBlankChecksums();
        }
        segmentFlags = fill ? org.parasol.hypercall.abi.Netif.NETRXF_DATA_VALIDATED
                : org.parasol.hypercall.abi.Netif.NETRXF_CSUM_BLANK | org.parasol.hypercall.abi.Netif.NETRXF_DATA_VALIDATED;
        mem.copyToSegment(va, segmenter.in(), 0, length);
        segmenter.segment(length, gso, fill, segmentSink);
    }

    /** The RX flags of the segments being made: checksum computed, or left blank for ports that all take it so. */
    private int segmentFlags;

    /**
     * One segment of the frame being cut: into the scratch (when it is full, every port copies out
     * what it took first, and it is used again from its start), then to each port that takes
     * segments: {@code NETRXF_data_validated}, its checksum computed, or also
     * {@code NETRXF_csum_blank} where every such port takes blank checksums ({@link #segmentFrame}).
     */
    private void deliverSegment(java.lang.foreign.MemorySegment bytes, int length, int index) {
        if (scratchAt + length > scratchBytes) {
            flush();
        }
        long at = scratchVa + scratchAt;
        scratchAt += length;
        mem.copyFromSegment(bytes, 0, at, length);
        for (int i = 0; i < segmentTo.size(); i++) {
            if (!segmentTo.get(i).deliver(at, length, segmentFlags)) {
                dropped++;
            }
        }
    }

    /** Frame for port {@code p}: a GSO frame whole to a port that takes GSO, else noted for segmenting; any other frame as it is. */
    private boolean send(Port p, long va, int length) {
        if (gso == 0) {
            return p.deliver(va, length, rxFlags(p, va, length));
        }
        if (p.acceptsGso()) {
            gsoWhole++;
            return p.deliverGso(va, length, rxFlags(p, va, length), gso);
        }
        segmentTo.add(p);
        return true;
    }

    private void switchFrame(Port from, long va, int length, long now, int txFlags) {
        blank = (txFlags & org.parasol.hypercall.abi.Netif.NETTXF_CSUM_BLANK) != 0;
        validated = blank || (txFlags & org.parasol.hypercall.abi.Netif.NETTXF_DATA_VALIDATED) != 0;
        if (length < Vif.ETH_HEADER) {
            dropped++;
            return;
        }
        // Both addresses with two loads (bytes 0-7 and 8-11, little-endian), not twelve: each load is a
        // translation through the MMU. An address is its six bytes in wire order, the first the highest.
        long head = Long.reverseBytes(mem.getLong(va));
        long dst = head >>> 16;
        long src = (head & 0xFFFF) << 32 | Integer.reverseBytes(mem.getInt(va + 8)) & 0xFFFF_FFFFL;
        boolean srcGroup = (src >>> 40 & 1) != 0;
        if (!srcGroup) {
            int e = find(src);
            if (e >= 0) {
                where[e] = from;
                seen[e] = now;
            } else if (size < MAX_ENTRIES) {
                insert(src, from, now);
            }
        }
        boolean group = (dst >>> 40 & 1) != 0;
        int at = group ? -1 : find(dst);
        if (at >= 0 && now - seen[at] > AGEING_NS) {
            removeAt(at);
            at = -1;
        }
        Port to = at >= 0 ? where[at] : null;
        if (to != null) {
            if (to != from) {
                forwarded++;
                if (!send(to, va, length)) {
                    dropped++;
                }
            }
            return;
        }
        flooded++;
        for (int i = 0; i < ports.size(); i++) {
            Port p = ports.get(i);
            if (p != from && !send(p, va, length)) {
                dropped++;
            }
        }
    }

    /** The frame being switched: its checksum still blank, and whether its data was validated. */
    private boolean blank;
    private boolean validated;
    /** Blank checksums completed here for ports that do not take them. */
    private long checksumsCompleted;

    /** The RX flags of the frame for port {@code p}, completing its checksum first if {@code p} cannot take it blank. */
    private int rxFlags(Port p, long va, int length) {
        if (blank && !p.acceptsBlankChecksums()) {
            FrameChecksum.complete(mem, va, length);
            blank = false;
            checksumsCompleted++;
        }
        return blank ? org.parasol.hypercall.abi.Netif.NETRXF_CSUM_BLANK | org.parasol.hypercall.abi.Netif.NETRXF_DATA_VALIDATED
                : validated ? org.parasol.hypercall.abi.Netif.NETRXF_DATA_VALIDATED : 0;
    }

    /** Blank transport checksums the bridge filled in for ports that do not take them. */
    public long checksumsCompleted() {
        return checksumsCompleted;
    }

    /** Every port copies out the frames it took: the bytes handed to {@link #input} may be reused after this. */
    public void flush() {
        scratchAt = 0;
        for (int i = 0; i < ports.size(); i++) {
            ports.get(i).flush();
        }
    }

    /** The time the bridge ages its table by. */
    public long now() {
        return clock.getAsLong();
    }
}
