package org.parasol.cli;

import picocli.CommandLine.Command;

/**
 * {@code parasol bench}: listed for {@code --help}. The launcher runs the benchmark jar
 * ({@code benchmarks/target/benchmarks.jar}) itself, in a JVM of its own, so JMH can fork.
 */
@Command(name = "bench",
        description = {"Runs the JMH suite and prints each benchmark beside its baseline with the ratio.",
            "  --quick       1 fork, 1x200ms warm-up, 2x200ms measurement (a few minutes)",
            "  --save FILE   also write the table to FILE",
            "  --store       only the store's figures: xenstore-bench guests (1, 2 and 16) and",
            "                dom0's ring-less baseline, in one run (with --quick: smaller)",
            "  --block       only the block figures: the blkbench guest through blkfront/blkback",
            "                beside direct FileChannel I/O on the same image (with --quick: shorter)",
            "  --net         only the network figures: netbench guests through netfront/netback",
            "                beside a shared-memory ring (the floor) and loopback UDP",
            "  --lab         only the measurement lab: one kernel's privileged operations bare,",
            "                trapped (VM exits) and paravirtual (hypercalls), p50/p99, exits and",
            "                hypercalls per operation, ratio to bare, the trap path by stage",
            "  REGEX...      only the benchmarks whose name matches (one that matches none:",
            "                an error listing the benchmarks, exit status 2)"})
final class BenchCommand implements Runnable {
    @Override
    public void run() {
        System.out.println("Run the benchmarks through the launcher: ./parasol bench [--quick]");
    }
}
