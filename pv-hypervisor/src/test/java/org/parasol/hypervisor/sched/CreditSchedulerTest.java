package org.parasol.hypervisor.sched;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.hypervisor.time.Clock;

/**
 * The credit scheduler on an injected clock that moves only when told to, driven step by step as the host drives it: every
 * tick the clock moves on by a third of the slice, {@link CreditScheduler#tick} runs, and each
 * running unit passes its safe point, giving its pCPU up when {@link CreditScheduler#shouldYield}
 * says so and asking for one again at once (a CPU-bound vCPU). Credits and run times are the
 * scheduler's own, on the injected clock, so every figure here is exact and repeatable.
 */
class CreditSchedulerTest {
    private static final long MS = 1_000_000L;
    private static final long SLICE = 30 * MS;

    private final StepClock clock = new StepClock();
    private CreditUnit[] cpuBound = new CreditUnit[0];

    /** The injected clock: it moves only when told to, and allocates nothing when it does. */
    private static final class StepClock implements Clock {
        private long now = 1_000_000_000L;

        void advance(long nanos) {
            now += nanos;
        }

        @Override
        public long nanos() {
            return now;
        }

        @Override
        public long epochNanosAtOrigin() {
            return 0;
        }
    }

    /** A vCPU as the scheduler sees it: it counts the times it was asked to pass a safe point. */
    private static final class FakeVcpu implements CreditUnit.Client {
        int preempts;

        @Override
        public boolean mayRun() {
            return true;
        }

        @Override
        public void preempt() {
            preempts++;
        }
    }

    private CreditScheduler scheduler(int pcpus) {
        return new CreditScheduler(clock, pcpus, SLICE, 0);
    }

    private CreditUnit domain(CreditScheduler s, int domid, int weight, int cap) {
        return domain(s, domid, weight, cap, new FakeVcpu());
    }

    private CreditUnit domain(CreditScheduler s, int domid, int weight, int cap, FakeVcpu vcpu) {
        CreditDomain d = s.newDomain(domid);
        s.attach(d);
        s.setParams(d, weight, cap);
        return s.newUnit(d, 0, vcpu);
    }

    /** Starts {@code u} as a CPU-bound vCPU: it wants a pCPU from now on, always. */
    private void runForever(CreditScheduler s, CreditUnit u) {
        cpuBound = java.util.Arrays.copyOf(cpuBound, cpuBound.length + 1);
        cpuBound[cpuBound.length - 1] = u;
        s.tryPlace(u, false);
    }

    /** One tick of the host: time moves on, the scheduler ticks, the running CPU-bound units pass a safe point. */
    private void tick(CreditScheduler s) {
        clock.advance(s.tickNanos());
        s.tick();
        for (int i = 0; i < cpuBound.length; i++) {
            CreditUnit u = cpuBound[i];
            if (u.pcpu() >= 0 && s.shouldYield(u)) {
                s.release(u);
                s.tryPlace(u, false);
            }
        }
    }

    private void ticks(CreditScheduler s, int n) {
        for (int i = 0; i < n; i++) {
            tick(s);
        }
    }

    @Test
    @DisplayName("a running vCPU burns 10 credits per ms of the injected clock, and one accounting period gives a lone domain its slice's 300 back")
    void shouldBurnTenCreditsPerMillisecond() {
        CreditScheduler s = scheduler(1);
        CreditUnit u = domain(s, 1, 256, 0);
        runForever(s, u);
        assertThat(s.creditsPerTslice()).isEqualTo(300);

        clock.advance(7 * MS + 50_000); // 7.05 ms: 70 credits, 0.5 of one left over
        assertThat(s.credit(u)).isEqualTo(-70);
        clock.advance(50_000);
        assertThat(s.credit(u)).isEqualTo(-71);

        clock.advance(SLICE - 7 * MS - 100_000); // to the end of the first slice
        s.tick();
        s.tick();
        s.tick(); // the third tick accounts
        assertThat(s.accountings()).isEqualTo(1);
        assertThat(s.credit(u)).as("burnt 300, earned 300").isZero();
        assertThat(s.priority(u)).isEqualTo(CreditScheduler.PRI_TS_UNDER);
        assertThat(s.runNanos(u)).isEqualTo(SLICE);
    }

