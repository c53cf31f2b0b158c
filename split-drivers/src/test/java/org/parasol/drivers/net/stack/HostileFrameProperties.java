package org.parasol.drivers.net.stack;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.BeforeTry;

/**
 * Whatever arrives on the wire, the stack neither throws nor grows without bound: it drops
 * what it cannot use and counts it, and what it delivers is exactly what was sent.
 */
class HostileFrameProperties {
    private static final int US = 2;
    private static final int PEER = 1;

    // jqwik runs every try of a property on one instance: each try starts a fresh stack.
    private TestNet net;
    private TestNet.CapturingDevice dev;
    private IpStack stack;
    private UdpSocket socket;

    @BeforeTry
    void freshStack() {
        net = new TestNet();
        dev = new TestNet.CapturingDevice(TestNet.mac(US));
        stack = new IpStack(dev, net.time, new Ipv4Settings(TestNet.ip(US), 24, Ipv4Address.ANY),
                IpStack.Config.defaults().withReassembly(Duration.ofSeconds(30), 4, 32 * 1024));
        socket = stack.bind(7);
    }

    /** A UDP datagram from PEER:5000 to US:7 as a whole frame, checksums right. */
    static byte[] udpFrame(byte[] payload, int id) {
        int udpLen = 8 + payload.length;
        byte[] f = new byte[14 + 20 + udpLen];
        Ethernet.writeHeader(f, 0, TestNet.mac(US).bits(), TestNet.mac(PEER).bits(), Ethernet.TYPE_IPV4);
        ipHeader(f, 14, 20 + udpLen, id, 0, Ipv4.PROTOCOL_UDP);
        Bytes.put16(f, 34, 5000);
        Bytes.put16(f, 36, 7);
        Bytes.put16(f, 38, udpLen);
        System.arraycopy(payload, 0, f, 42, payload.length);
        int sum = Checksum.finish(Checksum.add(Checksum.pseudoHeader(TestNet.ip(PEER).bits(), TestNet.ip(US).bits(),
                Ipv4.PROTOCOL_UDP, udpLen), f, 34, udpLen));
        Bytes.put16(f, 40, sum == 0 ? 0xFFFF : sum);
        return f;
    }

    static void ipHeader(byte[] f, int at, int total, int id, int fragment, int protocol) {
        Bytes.put8(f, at, 0x45);
        Bytes.put16(f, at + 2, total);
        Bytes.put16(f, at + 4, id);
        Bytes.put16(f, at + 6, fragment);
        Bytes.put8(f, at + 8, 64);
        Bytes.put8(f, at + 9, protocol);
        Bytes.put32(f, at + 12, TestNet.ip(PEER).bits());
        Bytes.put32(f, at + 16, TestNet.ip(US).bits());
        Bytes.put16(f, at + 10, 0);
        Bytes.put16(f, at + 10, Checksum.of(f, at, 20));
    }

    private void inject(byte[] f) {
        dev.inject(f);
        net.settle();
    }

    @Property
    void randomBytesAreDroppedAndCounted(@ForAll @Size(max = 1600) byte[] frame) {
        inject(frame);
        assertThat(stack.counters().get(Counter.FRAMES_IN)).isEqualTo(1);
        assertThat(stack.counters().droppedTotal()).isEqualTo(1);
    }

    @Property
    void randomPayloadsBehindOurHeaderNeverThrow(@ForAll("types") int type, @ForAll @Size(max = 1600) byte[] rest) {
        byte[] f = new byte[14 + rest.length];
        Ethernet.writeHeader(f, 0, TestNet.mac(US).bits(), TestNet.mac(PEER).bits(), type);
        System.arraycopy(rest, 0, f, 14, rest.length);
        inject(f);
        assertThat(stack.counters().droppedTotal()).isLessThanOrEqualTo(1);
        assertThat(socket.queued() + stack.counters().droppedTotal()).isLessThanOrEqualTo(1);
    }

