package org.parasol.drivers.net;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

import org.parasol.drivers.net.stack.Checksum;
import org.parasol.hypercall.abi.Netif;

/**
 * TCP segmentation offload for IPv4 ({@code feature-gso-tcpv4}): what a GSO extra
 * ({@code XEN_NETIF_EXTRA_TYPE_GSO}) may say, and dom0's software segmentation of a GSO frame
 * for a port that cannot take it whole (a front end without {@code feature-gso-tcpv4}, the
 * host's TAP), as Linux's software GSO ({@code tcp_gso_segment}) cuts one.
 *
 * <pre>
 *  GSO frame:  | Ethernet | IPv4 (ihl) | TCP (doff*4) | payload: up to 65535 - headers bytes ...... |
 *  segment s:  | Ethernet | IPv4'      | TCP'         | payload[s*mss, min((s+1)*mss, payload)) |
 *     IPv4':   total length = ihl + doff*4 + bytes, id = id + s, header checksum recomputed
 *     TCP':    seq = seq + s*mss; FIN and PSH only on the last, CWR only on the first; checksum
 *              computed over the pseudo-header and the segment
 * </pre>
 *
 * <p>A GSO extra is taken only as {@code XEN_NETIF_GSO_TYPE_TCPV4} (the one type offered) with a
 * {@code size} (the MSS) of at least {@value #MIN_SIZE} bytes (Linux's {@code TCP_MIN_MSS}: a
 * smaller MSS no TCP sends, and it bounds dom0's work for one frame at 745 segments), on a
 * frame that is a whole, unfragmented IPv4 TCP packet ({@link #headerLength}). A frame whose
 * payload fits one MSS is one segment: it goes as it is. Allocates nothing once made.
 */
public final class Gso {
    /** The smallest MSS taken: Linux's {@code TCP_MIN_MSS}. */
    public static final int MIN_SIZE = 88;
    /** {@link #check}: the extra may stand. */
    public static final int OK = 0;
    /** {@link #check}: a GSO type other than {@code XEN_NETIF_GSO_TYPE_TCPV4}. */
    public static final int BAD_TYPE = 1;
    /** {@link #check}: a size of zero or under {@value #MIN_SIZE}. */
    public static final int BAD_SIZE = 2;
    /** The bytes of an Ethernet, an IPv4 and a TCP header at most. */
    public static final int MAX_HEADERS = Vif.ETH_HEADER + 60 + 60;

    private static final ValueLayout.OfShort BE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
    private static final int TCP_FIN = 0x01;
    private static final int TCP_PSH = 0x08;
    private static final int TCP_CWR = 0x80;

    /** Where each segment is handed while {@link #segment} runs. */
    public interface Sink {
        /** Segment {@code index}: {@code length} bytes of {@code bytes}, valid during this call only. */
        void segment(MemorySegment bytes, int length, int index);
    }

    /** Where each segment's headers are handed while {@link #segmentHeaders} runs. */
    public interface HeaderSink {
        /**
         * Segment {@code index}: its headers, {@code headerLength} bytes of {@code headers} (valid
         * during this call only), and its payload, the {@code payloadBytes} bytes at
         * {@code payloadOffset} of the frame being cut, which the sink copies from the frame itself.
         */
        void segment(MemorySegment headers, int headerLength, int payloadOffset, int payloadBytes, int index);
    }

    /**
     * Big-endian views of the byte arrays behind {@link #in} and {@link #out}: the per-segment
     * work reads and writes the arrays directly (one bounds check an access, no segment checks),
     * and sums 8 bytes at a time.
     */
    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private final byte[] inBytes = new byte[Vif.MAX_SG_FRAME];
    private final byte[] outBytes = new byte[Vif.MAX_SG_FRAME];
    private final MemorySegment in = MemorySegment.ofArray(inBytes);
    private final MemorySegment out = MemorySegment.ofArray(outBytes);
    private long segmentsMade;

