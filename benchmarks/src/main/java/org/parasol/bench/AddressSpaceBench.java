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
import org.parasol.hypercall.abi.MmuextOp;
import org.parasol.hypervisor.mm.MachineMemory;
import org.parasol.hypervisor.mm.PageTables;

/**
 * An address-space switch and a TLB refill, as a PV guest kernel makes them.
 *
 * <ul>
 *   <li>{@link #switchAddressSpace}: one {@code mmuext_op} with {@code MMUEXT_NEW_BASEPTR},
 *       alternating between two pinned L4 tables that map the same memory ({@code new_guest_cr3}:
 *       a base reference taken on the new L4, the old one dropped, CR3 loaded, the TLB
 *       flushed), then one guest load, which misses the empty TLB and walks four levels.</li>
 *   <li>{@link #flushAndRefill}: the same {@code mmuext_op} shape with {@code
 *       MMUEXT_TLB_FLUSH_LOCAL} instead, and the same load: the switch's baseline, and the TLB
 *       refill row (a load after a full flush).</li>
 *   <li>{@link #flushOnly}: the flush with no load, the refill's baseline.</li>
 * </ul>
 *
 * <p>Setup: the second L4 is a fresh frame of the domain pinned as an L4
 * ({@code MMUEXT_PIN_L4_TABLE} validates it), then given a copy of every present guest slot
 * of the builder's L4 with {@code mmu_update} (each takes an L3 type reference), so both
 * tables translate every address alike.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class AddressSpaceBench {
    private static final int OP_SIZE = 24;

    private BareHost host;
    /** mmuext_op arrays in guest memory: NEW_BASEPTR to each L4, and TLB_FLUSH_LOCAL. */
    private long toFirst;
    private long toSecond;
    private long flush;
    private long loadVa;
    private boolean onSecond;

    @Setup(Level.Trial)
    public void boot() throws Exception {
        host = new BareHost(16);
        var layout = host.domain.layout();
        MemorySegment machine = host.hv.machine().segment();
        long first = layout.l4Mfn();
        long second = host.mem.getLong(layout.p2mVa() + 8 * layout.mappedPages());
        long ops = host.freeVa;
        long scratch = ops + 4096;
        putOp(ops, MmuextOp.PIN_L4_TABLE, second);
        check(host.cpu.hypercall(Hypercall.MMUEXT_OP, ops, 1, 0, DomId.DOMID_SELF), "pin the second L4");
        for (int slot = 0; slot < 512; slot++) {
            if (slot >= PageTables.XEN_L4_FIRST_SLOT && slot <= PageTables.XEN_L4_LAST_SLOT) {
                continue;
            }
            long e = machine.get(ValueLayout.JAVA_LONG, MachineMemory.maddr(first) + 8L * slot);
            if ((e & Mmu.PAGE_PRESENT) == 0) {
                continue;
            }
            host.mem.putLong(scratch, (MachineMemory.maddr(second) + 8L * slot) | Mmu.NORMAL_PT_UPDATE);
            host.mem.putLong(scratch + 8, e);
            check(host.cpu.hypercall(Hypercall.MMU_UPDATE, scratch, 1, 0, DomId.DOMID_SELF), "copy L4 slot " + slot);
        }
        toFirst = ops;
        toSecond = ops + OP_SIZE;
        flush = ops + 2 * OP_SIZE;
        putOp(toFirst, MmuextOp.NEW_BASEPTR, first);
        putOp(toSecond, MmuextOp.NEW_BASEPTR, second);
        putOp(flush, MmuextOp.TLB_FLUSH_LOCAL, 0);
        loadVa = scratch + 4096;
        host.mem.putLong(loadVa, 42);
        // Both address spaces must work before anything is measured.
        for (int i = 0; i < 4; i++) {
            if (switchAddressSpace() != 42) {
                throw new IllegalStateException("the second L4 does not map the load address alike");
            }
        }
    }

    private void putOp(long va, int cmd, long arg1) {
        host.mem.putLong(va, cmd & 0xFFFF_FFFFL);
        host.mem.putLong(va + 8, arg1);
        host.mem.putLong(va + 16, 0);
    }

    private static void check(long rc, String what) {
        if (rc != 0) {
            throw new IllegalStateException(what + " failed: " + rc);
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        host.close();
    }

    /** MMUEXT_NEW_BASEPTR to the other L4 (reference swap, CR3 load, TLB flush), then a load. */
    @Benchmark
    public long switchAddressSpace() {
        long op = onSecond ? toFirst : toSecond;
        onSecond = !onSecond;
        long rc = host.cpu.hypercall(Hypercall.MMUEXT_OP, op, 1, 0, DomId.DOMID_SELF);
        return rc + host.mem.getLong(loadVa);
    }

    /** MMUEXT_TLB_FLUSH_LOCAL, then the same load: it refills one TLB entry with a walk. */
    @Benchmark
    public long flushAndRefill() {
        long rc = host.cpu.hypercall(Hypercall.MMUEXT_OP, flush, 1, 0, DomId.DOMID_SELF);
        return rc + host.mem.getLong(loadVa);
    }

    /** MMUEXT_TLB_FLUSH_LOCAL alone. */
    @Benchmark
    public long flushOnly() {
        return host.cpu.hypercall(Hypercall.MMUEXT_OP, flush, 1, 0, DomId.DOMID_SELF);
    }
}
