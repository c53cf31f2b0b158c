package org.parasol.hypervisor.sched;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

import org.parasol.hypervisor.time.Clock;

/**
 * The host's pCPUs and who runs on them: a credit scheduler in the manner of Xen's
 * {@code sched_credit.c}. A vCPU runs guest code only while it holds one of the pCPUs this
 * class hands out; it gives it back at safe points (blocking, polling, yielding, pausing, and
 * the poll of its preempt bit once it should make way).
 *
 * <pre>
 *   every tick (a third of the time slice; Xen's csched_tick)      every time slice (csched_acct)
 *     the running units burn credit: 10 per ms run                   each pool's credits, 300 per pCPU for a
 *     a BOOSTed unit found running drops to UNDER                    30 ms slice, shared among its active
 *                                                                    domains by weight, no domain above its
 *                                                                    cap or its units' one full slice each;
 *   priorities                                                       credit &lt; 0: OVER (and, capped and
 *     BOOST  woke from blocking with credit left                     deep in debt: parked); credit &gt;= 0:
 *     UNDER  credit left                                             UNDER (unparked); credit above a slice's
 *     OVER   overspent                                               worth: off the active list, halved
 * </pre>
 *
 * <p>A unit that wants a pCPU takes a free one of its pool that its hard affinity allows,
 * preferring one its soft affinity names; else it waits on the pool's run queue and, if it
 * outranks a running unit it could replace, asks that one to make way ("tickles" it). A freed
 * pCPU goes straight to the best waiting unit that may run there (highest priority first,
 * first come within one, one that prefers the pCPU before one that merely may). At its safe
 * point a running unit makes way for a waiting one of higher priority, or of the same once
 * its time slice is over; a parked unit, a unit whose pool or affinity no longer has its pCPU,
 * always.
 *
 * <p>Time is the injectable clock's, so a test on a manual clock sees credits move exactly.
 * One lock guards it all; no guest code runs under it and nothing waits while holding it. The
 * paths taken while guests run (acquire, release, the safe-point check, the tick) allocate
 * nothing.
 */
public final class CreditScheduler {
    /** {@code CSCHED_DEFAULT_WEIGHT}. */
    public static final int DEFAULT_WEIGHT = 256;
    /** The largest weight ({@code uint16_t}); xl allows 1 to 65535. */
    public static final int MAX_WEIGHT = 65535;
    /** {@code CSCHED_CREDITS_PER_MSEC}. */
    public static final int CREDITS_PER_MSEC = 10;
    /** {@code CSCHED_TICKS_PER_TSLICE}. */
    public static final int TICKS_PER_TSLICE = 3;
    /** {@code CSCHED_DEFAULT_TSLICE_MS}: 30 ms. */
    public static final long DEFAULT_TSLICE_NANOS = 30_000_000L;
    /** {@code CSCHED_PRI_TS_BOOST}: woke from blocking. */
    public static final int PRI_TS_BOOST = 0;
    /** {@code CSCHED_PRI_TS_UNDER}: has credit. */
    public static final int PRI_TS_UNDER = -1;
    /** {@code CSCHED_PRI_TS_OVER}: overspent. */
    public static final int PRI_TS_OVER = -2;
    /** The pool every pCPU and domain starts in. */
    public static final int POOL0 = 0;
    /** Its name, as {@code xl cpupool-list} shows it. */
    public static final String POOL0_NAME = "Pool-0";

    private static final long NANOS_PER_MSEC = 1_000_000L;
    /** The most slices one accounting hands out credits for, after the timer thread was held up. */
    private static final int MAX_SLICES_ACCOUNTED = 4;
    /** How far below 0 a unit's credit may go, in slices' worth. */
    private static final int FLOOR_SLICES = 2;

    private final Clock clock;
    private final int nrPcpus;
    private final long tsliceNanos;
    private final int creditsPerTslice;
    private final long haltPollMaxNanos;
    private final Object lock = new Object();

    // Guarded by lock.
    private final CreditUnit[] curr;
    private final Cpupool[] poolOf;
    private Cpupool[] pools;
    private int ticks;
    private long accountings;
    /** Clock time of the last accounting. */
    private long lastAccounting;

