package org.parasol.bench;

import java.lang.foreign.Arena;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.parasol.drivers.ring.BackRing;
import org.parasol.drivers.ring.EntryCodec;
import org.parasol.drivers.ring.FrontRing;
import org.parasol.drivers.ring.RingOverflowException;
import org.parasol.hypercall.GuestMemoryBuffer;
import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.SharedBuffer;
import org.parasol.hypercall.abi.Mmu;

/**
 * One request and its response through a shared ring, both ends on the benchmark thread and
 * no notification: produce and push a request, consume it and produce and push the response,
 * consume the response. Once with the page as a native segment ({@code SegmentBuffer}, as
 * tests hold it) and once through guest memory ({@code GuestMemoryBuffer} over a bare
 * domain's page, as drivers in domains hold it). Each setup drives the other kind of page
 * first, so the ring's accesses to the page are bimorphic, as in a JVM running both.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RingBench {
    /** A 16-byte entry: a sequence number and a stamp. */
    static final class Msg {
        long seq;
        long stamp;
    }

    static final EntryCodec<Msg> CODEC = new EntryCodec<>() {
        @Override
        public long byteSize() {
            return 16;
        }

        @Override
        public void encode(Msg m, SharedBuffer dst) {
            dst.putLong(0, m.seq);
            dst.putLong(8, m.stamp);
        }

        @Override
        public void decode(SharedBuffer src, Msg into) {
            into.seq = src.getLong(0);
            into.stamp = src.getLong(8);
        }
    };

    private final Msg out = new Msg();
    private final Msg in = new Msg();
    private BareHost host;
    private Arena arena;
    private FrontRing<Msg, Msg> segmentFront;
    private BackRing<Msg, Msg> segmentBack;
    private FrontRing<Msg, Msg> guestFront;
    private BackRing<Msg, Msg> guestBack;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        host = new BareHost(4);
        arena = Arena.ofShared();
        SharedBuffer segmentPage = new SegmentBuffer(arena.allocate(Mmu.PAGE_SIZE, Mmu.PAGE_SIZE));
        segmentFront = new FrontRing<>(segmentPage, CODEC, CODEC, () -> { }).init();
        segmentBack = new BackRing<>(segmentPage, CODEC, CODEC, () -> { }).attach(0);
        SharedBuffer guestPage = new GuestMemoryBuffer(host.mem, host.freeVa, Mmu.PAGE_SIZE);
        guestFront = new FrontRing<>(guestPage, CODEC, CODEC, () -> { }).init();
        guestBack = new BackRing<>(guestPage, CODEC, CODEC, () -> { }).attach(0);
        for (int i = 0; i < 20_000; i++) {
            round(segmentFront, segmentBack);
            round(guestFront, guestBack);
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        host.close();
        arena.close();
    }

    private long round(FrontRing<Msg, Msg> front, BackRing<Msg, Msg> back) throws RingOverflowException {
        out.seq++;
        out.stamp = out.seq * 31;
        front.produceRequest(out);
        front.pushRequestsAndCheckNotify();
        if (!back.consumeRequest(in)) {
            throw new IllegalStateException("request lost");
        }
        in.stamp++;
        back.produceResponse(in);
        back.pushResponsesAndCheckNotify();
        if (!front.consumeResponse(in) || in.seq != out.seq) {
            throw new IllegalStateException("response lost");
        }
        return in.stamp;
    }

    /** A request and its response over a page held as a native segment. */
    @Benchmark
    public long segmentPageRound() throws RingOverflowException {
        return round(segmentFront, segmentBack);
    }

    /** The same over a page reached through guest memory. */
    @Benchmark
    public long guestPageRound() throws RingOverflowException {
        return round(guestFront, guestBack);
    }
}
