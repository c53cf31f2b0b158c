package org.parasol.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.parasol.drivers.net.Bridge;
import org.parasol.hypercall.GuestMemory;

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

    private Arena arena;
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
        arena = Arena.ofConfined();
        Plain mem = new Plain(arena.allocate(1 << 16, 64));
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

    @TearDown
    public void tearDown() {
        arena.close();
    }

    private static long frame(Plain mem, int at, long dst, long src) {
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

    /** Guest memory as one plain segment at {@link #BASE}: only what the bridge reads and writes. */
    static final class Plain implements GuestMemory {
        private final MemorySegment seg;

        Plain(MemorySegment seg) {
            this.seg = seg;
        }

        private long at(long va) {
            return va - BASE;
        }

        @Override public byte getByte(long va) { return seg.get(ValueLayout.JAVA_BYTE, at(va)); }
        @Override public void putByte(long va, byte v) { seg.set(ValueLayout.JAVA_BYTE, at(va), v); }
        @Override public short getShort(long va) { return seg.get(ValueLayout.JAVA_SHORT_UNALIGNED, at(va)); }
        @Override public void putShort(long va, short v) { seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, at(va), v); }
        @Override public int getInt(long va) { return seg.get(ValueLayout.JAVA_INT_UNALIGNED, at(va)); }
        @Override public void putInt(long va, int v) { seg.set(ValueLayout.JAVA_INT_UNALIGNED, at(va), v); }
        @Override public long getLong(long va) { return seg.get(ValueLayout.JAVA_LONG_UNALIGNED, at(va)); }
        @Override public void putLong(long va, long v) { seg.set(ValueLayout.JAVA_LONG_UNALIGNED, at(va), v); }
        @Override public byte getByteAcquire(long va) { throw new UnsupportedOperationException(); }
        @Override public void putByteRelease(long va, byte v) { throw new UnsupportedOperationException(); }
        @Override public short getShortAcquire(long va) { throw new UnsupportedOperationException(); }
        @Override public void putShortRelease(long va, short v) { throw new UnsupportedOperationException(); }
        @Override public int getIntAcquire(long va) { throw new UnsupportedOperationException(); }
        @Override public void putIntRelease(long va, int v) { throw new UnsupportedOperationException(); }
        @Override public long getLongAcquire(long va) { throw new UnsupportedOperationException(); }
        @Override public void putLongRelease(long va, long v) { throw new UnsupportedOperationException(); }
        @Override public boolean compareAndSetInt(long va, int e, int u) { throw new UnsupportedOperationException(); }
        @Override public boolean compareAndSetLong(long va, long e, long u) { throw new UnsupportedOperationException(); }
        @Override public int compareAndExchangeInt(long va, int e, int u) { throw new UnsupportedOperationException(); }
        @Override public long compareAndExchangeLong(long va, long e, long u) { throw new UnsupportedOperationException(); }
        @Override public int getAndSetInt(long va, int v) { throw new UnsupportedOperationException(); }
        @Override public long getAndSetLong(long va, long v) { throw new UnsupportedOperationException(); }
        @Override public int getAndAddInt(long va, int d) { throw new UnsupportedOperationException(); }
        @Override public long getAndAddLong(long va, long d) { throw new UnsupportedOperationException(); }
        @Override public int getAndBitwiseOrInt(long va, int m) { throw new UnsupportedOperationException(); }
        @Override public long getAndBitwiseOrLong(long va, long m) { throw new UnsupportedOperationException(); }
        @Override public int getAndBitwiseAndInt(long va, int m) { throw new UnsupportedOperationException(); }
        @Override public long getAndBitwiseAndLong(long va, long m) { throw new UnsupportedOperationException(); }
        @Override public int getAndBitwiseXorInt(long va, int m) { throw new UnsupportedOperationException(); }
        @Override public long getAndBitwiseXorLong(long va, long m) { throw new UnsupportedOperationException(); }

        @Override
        public void copyToSegment(long va, MemorySegment dst, long dstOffset, long length) {
            MemorySegment.copy(seg, at(va), dst, dstOffset, length);
        }

        @Override
        public void copyFromSegment(MemorySegment src, long srcOffset, long va, long length) {
            MemorySegment.copy(src, srcOffset, seg, at(va), length);
        }

        @Override
        public void fill(long va, long length, byte value) {
            seg.asSlice(at(va), length).fill(value);
        }
    }
}