    /**
     * A scheduler over {@code nrPcpus} pCPUs, all in {@code Pool-0}, with a time slice of
     * {@code tsliceNanos}; a blocking vCPU halt-polls for at most {@code haltPollMaxNanos}
     * (0: never).
     */
    public CreditScheduler(Clock clock, int nrPcpus, long tsliceNanos, long haltPollMaxNanos) {
        if (nrPcpus < 1 || nrPcpus > CpuMask.MAX_PCPUS) {
            throw new IllegalArgumentException("pCPUs must be 1.." + CpuMask.MAX_PCPUS + ": " + nrPcpus);
        }
        if (tsliceNanos < NANOS_PER_MSEC) {
            throw new IllegalArgumentException("the time slice must be at least 1 ms: " + tsliceNanos + " ns");
        }
        if (haltPollMaxNanos < 0) {
            throw new IllegalArgumentException("halt-poll window must not be negative: " + haltPollMaxNanos);
        }
        this.clock = clock;
        this.nrPcpus = nrPcpus;
        this.tsliceNanos = tsliceNanos;
        this.creditsPerTslice = (int) Math.min(Integer.MAX_VALUE / 4, tsliceNanos * CREDITS_PER_MSEC / NANOS_PER_MSEC);
        this.haltPollMaxNanos = haltPollMaxNanos;
        this.curr = new CreditUnit[nrPcpus];
        this.lastAccounting = clock.nanos();
        Cpupool pool0 = new Cpupool(POOL0, POOL0_NAME, CpuMask.first(nrPcpus));
        this.pools = new Cpupool[] {pool0};
        this.poolOf = new Cpupool[nrPcpus];
        Arrays.fill(poolOf, pool0);
    }

    // ---------------------------------------------------------------- the host's view

    /** Number of pCPUs. */
    public int count() {
        return nrPcpus;
    }

    /** The time slice, in ns. */
    public long timeSliceNanos() {
        return tsliceNanos;
    }

    /** How often {@link #tick} should run: a third of the slice ({@code CSCHED_TICKS_PER_TSLICE}). */
    public long tickNanos() {
        return tsliceNanos / TICKS_PER_TSLICE;
    }

    /** Credits one pCPU hands out per time slice (300 for 30 ms). */
    public int creditsPerTslice() {
        return creditsPerTslice;
    }

    /** The longest a blocking vCPU polls for an event before it sleeps; 0: it never polls. */
    public long haltPollMaxNanos() {
        return haltPollMaxNanos;
    }

    /** pCPUs that run no vCPU right now, in every pool. */
    public int available() {
        synchronized (lock) {
            int n = 0;
            for (CreditUnit u : curr) {
                if (u == null) {
                    n++;
                }
            }
            return n;
        }
    }

    /** Accounting periods run since boot. */
    public long accountings() {
        synchronized (lock) {
            return accountings;
        }
    }

    // ---------------------------------------------------------------- pools

    /**
     * Makes a cpupool of {@code cpus}, taken from {@code Pool-0} ({@code xl cpupool-create} with
     * its {@code cpus=}). A vCPU running on one of them makes way at its next safe point.
     *
     * @return the new pool's id
     * @throws IllegalArgumentException if the name is taken or not {@code [A-Za-z0-9_.-]{1,64}},
     *     a pCPU is not in Pool-0, or Pool-0 would be left without a pCPU
     */
    public int createPool(String name, CpuMask cpus) {
        if (name == null || !name.matches("[A-Za-z0-9_.-]{1,64}")) {
            throw new IllegalArgumentException("a cpupool name must be 1-64 of [A-Za-z0-9_.-]: '" + name + "'");
        }
        synchronized (lock) {
            for (Cpupool p : pools) {
                if (p.name.equals(name)) {
                    throw new IllegalArgumentException("a cpupool named '" + name + "' exists");
                }
            }
            Cpupool pool0 = pools[POOL0];
            if (cpus.isEmpty() || !cpus.subsetOf(pool0.cpus)) {
                throw new IllegalArgumentException("pCPUs " + cpus + " are not all free in " + POOL0_NAME + " (" + pool0.cpus + ")");
            }
            if (pool0.cpus.andNot(cpus).isEmpty()) {
                throw new IllegalArgumentException(POOL0_NAME + " must keep a pCPU");
            }
            Cpupool p = new Cpupool(pools.length, name, cpus);
            p.idle = 0;
            pool0.setCpus(pool0.cpus.andNot(cpus));
            pools = Arrays.copyOf(pools, pools.length + 1);
            pools[p.id] = p;
            for (int c : p.cpuList) {
                poolOf[c] = p;
                if (curr[c] == null) {
                    pool0.idle--;
                    p.idle++;
                } else {
                    ask(curr[c]); // it makes way at its next safe point
                }
            }
            for (int i = 0; i < pool0.nrDomains; i++) {
                for (CreditUnit u : pool0.domains[i].units) {
                    keepAffinityInPool(u);
                }
            }
            return p.id;
        }
    }

    /** The pool with id {@code id}, or null. */
    public Cpupool pool(int id) {
        synchronized (lock) {
            return id >= 0 && id < pools.length ? pools[id] : null;
        }
    }

    /** The pool named {@code name}, or null. */
    public Cpupool pool(String name) {
        synchronized (lock) {
            for (Cpupool p : pools) {
                if (p.name.equals(name)) {
                    return p;
                }
            }
            return null;
        }
    }

    /** Every pool, by id. */
    public List<Cpupool> pools() {
        synchronized (lock) {
            return List.of(pools);
        }
    }

    // ---------------------------------------------------------------- domains and units

