package org.parasol.drivers.net.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parasol.drivers.net.stack.TestNet.hex;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Frames written out by hand, checksums computed by hand with RFC 1071's arithmetic (shown
 * beside each), against what the stack accepts and sends. Host A is 00:16:3e:00:00:01 /
 * 10.0.0.1 (the test), B the stack: 00:16:3e:00:00:02 / 10.0.0.2.
 */
class GoldenBytesTest {
    /** who-has 10.0.0.2 tell 10.0.0.1, from A. */
    private static final String ARP_REQUEST = """
            ff ff ff ff ff ff  00 16 3e 00 00 01  08 06
            00 01 08 00 06 04 00 01  00 16 3e 00 00 01 0a 00 00 01  00 00 00 00 00 00 0a 00 00 02""";
    /** 10.0.0.2 is-at 00:16:3e:00:00:02, from B to A. */
    private static final String ARP_REPLY = """
            00 16 3e 00 00 01  00 16 3e 00 00 02  08 06
            00 01 08 00 06 04 00 02  00 16 3e 00 00 02 0a 00 00 02  00 16 3e 00 00 01 0a 00 00 01""";
    /**
     * Echo request A to B, id 0x1234, seq 1, payload "abcd".
     * IP header: 4500+0020+1c46+0000+4001+0000+0a00+0001+0a00+0002 = b56a, checksum ~b56a = 4a95.
     * ICMP: 0800+0000+1234+0001+6162+6364 = defb, checksum ~defb = 2104.
     */
    private static final String ECHO_REQUEST = """
            00 16 3e 00 00 02  00 16 3e 00 00 01  08 00
            45 00 00 20 1c 46 00 00 40 01 4a 95 0a 00 00 01 0a 00 00 02
            08 00 21 04 12 34 00 01 61 62 63 64""";
    /**
     * The reply B must send: identification 0x0002 (B's first, from its MAC), TTL 64.
     * IP header: 4500+0020+0002+0000+4001+0000+0a00+0002+0a00+0001 = 9926, checksum ~9926 = 66d9.
     * ICMP: 0000+0000+1234+0001+6162+6364 = d6fb, checksum ~d6fb = 2904.
     */
    private static final String ECHO_REPLY = """
            00 16 3e 00 00 01  00 16 3e 00 00 02  08 00
            45 00 00 20 00 02 00 00 40 01 66 d9 0a 00 00 02 0a 00 00 01
            00 00 29 04 12 34 00 01 61 62 63 64""";
    /**
     * UDP B:7 to A:5000, "hi".
     * Pseudo-header 0a00+0002+0a00+0001+0011+000a = 141e; UDP 0007+1388+000a+0000+6869 = 7c02;
     * 141e+7c02 = 9020, checksum ~9020 = 6fdf.
     * IP header: 4500+001e+0002+0000+4011+0000+0a00+0002+0a00+0001 = 9934, checksum ~9934 = 66cb.
     */
    private static final String UDP_B_TO_A = """
            00 16 3e 00 00 01  00 16 3e 00 00 02  08 00
            45 00 00 1e 00 02 00 00 40 11 66 cb 0a 00 00 02 0a 00 00 01
            00 07 13 88 00 0a 6f df 68 69""";
    /**
     * UDP A:5000 to B:7, "hi", identification 0x0001.
     * Pseudo-header 0a00+0001+0a00+0002+0011+000a = 141e; UDP 1388+0007+000a+0000+6869 = 7c02;
     * checksum 6fdf again (the sum commutes). IP: 4500+001e+0001+0000+4011+0000+0a00+0001+0a00+0002
     * = 9933, checksum ~9933 = 66cc.
     */
    private static final String UDP_A_TO_B = """
            00 16 3e 00 00 02  00 16 3e 00 00 01  08 00
            45 00 00 1e 00 01 00 00 40 11 66 cc 0a 00 00 01 0a 00 00 02
            13 88 00 07 00 0a 6f df 68 69""";

    private TestNet net;
    private TestNet.CapturingDevice dev;
    private IpStack b;

