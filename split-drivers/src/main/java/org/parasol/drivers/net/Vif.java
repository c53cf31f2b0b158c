package org.parasol.drivers.net;

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
    public static final String REQUEST_RX_COPY = "request-rx-copy";
    public static final String FEATURE_RX_NOTIFY = "feature-rx-notify";
    public static final String FEATURE_RX_COPY = "feature-rx-copy";
    public static final String FEATURE_RX_FLIP = "feature-rx-flip";
    public static final String FEATURE_SG = "feature-sg";
    public static final String FEATURE_GSO_TCPV4 = "feature-gso-tcpv4";
    public static final String MULTI_QUEUE_MAX_QUEUES = "multi-queue-max-queues";
    public static final String FEATURE_SPLIT_EVENT_CHANNELS = "feature-split-event-channels";
    /** The largest frame without scatter-gather: one page. */
    public static final int MAX_FRAME = 4096;
    /** Ethernet's minimum header. */
    public static final int ETH_HEADER = 14;

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
