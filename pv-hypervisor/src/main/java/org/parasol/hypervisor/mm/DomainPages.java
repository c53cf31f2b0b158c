package org.parasol.hypervisor.mm;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.parasol.hypercall.DomId;

/**
 * A domain's page accounting, Xen's {@code d->max_pages} and {@code d->tot_pages}: how many
 * frames the domain may own and how many it owns now.
 *
 * <p>Invariants: {@code 0 <= totPages}; {@code totPages} grows only through
 * {@link FrameTable#allocate(DomainPages)}, which refuses once it reaches {@code maxPages},
 * and shrinks when one of the domain's frames is freed. Lowering {@code maxPages} below
 * {@code totPages} takes nothing away; it only stops further allocation, as in Xen.
 * Hypervisor-owned pages shared with the domain (shared_info, grant frames) are not counted.
 */
public final class DomainPages {
    private static final VarHandle TOT_PAGES;
    private static final VarHandle PT_GENERATION;

    static {
        try {
            TOT_PAGES = MethodHandles.lookup().findVarHandle(DomainPages.class, "totPages", long.class);
            PT_GENERATION = MethodHandles.lookup().findVarHandle(DomainPages.class, "ptGeneration", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int domid;
    private volatile long maxPages;
    @SuppressWarnings("unused") // accessed through TOT_PAGES
    private volatile long totPages;
    @SuppressWarnings("unused") // accessed through PT_GENERATION
    private volatile long ptGeneration;
    /** The domain's P2M list while pages of it are unwritten ({@link FrameTable#deferP2m}), else null. */
    volatile LazyP2m lazyP2m;
    /** Some vCPU of the domain walks shadows of its tables ({@link ShadowPageTables}). */
    private volatile boolean shadowed;

    /**
     * Creates the accounting of domain {@code domid} with a limit of {@code maxPages}.
     *
     * @throws IllegalArgumentException if {@code domid} is not a domid below
     *                                  {@code DOMID_FIRST_RESERVED} or {@code maxPages < 0}
     */
    public DomainPages(int domid, long maxPages) {
        if (domid < 0 || domid >= DomId.DOMID_FIRST_RESERVED) {
            throw new IllegalArgumentException("not a domain id: " + domid);
        }
        if (maxPages < 0) {
            throw new IllegalArgumentException("max_pages must be >= 0: " + maxPages);
        }
        this.domid = domid;
        this.maxPages = maxPages;
    }

    /** The domain's id. */
    public int domid() {
        return domid;
    }

    /** {@code d->max_pages}: the most frames the domain may own. */
    public long maxPages() {
        return maxPages;
    }

    /** {@code d->tot_pages}: the frames the domain owns now. */
    public long totPages() {
        return (long) TOT_PAGES.getVolatile(this);
    }

    /**
     * Sets {@code d->max_pages} ({@code XEN_DOMCTL_max_mem}).
     *
     * @throws IllegalArgumentException if {@code maxPages < 0}
     */
    public void setMaxPages(long maxPages) {
        if (maxPages < 0) {
            throw new IllegalArgumentException("max_pages must be >= 0: " + maxPages);
        }
        this.maxPages = maxPages;
    }

    /** Counts one more page if that stays within {@code max_pages}; false otherwise. */
    boolean charge() {
        return charge(1);
    }

    /** Counts {@code n} more pages if that stays within {@code max_pages}; false (nothing counted) otherwise. */
    boolean charge(long n) {
        long tot;
        do {
            tot = (long) TOT_PAGES.getVolatile(this);
            if (tot > maxPages - n) {
                return false;
            }
        } while (!TOT_PAGES.compareAndSet(this, tot, tot + n));
        return true;
    }

    /** Counts one page less: a frame of the domain was freed (or a charge is undone). */
    void uncharge() {
        uncharge(1);
    }

    /** Counts {@code n} pages less: that many frames of the domain were freed (or charges undone). */
    void uncharge(long n) {
        long was = (long) TOT_PAGES.getAndAdd(this, -n);
        if (was < n) {
            TOT_PAGES.getAndAdd(this, n);
            throw new IllegalStateException("tot_pages of d" + domid + " would go negative");
        }
    }

    /**
     * Counts one change to the domain's page tables made outside its shadowing vCPU's own
     * trapped stores ({@link PageTables} calls it after every entry update, grant mapping and
     * emulated write, with the new entry in place): a {@link ShadowPageTables} that sees the
     * count move drops what it derived and refills from the guest's tables. Any thread.
     */
    void pageTablesChanged() {
        if (shadowed) { // one load on the PV path: a domain nobody shadows pays no atomic add
            PT_GENERATION.getAndAdd(this, 1L);
        }
    }

    /** Marks the domain's tables as shadowed: from now on every change counts. Before the shadow reads the count. */
    void shadowed() {
        shadowed = true;
    }

    /** How many times the domain's page tables have changed ({@link #pageTablesChanged}). Any thread. */
    public long pageTableGeneration() {
        return (long) PT_GENERATION.getAcquire(this);
    }

    @Override
    public String toString() {
        return "d" + domid + " pages " + totPages() + "/" + maxPages;
    }
}
