package org.parasol.cli.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * What the host kernel is handed for a guest's GSO frame ({@link TapUplink#forHostKernel}): the
 * frame is a guest's, so its extra is checked as netback checks one, and the headers the kernel
 * relies on (the IPv4 header checksum, the TCP pseudo-header sum, the {@code virtio_net_hdr})
 * are written by the host, never taken from the guest. And a partial checksum from the host
 * kernel completed as the kernel would ({@link TapUplink#completeChecksum}).
 */
class TapGsoProperties {
    private static final ValueLayout.OfShort BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfShort LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** A TCP/IPv4 frame of {@code size} bytes, TCP header {@code thl} bytes, checksums garbage. */
    private static MemorySegment tcp(int size, int thl, long seed) {
        MemorySegment f = MemorySegment.ofArray(new byte[size]);
        java.util.Random r = new java.util.Random(seed);
        for (int i = 0; i < size; i++) {
            f.set(ValueLayout.JAVA_BYTE, i, (byte) r.nextInt());
        }
        f.set(BE, 12, (short) 0x0800);
        f.set(ValueLayout.JAVA_BYTE, 14, (byte) 0x45);
        f.set(BE, 16, (short) (size - 14));
        f.set(BE, 20, (short) 0x4000);
        f.set(ValueLayout.JAVA_BYTE, 23, (byte) 6);
        f.set(ValueLayout.JAVA_BYTE, 34 + 12, (byte) ((thl / 4) << 4));
        return f;
    }

    private static int sum(MemorySegment f, int at, int len, long acc) {
        for (int i = 0; i + 1 < len; i += 2) {
            acc += f.get(BE, at + i) & 0xFFFF;
        }
        if ((len & 1) != 0) {
            acc += (f.get(ValueLayout.JAVA_BYTE, at + len - 1) & 0xFF) << 8;
        }
        while ((acc >>> 16) != 0) {
            acc = (acc & 0xFFFF) + (acc >>> 16);
        }
        return (int) acc;
    }

    @Property(tries = 300)
    @Label("a guest's TCP/IPv4 GSO frame goes to the host kernel with a GSO header the host wrote: TCPV4, its MSS, hdr_len, NEEDS_CSUM at the TCP checksum")
    void shouldWriteTheKernelsHeadersForAGoodGsoFrame(@ForAll @IntRange(min = 3000, max = 65535) int size,
            @ForAll @IntRange(min = 88, max = 1448) int mss, @ForAll long seed) {
        MemorySegment hdr = MemorySegment.ofArray(new byte[10]);
        MemorySegment f = tcp(size, 32, seed);
        int n = TapUplink.forHostKernel(hdr, f, size, mss);
        assertThat(n).isEqualTo(10 + size);
        assertThat(hdr.get(ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) TapUplink.VIRTIO_NET_HDR_F_NEEDS_CSUM);
        assertThat(hdr.get(ValueLayout.JAVA_BYTE, 1)).isEqualTo((byte) TapUplink.VIRTIO_NET_HDR_GSO_TCPV4);
        assertThat(hdr.get(LE, 2)).isEqualTo((short) (14 + 20 + 32));
        assertThat(hdr.get(LE, 4) & 0xFFFF).isEqualTo(mss);
        assertThat(hdr.get(LE, 6)).isEqualTo((short) 34);
        assertThat(hdr.get(LE, 8)).isEqualTo((short) 16);
        assertThat(sum(f, 14, 20, 0)).as("the IPv4 header checksum verifies").isEqualTo(0xFFFF);
        // The TCP field holds the pseudo-header's sum: completing it as the kernel would makes the whole verify.
        TapUplink.completeChecksum(f, 34, 16, size);
        long pseudo = 6 + (size - 34) + (f.get(BE, 26) & 0xFFFF) + (f.get(BE, 28) & 0xFFFF) + (f.get(BE, 30) & 0xFFFF)
                + (f.get(BE, 32) & 0xFFFF);
        assertThat(sum(f, 34, size - 34, pseudo)).isEqualTo(0xFFFF);
    }

    @Property(tries = 1000)
    @Label("a guest's nonsense GSO frame (any bytes, any MSS) is refused or goes out with headers that stand: never past the frame, never a segment over the MTU")
    void shouldRefuseNonsenseOrWriteHeadersThatStand(@ForAll @IntRange(min = 0, max = 65535) int size,
            @ForAll @IntRange(min = 0, max = 65535) int mss, @ForAll @IntRange(min = 0, max = 6) int damage, @ForAll long seed) {
        MemorySegment hdr = MemorySegment.ofArray(new byte[10]);
        MemorySegment f = size >= 60 ? tcp(size, 20, seed) : MemorySegment.ofArray(new byte[Math.max(size, 1)]);
        if (size >= 60) {
            switch (damage) {
                case 1 -> f.set(ValueLayout.JAVA_BYTE, 23, (byte) 17); // UDP
                case 2 -> f.set(BE, 20, (short) 0x2001); // a fragment
                case 3 -> f.set(BE, 16, (short) (size - 14 + 1)); // longer than the frame
                case 4 -> f.set(ValueLayout.JAVA_BYTE, 46, (byte) 0x10); // a TCP header of 4 bytes
                case 5 -> f.set(BE, 12, (short) 0x86DD); // not IPv4
                case 6 -> f.set(ValueLayout.JAVA_BYTE, 14, (byte) 0x4F); // an IPv4 header of 60 bytes
                default -> { }
            }
        }
        int n = TapUplink.forHostKernel(hdr, f, size, mss);
        boolean good = size >= 60 && (damage == 0 || damage == 6 && size >= 14 + 60 + 20);
        if (!good || mss < 88 || damage != 6 && 40 + mss > 1500 && size - 54 > mss || damage == 6 && 80 + mss > 1500 && size - 94 > mss) {
            assertThat(n).isEqualTo(-1);
            return;
        }
        if (n < 0) {
            return; // a payload within one MSS over 1514 bytes: refused too
        }
        int total = f.get(BE, 16) & 0xFFFF;
        int hl = hdr.get(LE, 2) & 0xFFFF;
        assertThat(n).isEqualTo(10 + 14 + total).isLessThanOrEqualTo(10 + size);
        assertThat(hl).isBetween(54, 14 + total);
        assertThat((hdr.get(LE, 6) & 0xFFFF) + 16 + 2).isLessThanOrEqualTo(hl);
        int gso = hdr.get(ValueLayout.JAVA_BYTE, 1);
        if (gso == TapUplink.VIRTIO_NET_HDR_GSO_TCPV4) {
            assertThat(hdr.get(LE, 4) & 0xFFFF).isEqualTo(mss).isGreaterThanOrEqualTo(88);
            assertThat(hl - 14 + mss).as("a segment fits the TAP's MTU").isLessThanOrEqualTo(1500);
            assertThat(14 + total - hl).as("more than one MSS of payload").isGreaterThan(mss);
        } else {
            assertThat(gso).isEqualTo((int) TapUplink.VIRTIO_NET_HDR_GSO_NONE);
            assertThat(14 + total).isLessThanOrEqualTo(1514);
        }
    }
}
