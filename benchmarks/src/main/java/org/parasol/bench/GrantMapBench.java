package org.parasol.bench;

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
import org.parasol.hypercall.abi.Gntmap;
import org.parasol.hypercall.abi.GnttabOp;
import org.parasol.hypercall.abi.Gntst;
import org.parasol.hypercall.abi.Gtf;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.abi.Uvmf;
import org.parasol.hypercall.struct.GnttabMapGrantRef;
import org.parasol.hypercall.struct.GnttabUnmapGrantRef;
import org.parasol.hypercall.struct.GrantEntryV1;
import org.parasol.hypercall.struct.MmuUpdate;
import org.parasol.hypervisor.HostConfig;
import org.parasol.hypervisor.Hypervisor;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.mm.MachineMemory;
import org.parasol.hypervisor.time.ManualClock;

/**
 * GNTTABOP_map_grant_ref + GNTTABOP_unmap_grant_ref of one page, and of a batch of 32 pages
 * (one map call, one unmap call), beside the same page-table work on the mapper's own pages:
 * update_va_mapping to map and to unmap one page (with INVLPG), and two mmu_update batches of
 * 32 entries.
 *
 * <p>Domain A grants 32 of its frames to B; both are bare domains whose vCPUs the benchmark
 * thread drives (B makes the calls). B maps into free slots of the bootstrap L1 above its
 * 1 MiB of memory. Each unmap batch ends with a TLB shootdown of B (one vCPU: a local flush)
 * before the pins go, as Xen's does.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class GrantMapBench {
    static final int BATCH = 32;
    /** B's mapping window: inside the L1 over [4 MiB, 6 MiB), beyond its 1 MiB of memory. */
    static final long WINDOW = 0x5C0000L;

    private Hypervisor hv;
    private Cpu cpu;
    private long mapOne;
    private long unmapOne;
    private long mapBatch;
    private long unmapBatch;
    private long ownPte;
    private long mmuMap;
    private long mmuUnmap;
    private GuestMemory bm;

    @Setup(Level.Trial)
    public void boot() throws Exception {
        hv = Hypervisor.boot(HostConfig.defaults(32L << 20).withClock(new ManualClock()).withPcpus(1));
        Domain a = hv.createBareDomain(DomainConfig.of("granter", null, 1));
        Domain b = hv.createBareDomain(DomainConfig.of("mapper", null, 1));
        a.vcpu(0).attach();
        b.vcpu(0).attach();
        cpu = b.vcpu(0).cpu();
        bm = cpu.memory();
        long aFree = BareHost.firstFreeVa(a.vcpu(0).cpu().memory(), a.startInfoVa());
        long bFree = BareHost.firstFreeVa(bm, b.startInfoVa());
        if (a.grants().grow(1) != Gntst.OKAY) {
            throw new IllegalStateException("no grant frame");
        }
        SegmentBuffer machine = new SegmentBuffer(hv.machine().segment());
        long table = MachineMemory.maddr(a.grants().frameMfn(0));
        GrantEntryV1 entry = new GrantEntryV1();
        for (int i = 0; i < BATCH; i++) {
            long aMfn = a.vcpu(0).mmu().translate(aFree + 4096L * i, false) >>> 12;
            entry.wrap(machine, table + GrantEntryV1.SIZE * (8 + i)).domid(b.domid()).frame(aMfn)
                    .flagsRelease(Gtf.PERMIT_ACCESS);
        }
        // B's argument pages: map ops, unmap ops, mmu_update requests.
        mapBatch = bFree;
        unmapBatch = bFree + 4096;
        mmuMap = bFree + 8192;
        mmuUnmap = bFree + 12288;
        mapOne = mapBatch;
        unmapOne = unmapBatch;
        for (int i = 0; i < BATCH; i++) {
            long op = mapBatch + i * GnttabMapGrantRef.SIZE;
            bm.putLong(op + GnttabMapGrantRef.HOST_ADDR_OFFSET, WINDOW + 4096L * i);
            bm.putInt(op + GnttabMapGrantRef.FLAGS_OFFSET, Gntmap.HOST_MAP);
            bm.putInt(op + GnttabMapGrantRef.REF_OFFSET, 8 + i);
            bm.putShort(op + GnttabMapGrantRef.DOM_OFFSET, (short) a.domid());
            long pte = hv.pageTables().l1EntryAddress(b.domid(), b.vcpu(0).baseMfn(), WINDOW + 4096L * i);
            long ownMfn = b.vcpu(0).mmu().translate(bFree + 4096L * (4 + i), false) >>> 12;
            bm.putLong(mmuMap + i * MmuUpdate.SIZE + MmuUpdate.PTR_OFFSET, pte | Mmu.NORMAL_PT_UPDATE);
            bm.putLong(mmuMap + i * MmuUpdate.SIZE + MmuUpdate.VAL_OFFSET,
                    (ownMfn << 12) | Mmu.PAGE_PRESENT | Mmu.PAGE_RW | Mmu.PAGE_USER);
            bm.putLong(mmuUnmap + i * MmuUpdate.SIZE + MmuUpdate.PTR_OFFSET, pte | Mmu.NORMAL_PT_UPDATE);
            bm.putLong(mmuUnmap + i * MmuUpdate.SIZE + MmuUpdate.VAL_OFFSET, 0);
        }
        ownPte = ((b.vcpu(0).mmu().translate(bFree + 4096L * 4, false) >>> 12) << 12)
                | Mmu.PAGE_PRESENT | Mmu.PAGE_RW | Mmu.PAGE_USER;
        if (mapUnmapOne() != 0 || mapUnmap32() != 0 || ownMapUnmapOne() != 0 || ownMapUnmap32() != 0) {
            throw new IllegalStateException("map/unmap failed in setup");
        }
    }


    @TearDown(Level.Trial)
    public void close() {
        hv.close();
    }

    /** Fills the unmap list from the handles the last map call returned. */
    private void handlesToUnmap(int n) {
        for (int i = 0; i < n; i++) {
            long op = unmapBatch + i * GnttabUnmapGrantRef.SIZE;
            bm.putLong(op + GnttabUnmapGrantRef.HOST_ADDR_OFFSET, WINDOW + 4096L * i);
            bm.putLong(op + GnttabUnmapGrantRef.DEV_BUS_ADDR_OFFSET, 0);
            bm.putInt(op + GnttabUnmapGrantRef.HANDLE_OFFSET,
                    bm.getInt(mapBatch + i * GnttabMapGrantRef.SIZE + GnttabMapGrantRef.HANDLE_OFFSET));
        }
    }

    /** map_grant_ref then unmap_grant_ref of one page (two hypercalls). */
    @Benchmark
    public long mapUnmapOne() {
        long rc = cpu.hypercall(Hypercall.GRANT_TABLE_OP, GnttabOp.MAP_GRANT_REF, mapOne, 1);
        handlesToUnmap(1);
        return rc | cpu.hypercall(Hypercall.GRANT_TABLE_OP, GnttabOp.UNMAP_GRANT_REF, unmapOne, 1)
                | bm.getShort(unmapOne + GnttabUnmapGrantRef.STATUS_OFFSET);
    }

    /** map_grant_ref of 32 pages in one call, then unmap_grant_ref of the 32 in one call. */
    @Benchmark
    public long mapUnmap32() {
        long rc = cpu.hypercall(Hypercall.GRANT_TABLE_OP, GnttabOp.MAP_GRANT_REF, mapBatch, BATCH);
        handlesToUnmap(BATCH);
        return rc | cpu.hypercall(Hypercall.GRANT_TABLE_OP, GnttabOp.UNMAP_GRANT_REF, unmapBatch, BATCH)
                | bm.getShort(unmapBatch + (BATCH - 1) * GnttabUnmapGrantRef.SIZE + GnttabUnmapGrantRef.STATUS_OFFSET);
    }

    /** Baseline: update_va_mapping of one of B's own pages into the window and back out (INVLPG). */
    @Benchmark
    public long ownMapUnmapOne() {
        return cpu.hypercall(Hypercall.UPDATE_VA_MAPPING, WINDOW, ownPte, Uvmf.INVLPG)
                | cpu.hypercall(Hypercall.UPDATE_VA_MAPPING, WINDOW, 0, Uvmf.INVLPG);
    }

    /** Baseline: mmu_update mapping 32 of B's own pages into the window, then one clearing them. */
    @Benchmark
    public long ownMapUnmap32() {
        return cpu.hypercall(Hypercall.MMU_UPDATE, mmuMap, BATCH, 0, DomId.DOMID_SELF)
                | cpu.hypercall(Hypercall.MMU_UPDATE, mmuUnmap, BATCH, 0, DomId.DOMID_SELF);
    }
}
