package org.parasol.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.function.LongSupplier;

/**
 * {@link GrantBench}'s methods timed by the calling thread's CPU time rather than the wall
 * clock, for a machine shared with other work: a thread that is descheduled burns no CPU time,
 * so another tenant's load moves these figures far less than JMH's scores (which it moves
 * 3-5x). What it still carries is the cache and memory-bandwidth contention of the other
 * tenants.
 *
 * <p>Each benchmark runs {@code warm} rounds untimed, then {@code rounds} timed rounds of
 * {@code calls} calls each; a round's figure is its CPU time ({@link ThreadMXBean
 * #getCurrentThreadCpuTime}) over its calls. Printed per benchmark: the minimum and the median
 * round, in nanoseconds per call. Every call's result is checked (a failing call stops the run).
 * {@code only}, if given, runs just the benchmarks whose names contain it (for a profile).
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar org.parasol.bench.GrantCpuTime [calls [rounds [warm [only]]]]
 * </pre>
 */
public final class GrantCpuTime {
    private GrantCpuTime() {
    }

    public static void main(String[] args) throws Exception {
        int calls = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        int warm = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        only = args.length > 3 ? args[3] : "";
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        if (!mx.isCurrentThreadCpuTimeSupported()) {
            throw new IllegalStateException("thread CPU time is not supported here");
        }
        GrantBench b = new GrantBench();
        b.boot();
        try {
            run(mx, "copy64FromGrant", b::copy64FromGrant, calls, rounds, warm);
            run(mx, "copy1514IntoGrant", b::copy1514IntoGrant, calls, rounds, warm);
            run(mx, "copy4k", b::copy4k, calls, rounds, warm);
            run(mx, "copyTxBatch32", b::copyTxBatch32, calls / 16, rounds, warm);
            run(mx, "copy64kIn4kPieces", b::copy64kIn4kPieces, calls / 8, rounds, warm);
            run(mx, "grantIoPins16", () -> b.grantIoPins16(), calls / 8, rounds, warm);
        } finally {
            b.close();
        }
    }

    private static String only = "";

    private static void run(ThreadMXBean mx, String name, LongSupplier call, int calls, int rounds, int warm) {
        if (!name.contains(only)) {
            return;
        }
        double[] perCall = new double[rounds];
        for (int r = -warm; r < rounds; r++) {
            long t0 = mx.getCurrentThreadCpuTime();
            for (int i = 0; i < calls; i++) {
                if (call.getAsLong() != 0) {
                    throw new IllegalStateException(name + " failed");
                }
            }
            long t1 = mx.getCurrentThreadCpuTime();
            if (r >= 0) {
                perCall[r] = (t1 - t0) / (double) calls;
            }
        }
        Arrays.sort(perCall);
        System.out.printf("%-20s min %9.1f  median %9.1f  ns/call (CPU)  rounds %s%n", name, perCall[0],
                perCall[rounds / 2], Arrays.toString(Arrays.stream(perCall).map(x -> Math.round(x)).toArray()));
    }
}
