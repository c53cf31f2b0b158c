package org.parasol.drivers.net.stack;

/**
 * Ethernet II framing (IEEE 802.3 with an EtherType): the header layout and its one writer.
 * Frames carry no FCS and are not padded to 60 bytes (neither does a Xen vif need it);
 * received padding is ignored because IP and ARP read their own lengths.
 *
 * <pre>
 *   0                 6                 12        14
 *   | destination MAC | source MAC      | type    | payload ...
 * </pre>
 *
 * <p>The receive side is {@link IpStack#receive}: shorter than 14 bytes is
 * {@link Drop#TRUNCATED}, longer than 14 + MTU {@link Drop#OVERSIZED}, a destination that is
 * neither our MAC nor broadcast {@link Drop#NOT_FOR_US} (no multicast groups are joined), an
 * EtherType other than IPv4 and ARP {@link Drop#UNKNOWN_PROTOCOL}.
 */
public final class Ethernet {
    /** Bytes of the header. */
    public static final int HEADER_LENGTH = 14;
    /** Offset of the destination address. */
    public static final int DESTINATION_OFFSET = 0;
    /** Offset of the source address. */
    public static final int SOURCE_OFFSET = 6;
    /** Offset of the EtherType. */
    public static final int TYPE_OFFSET = 12;
    /** EtherType of IPv4. */
    public static final int TYPE_IPV4 = 0x0800;
    /** EtherType of ARP. */
    public static final int TYPE_ARP = 0x0806;

    private Ethernet() {
    }

    /** Writes a header at {@code b[off]}: {@code dst}, {@code src} (48-bit values) and {@code type}. */
    static void writeHeader(byte[] b, int off, long dst, long src, int type) {
        Bytes.put48(b, off + DESTINATION_OFFSET, dst);
        Bytes.put48(b, off + SOURCE_OFFSET, src);
        Bytes.put16(b, off + TYPE_OFFSET, type);
    }
}