    @Provide
    Arbitrary<Integer> types() {
        return Arbitraries.of(Ethernet.TYPE_IPV4, Ethernet.TYPE_ARP, 0x86DD, 0x8100, 0x0040);
    }

    /** IPv4 headers with every field random but a right checksum, so the checks behind it are reached. */
    @Property
    void randomIpv4HeadersWithRightChecksumsNeverThrow(@ForAll @IntRange(max = 255) int vihl,
            @ForAll @IntRange(max = 0xFFFF) int total, @ForAll @IntRange(max = 0xFFFF) int fragment,
            @ForAll("protocols") int protocol, @ForAll @Size(max = 1500) byte[] rest) {
        byte[] f = new byte[14 + Math.max(20, rest.length)];
        System.arraycopy(rest, 0, f, 14, rest.length);
        Ethernet.writeHeader(f, 0, TestNet.mac(US).bits(), TestNet.mac(PEER).bits(), Ethernet.TYPE_IPV4);
        ipHeader(f, 14, total, 99, fragment, protocol);
        Bytes.put8(f, 14, vihl);
        int ihl = (vihl & 0xF) * 4;
        if (ihl >= 20 && 14 + ihl <= f.length) {
            Bytes.put16(f, 24, 0);
            Bytes.put16(f, 24, Checksum.of(f, 14, ihl));
        }
        inject(f);
        assertThat(stack.counters().droppedTotal()).isLessThanOrEqualTo(1);
        assertThat(stack.reassembliesInProgress()).isLessThanOrEqualTo(4);
    }

    @Provide
    Arbitrary<Integer> protocols() {
        return Arbitraries.oneOf(Arbitraries.of(Ipv4.PROTOCOL_ICMP, Ipv4.PROTOCOL_UDP), Arbitraries.integers().between(0, 255));
    }

    @Property
    void everyTruncationOfAGoodDatagramIsDroppedAndCounted(@ForAll @Size(max = 200) byte[] payload) {
        byte[] good = udpFrame(payload, 1);
        for (int len = 0; len < good.length; len++) {
            dev.receiver.receive(good, 0, len);
        }
        net.settle();
        assertThat(socket.poll()).isNull();
        assertThat(stack.counters().droppedTotal()).isEqualTo(good.length);
        assertThat(stack.counters().dropped(Drop.TRUNCATED)).isEqualTo(good.length);
    }

    @Property
    void aDatagramWithOneCorruptByteArrivesIntactOrIsDroppedAndCounted(@ForAll @Size(max = 200) byte[] payload,
            @ForAll @IntRange(max = 10_000) int where, @ForAll @IntRange(min = 1, max = 255) int flip) {
        byte[] f = udpFrame(payload, 1);
        int at = where % f.length;
        f[at] ^= (byte) flip;
        inject(f);
        UdpDatagram d = socket.poll();
        if (d == null) {
            assertThat(stack.counters().droppedTotal()).as("corrupt byte %d", at).isEqualTo(1);
        } else {
            assertThat(d.payload()).isEqualTo(payload);
            assertThat(stack.counters().droppedTotal()).isZero();
        }
    }

    /** Fragments at random offsets, lengths and flags, from a few datagram ids: nothing throws, buffers stay bounded. */
    @Property(tries = 200)
    void randomFragmentsStayWithinTheBounds(@ForAll("fragments") List<int[]> fragments) {
        for (int[] fr : fragments) {
            int id = fr[0];
            int offset8 = fr[1];
            boolean more = fr[2] != 0;
            int len = fr[3];
            byte[] f = new byte[14 + 20 + len];
            Ethernet.writeHeader(f, 0, TestNet.mac(US).bits(), TestNet.mac(PEER).bits(), Ethernet.TYPE_IPV4);
            ipHeader(f, 14, 20 + len, id, (more ? 0x2000 : 0) | offset8, Ipv4.PROTOCOL_UDP);
            dev.inject(f);
            assertThat(stack.reassembliesInProgress()).isLessThanOrEqualTo(4);
            assertThat(stack.counters().get(Counter.FRAGMENTS_IN) + stack.counters().droppedTotal()
                    + stack.counters().get(Counter.REASSEMBLED)).isPositive();
        }
        net.advance(Duration.ofSeconds(30));
        assertThat(stack.reassembliesInProgress()).as("every incomplete datagram timed out").isZero();
        assertThat(net.loop.timers().pending()).isZero();
    }

