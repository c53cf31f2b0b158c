package org.parasol.hypervisor.sched;

import java.util.Arrays;

/**
 * One domain in the credit scheduler (Xen's {@code struct csched_dom}): its weight and cap,
 * the cpupool it runs in, and its vCPUs' units. Guarded by the scheduler's lock.
 */
public final class CreditDomain {
    final int domid;
    int weight = CreditScheduler.DEFAULT_WEIGHT;
    /** Percent of one pCPU the domain may use in all; 0: no cap. */
    int cap;
    Cpupool pool;
    /** Whether the domain is in its pool's list (from listing to destroy). */
    boolean attached;
    CreditUnit[] units = new CreditUnit[0];
    /** Units on the active list, counted at each accounting. */
    int activeUnits;
    /** Whether the domain is on its pool's active list ({@link Cpupool#addActive}). */
    boolean onActiveList;

    CreditDomain(int domid, Cpupool pool) {
        this.domid = domid;
        this.pool = pool;
    }

    void add(CreditUnit u) {
        units = Arrays.copyOf(units, units.length + 1);
        units[units.length - 1] = u;
    }

    /** The domain's id. */
    public int domid() {
        return domid;
    }
}
