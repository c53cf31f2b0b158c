package org.parasol.drivers.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.testing.FlatGuestMemory;

/** The learning bridge: flooding, learning, unicast, ageing, a bounded table, ports that drop. */
class BridgeTest {
    private static final long BASE = 0x10000;
    private final FlatGuestMemory mem = new FlatGuestMemory(BASE, 1 << 16);
    private long now;
    private final Bridge bridge = new Bridge("xenbr0", mem, () -> now);

    /** A port that records what it gets, and can refuse. */
    private final class TestPort implements Bridge.Port {
        final List<Long> got = new ArrayList<>();
        boolean full;

        @Override
        public boolean deliver(long va, int length) {
            if (full) {
                return false;
            }
            got.add(dst(va));
            return true;
        }
    }

    private long dst(long va) {
        long v = 0;
        for (int i = 0; i < 6; i++) {
            v = (v << 8) | (mem.getByte(va + i) & 0xFF);
        }
        return v;
    }

    /** {@code n} ports, attached to the bridge in order. */
    private TestPort[] attached(int n) {
        TestPort[] ports = new TestPort[n];
        for (int i = 0; i < n; i++) {
            ports[i] = new TestPort();
            bridge.attach(ports[i]);
        }
        return ports;
    }

    private long frame(long dst, long src) {
        for (int i = 0; i < 6; i++) {
            mem.putByte(BASE + i, (byte) (dst >>> (8 * (5 - i))));
            mem.putByte(BASE + 6 + i, (byte) (src >>> (8 * (5 - i))));
        }
        mem.putShort(BASE + 12, (short) 0x0008);
        return BASE;
    }

    private static final long A = 0x00163e000001L;
    private static final long B = 0x00163e000002L;
    private static final long C = 0x00163e000003L;
    private static final long BROADCAST = 0xFFFF_FFFF_FFFFL;

    @Test
    @DisplayName("unknown and broadcast destinations flood every other port; learned ones go to their port only")
    void shouldFloodThenLearn() {
        TestPort[] ports = attached(3);
        TestPort pa = ports[0];
        TestPort pb = ports[1];
        TestPort pc = ports[2];

        bridge.input(pa, frame(BROADCAST, A), 60);
        assertThat(pa.got).isEmpty();
        assertThat(pb.got).containsExactly(BROADCAST);
        assertThat(pc.got).containsExactly(BROADCAST);
        bridge.input(pb, frame(A, B), 60);
        assertThat(pa.got).containsExactly(A);
        assertThat(pc.got).as("A was learned: no flood").containsExactly(BROADCAST);
        bridge.input(pa, frame(B, A), 60);
        assertThat(pb.got).containsExactly(BROADCAST, B);
        assertThat(bridge.learned()).isEqualTo(2);
        assertThat(bridge.forwarded()).isEqualTo(2);
        assertThat(bridge.flooded()).isEqualTo(1);
    }

    @Test
    @DisplayName("an address not heard from for the ageing time is forgotten, and its frames flood again")
    void shouldAgeOut() {
        TestPort[] ports = attached(3);
        TestPort pa = ports[0];
        TestPort pb = ports[1];
        TestPort pc = ports[2];
        bridge.input(pa, frame(BROADCAST, A), 60);
        now += Bridge.AGEING_NS + 1;
        bridge.input(pb, frame(A, B), 60);
        assertThat(pc.got).as("flooded after ageing").containsExactly(BROADCAST, A);
    }

    @Test
    @DisplayName("a port that cannot take a frame drops it alone; a detached port's addresses go; runts are dropped")
    void shouldDropPerPort() {
        TestPort[] ports = attached(3);
        TestPort pa = ports[0];
        TestPort pb = ports[1];
        TestPort pc = ports[2];
        pb.full = true;
        bridge.input(pa, frame(BROADCAST, A), 60);
        assertThat(pc.got).containsExactly(BROADCAST);
        assertThat(bridge.dropped()).isEqualTo(1);
        bridge.input(pa, frame(B, A), 13);
        assertThat(bridge.dropped()).isEqualTo(2);
        bridge.detach(pa);
        assertThat(bridge.learned()).isZero();
        assertThat(bridge.ports()).isEqualTo(2);
    }

    @Test
    @DisplayName("forged source addresses cannot grow the table past its bound; a group source is never learned")
    void shouldBoundTheTable() {
        TestPort[] ports = attached(2);
        TestPort pa = ports[0];
        TestPort pb = ports[1];
        for (long i = 0; i < Bridge.MAX_ENTRIES + 100; i++) {
            bridge.input(pa, frame(BROADCAST, 0x020000000000L + (i << 1)), 60);
        }
        assertThat(bridge.learned()).isEqualTo(Bridge.MAX_ENTRIES);
        bridge.input(pa, frame(C, 0x010000000001L), 60);
        assertThat(bridge.learned()).isEqualTo(Bridge.MAX_ENTRIES);
    }

