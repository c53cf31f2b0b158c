package org.parasol.bench;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.parasol.drivers.blk.BlkRequest;
import org.parasol.drivers.blk.BlkResponse;
import org.parasol.drivers.blk.BlkifCodec;
import org.parasol.drivers.ring.BackRing;
import org.parasol.drivers.ring.FrontRing;
import org.parasol.drivers.ring.RingOverflowException;
import org.parasol.hypercall.GuestMemoryBuffer;
import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.abi.Blkif;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.io.SharedRingHeader;
import org.parasol.hypercall.io.SringEntries;

/**
 * A blkif ring's back-end work per request, as blkback does it, over a page reached through
 * guest memory (a bare domain's, as dom0 reaches the front end's mapped ring): the front end
 * fills the 32-slot ring with one-segment reads and pushes; the back end takes them and
 * answers them; the front end takes the answers. Scores are per request (32 per invocation).
 * The front end's part is the same in every variant; only the back end's differs:
 * <ul>
 *   <li>{@code oneAtATime}: {@code consumeRequest}, {@code produceResponse} and a push with the
 *       notify check per request (blkback before the run API);</li>
 *   <li>{@code runPushEach}, {@code runPush4}, {@code runPushOnce}: {@code consumeRequests}
 *       takes the whole run in one copy; responses go in runs of 1, 4 or 32, one push per run.</li>
 * </ul>
 * And the two ways of decoding a run of 32 requests, nothing else: {@code decodeFromPage}
 * decodes each request straight from the shared page (a codec over a view of each slot: each
 * field read is a guest-memory access), {@code decodeCopiedRun} copies the 32 slots to private
 * memory once and decodes from there (what {@code consumeRequests} does).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RingBatchBench {
    private static final int N = 32;

    private BareHost host;
    private FrontRing<BlkRequest, BlkResponse> front;
    private BackRing<BlkRequest, BlkResponse> back;
    private final BlkRequest out = new BlkRequest();
    private final BlkRequest in = new BlkRequest();
    private final BlkResponse rsp = new BlkResponse();
    private final BlkRequest[] reqRun = new BlkRequest[N];
    private final BlkResponse[] rspRun = new BlkResponse[N];
    private final BlkifCodec.Requests codec = new BlkifCodec.Requests();
    private GuestMemoryBuffer[] pageSlots;
    private SegmentBuffer privateRun;
    private SegmentBuffer[] privateSlots;
    private GuestMemoryBuffer page;
    private long id;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        host = new BareHost(4);
        page = new GuestMemoryBuffer(host.mem, host.freeVa, Mmu.PAGE_SIZE);
        front = new FrontRing<>(page, SringEntries.BLKIF_ONE_PAGE, new BlkifCodec.Requests(),
                new BlkifCodec.Responses(), () -> { }).init();
        back = new BackRing<>(page, SringEntries.BLKIF_ONE_PAGE, new BlkifCodec.Requests(),
                new BlkifCodec.Responses(), () -> { }).attach(0);
        if (back.size() != N) {
            throw new IllegalStateException("blkif ring of " + back.size());
        }
        pageSlots = new GuestMemoryBuffer[N];
        privateRun = SegmentBuffer.allocate((long) N * Blkif.RING_ENTRY_SIZE);
        privateSlots = new SegmentBuffer[N];
        for (int s = 0; s < N; s++) {
            reqRun[s] = new BlkRequest();
            rspRun[s] = new BlkResponse();
            pageSlots[s] = new GuestMemoryBuffer(host.mem,
                    host.freeVa + SharedRingHeader.RING_OFFSET + (long) s * Blkif.RING_ENTRY_SIZE, Blkif.RING_ENTRY_SIZE);
            privateSlots[s] = new SegmentBuffer(privateRun.segment().asSlice((long) s * Blkif.RING_ENTRY_SIZE,
                    Blkif.RING_ENTRY_SIZE));
        }
        for (int i = 0; i < 5_000; i++) {
            oneAtATime();
            runPush4();
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        host.close();
    }

    private void fill() {
        for (int i = 0; i < N; i++) {
            front.produceRequest(out.direct(Blkif.OP_READ, ++id, id * 8).segment((int) id & 0xFFFF, 0, 7));
        }
        front.pushRequestsAndCheckNotify();
    }

    private long drain() throws RingOverflowException {
        long sum = 0;
        while (front.consumeResponse(rsp)) {
            sum += rsp.id;
        }
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public long oneAtATime() throws RingOverflowException {
        fill();
        while (back.consumeRequest(in)) {
            back.produceResponse(rsp.set(in.id, in.operation, Blkif.RSP_OKAY));
            back.pushResponsesAndCheckNotify();
        }
        return drain();
    }

    private long runs(int pushEvery) throws RingOverflowException {
        fill();
        int n;
        while ((n = back.consumeRequests(reqRun, N)) > 0) {
            int made = 0;
            for (int i = 0; i < n; i++) {
                BlkRequest r = reqRun[i];
                rspRun[i].set(r.id, r.operation, Blkif.RSP_OKAY);
                if (i + 1 - made == pushEvery || i == n - 1) {
                    back.produceResponses(rspRun, made, i + 1 - made);
                    back.pushResponsesAndCheckNotify();
                    made = i + 1;
                }
            }
        }
        return drain();
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public long runPushEach() throws RingOverflowException {
        return runs(1);
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public long runPush4() throws RingOverflowException {
        return runs(4);
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public long runPushOnce() throws RingOverflowException {
        return runs(N);
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public long decodeFromPage() {
        long sum = 0;
        for (int s = 0; s < N; s++) {
            codec.decode(pageSlots[s], in);
            sum += in.id + in.gref[0];
        }
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public long decodeCopiedRun() {
        MemorySegment dst = privateRun.segment();
        page.getBytes(SharedRingHeader.RING_OFFSET, dst, 0, dst.byteSize());
        long sum = 0;
        for (int s = 0; s < N; s++) {
            codec.decode(privateSlots[s], in);
            sum += in.id + in.gref[0];
        }
        return sum;
    }
}
