package org.parasol.hypercall.io;

/**
 * The fold of the Internet checksum (RFC 1071), which netif's checksum offload leaves to the far
 * side: a frame sent with {@code NETTXF_csum_blank} (given with {@code NETRXF_csum_blank}, or
 * handed to a host TAP with {@code VIRTIO_NET_HDR_F_NEEDS_CSUM}) carries in its TCP or UDP
 * checksum field the folded, uncomplemented sum of its pseudo-header, and whoever completes it
 * adds the segment's 16-bit words to that, folds and complements. The front end that leaves the
 * field and the back end or host that completes it must fold alike: this class is that one fold.
 *
 * <pre>
 *   long acc = ...;                  // 16-bit big-endian words added up, carries kept in the long
 *   int partial = fold(acc);         // what a blank field holds: 0..0xFFFF
 *   int onWire = finish(acc);        // the checksum itself: ~fold(acc) &amp; 0xFFFF
 * </pre>
 */
public final class InternetChecksum {
    private InternetChecksum() {
    }

    /**
     * The ones'-complement sum {@code acc} (non-negative, carries kept above bit 15) folded into
     * 16 bits: the carries added back in until none is left. A non-zero sum folds to a non-zero
     * value; a multiple of 0xFFFF to 0xFFFF.
     */
    public static int fold(long acc) {
        long s = acc;
        while ((s >>> 16) != 0) {
            s = (s & 0xFFFF) + (s >>> 16);
        }
        return (int) s;
    }

    /** {@link #fold} complemented: the checksum to put in the field, 0..0xFFFF. */
    public static int finish(long acc) {
        return ~fold(acc) & 0xFFFF;
    }
}
