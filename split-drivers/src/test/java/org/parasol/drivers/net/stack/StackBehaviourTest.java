package org.parasol.drivers.net.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parasol.drivers.net.stack.TestNet.ip;
import static org.parasol.drivers.net.stack.TestNet.mac;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.guest.sched.Promise;

/** Two or more stacks on a {@link LoopbackWire}, driven on the manual clock. */
class StackBehaviourTest {
    private final TestNet net = new TestNet();

    private static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void shouldResolveWithOneRequestAndLearnBothWays() {
        IpStack a = net.host(1);
        IpStack b = net.host(2);
        Promise<EchoReply> p = net.await(a.ping(ip(2), new byte[0], Duration.ofSeconds(1)), Duration.ofSeconds(1));
        assertThat(p.isDone() && !p.isFailed()).isTrue();
        assertThat(a.arp().cached(ip(2))).contains(mac(2));
        assertThat(b.arp().cached(ip(1))).as("learned from the request for its own address").contains(mac(1));
        assertThat(a.counters().get(Counter.ARP_REQUESTS_SENT)).isEqualTo(1);
        assertThat(b.counters().get(Counter.ARP_REQUESTS_SENT)).as("the reply needs no request of its own").isZero();
        assertThat(a.counters().droppedTotal() + b.counters().droppedTotal()).isZero();
    }

    @Test
    @DisplayName("ping: each reply carries the request's payload byte for byte, sequence numbers count up")
    void shouldGetEveryPingAnsweredByteForByte() {
        IpStack a = net.host(1);
        net.host(2);
        for (int i = 0; i < 5; i++) {
            byte[] payload = bytes(i * 300, i);
            Promise<EchoReply> p = net.await(a.ping(ip(2), payload, Duration.ofSeconds(1)), Duration.ofSeconds(1));
            EchoReply r = p.value();
            assertThat(r.from()).isEqualTo(ip(2));
            assertThat(r.sequence()).isEqualTo(i);
            assertThat(r.identifier()).isEqualTo(a.icmp().identifier());
            assertThat(r.payload()).isEqualTo(payload);
        }
        assertThat(a.counters().get(Counter.ECHO_REPLIES_MATCHED)).isEqualTo(5);
    }

    @Test
    @DisplayName("a 6000-byte ping goes out in fragments of at most the MTU and comes back reassembled")
    void shouldFragmentAndReassembleALargePing() {
        IpStack a = net.host(1);
        IpStack b = net.host(2);
        byte[] payload = bytes(6000, 7);
        EchoReply r = net.await(a.ping(ip(2), payload, Duration.ofSeconds(1)), Duration.ofSeconds(1)).value();
        assertThat(r.payload()).isEqualTo(payload);
        assertThat(a.counters().get(Counter.FRAGMENTS_OUT)).isEqualTo(5); // 6008 bytes in 1480-byte pieces
        assertThat(b.counters().get(Counter.REASSEMBLED)).isEqualTo(1);
        assertThat(a.counters().get(Counter.REASSEMBLED)).isEqualTo(1);
        assertThat(a.reassembliesInProgress() + b.reassembliesInProgress()).isZero();
    }

    @Test
    void shouldPingItselfWithoutTheWire() {
        IpStack a = net.host(1);
        byte[] payload = bytes(64, 1);
        EchoReply r = net.await(a.ping(ip(1), payload, Duration.ofSeconds(1)), Duration.ofSeconds(1)).value();
        assertThat(r.payload()).isEqualTo(payload);
        assertThat(net.wire.carried()).isZero();
        assertThat(a.counters().get(Counter.LOOPED_BACK)).isEqualTo(2);
    }

