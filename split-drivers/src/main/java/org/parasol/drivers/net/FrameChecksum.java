package org.parasol.drivers.net;

import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.io.InternetChecksum;

/**
 * Completing a blank transport checksum in dom0 ({@code NETTXF_csum_blank}), as Linux's netback
 * does with {@code skb_checksum_setup} and the stack's {@code skb_checksum_help} when a frame
 * whose checksum a front end left to be filled in goes to a port that cannot take it so.
 *
 * <pre>
 *  | Ethernet (14) | IPv4 header (ihl) | TCP (checksum at +16) or UDP (at +6) ... | padding |
 *                  ^ 14                ^ 14 + ihl                   14 + total length ^
 * </pre>
 *
 * <p>A blank checksum can be completed only on a whole IPv4 TCP or UDP packet: version 4, a
 * header of 20..60 bytes, a total length that fits the frame and covers the transport header,
 * and not a fragment. The checksum is computed from scratch over the pseudo-header and the
 * segment with the field taken as zero, so whatever the front end left in the field (zero, a
 * partial sum) the result is the same, and completing a packet twice changes nothing. UDP's
 * computed 0 goes on the wire as 0xFFFF (RFC 768). Reads and writes the frame through dom0's
 * memory only; allocates nothing.
 */
public final class FrameChecksum {
    static final int PROTOCOL_TCP = 6;
    static final int PROTOCOL_UDP = 17;

    private FrameChecksum() {
    }

    /** Where in the frame the transport checksum field is, or -1 if the frame is not a packet whose checksum can be completed. */
    public static int fieldOffset(GuestMemory mem, long va, int length) {
        if (length < 14 + 20 + 8 || mem.getByte(va + 12) != 0x08 || mem.getByte(va + 13) != 0) {
            return -1;
        }
        int vihl = mem.getByte(va + 14) & 0xFF;
        int ihl = (vihl & 15) * 4;
        if (vihl >>> 4 != 4 || ihl < 20) {
            return -1;
        }
        int total = u16(mem, va + 16);
        int frag = u16(mem, va + 20) & 0x3FFF; // more-fragments and the offset
        int proto = mem.getByte(va + 23) & 0xFF;
        int header = proto == PROTOCOL_TCP ? 20 : proto == PROTOCOL_UDP ? 8 : -1;
        if (header < 0 || frag != 0 || total < ihl + header || 14 + total > length) {
            return -1;
        }
        return 14 + ihl + (proto == PROTOCOL_TCP ? 16 : 6);
    }

    /**
     * Fills in the transport checksum of the frame at {@code va}.
     *
     * @return false (the frame unchanged) if it is not a packet whose checksum can be completed
     */
    public static boolean complete(GuestMemory mem, long va, int length) {
        int field = fieldOffset(mem, va, length);
        if (field < 0) {
            return false;
        }
        int ihl = (mem.getByte(va + 14) & 15) * 4;
        int proto = mem.getByte(va + 23) & 0xFF;
        int segment = u16(mem, va + 16) - ihl;
        long acc = 0;
        for (int i = 26; i < 34; i += 2) { // source and destination addresses
            acc += u16(mem, va + i);
        }
        acc += proto + segment;
        long start = va + 14 + ihl;
        long f = va + field;
        int even = segment & ~1;
        for (int i = 0; i < even; i += 2) {
            long at = start + i;
            acc += at == f ? 0 : u16(mem, at);
        }
        if ((segment & 1) != 0) {
            acc += (mem.getByte(start + even) & 0xFF) << 8;
        }
        int sum = InternetChecksum.finish(acc);
        if (sum == 0 && proto == PROTOCOL_UDP) {
            sum = 0xFFFF;
        }
        mem.putByte(f, (byte) (sum >>> 8));
        mem.putByte(f + 1, (byte) sum);
        return true;
    }

    private static int u16(GuestMemory mem, long va) {
        return (mem.getByte(va) & 0xFF) << 8 | (mem.getByte(va + 1) & 0xFF);
    }
}
