package org.parasol.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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
import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.abi.Gntcopy;
import org.parasol.hypercall.abi.GnttabOp;
import org.parasol.hypercall.abi.Gntst;
import org.parasol.hypercall.abi.Gtf;
import org.parasol.hypercall.struct.GnttabCopy;
import org.parasol.hypercall.struct.GrantEntryV1;
import org.parasol.hypervisor.HostConfig;
import org.parasol.hypervisor.Hypervisor;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.grant.GrantTable;
import org.parasol.hypervisor.mm.MachineMemory;
import org.parasol.hypervisor.time.ManualClock;

/**
 * GNTTABOP_copy from another domain's grants into the caller's own frames: one 4 KiB copy,
 * and 64 KiB as a batch of 16 copies of 4 KiB, each beside a plain {@link MemorySegment}
 * copy of the same bytes between two native segments; and the per-frame copies of netback,
 * where the claims dominate: 64 bytes out of a read-only grant, and 1514 bytes from the
 * caller's frame into a writable grant (an RX buffer).
 *
 * <p>Domain A grants 16 of its frames to B; both are bare domains whose vCPUs the benchmark
 * thread drives (B makes the calls). A's entries are written into its grant frame from the
 * host side, standing in for A's own mapping of the frame.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class GrantBench {
    static final int PIECES = 16;
    /** netback's TX batch: 32 frames of 1514 bytes, each out of its own read-only grant. */
    static final int TX_BATCH = 32;
    static final int TX_FRAME = 1514;
    /** A 64 KiB grant I/O request: 16 pages, each its own grant. */
    static final int IO_PAGES = 16;

    private Hypervisor hv;
    private Cpu cpu;
    private long oneOp;
    private long batch;
    private long small;
    private long rx;
    private long txBatch;
    private GrantTable granterTable;
    private int copier;
    private final int[] ioRefs = new int[IO_PAGES];
    private final int[] ioLengths = new int[IO_PAGES];
    private final long[] ioMfns = new long[IO_PAGES];
    private Arena arena;
    private MemorySegment from;
    private MemorySegment to;

    @Setup(Level.Trial)
    public void boot() throws Exception {
        hv = Hypervisor.boot(HostConfig.defaults(32L << 20).withClock(new ManualClock()).withPcpus(1));
        Domain a = hv.createBareDomain(DomainConfig.of("granter", null, 2));
        Domain b = hv.createBareDomain(DomainConfig.of("copier", null, 2));
        a.vcpu(0).attach();
        b.vcpu(0).attach();
        GuestMemory am = a.vcpu(0).cpu().memory();
        cpu = b.vcpu(0).cpu();
        GuestMemory bm = cpu.memory();
        long aFree = BareHost.firstFreeVa(am, a.startInfoVa());
        long bFree = BareHost.firstFreeVa(bm, b.startInfoVa());

        if (a.grants().grow(1) != Gntst.OKAY) {
            throw new IllegalStateException("no grant frame");
        }
        SegmentBuffer machine = new SegmentBuffer(hv.machine().segment());
        long table = MachineMemory.maddr(a.grants().frameMfn(0));
        GrantEntryV1 entry = new GrantEntryV1();
        GnttabCopy c = new GnttabCopy();
        SegmentBuffer ops = SegmentBuffer.allocate(GnttabCopy.SIZE * (PIECES + 2));
        for (int i = 0; i < PIECES; i++) {
            int ref = 8 + i;
            long aMfn = a.vcpu(0).mmu().translate(aFree + 4096L * i, false) >>> 12;
            long bMfn = b.vcpu(0).mmu().translate(bFree + 4096L * (i + 1), false) >>> 12;
            am.fill(aFree + 4096L * i, 4096, (byte) i);
            entry.wrap(machine, table + GrantEntryV1.SIZE * ref).domid(b.domid()).frame(aMfn)
                    .flagsRelease(Gtf.PERMIT_ACCESS | Gtf.READONLY);
            c.wrap(ops, GnttabCopy.SIZE * i).sourceRef(ref).sourceDomid(a.domid()).sourceOffset(0)
                    .destGmfn(bMfn).destDomid(DomId.DOMID_SELF).destOffset(0).len(4096).flags(Gntcopy.SOURCE_GREF);
        }
        // A writable grant of A's first page (an RX buffer), and the two per-frame ops.
        long rxMfn = a.vcpu(0).mmu().translate(aFree, false) >>> 12;
        long ownMfn = b.vcpu(0).mmu().translate(bFree + 4096L, false) >>> 12;
        entry.wrap(machine, table + GrantEntryV1.SIZE * 40).domid(b.domid()).frame(rxMfn).flagsRelease(Gtf.PERMIT_ACCESS);
        c.wrap(ops, GnttabCopy.SIZE * PIECES).sourceRef(8).sourceDomid(a.domid()).sourceOffset(0)
                .destGmfn(ownMfn).destDomid(DomId.DOMID_SELF).destOffset(0).len(64).flags(Gntcopy.SOURCE_GREF);
        c.wrap(ops, GnttabCopy.SIZE * (PIECES + 1)).sourceGmfn(ownMfn).sourceDomid(DomId.DOMID_SELF).sourceOffset(0)
                .destRef(40).destDomid(a.domid()).destOffset(64).len(1514).flags(Gntcopy.DEST_GREF);
        batch = bFree + 4096L * (PIECES + 1);
        small = batch + GnttabCopy.SIZE * PIECES;
        rx = batch + GnttabCopy.SIZE * (PIECES + 1);
        bm.copyFromSegment(ops.segment(), 0, batch, ops.capacity());
        oneOp = batch;
        if (copy4k() != 0 || bm.getShort(batch + GnttabCopy.STATUS_OFFSET) != Gntst.OKAY) {
            throw new IllegalStateException("grant copy failed in setup");
        }
        if (copy64FromGrant() != 0 || bm.getShort(small + GnttabCopy.STATUS_OFFSET) != Gntst.OKAY
                || copy1514IntoGrant() != 0 || bm.getShort(rx + GnttabCopy.STATUS_OFFSET) != Gntst.OKAY) {
            throw new IllegalStateException("per-frame grant copy failed in setup");
        }
        // netback's TX batch: frame i out of its own read-only grant (ref 64 + i, a page of A's),
        // into dom0's staging page i / 2 at offset 0 or 2048: consecutive elements share a
        // destination frame in pairs, as netback stages two frames of at most half a page a page.
        SegmentBuffer txOps = SegmentBuffer.allocate(GnttabCopy.SIZE * TX_BATCH);
        long staging = bFree + 4096L * (PIECES + 2);
        for (int i = 0; i < TX_BATCH; i++) {
            int ref = 64 + i;
            long aMfn = a.vcpu(0).mmu().translate(aFree + 4096L * i, false) >>> 12;
            long stageMfn = b.vcpu(0).mmu().translate(staging + 4096L * (i / 2), false) >>> 12;
            entry.wrap(machine, table + GrantEntryV1.SIZE * ref).domid(b.domid()).frame(aMfn)
                    .flagsRelease(Gtf.PERMIT_ACCESS | Gtf.READONLY);
            c.wrap(txOps, GnttabCopy.SIZE * i).sourceRef(ref).sourceDomid(a.domid()).sourceOffset(0)
                    .destGmfn(stageMfn).destDomid(DomId.DOMID_SELF).destOffset((i & 1) * 2048).len(TX_FRAME)
                    .flags(Gntcopy.SOURCE_GREF);
        }
        txBatch = staging + 4096L * (TX_BATCH / 2);
        bm.copyFromSegment(txOps.segment(), 0, txBatch, txOps.capacity());
        if (copyTxBatch32() != 0) {
            throw new IllegalStateException("TX batch failed in setup");
        }
        for (int i = 0; i < TX_BATCH; i++) {
            if (bm.getShort(txBatch + GnttabCopy.SIZE * i + GnttabCopy.STATUS_OFFSET) != Gntst.OKAY) {
                throw new IllegalStateException("TX batch element " + i + " failed in setup");
            }
        }
        // A 64 KiB grant I/O request: 16 writable grants (ref 128 + i) of A's pages, pinned for B.
        for (int i = 0; i < IO_PAGES; i++) {
            int ref = 128 + i;
            long aMfn = a.vcpu(0).mmu().translate(aFree + 4096L * i, false) >>> 12;
            entry.wrap(machine, table + GrantEntryV1.SIZE * ref).domid(b.domid()).frame(aMfn)
                    .flagsRelease(Gtf.PERMIT_ACCESS);
            ioRefs[i] = ref;
            ioLengths[i] = 4096;
        }
        granterTable = a.grants();
        copier = b.domid();
        if (grantIoPins16() != Gntst.OKAY) {
            throw new IllegalStateException("grant I/O pins failed in setup");
        }
        arena = Arena.ofShared();
        from = arena.allocate(4096L * PIECES, 4096);
        to = arena.allocate(4096L * PIECES, 4096);
        from.fill((byte) 7);
    }


    @TearDown(Level.Trial)
    public void close() {
        arena.close();
        hv.close();
    }

    /** One GNTTABOP_copy of 4 KiB from a grant into a local frame. */
    @Benchmark
    public long copy4k() {
        return cpu.hypercall(Hypercall.GRANT_TABLE_OP, GnttabOp.COPY, oneOp, 1);
    }

    /** 64 KiB as one batch of 16 GNTTABOP_copy operations of 4 KiB. */
    @Benchmark
    public long copy64kIn4kPieces() {
        return cpu.hypercall(Hypercall.GRANT_TABLE_OP, GnttabOp.COPY, batch, PIECES);
    }

    /** One GNTTABOP_copy of 64 bytes from a read-only grant into a local frame: the claims' fixed cost. */
    @Benchmark
    public long copy64FromGrant() {
        return cpu.hypercall(Hypercall.GRANT_TABLE_OP, GnttabOp.COPY, small, 1);
    }

    /** One GNTTABOP_copy of 1514 bytes from a local frame into a writable grant: netback's RX copy. */
    @Benchmark
    public long copy1514IntoGrant() {
        return cpu.hypercall(Hypercall.GRANT_TABLE_OP, GnttabOp.COPY, rx, 1);
    }

    /**
     * One GNTTABOP_copy of 32 elements: netback's TX batch, 1514 bytes out of each frame's own
     * read-only grant into dom0's staging pages, two frames to a page.
     */
    @Benchmark
    public long copyTxBatch32() {
        return cpu.hypercall(Hypercall.GRANT_TABLE_OP, GnttabOp.COPY, txBatch, TX_BATCH);
    }

    /**
     * Grant I/O's pins of a 64 KiB read without the file I/O: 16 writable grants pinned for
     * the caller ({@link GrantTable#acquireAll}) and dropped ({@link GrantTable#releaseAll}).
     */
    @Benchmark
    public int grantIoPins16() {
        int rc = granterTable.acquireAll(ioRefs, ioLengths, IO_PAGES, copier, false, ioMfns);
        if (rc == Gntst.OKAY) {
            granterTable.releaseAll(ioRefs, IO_PAGES, false, ioMfns);
        }
        return rc;
    }

    /** Baseline: a plain 4 KiB segment copy. */
    @Benchmark
    public MemorySegment segmentCopy4k() {
        MemorySegment.copy(from, 0, to, 0, 4096);
        return to;
    }

    /** Baseline: a plain 64 KiB segment copy. */
    @Benchmark
    public MemorySegment segmentCopy64k() {
        MemorySegment.copy(from, 0, to, 0, 4096L * PIECES);
        return to;
    }
}
