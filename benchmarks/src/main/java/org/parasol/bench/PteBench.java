package org.parasol.bench;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.abi.Uvmf;
import org.parasol.hypercall.abi.VmAssist;
import org.parasol.hypervisor.mm.MachineMemory;

/**
 * The first hypercall-versus-trap pair: the same page-table updates made by one
 * {@code mmu_update} batch and by direct stores into the guest's own L1 tables, trapped and
 * emulated (writable page tables). Batches of 1, 16, 256 and 2048 entries.
 *
 * <p>Setup, as a guest would do it: four fresh L1 tables are hooked under the L2 for
 * 8..16 MiB with {@code mmu_update} (which validates them), mapped read-only at 2 MiB + 4 KiB
 * with {@code update_va_mapping}, and {@code VMASST_TYPE_writable_pagetables} is enabled.
 * Entry {@code i} then alternates between two frames of the domain, {@code A[i]} and
 * {@code B[i]}, both mapped read-only: every update goes through the full validation of a new
 * L1 entry ({@code get_page_from_l1e}) and drops the old entry's reference, never the last
 * one (each frame keeps its allocation reference), so no TLB shootdown is needed on either
 * path and both sides do the same work apart from how they enter the hypervisor.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PteBench {
    static final int MAX = 2048;
    static final long TABLES_VA = 0x20_1000L;
    static final long RO = Mmu.PAGE_PRESENT | Mmu.PAGE_USER;

    private BareHost host;
    /** Requests mapping every entry to A, then to B: {@code MAX} requests each, in guest memory. */
    private long toA;
    private long toB;
    private final long[] a = new long[MAX];
    private final long[] b = new long[MAX];
    private boolean parity;

    @Setup(Level.Trial)
    public void boot() throws Exception {
        host = new BareHost(32);
        long[] tables = hookL1Tables(host, 4, a, b);
        toA = host.freeVa + 4096;
        toB = toA + 16L * MAX;
        for (int i = 0; i < MAX; i++) {
            long entry = MachineMemory.maddr(tables[i / 512]) + 8L * (i % 512);
            host.mem.putLong(toA + 16L * i, entry);
            host.mem.putLong(toA + 16L * i + 8, a[i]);
            host.mem.putLong(toB + 16L * i, entry);
            host.mem.putLong(toB + 16L * i + 8, b[i]);
        }
        check(host.cpu.hypercall(Hypercall.MMU_UPDATE, toA, MAX, 0, DomId.DOMID_SELF), "first fill");
    }

    /**
     * The writable-page-table setup, as a guest would make it: {@code n} fresh L1 tables hooked
     * under the L2 for 8 MiB onwards with {@code mmu_update}, mapped read-only from
     * {@link #TABLES_VA} with {@code update_va_mapping}, and {@code VMASST_TYPE_writable_pagetables}
     * enabled. {@code a[i]} and {@code b[i]} receive read-only PTEs of two distinct spare frames
     * for entry {@code i}; the tables stay empty.
     *
     * @return the tables' MFNs
     */
    static long[] hookL1Tables(BareHost host, int n, long[] a, long[] b) {
        var layout = host.domain.layout();
        MemorySegment machine = host.hv.machine().segment();
        long spare = layout.mappedPages();
        long[] tables = new long[n];
        for (int k = 0; k < n; k++) {
            tables[k] = pfnToMfn(host, spare++);
        }
        for (int i = 0; i < a.length; i++) {
            a[i] = MachineMemory.maddr(pfnToMfn(host, spare++)) | RO;
            b[i] = MachineMemory.maddr(pfnToMfn(host, spare++)) | RO;
        }
        // The L2 that covers 0..1 GiB, found by reading the tables (read-only mappings) as a guest could.
        long l4 = layout.l4Mfn();
        long l3 = (machine.get(ValueLayout.JAVA_LONG, MachineMemory.maddr(l4)) & Mmu.PAGE_FRAME_MASK) >>> 12;
        long l2 = (machine.get(ValueLayout.JAVA_LONG, MachineMemory.maddr(l3)) & Mmu.PAGE_FRAME_MASK) >>> 12;
        long scratch = host.freeVa;
        for (int k = 0; k < n; k++) {
            check(host.cpu.hypercall(Hypercall.UPDATE_VA_MAPPING, TABLES_VA + 4096L * k,
                    MachineMemory.maddr(tables[k]) | RO, Uvmf.INVLPG), "map L1 " + k);
            host.mem.putLong(scratch, MachineMemory.maddr(l2) + 8L * (4 + k));
            host.mem.putLong(scratch + 8, MachineMemory.maddr(tables[k]) | RO | Mmu.PAGE_RW);
            check(host.cpu.hypercall(Hypercall.MMU_UPDATE, scratch, 1, 0, DomId.DOMID_SELF), "hook L1 " + k);
        }
        check(host.cpu.hypercall(Hypercall.VM_ASSIST, VmAssist.CMD_ENABLE, VmAssist.TYPE_WRITABLE_PAGETABLES), "vm_assist");
        return tables;
    }

    private static long pfnToMfn(BareHost host, long pfn) {
        return host.mem.getLong(host.domain.layout().p2mVa() + 8 * pfn);
    }

    static void check(long rc, String what) {
        if (rc != 0) {
            throw new IllegalStateException(what + " failed: " + rc);
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        host.close();
    }

    private long hypercall(int n) {
        long reqs = parity ? toA : toB;
        parity = !parity;
        return host.cpu.hypercall(Hypercall.MMU_UPDATE, reqs, n, 0, DomId.DOMID_SELF);
    }

    private long trapped(int n) {
        long[] to = parity ? a : b;
        parity = !parity;
        for (int i = 0; i < n; i++) {
            host.mem.putLong(TABLES_VA + 8L * i, to[i]);
        }
        return n;
    }

    /** One PTE update by mmu_update. */
    @Benchmark
    public long mmuUpdate1() {
        return hypercall(1);
    }

    /** One PTE update by a trapped, emulated store. */
    @Benchmark
    public long trappedWrite1() {
        return trapped(1);
    }

    /** 16 PTE updates in one mmu_update. */
    @Benchmark
    public long mmuUpdate16() {
        return hypercall(16);
    }

    /** 16 trapped stores. */
    @Benchmark
    public long trappedWrite16() {
        return trapped(16);
    }

    /** 256 PTE updates in one mmu_update. */
    @Benchmark
    public long mmuUpdate256() {
        return hypercall(256);
    }

    /** 256 trapped stores. */
    @Benchmark
    public long trappedWrite256() {
        return trapped(256);
    }

    /** 2048 PTE updates in one mmu_update (preemption is checked every 64). */
    @Benchmark
    public long mmuUpdate2048() {
        return hypercall(2048);
    }

    /** 2048 trapped stores. */
    @Benchmark
    public long trappedWrite2048() {
        return trapped(2048);
    }
}