    @Test
    @DisplayName("idle domains leave the pool's active list (Xen's active_sdom) and the tick's view of running vCPUs: accounting and tick visit only what runs")
    void shouldVisitOnlyActiveDomainsAndRunningVcpus() {
        CreditScheduler s = scheduler(2);
        CreditUnit[] once = new CreditUnit[1000];
        for (int i = 0; i < once.length; i++) {
            once[i] = domain(s, 10 + i, 256, 0);
        }
        // Each idle domain ran once (a boot) and blocked: it burnt credit, so it is active.
        for (CreditUnit u : once) {
            assertThat(s.tryPlace(u, false)).isTrue();
            clock.advance(MS / 10);
            s.release(u);
        }
        assertThat(s.activeDomains(0)).isEqualTo(once.length);
        CreditUnit busy = domain(s, 1, 256, 0);
        runForever(s, busy);
        // Each earns a share of 2 pCPUs among 1,001 domains a period (about 1 credit), till it holds
        // more than a slice's worth and stops earning, as in Xen: some 300 periods.
        ticks(s, 3 * 400);
        assertThat(s.activeDomains(0)).as("only the domain that keeps running").isEqualTo(1);
        CreditUnit.Client[] running = new CreditUnit.Client[s.nrPcpus()];
        assertThat(s.runningClients(running)).isEqualTo(1);
        // One wakes and runs again: it rejoins the list while it burns credit.
        runForever(s, once[7]);
        ticks(s, 3);
        assertThat(s.activeDomains(0)).isEqualTo(2);
        assertThat(s.runningClients(running)).isEqualTo(2);
    }

    @Test
    @DisplayName("two CPU-bound domains of weights 256 and 512 on one pCPU get 1:2 of its time (Xen: weights share the CPU proportionally)")
    void shouldShareByWeight() {
        CreditScheduler s = scheduler(1);
        CreditUnit light = domain(s, 1, 256, 0);
        CreditUnit heavy = domain(s, 2, 512, 0);
        runForever(s, light);
        runForever(s, heavy);

        ticks(s, 3 * 1000); // 30 s of simulated time

        double ratio = (double) s.runNanos(heavy) / s.runNanos(light);
        assertThat(ratio).isCloseTo(2.0, within(0.02));
        assertThat(s.runNanos(light) + s.runNanos(heavy)).isEqualTo(1000 * SLICE);
    }

    @Property(tries = 30)
    @Label("any two weights share one pCPU in their proportion, within 5%")
    void shouldShareByAnyWeights(@ForAll @IntRange(min = 64, max = 2048) int w1, @ForAll @IntRange(min = 64, max = 2048) int w2) {
        cpuBound = new CreditUnit[0];
        CreditScheduler s = scheduler(1);
        CreditUnit a = domain(s, 1, w1, 0);
        CreditUnit b = domain(s, 2, w2, 0);
        runForever(s, a);
        runForever(s, b);

        ticks(s, 3 * 2000);

        double share = (double) s.runNanos(a) / (s.runNanos(a) + s.runNanos(b));
        double expected = (double) w1 / (w1 + w2);
        assertThat(share).isCloseTo(expected, within(0.05 * Math.max(expected, 1 - expected)));
    }

    @Test
    @DisplayName("a domain capped at 50 gets half a pCPU even with the pCPU otherwise idle (Xen's cap: a hard limit, in percent of one pCPU)")
    void shouldHoldACappedDomainToItsCap() {
        CreditScheduler s = scheduler(1);
        CreditUnit capped = domain(s, 1, 256, 50);
        runForever(s, capped);

        ticks(s, 3 * 1000);

        double share = (double) s.runNanos(capped) / (1000 * SLICE);
        assertThat(share).isCloseTo(0.50, within(0.03));
        assertThat(s.parks(capped)).as("it was parked, and unparked, again and again").isGreaterThan(100);
    }