    @Test
    void shouldCarryUdpDatagramsIntactBothWays() {
        IpStack a = net.host(1);
        IpStack b = net.host(2);
        UdpSocket server = b.bind(7);
        server.onReceive(d -> server.send(d.source(), d.sourcePort(), d.payload()));
        UdpSocket client = a.bind(0);
        assertThat(client.port()).isEqualTo(Udp.FIRST_EPHEMERAL_PORT);
        net.await(a.ping(ip(2), new byte[0], Duration.ofSeconds(1)), Duration.ofSeconds(1)).value(); // ARP first
        List<byte[]> sent = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            byte[] payload = bytes(i * 997, i); // up to 8973 bytes: fragmented on the way and back
            sent.add(payload);
            client.send(ip(2), 7, payload);
        }
        net.settle();
        for (byte[] payload : sent) {
            UdpDatagram d = client.poll();
            assertThat(d).isNotNull();
            assertThat(d.source()).isEqualTo(ip(2));
            assertThat(d.sourcePort()).isEqualTo(7);
            assertThat(d.payload()).isEqualTo(payload);
        }
        assertThat(client.poll()).isNull();
        assertThat(a.counters().droppedTotal() + b.counters().droppedTotal()).isZero();
    }

    @Test
    void shouldCompleteReceivePromisesAndDropBeyondTheQueueBound() {
        IpStack a = net.host(1);
        IpStack b = net.host(2, IpStack.Config.defaults().withUdpQueueCapacity(3));
        UdpSocket s = b.bind(9);
        Promise<UdpDatagram> first = s.receive();
        UdpSocket c = a.bind(1000);
        for (int i = 0; i < 6; i++) {
            c.send(ip(2), 9, new byte[] {(byte) i});
        }
        net.settle();
        assertThat(first.value().payload()).containsExactly(0);
        assertThat(s.queued()).isEqualTo(3);
        assertThat(s.dropped()).isEqualTo(2);
        assertThat(b.counters().dropped(Drop.QUEUE_FULL)).isEqualTo(2);
        c.send(ip(2), 10, new byte[] {1});
        net.settle();
        assertThat(b.counters().dropped(Drop.NO_LISTENER)).isEqualTo(1);
        Promise<UdpDatagram> never = s.receive();
        s.receive();
        s.receive();
        Promise<UdpDatagram> waiting = s.receive();
        assertThat(never.isDone()).isTrue();
        s.close();
        net.settle();
        assertThat(waiting.failure()).isInstanceOf(IllegalStateException.class);
        assertThat(b.bind(9).port()).as("the port is free again").isEqualTo(9);
    }

    @Test
    @DisplayName("a timed receive fails with NetTimeoutException when nothing comes, and a later datagram goes to the next receiver, not to it")
    void shouldTimeOutAReceiveAndHandALaterDatagramOn() {
        IpStack a = net.host(1);
        IpStack b = net.host(2);
        UdpSocket s = b.bind(9);
        Promise<UdpDatagram> lost = s.receive(Duration.ofMillis(500));
        net.advance(Duration.ofMillis(490));
        assertThat(lost.isDone()).isFalse();
        net.advance(Duration.ofMillis(20));
        assertThat(lost.failure()).isInstanceOf(NetTimeoutException.class).hasMessageContaining("UDP port 9 within 500 ms");

        a.bind(1000).send(ip(2), 9, new byte[] {42});
        net.settle();
        assertThat(s.queued()).as("no promise waits any more: the datagram is queued").isEqualTo(1);
        Promise<UdpDatagram> next = s.receive(Duration.ofMillis(500));
        assertThat(next.value().payload()).containsExactly(42);

        Promise<UdpDatagram> answered = s.receive(Duration.ofMillis(500));
        a.bind(1001).send(ip(2), 9, new byte[] {7});
        net.settle();
        net.advance(Duration.ofSeconds(1));
        assertThat(answered.isFailed()).as("answered in time, its timer cancelled").isFalse();
        assertThat(answered.value().payload()).containsExactly(7);
    }

    @Test
    @DisplayName("ARP: unanswered, a request goes out every second, three in all, then the waiting packets are dropped")
    void shouldRetryArpThenGiveUp() {
        IpStack a = net.host(1);
        UdpSocket s = a.bind(0);
        s.send(ip(3), 9, new byte[] {1});
        s.send(ip(3), 9, new byte[] {2});
        net.settle();
        assertThat(a.counters().get(Counter.ARP_REQUESTS_SENT)).isEqualTo(1);
        assertThat(a.arp().queuedFor(ip(3))).isEqualTo(2);
        net.advance(Duration.ofMillis(1000));
        assertThat(a.counters().get(Counter.ARP_REQUESTS_SENT)).isEqualTo(2);
        net.advance(Duration.ofMillis(1000));
        assertThat(a.counters().get(Counter.ARP_REQUESTS_SENT)).isEqualTo(3);
        assertThat(a.arp().pendingDestinations()).isEqualTo(1);
        net.advance(Duration.ofMillis(1000));
        assertThat(a.counters().get(Counter.ARP_REQUESTS_SENT)).isEqualTo(3);
        assertThat(a.arp().pendingDestinations()).isZero();
        assertThat(a.counters().dropped(Drop.ARP_UNRESOLVED)).isEqualTo(2);
        assertThat(a.counters().get(Counter.ARP_FAILURES)).isEqualTo(1);
        assertThat(net.loop.timers().pending()).as("no timer left behind").isZero();

        // The host comes up late: the next packet starts over and gets through.
        IpStack c = net.host(3);
        UdpSocket r = c.bind(9);
        s.send(ip(3), 9, new byte[] {3});
        net.settle();
        assertThat(r.poll().payload()).containsExactly(3);
    }

    @Test
    void shouldFailAPingNobodyAnswersAfterItsTimeout() {
        IpStack a = net.host(1);
        Promise<EchoReply> p = a.ping(ip(3), new byte[8], Duration.ofMillis(500));
        net.advance(Duration.ofMillis(499));
        assertThat(p.isDone()).isFalse();
        net.advance(Duration.ofMillis(1));
        assertThat(p.failure()).isInstanceOf(NetTimeoutException.class).hasMessageContaining("10.0.0.3");
        assertThat(a.counters().get(Counter.PING_TIMEOUTS)).isEqualTo(1);
        assertThat(a.icmp().outstanding()).isZero();
    }

    @Test
    void shouldHoldAFewPacketsPerDestinationAndSendThemOnResolution() {
        IpStack a = net.host(1, IpStack.Config.defaults().withArpQueuePerDestination(4));
        IpStack b = net.host(2);
        UdpSocket r = b.bind(9);
        UdpSocket s = a.bind(0);
        for (int i = 0; i < 6; i++) {
            s.send(ip(2), 9, new byte[] {(byte) i});
        }
        assertThat(a.arp().queuedFor(ip(2))).isEqualTo(4);
        assertThat(a.counters().dropped(Drop.ARP_QUEUE_FULL)).isEqualTo(2);
        net.settle();
        List<Integer> got = new ArrayList<>();
        for (UdpDatagram d = r.poll(); d != null; d = r.poll()) {
            got.add((int) d.payload()[0]);
        }
        assertThat(got).as("the oldest were pushed out").containsExactly(2, 3, 4, 5);
    }

    @Test
    @DisplayName("ARP cache entries expire on the clock: after their lifetime the next packet asks again")
    void shouldExpireCacheEntries() {
        IpStack a = net.host(1, IpStack.Config.defaults().withArpEntryLifetime(Duration.ofSeconds(60)));
        net.host(2);
        net.await(a.ping(ip(2), new byte[0], Duration.ofSeconds(1)), Duration.ofSeconds(1)).value();
        net.advance(Duration.ofSeconds(59));
        assertThat(a.arp().cached(ip(2))).isPresent();
        net.advance(Duration.ofSeconds(1));
        assertThat(a.arp().cached(ip(2))).isEmpty();
        assertThat(a.counters().get(Counter.ARP_EXPIRED)).isEqualTo(1);
        net.await(a.ping(ip(2), new byte[0], Duration.ofSeconds(1)), Duration.ofSeconds(1)).value();
        assertThat(a.counters().get(Counter.ARP_REQUESTS_SENT)).isEqualTo(2);
    }

    @Test
    void shouldBoundTheCacheByEvictingTheEldest() {
        TestNet.CapturingDevice dev = new TestNet.CapturingDevice(mac(1));
        IpStack a = new IpStack(dev, net.time, new Ipv4Settings(ip(1), 16, Ipv4Address.ANY),
                IpStack.Config.defaults().withArpCacheEntries(8));
        for (int n = 2; n < 30; n++) {
            byte[] f = new byte[42];
            Ethernet.writeHeader(f, 0, MacAddress.BROADCAST.bits(), 0x00163e100000L + n, Ethernet.TYPE_ARP);
            System.arraycopy(TestNet.hex("0001080006040001"), 0, f, 14, 8);
            Bytes.put48(f, 22, 0x00163e100000L + n);
            Bytes.put32(f, 28, 0x0A000100 + n);
            Bytes.put32(f, 38, ip(1).bits());
            dev.inject(f);
        }
        assertThat(a.arp().cacheSize()).isEqualTo(8);
        assertThat(a.counters().get(Counter.ARP_EVICTIONS)).isEqualTo(20);
        assertThat(a.arp().cached(Ipv4Address.parse("10.0.1.29"))).contains(new MacAddress(0x00163e10001dL));
        assertThat(a.arp().cached(Ipv4Address.parse("10.0.1.2"))).isEmpty();
    }

    @Test
    void shouldRouteOffLinkThroughTheGatewayAndRefuseWithoutOne() {
        IpStack a = net.host(1);
        IpStack gw = net.host(254);
        a.bind(0).send(Ipv4Address.parse("192.0.2.7"), 9, new byte[] {1});
        net.settle();
        assertThat(a.arp().cached(ip(254))).contains(mac(254));
        assertThat(gw.counters().dropped(Drop.NOT_FOR_US)).as("the gateway is no router: it only gets the frame")
                .isEqualTo(1);

        assertThat(gw.bind(0).send(Ipv4Address.parse("192.0.2.7"), 9, new byte[] {1})).isFalse();
        assertThat(gw.counters().dropped(Drop.NO_ROUTE)).isEqualTo(1);
        Promise<EchoReply> p = gw.ping(Ipv4Address.parse("192.0.2.7"), new byte[0], Duration.ofSeconds(1));
        net.settle();
        assertThat(p.failure()).isInstanceOf(IllegalStateException.class).hasMessageContaining("no route");
    }

    @Test
    void shouldDeliverBroadcastUdpButNotAnswerBroadcastPings() {
        IpStack a = net.host(1);
        IpStack b = net.host(2);
        IpStack c = net.host(3);
        UdpSocket rb = b.bind(9);
        UdpSocket rc = c.bind(9);
        a.bind(0).send(Ipv4Address.parse("10.0.0.255"), 9, new byte[] {42});
        net.settle();
        assertThat(rb.poll().destination()).isEqualTo(Ipv4Address.parse("10.0.0.255"));
        assertThat(rc.poll().payload()).containsExactly(42);
        assertThat(a.counters().get(Counter.ARP_REQUESTS_SENT)).isZero();

        Promise<EchoReply> p = a.ping(Ipv4Address.BROADCAST, new byte[4], Duration.ofMillis(100));
        net.advance(Duration.ofMillis(100));
        assertThat(p.failure()).isInstanceOf(NetTimeoutException.class);
        assertThat(b.counters().dropped(Drop.BROADCAST_ECHO)).isEqualTo(1);
        assertThat(c.counters().dropped(Drop.BROADCAST_ECHO)).isEqualTo(1);
    }

    @Test
    void shouldLetEverythingGoOnClose() {
        IpStack a = net.host(1);
        Promise<EchoReply> p = a.ping(ip(3), new byte[0], Duration.ofSeconds(5));
        UdpSocket s = a.bind(9);
        Promise<UdpDatagram> r = s.receive();
        a.close();
        net.settle();
        assertThat(p.failure()).isInstanceOf(IllegalStateException.class);
        assertThat(r.failure()).isInstanceOf(IllegalStateException.class);
        assertThat(s.isClosed()).isTrue();
        assertThat(net.loop.timers().pending()).isZero();
        long in = a.counters().get(Counter.FRAMES_IN);
        net.host(2).ping(ip(1), new byte[0], Duration.ofMillis(10));
        net.advance(Duration.ofMillis(10));
        assertThat(a.counters().get(Counter.FRAMES_IN)).isEqualTo(in);
    }
}