    @Test
    void shouldParseAndFormatMacs() {
        assertThat(Vif.parseMac("00:16:3e:0a:Ff:01")).isEqualTo(0x00163e0aff01L);
        assertThat(Vif.formatMac(0x00163e0aff01L)).isEqualTo("00:16:3e:0a:ff:01");
        for (String bad : new String[] {"", "00:16:3e:0a:ff", "00-16-3e-0a-ff-01", "00:16:3e:0a:ff:0g", "0:16:3e:0a:ff:011"}) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> Vif.parseMac(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    @DisplayName("the open-addressed MAC table agrees with a map model through random learning, moves, ageing and detaches")
    void shouldAgreeWithAModelTable() {
        java.util.Random r = new java.util.Random(11);
        TestPort[] ports = {new TestPort(), new TestPort(), new TestPort(), new TestPort()};
        java.util.Set<TestPort> attached = new java.util.HashSet<>();
        for (TestPort p : ports) {
            bridge.attach(p);
            attached.add(p);
        }
        java.util.Map<Long, TestPort> model = new java.util.HashMap<>();
        java.util.Map<Long, Long> heard = new java.util.HashMap<>();
        for (int step = 0; step < 20_000; step++) {
            int op = r.nextInt(100);
            if (op == 0) {
                TestPort p = ports[r.nextInt(ports.length)];
                if (attached.remove(p)) {
                    bridge.detach(p);
                    model.values().removeIf(x -> x == p);
                } else {
                    attached.add(p);
                    bridge.attach(p);
                }
                continue;
            }
            if (op == 1) {
                now += Bridge.AGEING_NS / 4;
            }
            TestPort from = ports[r.nextInt(ports.length)];
            if (!attached.contains(from)) {
                continue;
            }
            long src = 0x00163e000000L + r.nextInt(600); // the low bits collide in the table's hash
            long dst = 0x00163e000000L + r.nextInt(600);
            for (TestPort p : ports) {
                p.got.clear();
            }
            bridge.input(from, frame(dst, src), 60);
            TestPort expected = model.get(dst);
            if (expected != null && now - heard.get(dst) > Bridge.AGEING_NS) {
                expected = null;
                model.remove(dst);
            }
            if (expected != null) {
                for (TestPort p : ports) {
                    assertThat(p.got).as("step %d: unicast to a learned address", step)
                            .hasSize(p == expected && expected != from && dst != src ? 1 : 0);
                }
            } else if (dst != src) {
                for (TestPort p : ports) {
                    assertThat(p.got).as("step %d: flooded", step).hasSize(attached.contains(p) && p != from ? 1 : 0);
                }
            }
            model.put(src, from);
            heard.put(src, now);
            if (dst != src && expected == null) {
                model.remove(dst); // aged out above, or never learned
            }
            model.put(src, from);
            assertThat(bridge.learned()).as("step %d", step).isEqualTo(model.size());
        }
    }

    @Test
    @DisplayName("addresses are read in wire order: each of the six bytes counts, and the group bit is the first byte's lowest")
    void shouldReadAddressesInWireOrder() {
        TestPort[] ports = attached(3);
        TestPort pa = ports[0];
        TestPort pb = ports[1];
        TestPort pc = ports[2];
        long a = 0x02_11_22_33_44_55L; // locally administered, unicast, every byte different
        bridge.input(pa, frame(B, a), 60); // a learned on pa
        pb.got.clear();
        pc.got.clear();
        bridge.input(pb, frame(a, B), 60);
        assertThat(pa.got).as("a is learned on pa").containsExactly(a);
        assertThat(pc.got).isEmpty();
        for (int i = 0; i < 6; i++) {
            long other = a ^ (0x04L << (8 * (5 - i))); // differs from a in byte i only, still unicast
            pa.got.clear();
            pc.got.clear();
            bridge.input(pb, frame(other, B), 60);
            assertThat(pa.got).as("byte %d differs: unknown, flooded", i).containsExactly(other);
            assertThat(pc.got).as("byte %d differs: unknown, flooded", i).containsExactly(other);
        }
        long group = 0x01_00_5e_00_00_02L; // the first byte's lowest bit: multicast
        long lastOdd = 0x02_00_5e_00_00_01L; // the last byte's lowest bit set: unicast
        bridge.input(pc, frame(B, lastOdd), 60);
        assertThat(bridge.learned()).as("a source whose last byte is odd is learned").isEqualTo(3);
        bridge.input(pc, frame(B, group), 60);
        assertThat(bridge.learned()).as("a group source is never learned").isEqualTo(3);
        pb.got.clear();
        pc.got.clear();
        bridge.input(pa, frame(lastOdd, a), 60);
        assertThat(pc.got).as("unicast to the port lastOdd was learned on").containsExactly(lastOdd);
        assertThat(pb.got).isEmpty();
    }
}
