package org.parasol.guest.grant;

import java.util.Objects;
import java.util.function.LongConsumer;

import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GrantRef;
import org.parasol.hypercall.abi.Gntmap;
import org.parasol.hypercall.abi.Gntst;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.guest.GrantTableCalls;

/**
 * The mapping side of grants (what Linux's {@code gnttab_map_refs} and Mini-OS's
 * {@code gntmap} do): maps another domain's granted page into a window of this domain's
 * address space with {@code GNTTABOP_map_grant_ref} and hands it out as an
 * {@link GrantMapping}, which unmaps it when closed.
 *
 * <pre>
 *  windowVa                                 windowVa + slots * 4 KiB
 *  | slot 0 | slot 1 | ... | slot 511 | slot 512 | ... | slot n-1 |
 *  |<------ one L1 table (2 MiB) ---->|<---- the next L1 table ---->|
 * </pre>
 *
 * <p>The window lies outside the domain's own pages; each L1 table's span of it gets its page
 * tables on the first mapping there ({@code tables}), so a big window that is little used costs
 * little, and the hypervisor writes the mapping entries itself (they carry
 * {@code _PAGE_GNTTAB}, which the guest can neither forge nor overwrite). After an unmap the
 * hypervisor has shot down every TLB entry of the page, so the slot is reused at once.
 *
 * <p>Invariants: used from one vCPU (its {@link GrantTableCalls}); a slot is either free or
 * held by exactly one open mapping; allocates only the {@link GrantMapping} it returns.
 */
public final class GrantMapper {
    private final GrantTableCalls calls;
    private final long windowVa;
    private final int slots;
    private final LongConsumer tables;
    private final int[] free;
    private int freeCount;
    /** Whether each L1 table's span of the window has its page tables yet. */
    private final boolean[] tablesReady;

    /** Slots one L1 table covers. */
    private static final int SLOTS_PER_TABLE = 512;

    /**
     * A mapper over {@code slots} pages at {@code windowVa} (aligned to an L1 table's 2 MiB
     * span); {@code tables} makes the page tables reach an address, and is called once for each
     * L1 span of the window, before the first map into it.
     */
    public GrantMapper(GrantTableCalls calls, long windowVa, int slots, LongConsumer tables) {
        this.calls = Objects.requireNonNull(calls, "calls");
        this.tables = Objects.requireNonNull(tables, "tables");
        long span = (long) SLOTS_PER_TABLE * Mmu.PAGE_SIZE;
        if (windowVa % span != 0 || slots < 1 || slots > 1 << 20) {
            throw new IllegalArgumentException("grant window 0x" + Long.toHexString(windowVa) + " x " + slots
                    + " must start on an L1 table's span and hold 1.." + (1 << 20) + " pages");
        }
        this.tablesReady = new boolean[(slots + SLOTS_PER_TABLE - 1) / SLOTS_PER_TABLE];
        this.windowVa = windowVa;
        this.slots = slots;
        this.free = new int[slots];
        for (int i = 0; i < slots; i++) {
            free[i] = slots - 1 - i; // lowest slot on top
        }
        this.freeCount = slots;
    }

    /** Mappings the window can still take. */
    public int freeSlots() {
        return freeCount;
    }

    /** Mappings open now. */
    public int openMappings() {
        return slots - freeCount;
    }

    /**
     * Maps page {@code ref} that domain {@code granter} granted to this domain, read-only if
     * asked (a read-only grant must be mapped read-only).
     *
     * @throws GrantMapException with the hypervisor's {@code GNTST_*} code if it refuses
     * @throws IllegalStateException if the window is full
     */
    public GrantMapping map(DomId granter, GrantRef ref, boolean readonly) {
        if (freeCount == 0) {
            throw new IllegalStateException("grant mapping window full: " + slots + " mappings open");
        }
        int slot = free[freeCount - 1];
        ensureTables(slot, 1); // before the slot is taken: a table it cannot make leaves it free
        freeCount--;
        long va = windowVa + ((long) slot << Mmu.PAGE_SHIFT);
        GrantTableCalls.MapResult r = calls.mapGrantRef(va, Gntmap.HOST_MAP | (readonly ? Gntmap.READONLY : 0), ref,
                granter);
        if (r.result() < 0 || r.status() != Gntst.OKAY) {
            free[freeCount++] = slot;
            throw new GrantMapException("map_grant_ref of " + ref + " from " + granter
                    + (r.result() < 0 ? " (hypercall returned " + r.result() + ")" : ""),
                    r.result() < 0 ? Gntst.GENERAL_ERROR : r.status());
        }
        return new GrantMapping(this, slot, va, r.handle(), granter, ref, readonly);
    }

