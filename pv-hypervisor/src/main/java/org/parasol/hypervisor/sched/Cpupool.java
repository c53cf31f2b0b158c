package org.parasol.hypervisor.sched;

import java.util.Arrays;

/**
 * A cpupool (Xen's {@code struct cpupool}): a set of pCPUs and the domains that run on them
 * alone, with a run queue of its own and credits accounted among its domains only. Pool 0,
 * {@code Pool-0}, holds every pCPU at boot; a pool made later takes its pCPUs from it.
 *
 * <p>The run queue holds the units that wait for a pCPU of the pool, one FIFO list per
 * priority (BOOST, UNDER, OVER); a unit is taken from the highest list that has one which may
 * run on the freed pCPU. Guarded by the scheduler's lock, except the two counters read by
 * halt polling.
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

    void addDomain(CreditDomain d) {
        if (nrDomains == domains.length) {
            domains = Arrays.copyOf(domains, nrDomains * 2);
        }
        domains[nrDomains++] = d;
    }

    void removeDomain(CreditDomain d) {
        for (int i = 0; i < nrDomains; i++) {
            if (domains[i] == d) {
                domains[i] = domains[--nrDomains];
                domains[nrDomains] = null;
                return;
            }
        }
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