    /** Whether a GSO extra's type and size may stand (before the frame is looked at). */
    public static int check(int gsoType, int gsoSize) {
        if (gsoType != Netif.GSO_TYPE_TCPV4) {
            return BAD_TYPE;
        }
        return gsoSize < MIN_SIZE ? BAD_SIZE : OK;
    }

    /**
     * The length of the Ethernet, IPv4 and TCP headers of {@code frame} ({@code length} bytes,
     * of which at least {@code min(length, MAX_HEADERS)} are in {@code frame}), or -1 if it is
     * not a whole IPv4 TCP packet: EtherType 0x0800, version 4, a header of 20..60 bytes, not a
     * fragment, protocol 6, a TCP data offset of 20..60 bytes, a total length that covers both
     * headers and fits the frame.
     */
    public static int headerLength(MemorySegment frame, int length) {
        if (length < Vif.ETH_HEADER + 40 || (frame.get(BE_SHORT, 12) & 0xFFFF) != 0x0800) {
            return -1;
        }
        int vihl = frame.get(ValueLayout.JAVA_BYTE, 14) & 0xFF;
        int ihl = (vihl & 15) * 4;
        int total = frame.get(BE_SHORT, 16) & 0xFFFF;
        int frag = frame.get(BE_SHORT, 20) & 0x3FFF;
        int proto = frame.get(ValueLayout.JAVA_BYTE, 23) & 0xFF;
        if (vihl >>> 4 != 4 || ihl < 20 || frag != 0 || proto != FrameChecksum.PROTOCOL_TCP
                || Vif.ETH_HEADER + total > length || total < ihl + 20 || Vif.ETH_HEADER + ihl + 20 > length) {
            return -1;
        }
        int thl = ((frame.get(ValueLayout.JAVA_BYTE, Vif.ETH_HEADER + ihl + 12) & 0xFF) >>> 4) * 4;
        if (thl < 20 || ihl + thl > total) {
            return -1;
        }
        return Vif.ETH_HEADER + ihl + thl;
    }

    /** Segments a payload of {@code payload} bytes makes at an MSS of {@code mss}: at least one. */
    public static int segments(int payload, int mss) {
        return payload <= mss ? 1 : (payload + mss - 1) / mss;
    }

    /** Where the frame to cut goes: {@value Vif#MAX_SG_FRAME} bytes. */
    public MemorySegment in() {
        return in;
    }

    /** Segments made by {@link #segment} so far. */
    public long segmentsMade() {
        return segmentsMade;
    }

    /**
     * Cuts the frame in {@link #in()} ({@code length} bytes, checked by {@link #headerLength})
     * into segments of at most {@code mss} payload bytes each, handing each to {@code sink} in
     * order; how many. Bytes past the IPv4 total length (Ethernet padding) are left out.
     */
    public int segment(int length, int mss, Sink sink) {
        return segment(length, mss, true, sink);
    }

    /**
     * {@link #segment(int, int, Sink)}, computing each segment's TCP checksum only if
     * {@code tcpChecksum}; without, each segment keeps the frame's TCP checksum field as it
     * came (blank), for receivers that take blank checksums ({@code NETRXF_csum_blank}), as
     * Linux's software GSO leaves the checksum to a device that offloads it. The IPv4 header
     * checksum is always computed.
     */
    public int segment(int length, int mss, boolean tcpChecksum, Sink sink) {
        return cut(length, mss, tcpChecksum, sink, null);
    }

    /**
     * The segments {@link #segment(int, int, boolean, Sink)} makes without computing TCP checksums
     * (each keeps the frame's field as it came, blank), but only their headers: only the frame's
     * first {@code min(length, MAX_HEADERS)} bytes need be in {@link #in()}, and {@code sink} is told
     * where each segment's payload lies in the frame, to copy it from there. dom0's path for a
     * frame whose segments go on with blank checksums: its payload is copied once, from the frame
     * to where the segment is put together, instead of into this object's arrays and out again.
     * How many segments.
     */
    public int segmentHeaders(int length, int mss, HeaderSink sink) {
        return cut(length, mss, false, null, sink);
    }