    @BeforeEach
    void setUp() {
        net = new TestNet();
        dev = new TestNet.CapturingDevice(TestNet.mac(2));
        b = new IpStack(dev, net.time, TestNet.ip(2), 24, Ipv4Address.ANY);
    }

    @Test
    @DisplayName("RFC 1071 §3's worked example: 0001 f203 f4f5 f6f7 sums to ddf2, checksum 220d")
    void shouldComputeTheRfc1071Example() {
        byte[] data = hex("00 01 f2 03 f4 f5 f6 f7");
        assertThat(Checksum.of(data, 0, data.length)).isEqualTo(0x220d);
        // An odd last byte is the high half of a word: 0001+f203+f4f5+f600 = 2dcf9, folded dcfb, ~ = 2304.
        byte[] odd = hex("00 01 f2 03 f4 f5 f6");
        assertThat(Checksum.of(odd, 0, odd.length)).isEqualTo(0x2304);
    }

    @Test
    void shouldAnswerAnArpRequestForItsAddressWithTheHandWrittenReply() {
        dev.inject(hex(ARP_REQUEST));
        assertThat(dev.sent).hasSize(1);
        assertThat(dev.sent.get(0)).isEqualTo(hex(ARP_REPLY));
        assertThat(b.arp().cached(TestNet.ip(1))).contains(TestNet.mac(1));
    }

    @Test
    @DisplayName("echo: the reply carries the request's identifier, sequence and payload, with checksums as computed by hand")
    void shouldAnswerTheHandWrittenEchoRequestByteForByte() {
        dev.inject(hex(ARP_REQUEST));
        dev.inject(hex(ECHO_REQUEST));
        assertThat(dev.sent).hasSize(2);
        assertThat(dev.sent.get(1)).isEqualTo(hex(ECHO_REPLY));
        assertThat(b.counters().get(Counter.ECHO_REPLIES_SENT)).isEqualTo(1);
        assertThat(b.counters().droppedTotal()).isZero();
    }

    @Test
    void shouldSendTheHandWrittenUdpDatagram() {
        dev.inject(hex(ARP_REQUEST));
        UdpSocket s = b.bind(7);
        assertThat(s.send(TestNet.ip(1), 5000, "hi".getBytes(StandardCharsets.US_ASCII))).isTrue();
        assertThat(dev.sent).hasSize(2);
        assertThat(dev.sent.get(1)).isEqualTo(hex(UDP_B_TO_A));
    }

    @Test
    void shouldReceiveTheHandWrittenUdpDatagramAndDropItOnceCorrupted() {
        UdpSocket s = b.bind(7);
        dev.inject(hex(UDP_A_TO_B));
        UdpDatagram d = s.poll();
        assertThat(d).isNotNull();
        assertThat(d.source()).isEqualTo(TestNet.ip(1));
        assertThat(d.sourcePort()).isEqualTo(5000);
        assertThat(d.destinationPort()).isEqualTo(7);
        assertThat(d.payload()).isEqualTo("hi".getBytes(StandardCharsets.US_ASCII));

        byte[] corrupt = hex(UDP_A_TO_B);
        corrupt[corrupt.length - 1] ^= 0x01;
        dev.inject(corrupt);
        assertThat(s.poll()).isNull();
        assertThat(b.counters().dropped(Drop.BAD_CHECKSUM)).isEqualTo(1);

        byte[] noChecksum = hex(UDP_A_TO_B);
        noChecksum[14 + 20 + 6] = 0;
        noChecksum[14 + 20 + 7] = 0;
        noChecksum[noChecksum.length - 1] ^= 0x01; // "hh": with no checksum nobody can tell
        dev.inject(noChecksum);
        assertThat(s.poll().payload()).isEqualTo("hh".getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void shouldDropAnEchoRequestWithABadHeaderChecksum() {
        dev.inject(hex(ARP_REQUEST));
        byte[] bad = hex(ECHO_REQUEST);
        bad[14 + 11] ^= 0x10;
        dev.inject(bad);
        assertThat(dev.sent).hasSize(1);
        assertThat(b.counters().dropped(Drop.BAD_CHECKSUM)).isEqualTo(1);
    }
}
