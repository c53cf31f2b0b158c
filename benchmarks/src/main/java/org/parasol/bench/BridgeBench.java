package org.parasol.bench;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.parasol.drivers.net.Bridge;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.testing.FlatGuestMemory;

/**
 * dom0's bridge switching one frame on the boot vCPU's lane, as netback's TX batch hands it
 * over: learn the source, look the destination up, deliver it to the port it was learned on,
 * then the batch's flush, over four ports (two talking, two idle), in a plain memory (no MMU:
 * the bridge's own work only). {@code unicast}: a learned destination; {@code flood}: a
 * broadcast to the three other ports. Per frame; {@code -prof gc} shows it allocates nothing.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class BridgeBench {
    private static final long BASE = 0x10000;
    private static final long A = 0x00163e000001L;
    private static final long B = 0x00163e000002L;

    private Bridge bridge;
    private long now = 1;
    private final Counting[] ports = {new Counting(), new Counting(), new Counting(), new Counting()};
    private long aToB;
    private long bToA;
    private long broadcast;

    /** A port that takes every frame and counts it. */
    static final class Counting implements Bridge.Port {
        long frames;

        @Override
        public boolean deliver(long va, int length) {
            frames++;
            return true;
        }
    }

    @Setup
    public void setUp() {
        FlatGuestMemory mem = new FlatGuestMemory(BASE, 1 << 16);
        bridge = new Bridge("xenbr0", mem, () -> now);
        for (Counting p : ports) {
            bridge.attach(p);
        }
        aToB = frame(mem, 0, B, A);
        bToA = frame(mem, 2048, A, B);
        broadcast = frame(mem, 4096, 0xFFFF_FFFF_FFFFL, A);
        bridge.input(ports[0], aToB, 1514, now); // both learned
        bridge.input(ports[1], bToA, 1514, now);
        bridge.flush();
    }

    private static long frame(GuestMemory mem, int at, long dst, long src) {
        long va = BASE + at;
        for (int i = 0; i < 6; i++) {
            mem.putByte(va + i, (byte) (dst >>> (8 * (5 - i))));
            mem.putByte(va + 6 + i, (byte) (src >>> (8 * (5 - i))));
        }
        mem.putShort(va + 12, (short) 0x0008);
        return va;
    }

    @Benchmark
    public long unicast() {
        bridge.input(ports[0], aToB, 1514, now);
        bridge.input(ports[1], bToA, 1514, now);
        bridge.flush();
        return ports[0].frames;
    }

    @Benchmark
    public long flood() {
        bridge.input(ports[0], broadcast, 1514, now);
        bridge.flush();
        return ports[1].frames;
    }
}
