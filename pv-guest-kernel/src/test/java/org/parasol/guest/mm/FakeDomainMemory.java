package org.parasol.guest.mm;

import org.parasol.guest.FakePvOps;
import org.parasol.hypercall.StartOfDay;
import org.parasol.hypercall.testing.FlatGuestMemory;

/**
 * A domain's start of day laid out as Parasol's builder does, in {@link FlatGuestMemory}:
 * {@code nrPages} frames (MFN = {@value #MFN_BASE} + PFN) linearly at {@code VIRT_BASE}, the
 * P2M list at PFN 0, then L4, L3, L2 and one L1 (PFNs 1..4) mapping the first {@code mapped}
 * frames. Page-table updates made through the fake pv_ops are written into the tables.
 */
public final class FakeDomainMemory {
    static final long MFN_BASE = 0x1000;
    static final long PRESENT_RW = 0x7;

    final FlatGuestMemory mem;
    final FakePvOps ops = new FakePvOps();
    final P2m p2m;
    final PageTables tables;
    final long nrPages;

    FakeDomainMemory(int nrPages, int mapped) {
        this(nrPages, mapped, nrPages);
    }

    /** As above, with room in the flat memory for {@code room} pages (a balloon's to grow into). */
    public FakeDomainMemory(int nrPages, int mapped, int room) {
        this.nrPages = nrPages;
        this.mem = new FlatGuestMemory(StartOfDay.VIRT_BASE, room * 4096);
        int p2mPages = (nrPages * 8 + 4095) / 4096;
        for (long p = 0; p < nrPages; p++) {
            mem.putLong(Memory.va(0) + 8 * p, MFN_BASE + p);
        }
        long l4 = p2mPages, l3 = l4 + 1, l2 = l3 + 1, l1 = l2 + 1;
        mem.putLong(Memory.va(l4) + 8L * PageTables.index(StartOfDay.VIRT_BASE, 4), ((MFN_BASE + l3) << 12) | PRESENT_RW);
        mem.putLong(Memory.va(l3) + 8L * PageTables.index(StartOfDay.VIRT_BASE, 3), ((MFN_BASE + l2) << 12) | PRESENT_RW);
        mem.putLong(Memory.va(l2) + 8L * PageTables.index(StartOfDay.VIRT_BASE, 2), ((MFN_BASE + l1) << 12) | PRESENT_RW);
        for (long p = 0; p < mapped; p++) {
            mem.putLong(Memory.va(l1) + 8L * PageTables.index(Memory.va(p), 1), ((MFN_BASE + p) << 12) | PRESENT_RW);
        }
        this.p2m = new P2m(mem, Memory.va(0), nrPages);
        this.tables = new PageTables(mem, ops, MFN_BASE + l4, Memory.va(l4));
        tables.adoptTable(MFN_BASE + l3, Memory.va(l3));
        tables.adoptTable(MFN_BASE + l2, Memory.va(l2));
        tables.adoptTable(MFN_BASE + l1, Memory.va(l1));
        // The "hypervisor": apply validated updates to the tables (machine address -> linear VA).
        ops.onApply = (where, pte) -> {
            if (where >= 0) {
                mem.putLong(Memory.va((where >>> 12) - MFN_BASE) + (where & 4095), pte);
            } else { // update_va_mapping: the L1 entry of -where in the current tables
                long va = -where;
                long table = tables.tableOf(va, 1);
                mem.putLong(Memory.va(table - MFN_BASE) + 8L * PageTables.index(va, 1), pte);
            }
        };
    }

    /** The first frame after the bootstrap tables. */
    long firstFree() {
        return (nrPages * 8 + 4095) / 4096 + 4;
    }

    Memory memory() {
        long first = firstFree();
        return new Memory(mem, ops, p2m, tables, first, Memory.probeMappedEnd(tables, first, nrPages));
    }

    /** Memory with room for {@code maxPfn} pages. */
    public Memory memory(long maxPfn) {
        long first = firstFree();
        return new Memory(mem, ops, p2m, tables, first, Memory.probeMappedEnd(tables, first, nrPages), maxPfn);
    }
}
