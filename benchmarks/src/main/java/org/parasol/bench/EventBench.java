package org.parasol.bench;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GuestKernel;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.GuestMemoryBuffer;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.Port;
import org.parasol.hypercall.StartOfDay;
import org.parasol.hypercall.abi.EvtchnOp;
import org.parasol.hypercall.abi.SchedOp;
import org.parasol.hypercall.abi.VcpuOp;
import org.parasol.hypercall.guest.ArgumentPage;
import org.parasol.hypercall.guest.EventChannelCalls;
import org.parasol.hypercall.struct.EvtchnSend;
import org.parasol.hypercall.struct.SharedInfo;
import org.parasol.hypercall.struct.VcpuInfo;
import org.parasol.hypervisor.HostConfig;
import org.parasol.hypervisor.Hypervisor;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.time.ManualClock;

/**
 * Event channels between two domains. The benchmark thread drives a bare domain A; the peer
 * B is either another bare domain (send to a running vCPU) or a kernel on its own vCPU thread
 * that echoes every event back, blocking (SCHEDOP_block) or busy-polling its pending bit
 * between events. Beside them: the same round trips between two plain Java threads, with
 * park/unpark and with spinning.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class EventBench {
    static final long SHARED = StartOfDay.SHARED_INFO_VA;

    /** A host with bare domain A on the benchmark thread, connected to a peer B. */
    abstract static class Pair {
        Hypervisor hv;
        Domain a;
        Cpu cpu;
        GuestMemory mem;
        long sendArg;
        int port;
        /** A's view of its shared_info, through the flyweight a guest kernel reads it with. */
        SharedInfo shared;

        void boot(GuestKernel peer) throws Exception {
            hv = Hypervisor.boot(HostConfig.defaults(32L << 20).withClock(new ManualClock()).withPcpus(2));
            a = hv.createBareDomain(DomainConfig.of("a", null, 2));
            a.vcpu(0).attach();
            cpu = a.vcpu(0).cpu();
            mem = cpu.memory();
            long si = a.startInfoVa();
            BareHost.mapSharedInfo(cpu, si);
            long free = BareHost.firstFreeVa(mem, si);
            EventChannelCalls ev = new EventChannelCalls(cpu, new ArgumentPage(free));
            cpu.hypercall(Hypercall.VCPU_OP, VcpuOp.STOP_PERIODIC_TIMER, 0, 0);
            port = connect(ev, peer);
            sendArg = free + 8192;
            new EvtchnSend().wrap(new GuestMemoryBuffer(mem, sendArg, EvtchnSend.SIZE), 0).port(port);
            shared = sharedInfo(mem);
            shared.testAndClearPending(port); // bind_interdomain left it pending
            BareHost.exerciseGuestView(mem);
        }

        abstract int connect(EventChannelCalls ev, GuestKernel peer) throws Exception;

        long send() {
            return cpu.hypercall(Hypercall.EVENT_CHANNEL_OP, EvtchnOp.SEND, sendArg);
        }

        /** Spins (A is bare: it has no thread to block) until B's answer is pending, and takes it. */
        void awaitAnswer() {
            while (!shared.testAndClearPending(port)) {
                Thread.onSpinWait();
            }
        }

        @TearDown(Level.Trial)
        public void close() {
            hv.close();
        }
    }

    /** B is a bare domain nobody runs: its event is consumed hypervisor-side after each send. */
    @State(Scope.Thread)
    public static class RunningPeer extends Pair {
        Domain b;
        int bPort;

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            boot(null);
        }

        @Override
        int connect(EventChannelCalls ev, GuestKernel peer) throws Exception {
            b = hv.createBareDomain(DomainConfig.of("b", null, 2));
            bPort = b.events().allocUnbound(a.domid());
            return (int) ev.bindInterdomain(DomId.of(b.domid()), Port.of(bPort));
        }
    }

    /** A guest's shared_info at {@link #SHARED}, through the ABI's flyweight over its mapping. */
    static SharedInfo sharedInfo(GuestMemory m) {
        return new SharedInfo().wrap(new GuestMemoryBuffer(m, SHARED, SharedInfo.SIZE), 0);
    }

    /**
     * B's guest side of waiting: block until the port is pending, or spin on it. Blocking
     * acknowledges vCPU 0's upcall flag and selector first, as a guest's upcall scan does.
     */
    static void await(Cpu cpu, SharedInfo shared, VcpuInfo vcpu0, int port, boolean block) {
        for (;;) {
            if (block) {
                vcpu0.upcallPendingRelease(0);
                vcpu0.takePendingSel();
            }
            if (shared.testAndClearPending(port)) {
                return;
            }
            if (block) {
                cpu.hypercall(Hypercall.SCHED_OP, SchedOp.BLOCK, 0);
            } else {
                Thread.onSpinWait();
            }
        }
    }

    /** An echo kernel: allocates a port for A, then answers every event on it. */
    static GuestKernel echo(AtomicInteger published, int aDomid, boolean block) {
        return (cpu, si) -> {
            GuestMemory m = cpu.memory();
            BareHost.mapSharedInfo(cpu, si);
            long free = BareHost.firstFreeVa(m, si);
            cpu.hypercall(Hypercall.VCPU_OP, VcpuOp.STOP_PERIODIC_TIMER, 0, 0);
            EventChannelCalls ev = new EventChannelCalls(cpu, new ArgumentPage(free));
            int port = (int) ev.allocUnbound(DomId.SELF, DomId.of(aDomid));
            new EvtchnSend().wrap(new GuestMemoryBuffer(m, free + 8192, EvtchnSend.SIZE), 0).port(port);
            SharedInfo shared = sharedInfo(m);
            VcpuInfo vcpu0 = shared.vcpuInfo(0, new VcpuInfo());
            published.set(port);
            for (;;) {
                await(cpu, shared, vcpu0, port, block);
                cpu.hypercall(Hypercall.EVENT_CHANNEL_OP, EvtchnOp.SEND, free + 8192);
            }
        };
    }

    abstract static class EchoPeer extends Pair {
        @Override
        int connect(EventChannelCalls ev, GuestKernel unused) throws Exception {
            AtomicInteger published = new AtomicInteger();
            Domain b = hv.createDomain(DomainConfig.of("b", null, 2), echo(published, a.domid(), blocking()));
            while (published.get() == 0) {
                Thread.onSpinWait();
            }
            return (int) ev.bindInterdomain(DomId.of(b.domid()), Port.of(published.get()));
        }

        abstract boolean blocking();
    }

    /** B blocks in SCHEDOP_block between events. */
    @State(Scope.Thread)
    public static class BlockedPeer extends EchoPeer {
        @Setup(Level.Trial)
        public void setUp() throws Exception {
            boot(null);
        }

        @Override
        boolean blocking() {
            return true;
        }
    }

    /** B busy-polls its pending bit between events. */
    @State(Scope.Thread)
    public static class PollingPeer extends EchoPeer {
        @Setup(Level.Trial)
        public void setUp() throws Exception {
            boot(null);
        }

        @Override
        boolean blocking() {
            return false;
        }
    }

    /** Two plain threads: the partner parks (or spins) until pinged, then answers. */
    abstract static class ThreadPair {
        volatile boolean ping;
        volatile boolean pong;
        volatile boolean stop;
        Thread partner;

        void start(boolean park) {
            partner = Thread.ofPlatform().daemon(true).name("bench-partner").start(() -> {
                while (!stop) {
                    if (!ping) {
                        if (park) {
                            LockSupport.park(this);
                        } else {
                            Thread.onSpinWait();
                        }
                        continue;
                    }
                    ping = false;
                    pong = true;
                }
            });
        }

        long roundTrip(boolean park) {
            ping = true;
            if (park) {
                LockSupport.unpark(partner);
            }
            while (!pong) {
                Thread.onSpinWait();
            }
            pong = false;
            return 1;
        }

        @TearDown(Level.Trial)
        public void close() throws InterruptedException {
            stop = true;
            LockSupport.unpark(partner);
            partner.join();
        }
    }

    @State(Scope.Thread)
    public static class ParkingThreads extends ThreadPair {
        @Setup(Level.Trial)
        public void setUp() {
            start(true);
        }
    }

    @State(Scope.Thread)
    public static class SpinningThreads extends ThreadPair {
        @Setup(Level.Trial)
        public void setUp() {
            start(false);
        }
    }

    /** EVTCHNOP_send on an interdomain channel whose peer vCPU is running (not blocked). */
    @Benchmark
    public long sendToRunningVcpu(RunningPeer s) {
        long rc = s.send();
        s.b.sharedInfo().testAndClearPending(s.bPort);
        return rc;
    }

    /** Send to a blocked vCPU, its wake-up, and its send back: one round trip. */
    @Benchmark
    public long roundTripBlockedPeer(BlockedPeer s) {
        long rc = s.send();
        s.awaitAnswer();
        return rc;
    }

    /** The same round trip with a peer that busy-polls its pending bit. */
    @Benchmark
    public long roundTripPollingPeer(PollingPeer s) {
        long rc = s.send();
        s.awaitAnswer();
        return rc;
    }

    /** Baseline: unpark a parked Java thread and wait for its answer. */
    @Benchmark
    public long parkUnparkRoundTrip(ParkingThreads s) {
        return s.roundTrip(true);
    }

    /** Baseline: two Java threads spinning on volatile flags. */
    @Benchmark
    public long spinRoundTrip(SpinningThreads s) {
        return s.roundTrip(false);
    }
}