    /** A domain's scheduling state, in {@code Pool-0} with the default weight and no cap; not yet attached. */
    public CreditDomain newDomain(int domid) {
        synchronized (lock) {
            return new CreditDomain(domid, pools[POOL0]);
        }
    }

    /** A unit for vCPU {@code vcpuId} of {@code d}. */
    public CreditUnit newUnit(CreditDomain d, int vcpuId, CreditUnit.Client client) {
        synchronized (lock) {
            CreditUnit u = new CreditUnit(d, vcpuId, client);
            d.add(u);
            return u;
        }
    }

    /** The domain is listed: its pool accounts it from now on. */
    public void attach(CreditDomain d) {
        synchronized (lock) {
            if (!d.attached) {
                d.attached = true;
                d.pool.addDomain(d);
            }
        }
    }

    /** The domain is being taken apart: its units leave the run queue and its pool forgets it. */
    public void detach(CreditDomain d) {
        synchronized (lock) {
            for (CreditUnit u : d.units) {
                dequeue(u);
                u.parkedWaiting = false;
            }
            if (d.attached) {
                d.attached = false;
                d.pool.removeDomain(d);
            }
        }
    }

    /** {@code XEN_DOMCTL_SCHEDOP_getinfo}'s weight. */
    public int weight(CreditDomain d) {
        synchronized (lock) {
            return d.weight;
        }
    }

    /** {@code XEN_DOMCTL_SCHEDOP_getinfo}'s cap, in percent of one pCPU (0: none). */
    public int cap(CreditDomain d) {
        synchronized (lock) {
            return d.cap;
        }
    }

    /** The pool the domain runs in. */
    public Cpupool poolOf(CreditDomain d) {
        synchronized (lock) {
            return d.pool;
        }
    }

    /**
     * {@code XEN_DOMCTL_SCHEDOP_putinfo} for the credit scheduler: a weight of 0 leaves the
     * weight, a cap of {@code 0xFFFF} leaves the cap, as in Xen.
     *
     * @throws IllegalArgumentException for a weight or cap outside {@code 0 .. 65535}
     */
    public void setParams(CreditDomain d, int weight, int cap) {
        if (weight < 0 || weight > MAX_WEIGHT || cap < 0 || cap > 0xFFFF) {
            throw new IllegalArgumentException("weight and cap are 16-bit: " + weight + ", " + cap);
        }
        synchronized (lock) {
            if (weight != 0) {
                d.weight = weight;
            }
            if (cap != 0xFFFF) {
                d.cap = cap;
            }
        }
    }

    /**
     * Moves the domain to pool {@code poolId} ({@code XEN_SYSCTL_CPUPOOL_OP_MOVEDOMAIN}, or
     * {@code cpupool_id} at creation): its units start afresh there (credit 0, UNDER); a
     * waiting one waits in the new pool, a running one makes way at its next safe point.
     *
     * @throws IllegalArgumentException if there is no such pool
     */
    public void moveDomain(CreditDomain d, int poolId) {
        synchronized (lock) {
            if (poolId < 0 || poolId >= pools.length) {
                throw new IllegalArgumentException("no cpupool " + poolId);
            }
            Cpupool to = pools[poolId];
            if (to == d.pool) {
                return;
            }
            boolean[] waiting = new boolean[d.units.length];
            for (int i = 0; i < waiting.length; i++) {
                CreditUnit u = d.units[i];
                waiting[i] = u.queued || u.parkedWaiting;
                dequeue(u); // from the old pool's queue
                u.parkedWaiting = false;
            }
            if (d.attached) {
                d.pool.removeDomain(d);
                to.addDomain(d);
            }
            d.pool = to;
            for (int i = 0; i < waiting.length; i++) {
                CreditUnit u = d.units[i];
                u.credit = 0;
                u.residual = 0;
                u.active = false;
                u.pri = PRI_TS_UNDER;
                u.parked = false;
                keepAffinityInPool(u);
                if (waiting[i]) {
                    place(u);
                } else if (u.pcpu >= 0) {
                    ask(u);
                }
            }
        }
    }

    /**
     * Sets vCPU affinities ({@code XEN_DOMCTL_setvcpuaffinity}); null leaves one as it is. A
     * waiting unit that may now run on a free pCPU takes it; a running one on a pCPU its hard
     * affinity no longer allows makes way at its next safe point.
     *
     * @throws IllegalArgumentException if {@code hard} has no pCPU of the unit's pool (Xen's
     *     {@code -EINVAL}); nothing changes then
     */
    public void setAffinity(CreditUnit u, CpuMask hard, CpuMask soft) {
        synchronized (lock) {
            if (hard != null && !hard.intersects(u.dom.pool.cpus)) {
                throw new IllegalArgumentException("hard affinity " + hard + " has no pCPU of " + u.dom.pool);
            }
            if (hard != null) {
                u.hard = hard;
            }
            if (soft != null) {
                u.soft = soft;
            }
            updateSoft(u);
            if (u.queued) {
                dequeue(u);
                place(u);
            } else if (u.pcpu >= 0 && !mayRunOn(u, u.pcpu)) {
                ask(u);
            }
        }
    }

