package org.parasol.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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

/**
 * The software MMU: a guest load that hits the vCPU's TLB, and loads that miss it (a stride
 * of one page over more pages than the TLB holds, so every access walks the 4-level page
 * tables), each beside a plain {@link MemorySegment} load with the same access pattern.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class MmuBench {
    /** Twice the vCPU TLB's entries (a power of two): cycling through them misses every time. */
    static final int PAGES = 2 * org.parasol.hypervisor.mm.VcpuMmu.TLB_ENTRIES;

    private BareHost host;
    private Arena arena;
    private MemorySegment plain;
    private long hotVa;
    private int page;

    @Setup(Level.Trial)
    public void boot() throws Exception {
        host = new BareHost(8);
        if (host.freePages < PAGES) {
            throw new IllegalStateException("need " + PAGES + " mapped pages, have " + host.freePages);
        }
        hotVa = host.freeVa;
        arena = Arena.ofShared();
        plain = arena.allocate((long) PAGES * 4096, 4096);
        for (int i = 0; i < PAGES; i++) {
            host.mem.putLong(host.freeVa + 4096L * i, i);
            plain.set(ValueLayout.JAVA_LONG, 4096L * i, i);
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        host.close();
        arena.close();
    }

    /** A guest load that hits the TLB. */
    @Benchmark
    public long tlbHit() {
        return host.mem.getLong(hotVa);
    }

    /** A guest load that misses the TLB and walks the page tables. */
    @Benchmark
    public long tlbMiss() {
        int p = page;
        page = (p + 1) & (PAGES - 1);
        return host.mem.getLong(host.freeVa + 4096L * p);
    }

    /** Baseline: a plain segment load at one address. */
    @Benchmark
    public long segmentLoad() {
        return plain.get(ValueLayout.JAVA_LONG, 0);
    }

    /** Baseline: plain segment loads with the TLB-miss stride. */
    @Benchmark
    public long segmentLoadStrided() {
        int p = page;
        page = (p + 1) & (PAGES - 1);
        return plain.get(ValueLayout.JAVA_LONG, 4096L * p);
    }
}