    @Test
    @DisplayName("a capped domain beside an uncapped one of equal weight keeps to its cap; the other takes the rest")
    void shouldGiveWhatACappedDomainCannotTakeToTheOthers() {
        CreditScheduler s = scheduler(1);
        CreditUnit capped = domain(s, 1, 256, 25);
        CreditUnit free = domain(s, 2, 256, 0);
        runForever(s, capped);
        runForever(s, free);

        ticks(s, 3 * 1000);

        double share = (double) s.runNanos(capped) / (1000 * SLICE);
        assertThat(share).isCloseTo(0.25, within(0.03));
        assertThat(s.runNanos(capped) + s.runNanos(free)).isEqualTo(1000 * SLICE);
    }

    @Test
    @DisplayName("a vCPU waking from blocking with credit left is BOOSTed, preempts a CPU-bound one at once, and drops to UNDER once it is found running at a tick")
    void shouldBoostAWakingVcpu() {
        CreditScheduler s = scheduler(1);
        FakeVcpu hogVcpu = new FakeVcpu();
        CreditUnit hog = domain(s, 1, 256, 0, hogVcpu);
        CreditUnit io = domain(s, 2, 256, 0);
        runForever(s, hog);
        assertThat(hog.pcpu()).isZero();

        clock.advance(MS);
        assertThat(s.tryPlace(io, true)).as("the pCPU is taken: it waits").isFalse();
        assertThat(s.priority(io)).isEqualTo(CreditScheduler.PRI_TS_BOOST);
        assertThat(s.boosts(io)).isEqualTo(1);
        assertThat(hogVcpu.preempts).as("the running vCPU is tickled").isEqualTo(1);
        assertThat(s.shouldYield(hog)).as("a higher priority waits: make way before the slice ends").isTrue();

        s.release(hog);
        assertThat(io.pcpu()).as("the freed pCPU goes straight to the woken vCPU").isZero();
        s.tryPlace(hog, false);
        clock.advance(s.tickNanos());
        s.tick();
        assertThat(s.priority(io)).as("running at a tick: it uses the CPU, boost ends").isEqualTo(CreditScheduler.PRI_TS_UNDER);
    }

    /** Steps the host until {@code u} is OVER and waiting for the pCPU; fails past a bound. */
    private void tickUntilOver(CreditScheduler s, CreditUnit u, boolean running) {
        for (int i = 0; i < 3000; i++) {
            tick(s);
            if (s.priority(u) == CreditScheduler.PRI_TS_OVER && (u.pcpu() >= 0) == running) {
                return;
            }
        }
        throw new AssertionError("never OVER and " + (running ? "running" : "waiting"));
    }

    @Test
    @DisplayName("no BOOST for a vCPU that wakes without credit (OVER), or for one that was not blocked")
    void shouldNotBoostOverspentOrPreemptedVcpus() {
        CreditScheduler s = scheduler(1);
        CreditUnit light = domain(s, 1, 256, 0);
        CreditUnit heavy = domain(s, 2, 512, 0);
        runForever(s, light);
        runForever(s, heavy);
        assertThat(s.boosts(heavy)).as("queued, not woken").isZero();

        tickUntilOver(s, light, false); // it ran past its share, and waits
        s.release(heavy); // heavy blocks: light runs, OVER
        assertThat(light.pcpu()).isZero();
        long boosts = s.boosts(light);
        s.release(light); // it blocks
        s.tryPlace(light, true); // and wakes, with its credit spent
        assertThat(s.priority(light)).isEqualTo(CreditScheduler.PRI_TS_OVER);
        assertThat(s.boosts(light)).isEqualTo(boosts);
    }

    @Test
    @DisplayName("of two waiting vCPUs the UNDER one runs before the OVER one, however long the OVER one waited")
    void shouldRunUnderBeforeOver() {
        CreditScheduler s = scheduler(1);
        CreditUnit over = domain(s, 1, 256, 0);
        CreditUnit heavy = domain(s, 2, 512, 0);
        runForever(s, over);
        runForever(s, heavy);
        tickUntilOver(s, over, false); // overspent, and waiting behind heavy
        assertThat(heavy.pcpu()).isZero();

        CreditUnit under = domain(s, 3, 256, 0);
        s.tryPlace(under, false); // waits after it, with credit
        s.release(heavy);
        assertThat(under.pcpu()).isZero();
        assertThat(over.pcpu()).isEqualTo(-1);
    }