    @Provide
    Arbitrary<List<int[]>> fragments() {
        Arbitrary<int[]> one = Combinators.combine(Arbitraries.integers().between(0, 5),
                Arbitraries.oneOf(Arbitraries.integers().between(0, 16), Arbitraries.integers().between(0, 0x1FFF)),
                Arbitraries.integers().between(0, 1), Arbitraries.oneOf(Arbitraries.of(0, 8, 16, 64, 1480),
                        Arbitraries.integers().between(0, 1480)))
                .as((id, off, more, len) -> new int[] {id, off, more, len});
        return one.list().ofMaxSize(60);
    }

    @Property(tries = 100)
    void fragmentsInAnyOrderReassembleTheDatagram(@ForAll @Size(min = 1, max = 6000) byte[] payload,
            @ForAll @IntRange(min = 1, max = 20) int piece8, @ForAll long shuffleSeed) {
        int udpLen = 8 + payload.length;
        byte[] whole = udpFrame(payload, 77);
        int chunk = piece8 * 8;
        List<int[]> pieces = new java.util.ArrayList<>();
        for (int at = 0; at < udpLen; at += chunk) {
            pieces.add(new int[] {at, Math.min(chunk, udpLen - at)});
        }
        java.util.Collections.shuffle(pieces, new java.util.Random(shuffleSeed));
        for (int[] p : pieces) {
            boolean more = p[0] + p[1] < udpLen;
            byte[] f = new byte[14 + 20 + p[1]];
            Ethernet.writeHeader(f, 0, TestNet.mac(US).bits(), TestNet.mac(PEER).bits(), Ethernet.TYPE_IPV4);
            ipHeader(f, 14, 20 + p[1], 77, (more ? 0x2000 : 0) | (p[0] >>> 3), Ipv4.PROTOCOL_UDP);
            System.arraycopy(whole, 34 + p[0], f, 34, p[1]);
            dev.inject(f);
        }
        if (udpLen > 32 * 1024) {
            return;
        }
        UdpDatagram d = socket.poll();
        assertThat(d).isNotNull();
        assertThat(d.payload()).isEqualTo(payload);
        assertThat(stack.reassembliesInProgress()).isZero();
        assertThat(stack.counters().droppedTotal()).isZero();
    }

    @Property(tries = 100)
    void overlappingFragmentsDropTheWholeDatagram(@ForAll @IntRange(min = 1, max = 99) int overlapBlocks) {
        byte[] a = new byte[14 + 20 + 800];
        Ethernet.writeHeader(a, 0, TestNet.mac(US).bits(), TestNet.mac(PEER).bits(), Ethernet.TYPE_IPV4);
        ipHeader(a, 14, 20 + 800, 5, 0x2000, Ipv4.PROTOCOL_UDP);
        dev.inject(a);
        int start = 100 - overlapBlocks; // blocks 0..99 arrived; this one starts inside them and runs past (all inside is a duplicate)
        byte[] b = new byte[14 + 20 + 800];
        Ethernet.writeHeader(b, 0, TestNet.mac(US).bits(), TestNet.mac(PEER).bits(), Ethernet.TYPE_IPV4);
        ipHeader(b, 14, 20 + 800, 5, start, Ipv4.PROTOCOL_UDP);
        dev.inject(b);
        assertThat(stack.counters().dropped(Drop.FRAGMENT_OVERLAP)).isEqualTo(1);
        assertThat(stack.reassembliesInProgress()).isZero();
    }
}