    /** The unit's hard affinity. */
    public CpuMask hardAffinity(CreditUnit u) {
        synchronized (lock) {
            return u.hard;
        }
    }

    /** The unit's soft affinity. */
    public CpuMask softAffinity(CreditUnit u) {
        synchronized (lock) {
            return u.soft;
        }
    }

    /** The unit's credit now (its running time so far burnt). */
    public int credit(CreditUnit u) {
        synchronized (lock) {
            if (u.pcpu >= 0) {
                burn(u, clock.nanos());
            }
            return u.credit;
        }
    }

    /** The unit's priority ({@code PRI_TS_*}). */
    public int priority(CreditUnit u) {
        synchronized (lock) {
            return u.pri;
        }
    }

    /** Whether the unit is parked (its capped domain overspent). */
    public boolean parked(CreditUnit u) {
        synchronized (lock) {
            return u.parked;
        }
    }

    /** Wake-ups at which the unit was BOOSTed (or still was, from the wake-up before). */
    public long boosts(CreditUnit u) {
        synchronized (lock) {
            return u.boosts;
        }
    }

    /** Times the unit was parked by its cap. */
    public long parks(CreditUnit u) {
        synchronized (lock) {
            return u.parks;
        }
    }

    /** Time the unit held a pCPU, in ns of the scheduler's clock, up to its last release or tick. */
    public long runNanos(CreditUnit u) {
        synchronized (lock) {
            return u.runNanos;
        }
    }

    // ---------------------------------------------------------------- taking and giving pCPUs

    /**
     * Takes a pCPU for {@code u}, waiting (parked, holding nothing) as long as needed, or until
     * its domain can no longer run; {@code woken} when the vCPU woke from blocking (it is
     * boosted if it has credit and is not parked). The unit's own thread.
     *
     * @return true with a pCPU held, false without one (its domain is dying)
     */
    public boolean acquire(CreditUnit u, boolean woken) {
        if (tryPlace(u, woken)) {
            return true;
        }
        while (u.pcpu < 0) {
            if (!u.client.mayRun()) {
                synchronized (lock) {
                    if (u.pcpu >= 0) {
                        return true;
                    }
                    dequeue(u);
                    u.parkedWaiting = false;
                }
                return false;
            }
            LockSupport.park(this);
        }
        // The pCPU has been its own since the grant: the hand-over (its thread's wake-up) is charged to it, as
        // Xen charges a context switch to the unit switched in, so every moment of a pCPU is some unit's.
        return true;
    }

    /**
     * The unit's thread runs guest code on the pCPU {@link #acquire} gave it: the hand-over is
     * over (see {@link #settled}). The unit's own thread, without the lock.
     */
    public void running(CreditUnit u) {
        u.started = true;
    }

    /**
     * The first half of {@link #acquire}, which never waits: {@code u} takes a free pCPU if it
     * may, else it is queued (or, parked, waits off the queue) and the caller's thread is the
     * one a pCPU handed over later wakes. True when it holds a pCPU now.
     */
    boolean tryPlace(CreditUnit u, boolean woken) {
        synchronized (lock) {
            u.thread = Thread.currentThread();
            if (u.pcpu >= 0) {
                return true;
            }
            if (u.queued || u.parkedWaiting) {
                return false; // put back on the run queue as it made way (requeue): it waits its turn
            }
            if (woken && u.pri >= PRI_TS_UNDER && !u.parked) {
                u.pri = PRI_TS_BOOST; // (a unit still BOOSTed from its last wake-up stays so)
                u.boosts++;
            }
            if (u.parked) {
                u.parkedWaiting = true;
            } else {
                place(u);
            }
            return u.pcpu >= 0;
        }
    }

    /**
     * Gives {@code u}'s pCPU back (charging it the credit it burnt), straight to the best unit
     * waiting for it, if any. The unit's own thread.
     */
    public void release(CreditUnit u) {
        synchronized (lock) {
            giveUp(u);
        }
    }

    /**
     * {@link #release}, and {@code u} wants a pCPU again from the same moment: a free one it may
     * run on, else a place on its pool's run queue behind the units of its priority (off it,
     * while parked), as {@link #acquire} would give it: a vCPU that makes way
     * at its safe point, as Xen puts the descheduled unit back on the run queue in the same
     * {@code schedule()}. Its thread then waits in {@link #acquire}. The unit's own thread.
     */
    public void requeue(CreditUnit u) {
        synchronized (lock) {
            if (u.pcpu < 0) {
                return;
            }
            giveUp(u); // to the unit that should have it next: the one u made way for
            if (u.parked) {
                u.parkedWaiting = true;
            } else {
                place(u); // a free pCPU it may run on, else the run queue
            }
        }
    }

