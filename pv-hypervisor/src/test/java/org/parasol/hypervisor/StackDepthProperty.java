package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GuestKernel;
import org.parasol.hypercall.Port;
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypercall.guest.ArgumentPage;
import org.parasol.hypercall.guest.ConsoleIoCalls;
import org.parasol.hypercall.guest.EventChannelCalls;
import org.parasol.hypercall.guest.MemoryOpCalls;
import org.parasol.hypercall.guest.SchedOpCalls;
import org.parasol.hypercall.guest.TimerCalls;
import org.parasol.hypercall.guest.XenVersionCalls;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * "The guest chooses the stack depth the hypervisor runs at": a hostile domain recurses to a
 * random depth, or until its stack overflows, and then makes hypercalls that take the
 * hypervisor's locks (event channels, timers, the console, the frame table) at every frame
 * as it unwinds, catching everything. Beside it a metronome domain ticks on a 2 ms timer.
 * Whatever the depth: no exception reaches the dispatch boundary, every lock is free
 * afterwards, every frame comes back, the metronome keeps its period, a new domain still
 * boots, and the hostile domain either finished or crashed (never the host).
 */
class StackDepthProperty {
    private static final long TICK_NANOS = 2_000_000;
    /** jqwik runs no JUnit extension: the container checks for leaks itself once it closed the host. */
    private static final LeakCheck LEAKS = new LeakCheck();
    private static Hypervisor hv;
    private static Domain metronome;
    private static final AtomicLong ticks = new AtomicLong();
    /** The metronome's longest gap between wake-ups since the current try began, ns. */
    private static final java.util.concurrent.atomic.LongAccumulator worstGap =
            new java.util.concurrent.atomic.LongAccumulator(Math::max, 0);

    @BeforeContainer
    static void boot() throws Exception {
        hv = LEAKS.track(Hypervisor.boot(HostConfig.defaults(64L << 20).withPcpus(2)));
        metronome = hv.createDomain(DomainConfig.of("metronome", null, 1).withMemoryKiB(1024), metronomeKernel());
        Eventually.until(java.time.Duration.ofSeconds(10), () -> ticks.get() > 5);
    }

    @AfterContainer
    static void close() {
        if (hv != null) {
            hv.close();
        }
        LEAKS.verify();
    }

    /** Polls an unbound port with a 2 ms timeout, forever, recording the gap between wake-ups. */
    private static GuestKernel metronomeKernel() {
        return (cpu, si) -> {
            ArgumentPage page = new ArgumentPage(TestKernels.scratch(cpu, si));
            EventChannelCalls ev = new EventChannelCalls(cpu, page);
            SchedOpCalls sched = new SchedOpCalls(cpu, page);
            Port never = Port.of((int) ev.allocUnbound(DomId.SELF, DomId.SELF));
            long last = System.nanoTime();
            for (;;) {
                sched.poll(never, hv.systemTime() + TICK_NANOS);
                long now = System.nanoTime();
                worstGap.accumulate(now - last);
                last = now;
                ticks.incrementAndGet();
            }
        };
    }

    /** What the hostile domain does at each frame: calls that take the hypervisor's locks. */
    private static final class Calls {
        final ArgumentPage page;
        final EventChannelCalls ev;
        final TimerCalls timer;
        final ConsoleIoCalls console;
        final MemoryOpCalls memory;
        final XenVersionCalls version;
        final long spareVa;
        long made;

        Calls(Cpu cpu, long scratch) {
            page = new ArgumentPage(scratch);
            ev = new EventChannelCalls(cpu, page);
            timer = new TimerCalls(cpu);
            console = new ConsoleIoCalls(cpu, page);
            memory = new MemoryOpCalls(cpu, page);
            version = new XenVersionCalls(cpu, page);
            spareVa = scratch + 4096;
        }

        void all() {
            long unbound = ev.allocUnbound(DomId.SELF, DomId.SELF);
            if (unbound > 0) {
                long local = ev.bindInterdomain(DomId.SELF, Port.of((int) unbound));
                if (local > 0) {
                    ev.send(Port.of((int) local));
                    // status runs without the headroom check (it takes no lock): at the edge of
                    // the stack it must still harm no one, least of all the port table.
                    ev.status(DomId.SELF, Port.of((int) local));
                    ev.close(Port.of((int) local));
                }
                ev.close(Port.of((int) unbound));
            }
            timer.setTimerOp(hv.systemTime() + 3_600_000_000_000L);
            console.write("x\n");
            version.version();
            made += 7;
        }
    }

