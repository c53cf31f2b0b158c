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
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.abi.EvtchnOp;
import org.parasol.hypercall.abi.MemoryOp;
import org.parasol.hypercall.abi.VcpuOp;
import org.parasol.hypercall.abi.Virq;
import org.parasol.hypercall.abi.XenVersion;

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
        long a = host.freeVa;
        host.mem.putInt(a, Virq.TIMER);
        host.mem.putInt(a + 4, 0);
        if (host.cpu.hypercall(Hypercall.EVENT_CHANNEL_OP, EvtchnOp.BIND_VIRQ, a) != 0) {
            throw new IllegalStateException("bind_virq failed");
        }
        int port = host.mem.getInt(a + 8);
        statusArg = a + 64;
        host.mem.putShort(statusArg, (short) 0x7FF0);
        host.mem.putInt(statusArg + 4, port);
        host.cpu.hypercall(Hypercall.VCPU_OP, VcpuOp.STOP_PERIODIC_TIMER, 0, 0);
        for (int i = 0; i < 20_000; i++) {
            host.cpu.hypercall(Hypercall.XEN_VERSION, XenVersion.PAGESIZE, 0);
            host.cpu.hypercall(Hypercall.EVENT_CHANNEL_OP, EvtchnOp.STATUS, statusArg);
            host.cpu.hypercall(Hypercall.VCPU_OP, VcpuOp.IS_UP, 0, 0);
            host.mem.putShort(a + 128, (short) 0x7FF0);
            host.cpu.hypercall(Hypercall.MEMORY_OP, MemoryOp.CURRENT_RESERVATION, a + 128);
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