    /**
     * The unit no longer wants a pCPU (its vCPU went down or its domain was paused while it
     * waited): off the run queue, and a pCPU handed to it meanwhile goes on to the next. The
     * unit's own thread.
     */
    public void withdraw(CreditUnit u) {
        synchronized (lock) {
            dequeue(u);
            u.parkedWaiting = false;
            giveUp(u);
        }
    }

    /**
     * At a safe point with the preempt bit raised: whether the running unit should give its
     * pCPU up now — it is parked, its pool or hard affinity no longer has the pCPU, a unit of
     * higher priority waits for the pCPU, or one of the same priority does and the unit's time
     * slice is over. A slice that ended with nobody to make way for starts again.
     */
    public boolean shouldYield(CreditUnit u) {
        synchronized (lock) {
            int p = u.pcpu;
            if (p < 0) {
                return false;
            }
            u.mustDecide = false;
            boolean yield = mustYield(u, p);
            u.leaving = yield;
            return yield;
        }
    }

    private boolean mustYield(CreditUnit u, int p) {
        if (u.parked || poolOf[p] != u.dom.pool || !u.hard.contains(p)) {
            return true;
        }
        long now = clock.nanos();
        CreditUnit w = peek(poolOf[p], p);
        if (now - u.sliceStart >= tsliceNanos) {
            if (w != null && w.pri >= u.pri) {
                return true;
            }
            u.sliceStart = now;
        }
        return w != null && w.pri > u.pri;
    }

    /** {@code SCHEDOP_yield}: whether a unit of the same or higher priority waits for {@code u}'s pCPU. */
    public boolean yieldWanted(CreditUnit u) {
        synchronized (lock) {
            int p = u.pcpu;
            if (p < 0) {
                return false;
            }
            CreditUnit w = peek(poolOf[p], p);
            u.leaving = w != null && w.pri >= u.pri;
            return u.leaving;
        }
    }

    /**
     * Whether every decision the scheduler has taken has been acted on: each pCPU is idle or
     * held by a unit whose thread runs guest code on it, has passed the safe point it was last
     * asked to pass (by a tick, a tickle, a park, a pool or affinity change), and is not on its
     * way out. A test that steps a manual clock waits for this before each step, so every
     * decision is taken at the time it was asked for, however late the host runs the threads.
     * (A vCPU woken from blocking that has not yet asked for its pCPU is not seen.)
     */
    public boolean settled() {
        synchronized (lock) {
            for (CreditUnit u : curr) {
                if (u != null && (!u.started || u.mustDecide || u.leaving)) {
                    return false;
                }
            }
            return true;
        }
    }

    // ---------------------------------------------------------------- halt polling

    /*
     * A halt-polling vCPU holds no pCPU, but its host thread spins on a core all the same. So
     * pollers may only use cores nobody else wants: the pool's free pCPUs, less the vCPUs
     * already woken from a parked block whose threads are on their way to take one (the
     * scheduler does not see them before they ask). Without this a poller spins on the very
     * core the thread that will send its event needs, and its poll ends by its window, not by
     * the event (KVM polls on the halted vCPU's own pCPU, which nothing else wants).
     *
     * When there are more pollers than such cores, the vCPU that blocked last keeps polling
     * and the older pollers sleep: in a chain of hand-offs (a request through a driver domain
     * to a peer and back) the vCPU that blocked last waits for the shortest rest of the chain,
     * and the first one to block for the longest. Lock-free: three counters per pool, read with
     * two fields the scheduler writes under its lock; nothing allocates.
     */

    /**
     * Starts halt polling for {@code u}: returns its ticket in its pool (give it and the pool
     * to {@link #pollMayGoOn} and the pool to {@link #endPoll}), or 0 when no core is to spare.
     */
    public long beginPoll(CreditUnit u) {
        Cpupool pool = u.dom.pool;
        if (pool.queued != 0 || pool.idle - pool.waking.get() <= 0) {
            return 0;
        }
        pool.pollers.incrementAndGet();
        u.pollPool = pool;
        return pool.pollTicket.incrementAndGet();
    }

    /** The pool {@code u}'s last {@link #beginPoll} counted it in (the domain may move meanwhile). */
    public Cpupool pollPool(CreditUnit u) {
        return u.pollPool;
    }

    /**
     * Whether the poller with {@code ticket} may go on polling in {@code pool}: no unit waits
     * for a pCPU, and the pollers fit in the cores nobody else wants, or this is the newest
     * poller and one such core is left.
     */
    public boolean pollMayGoOn(Cpupool pool, long ticket) {
        if (pool.queued != 0) {
            return false;
        }
        int spare = pool.idle - pool.waking.get();
        return spare - pool.pollers.get() >= 0 || spare > 0 && pool.pollTicket.get() == ticket;
    }

    /** A poll that {@link #beginPoll} started in {@code pool} has ended. */
    public void endPoll(Cpupool pool) {
        pool.pollers.decrementAndGet();
    }

