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

    private Hypervisor hv;
    private Cpu cpu;
    private long oneOp;
    private long batch;
    private long small;
    private long rx;
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
