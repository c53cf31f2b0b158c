package org.parasol.drivers.net.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parasol.drivers.net.stack.TestNet.ip;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.parasol.guest.sched.Promise;

/** Two stacks over a wire that loses, duplicates and reorders frames, seeded so a failure replays. */
class LossyWireProperties {

    private static String key(byte[] b) {
        return java.util.HexFormat.of().formatHex(b);
    }

    @Property(tries = 60)
    void withoutLossEveryDatagramArrivesIntactWhateverTheOrder(@ForAll long seed,
            @ForAll @DoubleRange(min = 0, max = 0.5) double duplicate, @ForAll @DoubleRange(min = 0, max = 0.5) double reorder,
            @ForAll @IntRange(min = 1, max = 20) int count) {
        TestNet net = new TestNet(seed, new LoopbackWire.Impairments(0, duplicate, reorder));
        IpStack a = net.host(1);
        IpStack b = net.host(2);
        UdpSocket rx = b.bind(9);
        UdpSocket tx = a.bind(0);
        net.await(a.ping(ip(2), new byte[0], Duration.ofSeconds(1)), Duration.ofSeconds(1)).value(); // ARP first
        Random r = new Random(seed);
        Set<String> sent = new HashSet<>();
        for (int i = 0; i < count; i++) {
            byte[] p = new byte[r.nextInt(4000)];
            r.nextBytes(p);
            p = p.length == 0 ? new byte[] {(byte) i} : p;
            p[0] = (byte) i;
            sent.add(key(p));
            tx.send(ip(2), 9, p);
        }
        net.advance(Duration.ofSeconds(31));
        Set<String> got = new HashSet<>();
        for (UdpDatagram d = rx.poll(); d != null; d = rx.poll()) {
            assertThat(sent).contains(key(d.payload()));
            got.add(key(d.payload()));
        }
        assertThat(got).isEqualTo(sent);
        assertThat(a.counters().dropped(Drop.BAD_CHECKSUM) + b.counters().dropped(Drop.BAD_CHECKSUM)).isZero();
        assertThat(a.reassembliesInProgress() + b.reassembliesInProgress()).isZero();
    }

    @Property(tries = 60)
    void withLossWhatArrivesIsIntactAndNothingIsLeftBehind(@ForAll long seed,
            @ForAll @DoubleRange(min = 0, max = 0.6) double loss, @ForAll @DoubleRange(min = 0, max = 0.3) double duplicate,
            @ForAll @DoubleRange(min = 0, max = 0.3) double reorder) {
        TestNet net = new TestNet(seed, new LoopbackWire.Impairments(loss, duplicate, reorder));
        IpStack a = net.host(1);
        IpStack b = net.host(2);
        UdpSocket rx = b.bind(9);
        UdpSocket tx = a.bind(0);
        Random r = new Random(seed);
        Set<String> sent = new HashSet<>();
        List<Promise<EchoReply>> pings = new ArrayList<>();
        List<byte[]> pingPayloads = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            byte[] p = new byte[1 + r.nextInt(3000)];
            r.nextBytes(p);
            sent.add(key(p));
            tx.send(ip(2), 9, p);
            byte[] q = new byte[r.nextInt(2000)];
            r.nextBytes(q);
            pingPayloads.add(q);
            pings.add(a.ping(ip(2), q, Duration.ofSeconds(2)));
            net.advance(Duration.ofMillis(r.nextInt(1500)));
        }
        net.advance(Duration.ofSeconds(61));
        for (UdpDatagram d = rx.poll(); d != null; d = rx.poll()) {
            assertThat(sent).contains(key(d.payload()));
        }
        for (int i = 0; i < pings.size(); i++) {
            Promise<EchoReply> p = pings.get(i);
            assertThat(p.isDone()).as("every ping is answered or times out").isTrue();
            if (p.isFailed()) {
                assertThat(p.failure()).isInstanceOf(NetTimeoutException.class);
            } else {
                assertThat(p.value().payload()).isEqualTo(pingPayloads.get(i));
            }
        }
        for (IpStack s : List.of(a, b)) {
            assertThat(s.arp().pendingDestinations()).isZero();
            assertThat(s.reassembliesInProgress()).isZero();
            assertThat(s.icmp().outstanding()).isZero();
            assertThat(s.counters().dropped(Drop.BAD_CHECKSUM)).isZero();
            long requests = s.counters().get(Counter.ARP_REQUESTS_SENT);
            long failures = s.counters().get(Counter.ARP_FAILURES);
            assertThat(requests).as("three requests at most per failed resolution, plus the ones that worked")
                    .isGreaterThanOrEqualTo(3 * failures);
        }
        assertThat(net.loop.timers().pending()).as("no timers left once everything settled").isZero();
        if (loss == 0) {
            assertThat(pings).allMatch(p -> !p.isFailed());
        }
    }

    @Property(tries = 30)
    void cacheEntriesExpireOnTheClock(@ForAll @IntRange(min = 1, max = 600) int lifetimeSeconds,
            @ForAll @IntRange(min = 0, max = 1200) int waitSeconds) {
        TestNet net = new TestNet();
        IpStack a = net.host(1, IpStack.Config.defaults().withArpEntryLifetime(Duration.ofSeconds(lifetimeSeconds)));
        net.host(2);
        net.await(a.ping(ip(2), new byte[0], Duration.ofSeconds(1)), Duration.ofSeconds(1)).value();
        long learnedAt = net.ops.now;
        net.advance(Duration.ofSeconds(waitSeconds));
        long age = net.ops.now - learnedAt;
        boolean alive = a.arp().cached(ip(2)).isPresent();
        // The entry was refreshed by the reply, a few ns before learnedAt at most.
        assertThat(alive).isEqualTo(age < Duration.ofSeconds(lifetimeSeconds).toNanos());
    }
}
