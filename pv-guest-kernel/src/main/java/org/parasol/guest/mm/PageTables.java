package org.parasol.guest.mm;

import java.util.Arrays;
import java.util.function.LongSupplier;

import org.parasol.guest.pvops.PvOps;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.abi.Mmu;

/**
 * The domain's x86-64 4-level page tables, taken over from the domain builder and extended
 * through {@link PvOps}: walks, maps and unmaps (Mini-OS's {@code build_pagetable} and
 * {@code map_frames}).
 *
 * <pre>
 *  va bits: 47..39 L4 index | 38..30 L3 | 29..21 L2 | 20..12 L1 | 11..0 offset
 *  entry:   mfn << 12 | flags (P=1, RW=2, US=4, A=0x20, D=0x40)
 * </pre>
 *
 * <p>A PV guest may read its page tables but never write them: they are mapped read-only
 * and every change is an {@code mmu_update} naming the entry's machine address, which the
 * hypervisor validates. A new table frame is zeroed while still writable, then its own
 * mapping is made read-only ({@code update_va_mapping}), and only then is it hooked into its
 * parent, where the hypervisor validates it as a table of that level.
 *
 * <p>Invariants: every table frame the kernel uses is registered here with the virtual
 * address it is mapped at (read-only); the tables are changed only through {@link PvOps}.
 */
public final class PageTables {
    /** Flags of an entry pointing at a lower-level table. */
    public static final long TABLE_FLAGS = Mmu.PAGE_PRESENT | Mmu.PAGE_RW | Mmu.PAGE_USER;
    /** Flags of a writable leaf mapping. */
    public static final long WRITABLE = Mmu.PAGE_PRESENT | Mmu.PAGE_RW | Mmu.PAGE_USER;
    /** Flags of a read-only leaf mapping. */
    public static final long READ_ONLY = Mmu.PAGE_PRESENT | Mmu.PAGE_USER;

    private final GuestMemory mem;
    private final PvOps ops;
    private final long l4Mfn;
    private long[] tableMfn = new long[16];
    private long[] tableVa = new long[16];
    private int tables;

    /**
     * Takes over the tables whose L4 is {@code l4Mfn}, mapped (read-only) at {@code l4Va}.
     * Further tables are registered with {@link #adoptTable} as they are found.
     */
    public PageTables(GuestMemory mem, PvOps ops, long l4Mfn, long l4Va) {
        this.mem = mem;
        this.ops = ops;
        this.l4Mfn = l4Mfn;
        adoptTable(l4Mfn, l4Va);
    }

    /** The root: the L4 frame {@code CR3} points at. */
    public long l4Mfn() {
        return l4Mfn;
    }

    /** Page-table frames the kernel knows. */
    public int tableCount() {
        return tables;
    }

    /** Records that table frame {@code mfn} is mapped (read-only) at {@code va}. */
    public void adoptTable(long mfn, long va) {
        if (tables == tableMfn.length) {
            tableMfn = Arrays.copyOf(tableMfn, tables * 2);
            tableVa = Arrays.copyOf(tableVa, tables * 2);
        }
        tableMfn[tables] = mfn;
        tableVa[tables] = va;
        tables++;
    }

    /** The virtual address at which the kernel sees page-table frame {@code mfn} (read-only). */
    public long tableVa(long mfn) {
        return vaOfTable(mfn);
    }

    private long vaOfTable(long mfn) {
        for (int i = 0; i < tables; i++) {
            if (tableMfn[i] == mfn) {
                return tableVa[i];
            }
        }
        throw new IllegalStateException("page-table frame " + Long.toHexString(mfn) + " is not mapped by the kernel");
    }

    /** The index of {@code va} in a level-{@code level} table. */
    public static int index(long va, int level) {
        return (int) ((va >>> (Mmu.PAGE_SHIFT + 9 * (level - 1))) & (Mmu.PT_ENTRIES - 1));
    }

    /**
     * The machine frame of the level-{@code level} table on {@code va}'s walk, or -1 if an
     * entry above it is not present.
     */
    public long tableOf(long va, int level) {
        long mfn = l4Mfn;
        for (int l = 4; l > level; l--) {
            long e = mem.getLong(vaOfTable(mfn) + 8L * index(va, l));
            if ((e & Mmu.PAGE_PRESENT) == 0) {
                return -1;
            }
            mfn = (e & Mmu.PAGE_FRAME_MASK) >>> Mmu.PAGE_SHIFT;
        }
        return mfn;
    }

    /** The L1 entry that maps {@code va}, or 0 if a table above it is missing. */
    public long leafEntry(long va) {
        long l1 = tableOf(va, 1);
        return l1 < 0 ? 0 : mem.getLong(vaOfTable(l1) + 8L * index(va, 1));
    }

    /** Whether {@code va} is mapped. */
    public boolean isMapped(long va) {
        return (leafEntry(va) & Mmu.PAGE_PRESENT) != 0;
    }

    /**
     * Maps {@code va} to machine frame {@code mfn} with {@code flags}, creating missing
     * tables with frames from {@code newTableFrame}: each the PFN of a free page that is
     * mapped writable at {@code pfnBaseVa + (pfn << 12)}, its machine frame found through
     * {@code p2m}. In lazy MMU mode the updates may be queued.
     */
    public void map(long va, long mfn, long flags, LongSupplier newTableFrame, P2m p2m, long pfnBaseVa) {
        long table = ensureL1(va, newTableFrame, p2m, pfnBaseVa);
        ops.setPte((table << Mmu.PAGE_SHIFT) + 8L * index(va, 1), (mfn << Mmu.PAGE_SHIFT) | flags);
    }

    /**
     * Makes sure an L1 table covers {@code va}, creating the missing tables as {@link #map}
     * does, and returns its machine frame. Its entries are left as they are.
     */
    public long ensureL1(long va, LongSupplier newTableFrame, P2m p2m, long pfnBaseVa) {
        long table = l4Mfn;
        for (int level = 4; level > 1; level--) {
            long slotVa = vaOfTable(table) + 8L * index(va, level);
            long e = mem.getLong(slotVa);
            if ((e & Mmu.PAGE_PRESENT) == 0) {
                long pfn = newTableFrame.getAsLong();
                long childVa = pfnBaseVa + (pfn << Mmu.PAGE_SHIFT);
                long childMfn = p2m.mfn(pfn);
                mem.fill(childVa, Mmu.PAGE_SIZE, (byte) 0);
                // No writable mapping may remain when the frame becomes a table.
                ops.setPteForVa(childVa, (childMfn << Mmu.PAGE_SHIFT) | READ_ONLY);
                adoptTable(childMfn, childVa);
                ops.setPte((table << Mmu.PAGE_SHIFT) + 8L * index(va, level), (childMfn << Mmu.PAGE_SHIFT) | TABLE_FLAGS);
                // The next walk reads this slot: the hook must be in place, not queued.
                ops.flushLazyMmu();
                table = childMfn;
            } else {
                table = (e & Mmu.PAGE_FRAME_MASK) >>> Mmu.PAGE_SHIFT;
            }
        }
        return table;
    }

    /** Unmaps {@code va} and drops its TLB entry. */
    public void unmap(long va) {
        ops.setPteForVa(va, 0);
    }
}