    /** vCPUs of pool {@code poolId} woken from a parked block that have not yet asked for a pCPU; for tests and diagnostics. */
    public int waking(int poolId) {
        return pool(poolId).waking.get();
    }

    /** vCPUs halt-polling in pool {@code poolId} now; for tests and diagnostics. */
    public int pollers(int poolId) {
        return pool(poolId).pollers.get();
    }

    /** Whether a vCPU woken from a parked block in {@code pool} has not yet asked for its pCPU. */
    public boolean wakingIn(Cpupool pool) {
        return pool.waking.get() > 0;
    }

    /**
     * A parked, blocked vCPU of {@code u} is being woken: its thread wants a core from now on.
     * Returns the pool counted in, for {@link #wokenPlaced} once the vCPU has asked for its pCPU.
     */
    public Cpupool waking(CreditUnit u) {
        Cpupool pool = u.dom.pool;
        pool.waking.incrementAndGet();
        return pool;
    }

    /** The vCPU {@link #waking} counted has asked for its pCPU (it holds one, or is queued). */
    public void wokenPlaced(Cpupool pool) {
        pool.waking.decrementAndGet();
    }

    /** Whether some unit waits for a pCPU in any pool. */
    public boolean contended() {
        synchronized (lock) {
            for (Cpupool p : pools) {
                if (p.queued > 0) {
                    return true;
                }
            }
            return false;
        }
    }

    // ---------------------------------------------------------------- tick and accounting

    /**
     * The clients of the units that hold a pCPU now, written into {@code out} (one slot per
     * pCPU is enough); returns how many. For the host's tick, which so visits only the vCPUs
     * that run guest code, never the idle ones. Allocates nothing.
     */
    public int runningClients(CreditUnit.Client[] out) {
        synchronized (lock) {
            int n = 0;
            for (CreditUnit u : curr) {
                if (u != null && n < out.length) {
                    out[n++] = u.client;
                }
            }
            return n;
        }
    }

    /** How many domains are on pool {@code poolId}'s active list, which each accounting walks: for tests. */
    public int activeDomains(int poolId) {
        synchronized (lock) {
            return pools[poolId].nrActive;
        }
    }

    /** How many pCPUs the scheduler hands out: the size {@link #runningClients} needs. */
    public int nrPcpus() {
        return nrPcpus;
    }

    /**
     * The scheduler's tick (Xen's {@code csched_tick}), every {@link #tickNanos()}: the running
     * units burn their credit (a BOOSTed one drops to UNDER: it is using the CPU, not waiting
     * for I/O), and every {@link #TICKS_PER_TSLICE}th tick each pool's credits are handed out
     * ({@code csched_acct}). Runs on the timer thread; the caller then asks every running vCPU
     * to pass a safe point, where {@link #shouldYield} decides.
     */
    public void tick() {
        synchronized (lock) {
            long now = clock.nanos();
            for (CreditUnit u : curr) {
                if (u != null) {
                    burn(u, now);
                    if (u.pri == PRI_TS_BOOST) {
                        u.pri = PRI_TS_UNDER;
                    }
                    ask(u); // to pass a safe point, where shouldYield decides
                }
            }
            if (++ticks % TICKS_PER_TSLICE == 0) {
                // Credits for the time that really passed: 300 a pCPU when the ticks came on time.
                long span = Math.max(1, Math.min(MAX_SLICES_ACCOUNTED * (long) creditsPerTslice,
                        (now - lastAccounting) * CREDITS_PER_MSEC / NANOS_PER_MSEC));
                lastAccounting = now;
                for (Cpupool p : pools) {
                    account(p, span);
                }
                accountings++;
            }
        }
    }

