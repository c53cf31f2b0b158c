package org.parasol.bench;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;
import org.parasol.drivers.net.Gso;

/**
 * dom0's software GSO ({@link Gso#segment}) of one TCP/IPv4 frame of {@code size} bytes at an
 * MSS of {@code mss}, in private memory only (the bridge's copies in and out of dom0's memory
 * through the MMU are not in it), beside {@code copyAndSum}: one copy of the frame and one
 * ones'-complement sum over it, written plainly, meant as the floor any segmenting that fills in
 * checksums must pay. It is not one as written: in the first runs it measured slower than
 * {@code segment} itself (docs/results.md), so compare {@code segment} against its own earlier
 * figures. Scores are per frame; {@code -prof gc} shows what each allocates.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class GsoBench {
    private static final ValueLayout.OfShort BE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);

    @Param({"65535"})
    int size;

    @Param({"1448", "536"})
    int mss;

    private final Gso gso = new Gso();
    private final MemorySegment copy = MemorySegment.ofArray(new byte[65536]);
    private Blackhole hole;
    private final Gso.Sink sink = (bytes, length, index) -> hole.consume(length);

    @Setup
    public void frame() {
        MemorySegment f = gso.in();
        f.fill((byte) 0);
        f.set(BE_SHORT, 12, (short) 0x0800);
        f.set(ValueLayout.JAVA_BYTE, 14, (byte) 0x45);
        f.set(BE_SHORT, 16, (short) (size - 14));
        f.set(ValueLayout.JAVA_BYTE, 22, (byte) 64);
        f.set(ValueLayout.JAVA_BYTE, 23, (byte) 6);
        f.set(ValueLayout.JAVA_BYTE, 14 + 20 + 12, (byte) (5 << 4));
        f.set(ValueLayout.JAVA_BYTE, 14 + 20 + 13, (byte) 0x18);
        for (int i = 54; i < size; i++) {
            f.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 7));
        }
    }

    @Benchmark
    public int segment(Blackhole bh) {
        hole = bh;
        return gso.segment(size, mss, sink);
    }

    @Benchmark
    public long copyAndSum() {
        MemorySegment.copy(gso.in(), 0, copy, 0, size);
        long acc = 0;
        for (int i = 0; i + 1 < size; i += 2) {
            acc += copy.get(BE_SHORT, i) & 0xFFFF;
        }
        return acc;
    }
}
