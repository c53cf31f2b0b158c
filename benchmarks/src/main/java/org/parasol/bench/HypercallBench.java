package org.parasol.bench;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GuestMemoryBuffer;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.Port;
import org.parasol.hypercall.Virq;
import org.parasol.hypercall.abi.EvtchnOp;
import org.parasol.hypercall.abi.EvtchnStat;
import org.parasol.hypercall.abi.MemoryOp;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.abi.VcpuOp;
import org.parasol.hypercall.abi.XenVersion;
import org.parasol.hypercall.guest.ArgumentPage;
import org.parasol.hypercall.guest.EventChannelCalls;
import org.parasol.hypercall.struct.EvtchnStatus;
import org.parasol.hypercall.struct.XenMemoryDomain;

/**
 * The cost of entering the hypervisor: a null hypercall ({@code xen_version(XENVER_version)})
 * and one that copies a structure in and out ({@code event_channel_op(EVTCHNOP_status)}: 24
 * bytes in through the caller's MMU, 16 bytes out), each beside a megamorphic interface call.
 *
 * <p>Setup issues every implemented hypercall family first, so the dispatch site's profile is
 * as polluted as it is in a real guest's life.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HypercallBench {
    private BareHost host;
    private long statusArg;
    private final Megamorphic[] receivers = Megamorphic.receivers();
    private int next;

    @Setup(Level.Trial)
    public void boot() throws Exception {
        host = new BareHost(4);
        // The guest marshals as a kernel does: the typed wrappers write the ABI's flyweights
        // into a private scratch and copy it to their argument page. The structure the
        // benchmark passes is written once through the same flyweight over guest memory.
        // BareHost has run a guest's shared_info operations over guest memory, so the
        // accessor's call sites are as bimorphic as in a JVM that runs guest kernels.
        long a = host.freeVa;
        EventChannelCalls ev = new EventChannelCalls(host.cpu, new ArgumentPage(a + Mmu.PAGE_SIZE));
        long port = ev.bindVirq(Virq.TIMER, 0);
        if (port <= 0) {
            throw new IllegalStateException("bind_virq failed: " + port);
        }
        GuestMemoryBuffer page = new GuestMemoryBuffer(host.mem, a, Mmu.PAGE_SIZE);
        statusArg = a;
        new EvtchnStatus().wrap(page, 0).dom(DomId.DOMID_SELF).port(port);
        long reservationArg = a + EvtchnStatus.SIZE;
        new XenMemoryDomain().wrap(page, EvtchnStatus.SIZE).domid(DomId.DOMID_SELF);
        host.cpu.hypercall(Hypercall.VCPU_OP, VcpuOp.STOP_PERIODIC_TIMER, 0, 0);
        for (int i = 0; i < 20_000; i++) {
            host.cpu.hypercall(Hypercall.XEN_VERSION, XenVersion.PAGESIZE, 0);
            host.cpu.hypercall(Hypercall.EVENT_CHANNEL_OP, EvtchnOp.STATUS, statusArg);
            EventChannelCalls.ChannelStatus st = ev.status(DomId.SELF, Port.of((int) port));
            if (st.result() != 0 || st.state() != EvtchnStat.VIRQ || st.irq() != Virq.TIMER.value()) {
                throw new IllegalStateException("EVTCHNOP_status answered " + st);
            }
            host.cpu.hypercall(Hypercall.VCPU_OP, VcpuOp.IS_UP, 0, 0);
            host.cpu.hypercall(Hypercall.MEMORY_OP, MemoryOp.CURRENT_RESERVATION, reservationArg);
            host.cpu.hypercall(Hypercall.VM_ASSIST, 0, 2);
            host.cpu.hypercall(Hypercall.SET_TIMER_OP, 0);
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        host.close();
    }

    /** A null hypercall: xen_version(XENVER_version, NULL). */
    @Benchmark
    public long nullHypercall() {
        return host.cpu.hypercall(Hypercall.XEN_VERSION, XenVersion.VERSION, 0);
    }

    /** A hypercall that copies a structure in and out: EVTCHNOP_status. */
    @Benchmark
    public long structHypercall() {
        return host.cpu.hypercall(Hypercall.EVENT_CHANNEL_OP, EvtchnOp.STATUS, statusArg);
    }

    /** Baseline: a megamorphic interface call. */
    @Benchmark
    public long megamorphicCall() {
        int i = next;
        next = (i + 1) & 3;
        return receivers[i].call(i, statusArg, 5);
    }
}