    @Test
    @DisplayName("a cpupool's pCPUs run only its domains: Pool-0's vCPU waits although the pool's pCPU is idle")
    void shouldKeepDomainsInTheirPool() {
        CreditScheduler s = scheduler(2);
        int id = s.createPool("fast", CpuMask.of(1));
        assertThat(s.pool(id).cpus()).isEqualTo(CpuMask.of(1));
        assertThat(s.pool(CreditScheduler.POOL0).cpus()).isEqualTo(CpuMask.of(0));

        CreditUnit a = domain(s, 1, 256, 0);
        CreditUnit b = domain(s, 2, 256, 0);
        CreditUnit pooled = domain(s, 3, 256, 0);
        s.moveDomain(pooled.domain(), id);
        runForever(s, a);
        runForever(s, b);
        assertThat(a.pcpu()).isZero();
        assertThat(b.pcpu()).as("pCPU 1 is free but belongs to 'fast'").isEqualTo(-1);

        runForever(s, pooled);
        assertThat(pooled.pcpu()).isEqualTo(1);
        ticks(s, 3 * 100);
        assertThat(s.runNanos(pooled)).as("alone in its pool: all of pCPU 1").isEqualTo(100 * SLICE);
        assertThat(s.runNanos(a) + s.runNanos(b)).as("Pool-0 shares pCPU 0 only").isEqualTo(100 * SLICE);
        assertThat((double) s.runNanos(a) / s.runNanos(b)).isCloseTo(1.0, within(0.05));
    }

