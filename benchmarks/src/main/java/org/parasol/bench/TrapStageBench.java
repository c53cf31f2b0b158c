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
import org.parasol.hypervisor.domain.Vcpu;
import org.parasol.hypervisor.mm.DomainPages;
import org.parasol.hypervisor.mm.MmuContext;
import org.parasol.hypervisor.mm.PageTables;
import org.parasol.hypervisor.mm.TrapRecord;
import org.parasol.hypervisor.mm.VcpuMmu;

/**
 * The trapped PTE write taken apart: each stage of one direct store into a read-only mapped
 * L1 (writable page tables on) measured on its own, through the same public entry points the
 * vCPU uses, with the same alternating update as {@link PteBench} (entry 0 switches between
 * read-only mappings of two frames, so every emulation validates a new entry and drops a
 * reference that is never the last).
 *
 * <pre>
 *   trappedWrite     the whole path: GuestMemory.putLong on the read-only L1 mapping
 *   = faultAndRecord  vCPU entry checks, TLB probe (misses: no writable entry), 4-level walk
 *                     that finds RW clear in the L1 entry (#PF, error code P|W), trap record
 *                     filled and handed to the vCPU; measured with a second VcpuMmu of the
 *                     same vCPU whose emulator accepts the record and does nothing
 *       tlbProbe        of which: entry checks + TLB probe (a read of the same page, TLB hit)
 *       faultWalk       of which: the walk alone (VcpuMmu.translate for a write: -1)
 *   + emulateStore    Vcpu.emulateStore: vm_assist check, re-walk, ptwr, deferred drops
 *       ptwrRewalk      of which: the re-walk to the entry's machine address (translate)
 *       ptwrEmulate     of which: PageTables.emulatePtWrite (recognition: error code, width,
 *                       alignment, frame type under the page-table lock; merge,
 *                       get_page_from_l1e, CAS, put_page_from_l1e) + the deferred-drop check
 *   + resume          return into the store method: no benchmark, the remainder
 * </pre>
 *
 * No stage copies data or waits to add cost; nothing here exists only to be measured except
 * the no-op emulator of {@link #faultAndRecord}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class TrapStageBench {
    private BareHost host;
    private Vcpu vcpu;
    private VcpuMmu mmu;
    private VcpuMmu detect;
    private PageTables pageTables;
    private DomainPages pages;
    private long pteA;
    private long pteB;
    /** Trap records of a store of {@link #pteA} and of {@link #pteB} into entry 0, as the MMU filled them. */
    private TrapRecord storeA;
    private TrapRecord storeB;
    /** Machine address of entry 0. */
    private long entryMa;
    /** Whether entry 0 holds {@link #pteA} now. */
    private boolean holdsA;

    /**
     * The vCPU's own context with the writable-page-table emulator replaced: the record of a
     * faulting store is kept and the store reported as done. Every other call goes to the
     * vCPU.
     */
    static final class RecordingContext implements MmuContext {
        private final Vcpu vcpu;
        TrapRecord last;

        RecordingContext(Vcpu vcpu) {
            this.vcpu = vcpu;
        }

        @Override
        public int domid() {
            return vcpu.domid();
        }

        @Override
        public long baseMfn() {
            return vcpu.baseMfn();
        }

        @Override
        public void wrongThread() {
            vcpu.wrongThread();
        }

        @Override
        public void safePoint() {
            vcpu.safePoint();
        }

        @Override
        public void pageFault(long va, int errorCode) {
            vcpu.pageFault(va, errorCode);
        }

        @Override
        public boolean emulateStore(TrapRecord record) {
            last = record;
            return true;
        }

        @Override
        public void guestBug(String what) {
            vcpu.guestBug(what);
        }
    }

    @Setup(Level.Trial)
    public void boot() throws Exception {
        host = new BareHost(16);
        long[] a = new long[1];
        long[] b = new long[1];
        PteBench.hookL1Tables(host, 1, a, b);
        pteA = a[0];
        pteB = b[0];
        vcpu = host.domain.vcpu(0);
        mmu = vcpu.mmu();
        pageTables = host.hv.pageTables();
        pages = host.domain.pages();
        storeA = record(pteA);
        storeB = record(pteB);
        detect = new VcpuMmu(host.hv.frames(), new RecordingContext(vcpu), vcpu.pollWord());
        detect.setOwner(Thread.currentThread());
        host.mem.putLong(PteBench.TABLES_VA, pteA);
        holdsA = true;
        entryMa = mmu.translate(PteBench.TABLES_VA, false);
        if (entryMa < 0 || host.mem.getLong(PteBench.TABLES_VA) != pteA || mmu.translate(PteBench.TABLES_VA, true) != -1) {
            throw new IllegalStateException("entry 0 of the hooked L1 is not a read-only mapped page-table entry");
        }
    }

    /** The trap record a faulting store of {@code pte} into entry 0 produces, via a recording MMU. */
    private TrapRecord record(long pte) {
        RecordingContext context = new RecordingContext(vcpu);
        VcpuMmu recording = new VcpuMmu(host.hv.frames(), context, vcpu.pollWord());
        recording.setOwner(Thread.currentThread());
        recording.putLong(PteBench.TABLES_VA, pte);
        if (context.last == null || context.last.value() != pte || context.last.vector() != 14) {
            throw new IllegalStateException("the store into the read-only L1 did not trap");
        }
        return context.last;
    }

    @TearDown(Level.Trial)
    public void close() {
        host.close();
    }

    private long nextPte() {
        holdsA = !holdsA;
        return holdsA ? pteA : pteB;
    }

    private TrapRecord nextRecord() {
        holdsA = !holdsA;
        return holdsA ? storeA : storeB;
    }

    /** The whole trapped write. */
    @Benchmark
    public long trappedWrite() {
        long pte = nextPte();
        host.mem.putLong(PteBench.TABLES_VA, pte);
        return pte;
    }

    /** Entry checks, TLB probe, walk to the fault, trap record, hand-off (no emulation). */
    @Benchmark
    public long faultAndRecord() {
        long pte = nextPte();
        detect.putLong(PteBench.TABLES_VA, pte);
        return pte;
    }

    /** Entry checks and a TLB probe that hits: a read of the same page. */
    @Benchmark
    public long tlbProbe() {
        return host.mem.getLong(PteBench.TABLES_VA);
    }

    /** The 4-level walk that finds the L1 entry read-only for a write. */
    @Benchmark
    public long faultWalk() {
        return mmu.translate(PteBench.TABLES_VA, true);
    }

    /** The hypervisor side of the trap: Vcpu.emulateStore on a filled record. */
    @Benchmark
    public boolean emulateStore() {
        return vcpu.emulateStore(nextRecord());
    }

    /** ptwr's re-walk to the machine address of the entry written. */
    @Benchmark
    public long ptwrRewalk() {
        return mmu.translate(PteBench.TABLES_VA, false);
    }

    /** ptwr recognition, validation and update of the entry, and the deferred-drop check. */
    @Benchmark
    public boolean ptwrEmulate() {
        boolean done = pageTables.emulatePtWrite(pages, nextRecord(), entryMa, mmu.deferred());
        return vcpu.releaseDeferredPuts() & done;
    }
}
