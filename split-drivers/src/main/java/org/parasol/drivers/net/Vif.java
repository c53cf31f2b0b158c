package org.parasol.drivers.net;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.parasol.hypercall.GuestMemory;

/** The virtual network interface's store keys, both ends' ({@code io/netif.h}, libxl). */
public final class Vif {
    private Vif() {
    }

    public static final String KIND = "vif";
    public static final String MAC = "mac";
    public static final String BRIDGE = "bridge";
    public static final String HANDLE = "handle";
    public static final String IP = "ip";
    public static final String TX_RING_REF = "tx-ring-ref";
    public static final String RX_RING_REF = "rx-ring-ref";
    public static final String EVENT_CHANNEL = "event-channel";
    /** Split event channels: the TX ring's and the RX ring's ports ({@code feature-split-event-channels}). */
    public static final String EVENT_CHANNEL_TX = "event-channel-tx";
    public static final String EVENT_CHANNEL_RX = "event-channel-rx";
    /** The front end's queue count; absent means one queue, whose keys are flat. */
    public static final String MULTI_QUEUE_NUM_QUEUES = "multi-queue-num-queues";
    public static final String REQUEST_RX_COPY = "request-rx-copy";
    public static final String FEATURE_RX_NOTIFY = "feature-rx-notify";
    public static final String FEATURE_RX_COPY = "feature-rx-copy";
    public static final String FEATURE_RX_FLIP = "feature-rx-flip";
    public static final String FEATURE_SG = "feature-sg";
    public static final String FEATURE_GSO_TCPV4 = "feature-gso-tcpv4";
    public static final String MULTI_QUEUE_MAX_QUEUES = "multi-queue-max-queues";
    public static final String FEATURE_SPLIT_EVENT_CHANNELS = "feature-split-event-channels";
    /** Written 1 by a front end that does not take frames with blank (to be filled in) IPv4 TCP/UDP checksums. */
    public static final String FEATURE_NO_CSUM_OFFLOAD = "feature-no-csum-offload";
    /** The largest frame without scatter-gather: one page (one RX buffer, one TX slot). */
    public static final int MAX_FRAME = 4096;
    /**
     * The largest frame with {@code feature-sg}: netif's 16-bit {@code size} (a TX frame's
     * first slot carries the whole frame's), as Linux's netfront caps its MTU at
     * {@code XEN_NETIF_MAX_TX_SIZE} less the Ethernet header.
     */
    public static final int MAX_SG_FRAME = 0xFFFF;
    /** RX slots a frame of {@link #MAX_SG_FRAME} bytes takes at most: one page each. */
    public static final int MAX_RX_SLOTS = (MAX_SG_FRAME + 4095) / 4096;
    /** Ethernet's minimum header. */
    public static final int ETH_HEADER = 14;

    /** Where queue {@code q}'s keys go when a front end uses more than one queue: {@code queue-q}. */
    public static String queueDir(int q) {
        return "queue-" + q;
    }

    /**
     * The flow a frame belongs to, for picking its queue: both MAC addresses, and for IPv4 the
     * two addresses, the protocol and (TCP or UDP, not a fragment) both ports, so every frame
     * of one flow (every fragment of one datagram too) hashes alike and keeps its order on one
     * queue. Reads only the bytes the frame has; allocates nothing.
     */
    public static int flowHash(MemorySegment frame, int length) {
        int h = 0x811C9DC5;
        int n = Math.min(length, 14);
        for (int i = 0; i < n; i++) {
            h = (h ^ frame.get(ValueLayout.JAVA_BYTE, i)) * 0x01000193;
        }
        if (length < 34 || frame.get(ValueLayout.JAVA_BYTE, 12) != 0x08 || frame.get(ValueLayout.JAVA_BYTE, 13) != 0) {
            return mix(h);
        }
        for (int i = 23; i < 34; i++) { // protocol, checksum (skipped below), addresses
            if (i != 24 && i != 25) {
                h = (h ^ frame.get(ValueLayout.JAVA_BYTE, i)) * 0x01000193;
            }
        }
        int ihl = (frame.get(ValueLayout.JAVA_BYTE, 14) & 15) * 4;
        int proto = frame.get(ValueLayout.JAVA_BYTE, 23) & 0xFF;
        int frag = ((frame.get(ValueLayout.JAVA_BYTE, 20) & 0x3F) << 8) | (frame.get(ValueLayout.JAVA_BYTE, 21) & 0xFF);
        if ((proto == 6 || proto == 17) && frag == 0 && ihl >= 20 && length >= 14 + ihl + 4) {
            for (int i = 14 + ihl; i < 14 + ihl + 4; i++) {
                h = (h ^ frame.get(ValueLayout.JAVA_BYTE, i)) * 0x01000193;
            }
        }
        return mix(h);
    }

    /** {@link #flowHash(MemorySegment, int)} of a frame at {@code va} in {@code mem}: the same number for the same bytes. */
    public static int flowHash(GuestMemory mem, long va, int length) {
        int h = 0x811C9DC5;
        int n = Math.min(length, 14);
        for (int i = 0; i < n; i++) {
            h = (h ^ mem.getByte(va + i)) * 0x01000193;
        }
        if (length < 34 || mem.getByte(va + 12) != 0x08 || mem.getByte(va + 13) != 0) {
            return mix(h);
        }
        for (int i = 23; i < 34; i++) {
            if (i != 24 && i != 25) {
                h = (h ^ mem.getByte(va + i)) * 0x01000193;
            }
        }
        int ihl = (mem.getByte(va + 14) & 15) * 4;
        int proto = mem.getByte(va + 23) & 0xFF;
        int frag = ((mem.getByte(va + 20) & 0x3F) << 8) | (mem.getByte(va + 21) & 0xFF);
        if ((proto == 6 || proto == 17) && frag == 0 && ihl >= 20 && length >= 14 + ihl + 4) {
            for (int i = 14 + ihl; i < 14 + ihl + 4; i++) {
                h = (h ^ mem.getByte(va + i)) * 0x01000193;
            }
        }
        return mix(h);
    }

    private static int mix(int h) {
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        return h ^ (h >>> 13);
    }

    /** {@code aa:bb:cc:dd:ee:ff} as a 48-bit number; strict. */
    public static long parseMac(String s) {
        if (s == null || s.length() != 17) {
            throw new IllegalArgumentException("not a MAC address (aa:bb:cc:dd:ee:ff): '" + s + "'");
        }
        long v = 0;
        for (int i = 0; i < 6; i++) {
            if (i > 0 && s.charAt(i * 3 - 1) != ':') {
                throw new IllegalArgumentException("not a MAC address (aa:bb:cc:dd:ee:ff): '" + s + "'");
            }
            int hi = Character.digit(s.charAt(i * 3), 16);
            int lo = Character.digit(s.charAt(i * 3 + 1), 16);
            if (hi < 0 || lo < 0) {
                throw new IllegalArgumentException("not a MAC address (aa:bb:cc:dd:ee:ff): '" + s + "'");
            }
            v = (v << 8) | (hi << 4) | lo;
        }
        return v;
    }

    /** A 48-bit MAC as {@code aa:bb:cc:dd:ee:ff}. */
    public static String formatMac(long mac) {
        StringBuilder sb = new StringBuilder(17);
        for (int i = 5; i >= 0; i--) {
            int b = (int) (mac >>> (8 * i)) & 0xFF;
            sb.append(Character.forDigit(b >> 4, 16)).append(Character.forDigit(b & 15, 16));
            if (i > 0) {
                sb.append(':');
            }
        }
        return sb.toString();
    }
}
