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
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.TrapHandler;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.abi.Uvmf;
import org.parasol.hypervisor.mm.MachineMemory;

/**
 * A demand-zero page fault handled by the guest's own page-fault handler, beside the same
 * work done eagerly.
 *
 * <p>The guest registers a {@code #PF} handler with {@code set_trap_table}. {@link #demandZero}
 * loads from an unmapped page: the MMU raises {@code #PF} (not present), the hypervisor writes
 * CR2 and enters the handler, which maps a spare frame of the domain there with
 * {@code update_va_mapping(UVMF_INVLPG)}, zeroes it through the new mapping and returns; the
 * load is retried and hits. The page is then unmapped again ({@code update_va_mapping} of an
 * empty entry) so that the next operation faults too.
 *
 * <p>{@link #eagerZero} is the baseline: the same two {@code update_va_mapping} calls, the
 * same zeroing and the same load, with no fault. The difference between the two is what the
 * fault itself costs: the failed lookup and walk, the delivery to the handler and the retry.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class DemandZeroBench {
    /** Under the builder's L1 for 2..4 MiB and mapped by nobody (shared_info is at 2 MiB). */
    static final long FAULT_VA = 0x20_2000L;
    static final long RW = Mmu.PAGE_PRESENT | Mmu.PAGE_RW | Mmu.PAGE_USER;

    private BareHost host;
    /** The zero frame's PTE, as the guest's page allocator would hand it out. */
    private long zeroPte;
    private long faults;

    /** The guest's page-fault handler: maps and zeroes a page at the faulting address. */
    private final TrapHandler onPageFault = this::pageFault;

    private void pageFault(Cpu cpu, int vector, long errorCode, long address) {
        long page = address & ~0xFFFL;
        if (page != FAULT_VA || (errorCode & 1) != 0) {
            throw new IllegalStateException("unexpected #PF at 0x" + Long.toHexString(address) + " code " + errorCode);
        }
        faults++;
        mapZeroPage(cpu, page);
    }

    private void mapZeroPage(Cpu cpu, long page) {
        long rc = cpu.hypercall(Hypercall.UPDATE_VA_MAPPING, page, zeroPte, Uvmf.INVLPG);
        if (rc != 0) {
            throw new IllegalStateException("update_va_mapping failed: " + rc);
        }
        cpu.memory().fill(page, 4096, (byte) 0);
    }

    @Setup(Level.Trial)
    public void boot() throws Exception {
        host = new BareHost(16);
        var layout = host.domain.layout();
        long frame = host.mem.getLong(layout.p2mVa() + 8 * layout.mappedPages());
        zeroPte = MachineMemory.maddr(frame) | RW;
        // trap_info {u8 vector; u8 flags; u16 cs; u64 address}, ended by an entry with address 0.
        long table = host.freeVa;
        host.mem.fill(table, 32, (byte) 0);
        host.mem.putByte(table, (byte) 14);
        host.mem.putLong(table + 8, host.cpu.registerCode(onPageFault));
        long rc = host.cpu.hypercall(Hypercall.SET_TRAP_TABLE, table);
        if (rc != 0) {
            throw new IllegalStateException("set_trap_table failed: " + rc);
        }
        long before = faults;
        if (demandZero() != 0 || faults != before + 1) {
            throw new IllegalStateException("the demand-zero fault did not go through the handler");
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        host.close();
    }

    private void unmap() {
        long rc = host.cpu.hypercall(Hypercall.UPDATE_VA_MAPPING, FAULT_VA, 0, Uvmf.INVLPG);
        if (rc != 0) {
            throw new IllegalStateException("update_va_mapping (unmap) failed: " + rc);
        }
    }

    /** A load from an unmapped page: #PF, the guest's handler maps a zero page, the load retries. */
    @Benchmark
    public long demandZero() {
        long v = host.mem.getLong(FAULT_VA + 8);
        unmap();
        return v;
    }

    /** Baseline: the handler's work (map, zero), the load and the unmap, with no fault. */
    @Benchmark
    public long eagerZero() {
        mapZeroPage(host.cpu, FAULT_VA);
        long v = host.mem.getLong(FAULT_VA + 8);
        unmap();
        return v;
    }
}
