package org.parasol.hypervisor.sched;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A cpupool (Xen's {@code struct cpupool}): a set of pCPUs and the domains that run on them
 * alone, with a run queue of its own and credits accounted among its domains only. Pool 0,
 * {@code Pool-0}, holds every pCPU at boot; a pool made later takes its pCPUs from it.
 *
 * <p>The run queue holds the units that wait for a pCPU of the pool, one FIFO list per
 * priority (BOOST, UNDER, OVER); a unit is taken from the highest list that has one which may
 * run on the freed pCPU. Guarded by the scheduler's lock, except the two counters read by
 * halt polling ({@link #idle}, {@link #queued}, {@link #waking}, {@link #pollers}).
 */
public final class Cpupool {
    final int id;
    final String name;
    CpuMask cpus;
    int[] cpuList;
    final CreditUnit[] head = new CreditUnit[3];
    final CreditUnit[] tail = new CreditUnit[3];
    CreditDomain[] domains = new CreditDomain[4];
    int nrDomains;
    /** The sum of its active units' credit after the last accounting (Xen's {@code credit_balance}). */
    long creditBalance;
    /** pCPUs of the pool that run no unit. */
    volatile int idle;
    /** Units on the run queue. */
    volatile int queued;
    /**
     * vCPUs woken from a parked block that have not yet asked for a pCPU: their host threads
     * want a core already, which the scheduler's {@link #idle} does not show yet. Any thread.
     */
    final AtomicInteger waking = new AtomicInteger();
    /** Blocked vCPUs halt-polling on a core of this pool now. Any thread. */
    final AtomicInteger pollers = new AtomicInteger();
    /** The ticket of the poller that began last (tickets count up from 1). Any thread. */
    final AtomicLong pollTicket = new AtomicLong();

    Cpupool(int id, String name, CpuMask cpus) {
        this.id = id;
        this.name = name;
        setCpus(cpus);
        this.idle = cpuList.length;
    }

    void setCpus(CpuMask c) {
        this.cpus = c;
        this.cpuList = c.toArray();
    }

    /**
     * The pool's domains with a unit that burnt credit since the last accounting or is still
     * earning (Xen's {@code active_sdom}), in the order they became active: what an accounting
     * walks. A domain joins when a unit of it burns credit and leaves at the accounting that
     * finds none of its units active, so idle domains cost an accounting nothing.
     */
    CreditDomain[] active = new CreditDomain[4];
    int nrActive;

    void addDomain(CreditDomain d) {
        if (nrDomains == domains.length) {
            domains = Arrays.copyOf(domains, nrDomains * 2);
        }
        domains[nrDomains++] = d;
        for (CreditUnit u : d.units) {
            if (u.active) {
                addActive(d);
                break;
            }
        }
    }

    void removeDomain(CreditDomain d) {
        removeActive(d);
        for (int i = 0; i < nrDomains; i++) {
            if (domains[i] == d) {
                domains[i] = domains[--nrDomains];
                domains[nrDomains] = null;
                return;
            }
        }
    }

    void addActive(CreditDomain d) {
        if (d.onActiveList) {
            return;
        }
        if (nrActive == active.length) {
            active = Arrays.copyOf(active, nrActive * 2);
        }
        active[nrActive++] = d;
        d.onActiveList = true;
    }

    private void removeActive(CreditDomain d) {
        if (!d.onActiveList) {
            return;
        }
        int j = 0;
        for (int i = 0; i < nrActive; i++) {
            if (active[i] != d) {
                active[j++] = active[i];
            }
        }
        for (int i = j; i < nrActive; i++) {
            active[i] = null;
        }
        nrActive = j;
        d.onActiveList = false;
    }

    /** Drops the domains none of whose units is active any more, keeping the others' order. */
    void dropInactive() {
        int j = 0;
        for (int i = 0; i < nrActive; i++) {
            CreditDomain d = active[i];
            boolean any = false;
            for (CreditUnit u : d.units) {
                if (u.active) {
                    any = true;
                    break;
                }
            }
            if (any) {
                active[j++] = d;
            } else {
                d.onActiveList = false;
            }
        }
        for (int i = j; i < nrActive; i++) {
            active[i] = null;
        }
        nrActive = j;
    }

    /** The pool's id ({@code cpupool_id}). */
    public int id() {
        return id;
    }

    /** The pool's name. */
    public String name() {
        return name;
    }

    /** Its pCPUs. */
    public CpuMask cpus() {
        return cpus;
    }

    @Override
    public String toString() {
        return name + " (" + id + ": pCPUs " + cpus + ")";
    }
}