    private int cut(int length, int mss, boolean tcpChecksum, Sink sink, HeaderSink headerSink) {
        int hl = headerLength(in, length);
        if (hl < 0 || mss < 1) {
            throw new IllegalArgumentException("not a whole IPv4 TCP packet, or no MSS");
        }
        byte[] a = inBytes;
        byte[] b = outBytes;
        int ihl = (a[14] & 15) * 4;
        int thl = hl - Vif.ETH_HEADER - ihl;
        int ip = Vif.ETH_HEADER;
        int tcp = ip + ihl;
        int payload = ((short) SHORT.get(a, ip + 2) & 0xFFFF) - ihl - thl;
        int id = (short) SHORT.get(a, ip + 4) & 0xFFFF;
        int seq = (int) INT.get(a, tcp + 4);
        int tcpFlags = a[tcp + 13] & 0xFF;
        int n = segments(payload, mss);
        System.arraycopy(a, 0, b, 0, hl);
        // What every segment's checksums share: the IPv4 header but for its total length, id and
        // checksum (zeroed), and the TCP header but for its sequence number, flags and checksum.
        SHORT.set(b, ip + 2, (short) 0);
        SHORT.set(b, ip + 4, (short) 0);
        SHORT.set(b, ip + 10, (short) 0);
        long ipBase = sum(b, ip, ihl, 0);
        INT.set(b, tcp + 4, 0);
        b[tcp + 13] = 0;
        short asSent = (short) SHORT.get(a, tcp + 16);
        SHORT.set(b, tcp + 16, (short) 0);
        long tcpBase = sum(b, ip + 12, 8, 0) + FrameChecksum.PROTOCOL_TCP + sum(b, tcp, thl, 0);
        for (int s = 0; s < n; s++) {
            int off = s * mss;
            int bytes = Math.min(mss, payload - off);
            int total = ihl + thl + bytes;
            int segId = (id + s) & 0xFFFF;
            SHORT.set(b, ip + 2, (short) total);
            SHORT.set(b, ip + 4, (short) segId);
            SHORT.set(b, ip + 10, (short) Checksum.finish(ipBase + total + segId));
            int segSeq = seq + off;
            INT.set(b, tcp + 4, segSeq);
            int fl = tcpFlags;
            if (s < n - 1) {
                fl &= ~(TCP_FIN | TCP_PSH);
            }
            if (s > 0) {
                fl &= ~TCP_CWR;
            }
            b[tcp + 13] = (byte) fl;
            if (headerSink != null) {
                SHORT.set(b, tcp + 16, asSent);
                segmentsMade++;
                headerSink.segment(out, hl, hl + off, bytes, s);
                continue;
            }
            System.arraycopy(a, hl + off, b, hl, bytes);
            if (tcpChecksum) {
                // the flags byte is the low half of the 16-bit word at tcp + 12 (data offset, flags)
                long acc = tcpBase + thl + bytes + (segSeq >>> 16) + (segSeq & 0xFFFF) + fl;
                SHORT.set(b, tcp + 16, (short) Checksum.finish(sum(b, hl, bytes, acc)));
            } else {
                SHORT.set(b, tcp + 16, asSent);
            }
            segmentsMade++;
            sink.segment(out, hl + bytes, s);
        }
        return n;
    }

    /**
     * The ones'-complement sum (unfolded) of {@code len} bytes of {@code b} at {@code at} as
     * big-endian 16-bit words, added to {@code acc}: 8 bytes at a time as two 32-bit words (a
     * 32-bit word {@code hi << 16 | lo} is {@code hi + lo} modulo 0xFFFF), then the rest.
     */
    static long sum(byte[] b, int at, int len, long acc) {
        int i = at;
        int end = at + len;
        for (; i + 8 <= end; i += 8) {
            long w = (long) LONG.get(b, i);
            acc += (w >>> 32) + (w & 0xFFFF_FFFFL);
        }
        for (; i + 2 <= end; i += 2) {
            acc += (short) SHORT.get(b, i) & 0xFFFF;
        }
        if (i < end) {
            acc += (b[i] & 0xFF) << 8;
        }
        return acc;
    }
}