    /**
     * Maps {@code refs} of {@code granter} at consecutive addresses (a multi-page ring: the
     * ring's bytes must be contiguous in this domain's view), in order. All or nothing: if
     * one map is refused, those made are unmapped again.
     *
     * @throws GrantMapException with the hypervisor's {@code GNTST_*} code if it refuses one
     * @throws IllegalStateException if the window has no run of that many free slots
     */
    public GrantMapping[] mapRun(DomId granter, GrantRef[] refs, boolean readonly) {
        int n = refs.length;
        boolean[] isFree = new boolean[slots];
        for (int i = 0; i < freeCount; i++) {
            isFree[free[i]] = true;
        }
        int start = -1;
        for (int s = 0, run = 0; s < slots; s++) {
            run = isFree[s] ? run + 1 : 0;
            if (run == n) {
                start = s - n + 1;
                break;
            }
        }
        if (n < 1 || start < 0) {
            throw new IllegalStateException("grant mapping window has no " + n + " consecutive free slots");
        }
        ensureTables(start, n);
        // Take the run's slots off the free stack, keeping the others in order.
        int kept = 0;
        for (int i = 0; i < freeCount; i++) {
            if (free[i] < start || free[i] >= start + n) {
                free[kept++] = free[i];
            }
        }
        freeCount = kept;
        GrantMapping[] out = new GrantMapping[n];
        for (int i = 0; i < n; i++) {
            int slot = start + i;
            long va = windowVa + ((long) slot << Mmu.PAGE_SHIFT);
            GrantTableCalls.MapResult r = calls.mapGrantRef(va, Gntmap.HOST_MAP | (readonly ? Gntmap.READONLY : 0),
                    refs[i], granter);
            if (r.result() < 0 || r.status() != Gntst.OKAY) {
                for (int j = i; j < n; j++) {
                    free[freeCount++] = start + j;
                }
                for (int j = 0; j < i; j++) {
                    out[j].close();
                }
                throw new GrantMapException("map_grant_ref of " + refs[i] + " from " + granter
                        + (r.result() < 0 ? " (hypercall returned " + r.result() + ")" : ""),
                        r.result() < 0 ? Gntst.GENERAL_ERROR : r.status());
            }
            out[i] = new GrantMapping(this, slot, va, r.handle(), granter, refs[i], readonly);
        }
        return out;
    }

    /** Page tables for the L1 spans of slots {@code first} to {@code first + n - 1}, made on first use. */
    private void ensureTables(int first, int n) {
        for (int t = first / SLOTS_PER_TABLE; t <= (first + n - 1) / SLOTS_PER_TABLE; t++) {
            if (!tablesReady[t]) {
                tables.accept(windowVa + (long) t * SLOTS_PER_TABLE * Mmu.PAGE_SIZE);
                tablesReady[t] = true;
            }
        }
    }

    /** Pages the window holds. */
    public int slots() {
        return slots;
    }

    /** {@code GNTTABOP_unmap_grant_ref} of an open mapping; frees its slot when it succeeds. */
    void unmap(GrantMapping m) {
        GrantTableCalls.Status s = calls.unmapGrantRef(m.va(), 0, m.handle());
        if (s.result() < 0 || s.status() != Gntst.OKAY) {
            throw new GrantMapException("unmap_grant_ref of " + m
                    + (s.result() < 0 ? " (hypercall returned " + s.result() + ")" : ""),
                    s.result() < 0 ? Gntst.GENERAL_ERROR : s.status());
        }
        free[freeCount++] = m.slot();
    }
}
