package org.parasol.bench;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Issue 13's direct baseline, sequential 64 KiB reads with {@code FileChannel} from a file in the
 * page cache, with the destination's footprint varied: is part of the gap between the direct loop
 * and grant I/O the cache state of where the bytes land? The direct loop reads every request into
 * the same 64 KiB buffer, hot in L2; a guest's QD8 stream lands in eight or more buffers spread
 * over its memory. {@code buffers} rotating 64 KiB buffers, one after the other in one
 * allocation, or ({@code spread}) 32 buffers at scattered 64 KiB-aligned addresses of one
 * 512 MiB segment, as guest frames in machine memory are.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class BlockFootprintBench {
    static final int BS = 65536;
    static final long FILE_BYTES = 256L << 20;
    static final long SPREAD_BYTES = 512L << 20;

    /** "1", "8", "32": rotating adjacent buffers; "spread": 32 buffers scattered over a big segment. */
    @Param({"1", "8", "32", "spread"})
    public String buffers;

    private Path file;
    private FileChannel ch;
    private Arena arena;
    private ByteBuffer[] bufs;
    private int next;
    private long pos;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        file = Files.createTempFile("footprint", ".img");
        try (FileChannel w = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocateDirect(1 << 20);
            for (int i = 0; i < b.capacity(); i += 8) {
                b.putLong(i, i * 0x9E3779B97F4A7C15L);
            }
            for (long at = 0; at < FILE_BYTES; at += b.capacity()) {
                b.clear();
                while (b.hasRemaining()) {
                    w.write(b, at + b.position());
                }
            }
        }
        ch = FileChannel.open(file, StandardOpenOption.READ);
        arena = Arena.ofShared();
        if (buffers.equals("spread")) {
            MemorySegment big = arena.allocate(SPREAD_BYTES, 4096);
            bufs = new ByteBuffer[32];
            long slots = SPREAD_BYTES / BS;
            long rng = 12345;
            for (int i = 0; i < bufs.length; i++) {
                rng = rng * 6364136223846793005L + 1442695040888963407L;
                long slot = Long.remainderUnsigned(rng >>> 11, slots);
                bufs[i] = big.asSlice(slot * BS, BS).asByteBuffer();
            }
            // Touch the whole segment once: its pages exist, as a guest's memory does.
            for (long at = 0; at < SPREAD_BYTES; at += 4096) {
                big.set(java.lang.foreign.ValueLayout.JAVA_BYTE, at, (byte) 1);
            }
        } else {
            int n = Integer.parseInt(buffers);
            MemorySegment all = arena.allocate((long) n * BS, 4096);
            bufs = new ByteBuffer[n];
            for (int i = 0; i < n; i++) {
                bufs[i] = all.asSlice((long) i * BS, BS).asByteBuffer();
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        ch.close();
        arena.close();
        Files.deleteIfExists(file);
    }

    /** One 64 KiB read at the next sequential position into the next buffer. */
    @Benchmark
    public int read64k() throws IOException {
        ByteBuffer b = bufs[next];
        next = next + 1 == bufs.length ? 0 : next + 1;
        if (pos > FILE_BYTES - BS) {
            pos = 0;
        }
        b.clear();
        int got = 0;
        while (b.hasRemaining()) {
            got += ch.read(b, pos + b.position());
        }
        pos += BS;
        return got;
    }
}
