package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GuestKernel;
import org.parasol.hypercall.Port;
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypercall.guest.ArgumentPage;
import org.parasol.hypercall.guest.ConsoleIoCalls;
import org.parasol.hypercall.guest.EventChannelCalls;
import org.parasol.hypercall.guest.SchedOpCalls;
import org.parasol.hypervisor.domain.ConsoleLog;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.domain.DomainState;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * The host's side of "a guest is hostile through the JDK": guest kernels that hold a lock
 * the host could need, whose throwables never describe themselves, or that flood the
 * console, each run beside a metronome domain ticking every 2 ms. These kernels are test
 * objects handed straight to the hypervisor, so they bypass the bytecode check on purpose:
 * the runtime defences must hold even for code the check would have refused.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RuntimeContainmentTest {
    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();
    private static final long TICK_NANOS = 2_000_000;
    private Hypervisor hv;
    private Domain metronome;
    private final AtomicLong ticks = new AtomicLong();
    private final java.util.concurrent.atomic.LongAccumulator worstGap =
            new java.util.concurrent.atomic.LongAccumulator(Math::max, 0);

    private void boot(HostConfig cfg) throws Exception {
        hv = leaks.track(Hypervisor.boot(cfg));
        metronome = hv.createDomain(DomainConfig.of("metronome", null, 1).withMemoryKiB(1024), (cpu, si) -> {
            ArgumentPage page = new ArgumentPage(TestKernels.scratch(cpu, si));
            Port never = Port.of((int) new EventChannelCalls(cpu, page).allocUnbound(DomId.SELF, DomId.SELF));
            SchedOpCalls sched = new SchedOpCalls(cpu, page);
            long last = System.nanoTime();
            for (;;) {
                sched.poll(never, hv.systemTime() + TICK_NANOS);
                long now = System.nanoTime();
                worstGap.accumulate(now - last);
                last = now;
                ticks.incrementAndGet();
            }
        });
        Eventually.until(Duration.ofSeconds(10), () -> ticks.get() > 5);
        worstGap.reset();
    }

    @AfterEach
    void close() {
        if (hv != null) {
            assertThat(hv.unhandledExceptions()).isZero();
            hv.close();
        }
    }

    /** The metronome kept running and its longest gap stayed far from a stall. */
    private void assertMetronomeKeptTime() {
        long before = ticks.get();
        Eventually.until(Duration.ofSeconds(10), () -> ticks.get() > before + 20);
        assertThat(metronome.mayRun()).isTrue();
        assertThat(worstGap.get()).as("longest gap between the metronome's 2 ms ticks, ns").isLessThan(1_000_000_000L);
    }

    private static DomainConfig cfg(String name) {
        return DomainConfig.of(name, null, 1).withMemoryKiB(1024);
    }

    @Test
    @DisplayName("a guest that keeps its vCPU thread's monitor after its shutdown cannot stall the reaper: destroy waits on a latch, not Thread.join")
    void shouldReapPastAGuestThatHoldsItsThreadsMonitor() throws Exception {
        boot(HostConfig.defaults(32L << 20).withPcpus(2).withDestroyTimeout(Duration.ofMillis(300)));
        AtomicBoolean release = new AtomicBoolean();
        GuestKernel holder = (cpu, si) -> {
            synchronized (Thread.currentThread()) {
                try {
                    TestKernels.shutdown(cpu, TestKernels.scratch(cpu, si), Shutdown.POWEROFF);
                } catch (Throwable swallowed) {
                    // keep the monitor: spin inside the synchronized block
                }
                while (!release.get()) {
                    Thread.onSpinWait();
                }
            }
        };
        try {
            Domain d = hv.createDomain(cfg("holder"), holder);
            Eventually.until(Duration.ofSeconds(10), () -> d.state() == DomainState.ZOMBIE);

            // The reaper is free: the next domain's shutdown is reaped and its frames come back.
            long freeBeforeNext = hv.freeFrames();
            Domain next = hv.createDomain(cfg("next"), TestKernels.poweroff("next"));
            assertThat(next.awaitDeath(10, TimeUnit.SECONDS)).as("reaped behind the zombie").isTrue();
            Eventually.until(Duration.ofSeconds(5), () -> hv.freeFrames() == freeBeforeNext);
            assertMetronomeKeptTime();
        } finally {
            release.set(true);
        }
    }

    /** A guest exception whose message and string run guest code: records which threads ran it. */
    static final class Sneaky extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient Set<String> ranOn;
        final transient AtomicBoolean release;

        Sneaky(Set<String> ranOn, AtomicBoolean release) {
            this.ranOn = ranOn;
            this.release = release;
        }

        @Override
        public String getMessage() {
            ranOn.add(Thread.currentThread().getName());
            while (!release.get()) {
                Thread.onSpinWait(); // never returns until the test lets it
            }
            return "released";
        }

        @Override
        public String toString() {
            return getMessage();
        }
    }

    @Test
    @DisplayName("a guest throwable that never describes itself runs only on its own vCPU: the domain is crashed as stuck, no host thread or logger waits on it")
    void shouldNeverRunAGuestThrowableOnAHostThread() throws Exception {
        boot(HostConfig.defaults(32L << 20).withPcpus(2).withStuckThreshold(Duration.ofMillis(200))
                .withDestroyTimeout(Duration.ofMillis(200)));
        Set<String> ranOn = ConcurrentHashMap.newKeySet();
        AtomicBoolean release = new AtomicBoolean();
        try {
            Domain d = hv.createDomain(cfg("sneaky"), (cpu, si) -> {
                throw new Sneaky(ranOn, release);
            });

            Eventually.until(Duration.ofSeconds(10), () -> !d.mayRun());
            assertThat(d.crashCause()).contains("stuck");
            assertThat(ranOn).containsExactly("sneaky-vcpu0");
            assertMetronomeKeptTime();
        } finally {
            release.set(true);
        }
    }

    @Test
    @DisplayName("a guest that floods its console holds at most the console's bound of host memory; other consoles and timing are untouched")
    void shouldBoundTheConsoleOfAFloodingGuest() throws Exception {
        boot(HostConfig.defaults(32L << 20).withPcpus(2));
        AtomicLong written = new AtomicLong();
        Domain flood = hv.createDomain(cfg("flood"), (cpu, si) -> {
            long s = TestKernels.scratch(cpu, si);
            ArgumentPage page = new ArgumentPage(s);
            ConsoleIoCalls console = new ConsoleIoCalls(cpu, page);
            byte[] chunk = "0123456789abcdef\n".repeat(240).getBytes(StandardCharsets.US_ASCII);
            long buf = s + 4096;
            for (int i = 0; i < chunk.length; i++) {
                cpu.memory().putByte(buf + i, chunk[i]);
            }
            for (int i = 0; i < 20_000; i++) {
                console.write(buf, chunk.length);
                written.addAndGet(chunk.length);
            }
            TestKernels.shutdown(cpu, s, Shutdown.POWEROFF);
        });
        Domain quiet = hv.createDomain(cfg("quiet"), TestKernels.poweroff("quiet line"));

        assertThat(flood.awaitDeath(30, TimeUnit.SECONDS)).isTrue();
        assertThat(quiet.awaitDeath(10, TimeUnit.SECONDS)).isTrue();
        assertThat(written.get()).as("bytes the flood wrote").isGreaterThan(50L * ConsoleLog.MAX_CHARS);
        long kept = flood.console().lines().stream().mapToLong(String::length).sum();
        assertThat(kept).as("characters the host kept").isLessThanOrEqualTo(ConsoleLog.MAX_CHARS);
        assertThat(flood.console().dropped()).isPositive();
        assertThat(quiet.console().lines()).containsExactly("quiet line");
        assertMetronomeKeptTime();
    }
}