    /**
     * {@code csched_acct} for one pool: {@code 300 x pCPUs} credits shared among the domains
     * with active units in proportion to weight x active units, none above its peak (one slice
     * per active unit, or its cap); what a capped or saturated domain cannot take goes to the
     * domains after it. When the pool's units ended the last period in debt in all (the ticks
     * came late, so they ran longer than the credits handed out), the debt is added to what is
     * handed out, and to each domain's peak by weight, so the balance converges to 0 instead
     * of every unit sinking to the floor, where weights no longer count (Xen's
     * {@code credit_balance}).
     *
     * <p>{@code span} is what one pCPU gave in the period, in credits: Xen's 300 for a 30 ms
     * slice when the ticks came on time, more when the timer thread was held up (a loaded
     * host), so the credits handed out match the time the units burnt; the peak, cap, floor
     * and ceiling scale with it.
     */
    private void account(Cpupool pool, long span) {
        long weightTotal = 0;
        // Only the domains on the pool's active list (Xen's active_sdom): one whose units all
        // sat idle through a period left it, so idle domains cost an accounting nothing.
        for (int i = 0; i < pool.nrActive; i++) {
            CreditDomain d = pool.active[i];
            int n = 0;
            for (CreditUnit u : d.units) {
                if (u.active) {
                    n++;
                }
            }
            d.activeUnits = n;
            weightTotal += (long) d.weight * n;
        }
        if (weightTotal == 0) {
            pool.dropInactive();
            return;
        }
        long cpt = span; // credits one pCPU gave in the period: creditsPerTslice when the ticks were on time
        long creditTotal = cpt * pool.cpuList.length;
        long balance = pool.creditBalance;
        if (balance < 0) {
            creditTotal -= balance; // the pool is in debt: converge its balance towards 0
        }
        long newBalance = 0;
        long weightLeft = weightTotal;
        for (int i = 0; i < pool.nrActive; i++) {
            CreditDomain d = pool.active[i];
            int active = d.activeUnits;
            if (active == 0) {
                continue;
            }
            long share = (long) d.weight * active;
            weightLeft -= share;
            long peak = active * cpt;
            if (balance < 0) {
                peak += ceilDiv(-balance * share, weightTotal); // room to pay the debt back
            }
            long unitCap = 0;
            if (d.cap != 0) {
                long capCredits = ceilDiv(d.cap * cpt, 100);
                peak = Math.min(peak, capCredits);
                unitCap = ceilDiv(capCredits, active);
            }
            long fair = ceilDiv(creditTotal * share, weightTotal);
            if (fair >= peak) {
                if (weightLeft != 0) {
                    creditTotal += ceilDiv((fair - peak) * weightTotal, weightLeft); // the rest to the others
                }
                fair = peak;
            }
            long perUnit = ceilDiv(fair, active);
            for (CreditUnit u : d.units) {
                if (!u.active) {
                    continue;
                }
                long credit = u.credit + perUnit;
                if (credit < 0) {
                    setPri(u, PRI_TS_OVER);
                    if (d.cap != 0 && credit < -unitCap && !u.parked) {
                        park(u);
                    }
                    // Xen's floor is one slice's credits; Parasol's is two, because a vCPU gives its
                    // pCPU up only at a safe point, which a host thread waiting for a core reaches late:
                    // debt it runs up meanwhile is charged, not forgiven (deviation 18).
                    credit = Math.max(credit, -FLOOR_SLICES * cpt);
                } else {
                    setPri(u, PRI_TS_UNDER);
                    if (u.parked) {
                        unpark(u);
                    }
                    if (credit > cpt) {
                        u.active = false; // it is not using its share: it stops earning
                        credit /= 2;
                    }
                }
                u.credit = (int) credit;
                newBalance += credit;
            }
        }
        pool.creditBalance = newBalance;
        pool.dropInactive();
    }

    // ---------------------------------------------------------------- internals (lock held)

    /** Charges a running unit for its time since it was last charged: 10 credits per ms. */
    private void burn(CreditUnit u, long now) {
        long delta = now - u.burnFrom;
        if (delta <= 0) {
            return;
        }
        u.runNanos += delta;
        long val = delta * CREDITS_PER_MSEC + u.residual;
        u.credit -= (int) Math.min(Integer.MAX_VALUE / 2, val / NANOS_PER_MSEC);
        u.residual = val % NANOS_PER_MSEC;
        u.burnFrom = now;
        u.active = true;
        CreditDomain d = u.dom;
        if (!d.onActiveList && d.attached) {
            d.pool.addActive(d);
        }
    }

    /** Whether {@code u} may run on pCPU {@code p}: the pCPU is in its pool and its hard affinity. */
    private boolean mayRunOn(CreditUnit u, int p) {
        return poolOf[p] == u.dom.pool && u.hard.contains(p);
    }

    /**
     * Whether the unit's soft affinity says anything within its pool: it names some pCPUs
     * there it may run on, but not all of them (Xen's {@code has_soft_affinity}).
     */
    private static void updateSoft(CreditUnit u) {
        CpuMask allowed = u.hard.and(u.dom.pool.cpus);
        u.softMatters = u.soft.intersects(allowed) && !allowed.subsetOf(u.soft);
    }

    /** Hard affinity that names no pCPU of the unit's pool is broken (reset to all), as Xen does when a pCPU leaves a pool. */
    private static void keepAffinityInPool(CreditUnit u) {
        if (!u.hard.intersects(u.dom.pool.cpus)) {
            u.hard = CpuMask.ALL;
        }
        updateSoft(u);
    }

    /** Gives {@code u} a free pCPU of its pool if one may take it, else queues it and tickles. */
    private void place(CreditUnit u) {
        Cpupool pool = u.dom.pool;
        int best = -1;
        if (pool.idle > 0) {
            for (int p : pool.cpuList) {
                if (curr[p] == null && u.hard.contains(p)) {
                    if (!u.softMatters || u.soft.contains(p)) {
                        best = p;
                        break;
                    }
                    if (best < 0) {
                        best = p;
                    }
                }
            }
        }
        if (best >= 0) {
            pool.idle--;
            grant(u, best, clock.nanos());
            return;
        }
        enqueue(u);
        tickle(u);
    }