    @Test
    @DisplayName("a cpupool must take pCPUs Pool-0 has, leave Pool-0 one, and have a new name")
    void shouldRefuseBadPools() {
        CreditScheduler s = scheduler(2);
        assertThatThrownBy(() -> s.createPool("x", CpuMask.of(2))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> s.createPool("x", CpuMask.of(0, 1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Pool-0 must keep a pCPU");
        assertThatThrownBy(() -> s.createPool("Pool-0", CpuMask.of(1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> s.createPool("bad name", CpuMask.of(1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> s.moveDomain(s.newDomain(1), 7)).isInstanceOf(IllegalArgumentException.class);
        s.createPool("x", CpuMask.of(1));
        assertThatThrownBy(() -> s.createPool("y", CpuMask.of(1))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("hard affinity: a vCPU pinned to pCPU 1 waits for it although pCPU 0 is free, and takes it when it is freed")
    void shouldHonourHardAffinity() {
        CreditScheduler s = scheduler(2);
        CreditUnit hog = domain(s, 1, 256, 0);
        CreditUnit pinned = domain(s, 2, 256, 0);
        s.setAffinity(hog, CpuMask.of(1), null);
        s.setAffinity(pinned, CpuMask.of(1), null);
        runForever(s, hog);
        assertThat(hog.pcpu()).isEqualTo(1);
        runForever(s, pinned);
        assertThat(pinned.pcpu()).isEqualTo(-1);

        ticks(s, 3 * 100);
        assertThat(s.runNanos(hog) + s.runNanos(pinned)).as("pCPU 0 was never used").isEqualTo(100 * SLICE);
        assertThat(s.available()).isEqualTo(1);

        s.setAffinity(pinned, CpuMask.ALL, null);
        assertThat(hog.pcpu() == 0 || pinned.pcpu() == 0).as("unpinned, the waiting one takes pCPU 0 at once").isTrue();
        assertThat(s.available()).isZero();
    }

    @Test
    @DisplayName("a running vCPU whose hard affinity no longer has its pCPU is asked to move, and does at its safe point")
    void shouldMoveARunningVcpuOffAPcpuItMayNoLongerUse() {
        CreditScheduler s = scheduler(2);
        FakeVcpu vcpu = new FakeVcpu();
        CreditUnit u = domain(s, 1, 256, 0, vcpu);
        runForever(s, u);
        assertThat(u.pcpu()).isZero();
        s.setAffinity(u, CpuMask.of(1), null);
        assertThat(vcpu.preempts).isEqualTo(1);
        tick(s);
        assertThat(u.pcpu()).isEqualTo(1);
    }

    @Test
    @DisplayName("soft affinity: with every pCPU free a vCPU takes the one it prefers; a hard affinity outside its pool is refused (Xen: -EINVAL)")
    void shouldPreferSoftAffinity() {
        CreditScheduler s = scheduler(4);
        CreditUnit u = domain(s, 1, 256, 0);
        s.setAffinity(u, null, CpuMask.of(2));
        s.tryPlace(u, false);
        assertThat(u.pcpu()).isEqualTo(2);

        CreditUnit v = domain(s, 2, 256, 0);
        s.setAffinity(v, CpuMask.of(2, 3), CpuMask.of(2));
        s.tryPlace(v, false);
        assertThat(v.pcpu()).as("its preferred pCPU is taken: any it may use").isEqualTo(3);

        s.createPool("p", CpuMask.of(3));
        CreditUnit w = domain(s, 3, 256, 0);
        assertThatThrownBy(() -> s.setAffinity(w, CpuMask.of(3), null)).isInstanceOf(IllegalArgumentException.class);
        assertThat(s.hardAffinity(w)).isEqualTo(CpuMask.ALL);
    }

    @Test
    @DisplayName("of the vCPUs waiting at one priority, a freed pCPU goes to one that prefers it before one that merely may use it")
    void shouldHandAFreedPcpuToAVcpuThatPrefersIt() {
        CreditScheduler s = scheduler(2);
        CreditUnit r0 = domain(s, 1, 256, 0);
        CreditUnit r1 = domain(s, 2, 256, 0);
        s.tryPlace(r0, false);
        s.tryPlace(r1, false);
        assertThat(r0.pcpu()).isZero();
        assertThat(r1.pcpu()).isEqualTo(1);
        CreditUnit first = domain(s, 3, 256, 0);
        CreditUnit second = domain(s, 4, 256, 0);
        s.setAffinity(first, null, CpuMask.of(0));
        s.setAffinity(second, null, CpuMask.of(1));
        s.tryPlace(first, false);
        s.tryPlace(second, false);

        s.release(r1);
        assertThat(second.pcpu()).as("pCPU 1 to the vCPU that prefers it, though it came second").isEqualTo(1);
        assertThat(first.pcpu()).isEqualTo(-1);
    }

    @Test
    @DisplayName("putinfo keeps the weight when given 0 and the cap when given 0xFFFF, as Xen's csched_dom_cntl")
    void shouldKeepParamsXenLeavesAlone() {
        CreditScheduler s = scheduler(1);
        CreditDomain d = s.newDomain(1);
        assertThat(s.weight(d)).isEqualTo(256);
        assertThat(s.cap(d)).isZero();
        s.setParams(d, 512, 40);
        s.setParams(d, 0, 0xFFFF);
        assertThat(s.weight(d)).isEqualTo(512);
        assertThat(s.cap(d)).isEqualTo(40);
        assertThatThrownBy(() -> s.setParams(d, 65536, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("the scheduler's paths while guests run (tick, safe-point check, release, acquire) allocate nothing")
    void shouldNotAllocateOnItsPaths() {
        CreditScheduler s = scheduler(2);
        for (int i = 0; i < 4; i++) {
            CreditUnit u = domain(s, i + 1, 256 * (i + 1), i == 3 ? 50 : 0);
            runForever(s, u);
        }
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        ticks(s, 30_000); // warm up: let the JIT compile the paths

        long before = threads.getCurrentThreadAllocatedBytes();
        ticks(s, 30_000);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;

        // 30,000 ticks with several hand-overs each: one object per operation would be far above this.
        assertThat(allocated).isLessThan(30_000);
    }
}
