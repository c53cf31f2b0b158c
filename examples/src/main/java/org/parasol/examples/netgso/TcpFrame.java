package org.parasol.examples.netgso;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The raw TCP/IPv4 frames the GSO examples send (netgso's checked frames, netbench's GSO
 * stream): one builder, so both send the same packet a Linux TCP sender with timestamps hands
 * its netfront.
 *
 * <pre>
 *  0          14                 34                         66
 *  | Ethernet | IPv4 (20 bytes)  | TCP (32: 20 + NOP NOP TS) | payload: pattern(k, offset) ... |
 *    0x0800     id, DF, TTL 64,    40000 -> dport, seq,        bytes (size - 66)
 *               10.0.0.1 ->        flags CWR|ACK|PSH|FIN,
 *               10.0.0.2           window 65535, checksum 0
 * </pre>
 *
 * <p>The TCP checksum is left blank (the sender flags it {@code NETTXF_csum_blank}: dom0, or the
 * receiver's offload, fills it in); the IPv4 header checksum is right. At MSS 1448 every full
 * segment of such a frame is a 1514-byte Ethernet frame. Allocates nothing.
 */
public final class TcpFrame {
    /** Headers of a frame: Ethernet 14, IPv4 20, TCP 32 (with a timestamp option). */
    public static final int HEADERS = 14 + 20 + 32;
    /** Where the TCP header starts. */
    public static final int TCP = 34;
    /** The TCP source port. */
    public static final int SOURCE_PORT = 40000;
    /** CWR, ACK, PSH, FIN: the flags of the whole frame (its segments keep FIN and PSH on the last, CWR on the first). */
    public static final int FLAGS = 0x80 | 0x10 | 0x08 | 0x01;
    public static final int IP_SRC = 0x0A000001;
    public static final int IP_DST = 0x0A000002;

    private static final ValueLayout.OfInt BE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfShort BE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);

    private TcpFrame() {
    }

    /** The payload byte of frame {@code k} at stream offset {@code o}. */
    public static byte pattern(int k, int o) {
        return (byte) (k * 31 + o * 7 + (o >>> 8));
    }

    /**
     * Frame {@code k} of {@code size} bytes into {@code out}, from {@code src} to {@code dst}
     * (MAC addresses), to port {@code dport}, with IP protocol {@code proto} (6, or another for a
     * hostile sender's frame): IPv4 id {@code 100 k}, sequence number {@code k << 20}, timestamp
     * value {@code k}, payload {@link #pattern}{@code (k, o)}. Its length.
     */
    public static int build(MemorySegment out, long src, long dst, int k, int size, int dport, int proto) {
        int payload = size - HEADERS;
        putMac(out, 0, dst);
        putMac(out, 6, src);
        out.set(BE_SHORT, 12, (short) 0x0800);
        out.set(ValueLayout.JAVA_BYTE, 14, (byte) 0x45);
        out.set(ValueLayout.JAVA_BYTE, 15, (byte) 0);
        out.set(BE_SHORT, 16, (short) (size - 14));
        out.set(BE_SHORT, 20, (short) 0x4000); // DF
        out.set(ValueLayout.JAVA_BYTE, 22, (byte) 64);
        out.set(ValueLayout.JAVA_BYTE, 23, (byte) proto);
        out.set(BE_INT, 26, IP_SRC);
        out.set(BE_INT, 30, IP_DST);
        int t = TCP;
        out.set(BE_SHORT, t, (short) SOURCE_PORT);
        out.set(BE_SHORT, t + 2, (short) dport);
        out.set(BE_INT, t + 8, 1);
        out.set(ValueLayout.JAVA_BYTE, t + 12, (byte) (8 << 4)); // 32 bytes
        out.set(ValueLayout.JAVA_BYTE, t + 13, (byte) FLAGS);
        out.set(BE_SHORT, t + 14, (short) 65535);
        out.set(BE_SHORT, t + 16, (short) 0); // blank: dom0 (or the receiver's offload) fills it in
        out.set(BE_SHORT, t + 18, (short) 0);
        out.set(BE_INT, t + 20, 0x0101080A); // NOP, NOP, timestamp (10 bytes)
        out.set(BE_INT, t + 24, k);
        out.set(BE_INT, t + 28, 0);
        for (int o = 0; o < payload; o++) {
            out.set(ValueLayout.JAVA_BYTE, HEADERS + o, pattern(k, o));
        }
        stamp(out, k * 100, k << 20);
        return size;
    }

    /**
     * Gives the frame in {@code out} (made by {@link #build}) IPv4 id {@code id} and sequence
     * number {@code seq}, and its IPv4 header checksum again: the next frame of a stream without
     * writing its payload again.
     */
    public static void stamp(MemorySegment out, int id, int seq) {
        out.set(BE_SHORT, 18, (short) id);
        out.set(BE_INT, TCP + 4, seq);
        out.set(BE_SHORT, 24, (short) 0);
        long acc = 0;
        for (int i = 14; i < 34; i += 2) {
            acc += out.get(BE_SHORT, i) & 0xFFFF;
        }
        while ((acc >>> 16) != 0) {
            acc = (acc & 0xFFFF) + (acc >>> 16);
        }
        out.set(BE_SHORT, 24, (short) ~acc);
    }

    private static void putMac(MemorySegment f, long at, long mac) {
        for (int i = 0; i < 6; i++) {
            f.set(ValueLayout.JAVA_BYTE, at + i, (byte) (mac >>> (8 * (5 - i))));
        }
    }
}
