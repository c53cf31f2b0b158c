package org.parasol.drivers.net.stack;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.parasol.guest.FakePvOps;
import org.parasol.guest.sched.Promise;
import org.parasol.guest.sched.RunLoop;

/**
 * A deterministic network for the stack's tests: a run loop over a manual clock, a
 * {@link LoopbackWire}, and helpers that run the loop without letting time pass
 * ({@link #settle}) or move the clock by hand ({@link #advance}), firing each timer at its
 * own deadline. A task that throws fails the test.
 */
final class TestNet {
    final FakePvOps ops = new FakePvOps();
    final RunLoop loop = new RunLoop(ops, failure -> {
        throw new AssertionError("a task crashed", failure);
    });
    final NetTime time = NetTime.of(loop, () -> ops.now);
    final LoopbackWire wire;

    TestNet() {
        this(1, LoopbackWire.Impairments.NONE);
    }

    TestNet(long seed, LoopbackWire.Impairments impairments) {
        wire = new LoopbackWire(loop, seed, impairments);
    }

    /** A host on the wire: MAC 00:16:3e:00:00:{n}, address 10.0.0.{n}/24, gateway 10.0.0.254 unless it is that host. */
    IpStack host(int n) {
        return host(n, IpStack.Config.defaults());
    }

    IpStack host(int n, IpStack.Config config) {
        return new IpStack(wire.attach(mac(n), 1500), time,
                new Ipv4Settings(ip(n), 24, n == 254 ? Ipv4Address.ANY : ip(254)), config);
    }

    static MacAddress mac(int n) {
        return new MacAddress(0x00163e000000L | n);
    }

    static Ipv4Address ip(int n) {
        return Ipv4Address.of(10, 0, 0, n);
    }

    /** Runs every ready task and every timer already due, without moving the clock. */
    void settle() {
        for (int i = 0; i < 1_000_000; i++) {
            long e = loop.timers().earliest();
            boolean due = e != 0 && e - ops.now <= 0;
            if (loop.readyTasks() == 0 && !due) {
                return;
            }
            ops.onHalt = () -> { }; // a halt returns at once: time only moves in advance()
            loop.runOnce();
        }
        throw new AssertionError("the loop did not settle");
    }

    /** Moves the clock forward by {@code d}, firing each timer on the way at its deadline. */
    void advance(Duration d) {
        long target = ops.now + d.toNanos();
        settle();
        for (long e = loop.timers().earliest(); e != 0 && e - target <= 0; e = loop.timers().earliest()) {
            ops.now = Math.max(ops.now, e);
            settle();
        }
        ops.now = target;
        settle();
    }

    /** Advances in 10 ms steps until {@code p} is done or {@code max} has passed. */
    <T> Promise<T> await(Promise<T> p, Duration max) {
        settle();
        for (long waited = 0; !p.isDone() && waited < max.toNanos(); waited += 10_000_000L) {
            advance(Duration.ofMillis(10));
        }
        return p;
    }

    /** A device that keeps a copy of every frame sent and delivers nothing by itself. */
    static final class CapturingDevice implements NetDevice {
        final List<byte[]> sent = new ArrayList<>();
        final MacAddress mac;
        FrameReceiver receiver;

        CapturingDevice(MacAddress mac) {
            this.mac = mac;
        }

        @Override
        public MacAddress mac() {
            return mac;
        }

        @Override
        public int mtu() {
            return 1500;
        }

        @Override
        public boolean transmit(byte[] frame, int offset, int length) {
            sent.add(java.util.Arrays.copyOfRange(frame, offset, offset + length));
            return true;
        }

        @Override
        public void setReceiver(FrameReceiver r) {
            receiver = r;
        }

        void inject(byte[] frame) {
            receiver.receive(frame, 0, frame.length);
        }
    }

    /** Bytes from hex, spaces and line breaks ignored. */
    static byte[] hex(String text) {
        String h = text.replaceAll("\\s+", "");
        byte[] b = new byte[h.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }
}
