package org.parasol.drivers.net.stack;

import org.parasol.hypercall.io.InternetChecksum;

/**
 * The Internet checksum of RFC 1071: the ones' complement of the ones' complement sum of
 * 16-bit big-endian words, an odd last byte padded with a zero. IPv4 headers, ICMP messages
 * and UDP datagrams (over a pseudo-header) all use it.
 *
 * <pre>
 *   long acc = Checksum.add(0, header, off, 20);   // sum the words (carries kept in the long)
 *   int c = Checksum.finish(acc);                  // fold the carries, complement: 0..0xFFFF
 *   // to verify, sum the message with its checksum field in place: finish(...) == 0
 * </pre>
 *
 * <p>Only the last piece added may have an odd length (a middle odd piece would shift the
 * words after it).
 */
public final class Checksum {
    private Checksum() {
    }

    /** {@code acc} plus the 16-bit words of {@code b[off, off + len)}; an odd last byte is the high half of a word. */
    public static long add(long acc, byte[] b, int off, int len) {
        int end = off + (len & ~1);
        int i = off;
        for (; i < end; i += 2) {
            acc += (b[i] & 0xFF) << 8 | (b[i + 1] & 0xFF);
        }
        if ((len & 1) != 0) {
            acc += (b[i] & 0xFF) << 8;
        }
        return acc;
    }

    /** {@code acc} plus the two 16-bit halves of {@code v}. */
    public static long addInt(long acc, int v) {
        return acc + (v >>> 16) + (v & 0xFFFF);
    }

    /** Folds the carries of {@code acc} into 16 bits and complements: the value to put on the wire. */
    public static int finish(long acc) {
        return InternetChecksum.finish(acc);
    }

    /** The checksum of {@code b[off, off + len)} alone. */
    public static int of(byte[] b, int off, int len) {
        return finish(add(0, b, off, len));
    }

    /**
     * The partial sum of the TCP/UDP pseudo-header (RFC 768): source and destination
     * addresses, zero, protocol, and the length of the transport segment.
     */
    public static long pseudoHeader(int src, int dst, int protocol, int length) {
        return addInt(addInt(0, src), dst) + protocol + length;
    }
}
