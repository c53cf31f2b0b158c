package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GuestKernel;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.Port;
import org.parasol.hypercall.StartOfDay;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.abi.SchedOp;
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypercall.abi.Uvmf;
import org.parasol.hypercall.abi.VcpuOp;
import org.parasol.hypercall.guest.ArgumentPage;
import org.parasol.hypercall.guest.EventChannelCalls;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.sched.CreditScheduler;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * Event channels between domains running at once: a ping-pong between two kernels on their
 * own vCPU threads that block between events, and masking and unmasking racing a sender.
 * Both are bounded: a lost event would hang a side, which the timeout turns into a failure.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EventConcurrencyTest {
    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();
    private static final long SHARED = StartOfDay.SHARED_INFO_VA;
    private Hypervisor hv;

    @AfterEach
    void close() {
        if (hv != null) {
            assertThat(hv.unhandledExceptions()).isZero();
            hv.close();
        }
    }

    /**
     * The guest side of waiting for one port, as a kernel without an upcall handler does it:
     * clear upcall_pending and the selector, take the port's pending bit, else block (which
     * returns at once if upcall_pending was raised meanwhile).
     */
    static void await(Cpu cpu, int port) {
        GuestMemory m = cpu.memory();
        long word = SHARED + 2048 + 8L * (port >>> 6);
        long bit = 1L << (port & 63);
        for (;;) {
            m.putByteRelease(SHARED, (byte) 0);
            m.getAndSetLong(SHARED + 8, 0);
            if ((m.getAndBitwiseAndLong(word, ~bit) & bit) != 0) {
                return;
            }
            cpu.hypercall(Hypercall.SCHED_OP, SchedOp.BLOCK, 0);
        }
    }

    /** As a Xen guest does at boot (and BareGuest does): map start_info.shared_info at SHARED. */
    private static void mapSharedInfo(Cpu cpu, long si) {
        long rc = cpu.hypercall(Hypercall.UPDATE_VA_MAPPING, SHARED,
                cpu.memory().getLong(si + 40) | Mmu.PAGE_PRESENT | Mmu.PAGE_RW | Mmu.PAGE_USER, Uvmf.INVLPG);
        if (rc != 0) {
            throw new IllegalStateException("update_va_mapping of shared_info failed: " + rc);
        }
    }

    private static void poweroff(Cpu cpu, long scratch) {
        cpu.memory().putInt(scratch + 2048, Shutdown.POWEROFF);
        cpu.hypercall(Hypercall.SCHED_OP, SchedOp.SHUTDOWN, scratch + 2048);
    }

    private static void waitFor(Cpu cpu, AtomicInteger value) {
        while (value.get() < 0) {
            cpu.hypercall(Hypercall.SCHED_OP, SchedOp.YIELD, 0);
            Thread.onSpinWait();
        }
    }

    @Test
    @DisplayName("Ping-pong over an interdomain channel between two blocking kernels: every round arrives")
    void shouldPingPongWithNothingLost() throws Exception {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(16L << 20)));
        int rounds = 3000;
        AtomicInteger ponged = new AtomicInteger();
        AtomicInteger pinged = new AtomicInteger();
        Domain[] pair = pingPongPair(rounds, pinged, ponged);
        Domain a = pair[0];
        Domain b = pair[1];
        assertThat(a.awaitDeath(50, TimeUnit.SECONDS)).isTrue();
        assertThat(b.awaitDeath(10, TimeUnit.SECONDS)).isTrue();
        assertThat(a.shutdownReason()).isEqualTo(Shutdown.POWEROFF);
        assertThat(b.shutdownReason()).isEqualTo(Shutdown.POWEROFF);
        assertThat(pinged.get()).isEqualTo(rounds);
        assertThat(ponged.get()).isEqualTo(rounds);
    }

    /**
     * Starts a pinger and a ponger that exchange {@code rounds} events over an interdomain
     * channel, each blocking between events; returns {pinger, ponger}.
     */
    private Domain[] pingPongPair(int rounds, AtomicInteger pinged, AtomicInteger ponged) throws Exception {
        AtomicInteger pingerDomid = new AtomicInteger(-1);
        AtomicInteger pingerPort = new AtomicInteger(-1);
        AtomicInteger pongerDomid = new AtomicInteger(-1);
        AtomicInteger bound = new AtomicInteger(-1);

        GuestKernel ponger = (cpu, si) -> {
            long s = TestKernels.scratch(cpu, si);
            mapSharedInfo(cpu, si);
            cpu.hypercall(Hypercall.VCPU_OP, VcpuOp.STOP_PERIODIC_TIMER, 0, 0);
            EventChannelCalls ev = new EventChannelCalls(cpu, new ArgumentPage(s));
            waitFor(cpu, pingerPort);
            waitFor(cpu, pingerDomid);
            int port = (int) ev.bindInterdomain(DomId.of(pingerDomid.get()), Port.of(pingerPort.get()));
            await(cpu, port); // bind_interdomain left it pending
            bound.set(1);
            for (int i = 0; i < rounds; i++) {
                await(cpu, port);
                ponged.incrementAndGet();
                ev.send(Port.of(port));
            }
            poweroff(cpu, s);
        };
        GuestKernel pinger = (cpu, si) -> {
            long s = TestKernels.scratch(cpu, si);
            mapSharedInfo(cpu, si);
            cpu.hypercall(Hypercall.VCPU_OP, VcpuOp.STOP_PERIODIC_TIMER, 0, 0);
            EventChannelCalls ev = new EventChannelCalls(cpu, new ArgumentPage(s));
            waitFor(cpu, pongerDomid);
            int port = (int) ev.allocUnbound(DomId.SELF, DomId.of(pongerDomid.get()));
            pingerPort.set(port);
            waitFor(cpu, bound); // a send before the bind would be dropped: the port is unbound
            for (int i = 0; i < rounds; i++) {
                ev.send(Port.of(port));
                await(cpu, port);
                pinged.incrementAndGet();
            }
            poweroff(cpu, s);
        };
        Domain b = hv.createDomain(DomainConfig.of("ponger", null, 1), ponger);
        pongerDomid.set(b.domid());
        Domain a = hv.createDomain(DomainConfig.of("pinger", null, 1), pinger);
        pingerDomid.set(a.domid());
        return new Domain[] {a, b};
    }

    @Test
    @DisplayName("Halt polling abused: a pair exchanging events as fast as it can (each blocking vCPU polls before it "
            + "sleeps) beside a well-behaved domain that computes, on one pCPU: the computing domain finishes its work, "
            + "the pair loses no event, and nothing is left behind")
    void shouldNotLetHaltPollingStarveAWellBehavedDomain() throws Exception {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(16L << 20).withPcpus(1)));
        int rounds = 3000;
        AtomicInteger ponged = new AtomicInteger();
        AtomicInteger pinged = new AtomicInteger();
        AtomicLong computed = new AtomicLong();
        long work = 20_000_000;
        GuestKernel computing = (cpu, si) -> {
            long s = TestKernels.scratch(cpu, si);
            for (long i = 0; i < work; i++) {
                cpu.memory().putLong(s, i); // every access is a safe point: the slice can end
            }
            computed.set(cpu.memory().getLong(s) + 1);
            poweroff(cpu, s);
        };
        Domain worker = hv.createDomain(DomainConfig.of("worker", null, 1), computing);
        Domain[] pair = pingPongPair(rounds, pinged, ponged);

        assertThat(worker.awaitDeath(50, TimeUnit.SECONDS)).as("the computing domain finished").isTrue();
        assertThat(pair[0].awaitDeath(50, TimeUnit.SECONDS)).isTrue();
        assertThat(pair[1].awaitDeath(10, TimeUnit.SECONDS)).isTrue();
        assertThat(worker.shutdownReason()).isEqualTo(Shutdown.POWEROFF);
        assertThat(computed.get()).isEqualTo(work);
        assertThat(pinged.get()).isEqualTo(rounds);
        assertThat(ponged.get()).isEqualTo(rounds);
        for (Domain d : pair) {
            var poll = d.vcpu(0).sched().haltPoll();
            assertThat(poll.hits() + poll.misses()).as("%s blocked", d.name()).isPositive();
            assertThat(poll.window()).isBetween(0L, HostConfig.DEFAULT_HALT_POLL_MAX.toNanos());
        }
    }

    @Test
    @DisplayName("A ring of three blocking domains on two pCPUs (more vCPUs than cores, as netback's round trip): every "
            + "hop arrives, and halt polling's core accounting (woken vCPUs, pollers) is back to zero afterwards")
    void shouldPassAnEventRoundARingOfThreeOnTwoCores() throws Exception {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(24L << 20).withPcpus(2)));
        int rounds = 2000;
        int n = 3;
        AtomicInteger[] domid = new AtomicInteger[n];
        AtomicInteger[] outPort = new AtomicInteger[n];
        AtomicInteger bound = new AtomicInteger();
        AtomicInteger hops = new AtomicInteger();
        for (int i = 0; i < n; i++) {
            domid[i] = new AtomicInteger(-1);
            outPort[i] = new AtomicInteger(-1);
        }
        Domain[] ring = new Domain[n];
        for (int i = n - 1; i >= 0; i--) {
            int me = i;
            GuestKernel k = (cpu, si) -> {
                long s = TestKernels.scratch(cpu, si);
                mapSharedInfo(cpu, si);
                cpu.hypercall(Hypercall.VCPU_OP, VcpuOp.STOP_PERIODIC_TIMER, 0, 0);
                EventChannelCalls ev = new EventChannelCalls(cpu, new ArgumentPage(s));
                AtomicInteger next = domid[(me + 1) % n];
                waitFor(cpu, next);
                int out = (int) ev.allocUnbound(DomId.SELF, DomId.of(next.get()));
                outPort[me].set(out);
                int prev = (me + n - 1) % n;
                waitFor(cpu, domid[prev]);
                waitFor(cpu, outPort[prev]);
                int in = (int) ev.bindInterdomain(DomId.of(domid[prev].get()), Port.of(outPort[prev].get()));
                await(cpu, in); // bind_interdomain left it pending
                bound.incrementAndGet();
                while (bound.get() < n) {
                    cpu.hypercall(Hypercall.SCHED_OP, SchedOp.YIELD, 0);
                }
                for (int r = 0; r < rounds; r++) {
                    if (me == 0) {
                        ev.send(Port.of(out));
                        await(cpu, in);
                    } else {
                        await(cpu, in);
                        ev.send(Port.of(out));
                    }
                    hops.incrementAndGet();
                }
                poweroff(cpu, s);
            };
            ring[i] = hv.createDomain(DomainConfig.of("ring" + i, null, 1), k);
            domid[i].set(ring[i].domid());
        }
        for (Domain d : ring) {
            assertThat(d.awaitDeath(50, TimeUnit.SECONDS)).as("%s finished", d.name()).isTrue();
            assertThat(d.shutdownReason()).isEqualTo(Shutdown.POWEROFF);
        }
        assertThat(hops.get()).isEqualTo(n * rounds);
        var scheduler = hv.scheduler();
        assertThat(scheduler.waking(CreditScheduler.POOL0)).as("woken vCPUs still counted").isZero();
        assertThat(scheduler.pollers(CreditScheduler.POOL0)).as("pollers still counted").isZero();
        for (Domain d : ring) {
            var poll = d.vcpu(0).sched().haltPoll();
            assertThat(poll.window()).isBetween(0L, HostConfig.DEFAULT_HALT_POLL_MAX.toNanos());
        }
    }

    @Test
    @DisplayName("Masking and unmasking racing a sender: EVTCHNOP_unmask re-raises every edge a mask held back")
    void shouldLoseNoEdgeWhileMaskingAndUnmasking() throws Exception {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(16L << 20).withPcpus(2)));
        BareGuest a = BareGuest.create(hv, "sender", 1024);
        BareGuest b = BareGuest.create(hv, "receiver", 1024);
        EventChannelCalls ea = new EventChannelCalls(a.cpu, new ArgumentPage(a.scratch));
        EventChannelCalls eb = new EventChannelCalls(b.cpu, new ArgumentPage(b.scratch));
        int pa = (int) ea.allocUnbound(DomId.SELF, DomId.of(b.domain.domid()));
        int pb = (int) eb.bindInterdomain(DomId.of(a.domain.domid()), Port.of(pa));
        long word = SHARED + 2048 + 8L * (pb >>> 6);
        long maskWord = SHARED + 2560 + 8L * (pb >>> 6);
        long bit = 1L << (pb & 63);
        b.mem.getAndBitwiseAndLong(word, ~bit);

        int sends = 20_000;
        AtomicLong produced = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> {
                a.domain.vcpu(0).attach();
                for (int i = 0; i < sends; i++) {
                    produced.incrementAndGet();
                    assertThat(ea.send(Port.of(pa))).isZero();
                }
            }, pool);
            CompletableFuture<Long> receiver = CompletableFuture.supplyAsync(() -> {
                b.domain.vcpu(0).attach();
                SplittableRandom rnd = new SplittableRandom(42);
                long consumed = 0;
                long loops = 0;
                while (consumed < sends) {
                    if (++loops > 50_000_000L) {
                        throw new AssertionError("receiver stuck at " + consumed + " of " + sends);
                    }
                    if (rnd.nextInt(4) == 0) {
                        b.mem.getAndBitwiseOrLong(maskWord, bit);
                    } else {
                        eb.unmask(Port.of(pb));
                    }
                    // Consume only through the edge a 2-level guest sees: upcall_pending.
                    if (b.mem.getByteAcquire(SHARED) != 0) {
                        b.mem.putByteRelease(SHARED, (byte) 0);
                        b.mem.getAndSetLong(SHARED + 8, 0);
                        boolean masked = (b.mem.getLongAcquire(maskWord) & bit) != 0;
                        if (!masked && (b.mem.getAndBitwiseAndLong(word, ~bit) & bit) != 0) {
                            consumed = produced.get();
                        }
                    }
                }
                return consumed;
            }, pool);
            sender.get(50, TimeUnit.SECONDS);
            assertThat(receiver.get(50, TimeUnit.SECONDS)).isEqualTo(sends);
        } finally {
            pool.shutdownNow();
        }
    }
}