    /** {@code __runq_tickle}: the lowest-priority running unit {@code u} outranks and may replace is asked to make way. */
    private void tickle(CreditUnit u) {
        CreditUnit victim = null;
        for (int p : u.dom.pool.cpuList) {
            CreditUnit c = curr[p];
            if (c != null && c.pri < u.pri && u.hard.contains(p) && (victim == null || c.pri < victim.pri)) {
                victim = c;
            }
        }
        if (victim != null) {
            u.tickles++;
            ask(victim);
        }
    }

    /** pCPU {@code p} is free: to the best waiting unit that may run there, or idle. */
    private void dispatch(int p, long now) {
        Cpupool pool = poolOf[p];
        CreditUnit w = peek(pool, p);
        if (w == null) {
            pool.idle++;
            return;
        }
        dequeue(w);
        grant(w, p, now);
    }

    /** Asks the running unit {@code u} to pass a safe point soon, where {@link #shouldYield} decides. */
    private void ask(CreditUnit u) {
        u.mustDecide = true;
        u.client.preempt();
    }

    /** Gives {@code u}'s pCPU, charged up to now, to the best unit waiting for it. */
    private void giveUp(CreditUnit u) {
        int p = u.pcpu;
        if (p < 0) {
            return;
        }
        long now = clock.nanos();
        burn(u, now);
        u.pcpu = -1;
        curr[p] = null;
        u.started = false;
        u.leaving = false;
        u.mustDecide = false;
        dispatch(p, now);
    }

    private void grant(CreditUnit u, int p, long now) {
        curr[p] = u;
        u.burnFrom = now;
        u.sliceStart = now;
        u.started = false;
        u.mustDecide = false;
        u.leaving = false;
        u.pcpu = p; // the waiting thread sees its pCPU: last
        Thread t = u.thread;
        if (t != null && t != Thread.currentThread()) {
            LockSupport.unpark(t);
        }
    }

    /**
     * The unit that should have pCPU {@code p} next: from the highest priority down, the first
     * that prefers {@code p} (soft affinity), else the first that may run there at all.
     */
    private CreditUnit peek(Cpupool pool, int p) {
        if (pool.queued == 0) {
            return null;
        }
        for (int q = 2; q >= 0; q--) {
            CreditUnit mayRun = null;
            for (CreditUnit w = pool.head[q]; w != null; w = w.next) {
                if (!w.hard.contains(p)) {
                    continue;
                }
                if (!w.softMatters || w.soft.contains(p)) {
                    return w;
                }
                if (mayRun == null) {
                    mayRun = w;
                }
            }
            if (mayRun != null) {
                return mayRun;
            }
        }
        return null;
    }

    private static int queueOf(int pri) {
        return pri - PRI_TS_OVER; // OVER 0, UNDER 1, BOOST 2
    }

    private void enqueue(CreditUnit u) {
        Cpupool pool = u.dom.pool;
        int q = queueOf(u.pri);
        u.prev = pool.tail[q];
        u.next = null;
        if (pool.tail[q] == null) {
            pool.head[q] = u;
        } else {
            pool.tail[q].next = u;
        }
        pool.tail[q] = u;
        u.queued = true;
        pool.queued++;
    }

    private void dequeue(CreditUnit u) {
        if (!u.queued) {
            return;
        }
        Cpupool pool = u.dom.pool;
        int q = queueOf(u.pri);
        if (u.prev == null) {
            pool.head[q] = u.next;
        } else {
            u.prev.next = u.next;
        }
        if (u.next == null) {
            pool.tail[q] = u.prev;
        } else {
            u.next.prev = u.prev;
        }
        u.prev = null;
        u.next = null;
        u.queued = false;
        pool.queued--;
    }

    private void setPri(CreditUnit u, int pri) {
        if (u.pri == pri) {
            return;
        }
        if (u.queued) {
            dequeue(u);
            u.pri = pri;
            enqueue(u);
        } else {
            u.pri = pri;
        }
    }

    /** {@code CSCHED_FLAG_UNIT_PARKED}: off the run queue until it earns again; a running one makes way. */
    private void park(CreditUnit u) {
        u.parked = true;
        u.parks++;
        if (u.queued) {
            dequeue(u);
            u.parkedWaiting = true;
        } else if (u.pcpu >= 0) {
            ask(u);
        }
    }

    /** Back from parking: a unit that waited goes on the run queue, unboosted. */
    private void unpark(CreditUnit u) {
        u.parked = false;
        if (u.parkedWaiting) {
            u.parkedWaiting = false;
            place(u);
        }
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    /** A summary of every pool, for logs. */
    @Override
    public String toString() {
        synchronized (lock) {
            List<String> s = new ArrayList<>();
            for (Cpupool p : pools) {
                s.add(p.toString());
            }
            return "credit scheduler, " + nrPcpus + " pCPUs, slice " + tsliceNanos / NANOS_PER_MSEC + " ms: " + s;
        }
    }
}