    @Provide
    Arbitrary<Integer> depths() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(0, 50)),
                net.jqwik.api.Tuple.of(3, Arbitraries.integers().between(50, 20_000)));
    }

    @Property(tries = 12, shrinking = ShrinkingMode.OFF)
    @Label("hypercalls at any stack depth, up to the edge of overflow, leave no lock held and harm only the caller")
    void hypercallsAtAnyDepthHarmOnlyTheCaller(@ForAll("depths") int depth, @ForAll boolean toTheEdge)
            throws Exception {
        long freeBefore = hv.frames().freeFrames();
        long ticksBefore = ticks.get();
        worstGap.reset();
        AtomicLong made = new AtomicLong();
        Domain hostile = hv.createDomain(DomainConfig.of("hostile", null, 1).withMemoryKiB(1024), (cpu, si) -> {
            Calls calls = new Calls(cpu, TestKernels.scratch(cpu, si));
            try {
                if (toTheEdge) {
                    dive(calls);
                } else {
                    recurse(calls, depth);
                }
            } finally {
                made.set(calls.made);
            }
            TestKernels.shutdown(cpu, TestKernels.scratch(cpu, si), Shutdown.POWEROFF);
        });
        assertThat(hostile.awaitDeath(30, TimeUnit.SECONDS) || hv.destroy(hostile) && hostile.awaitDeath(10, TimeUnit.SECONDS))
                .as("the hostile domain ended").isTrue();

        assertThat(hv.unhandledExceptions()).as("exceptions at the dispatch boundary").isZero();
        assertThat(hostile.shutdownReason()).isIn(Shutdown.POWEROFF, Shutdown.CRASH);
        if (hostile.shutdownReason() == Shutdown.CRASH) {
            assertThat(hostile.crashCause()).containsIgnoringCase("stack")
                    .as("refused at the entry or overflowed in its own code, never inside the hypervisor")
                    .doesNotContain("inside a call into the hypervisor");
        }
        // Other threads take these locks for moments; a leaked one stays taken.
        Eventually.until(java.time.Duration.ofSeconds(5), () -> metronome.events().lockFree()
                && hostile.events().lockFree() && hostile.grants().lockFree() && hv.timers().lockFree()
                && hv.frames().lockFree());
        Eventually.until(java.time.Duration.ofSeconds(10), () -> hv.frames().freeFrames() == freeBefore);

        assertThat(metronome.mayRun()).isTrue();
        Eventually.until(java.time.Duration.ofSeconds(10), () -> ticks.get() > ticksBefore + 10);
        long worst = worstGap.get();
        assertThat(worst).as("the metronome's longest gap, ns (period %d)", TICK_NANOS).isLessThan(2_000_000_000L);

        Domain fresh = hv.createDomain(DomainConfig.of("fresh", null, 1).withMemoryKiB(1024),
                TestKernels.poweroff("fresh"));
        assertThat(fresh.awaitDeath(20, TimeUnit.SECONDS)).isTrue();
        assertThat(fresh.shutdownReason()).isEqualTo(Shutdown.POWEROFF);
        assertThat(made.get()).as("calls the hostile domain got through").isNotNegative();
    }

    /** Recurses {@code depth} frames, then makes the calls at every frame on the way back. */
    private static void recurse(Calls calls, int depth) {
        if (depth > 0) {
            recurse(calls, depth - 1);
        }
        calls.all();
    }

    /** Recurses until the stack overflows, then makes the calls at every frame as it unwinds, swallowing everything. */
    private static void dive(Calls calls) {
        try {
            dive(calls);
        } catch (Throwable overflowOrRefusal) {
            // keep unwinding: the frame above tries again
        }
        try {
            calls.all();
        } catch (Throwable refused) {
            // a refused call (too little stack, or the domain already crashed): the next frame tries again
        }
    }
}
