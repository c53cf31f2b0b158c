package org.parasol.examples.xenstorebench;

import org.parasol.guest.kernel.CommandLine;

/**
 * The xenstore-bench kernel's command line ({@link CommandLine}: {@code key=value} words
 * separated by blanks; a word it does not know is refused, naming it).
 *
 * <pre>
 *  [requests=&lt;n&gt;] [rounds=&lt;n&gt;] [start=&lt;ms&gt; phase=&lt;ms&gt;]
 * </pre>
 *
 * @param requests requests each throughput phase times (read and write, 1 and
 *                 {@code Xenbus.MAX_IN_FLIGHT} in flight); 0 skips the throughput phases
 * @param rounds   stamps the watch-latency phase writes (or watches); 0 skips it
 * @param startMs  with {@code phase}: the system time, in milliseconds since the hypervisor
 *                 booted, at which the first timed phase begins, the same for every domain
 * @param phaseMs  0 for phases of {@code requests} requests each; else each phase lasts this
 *                 many milliseconds, the four back to back from {@code start}, so that the
 *                 phases of every domain of a run cover the same windows
 */
record XenstoreBenchOptions(int requests, int rounds, long startMs, long phaseMs) {
    /** Requests per throughput phase when the command line names none. */
    static final int DEFAULT_REQUESTS = 10_000;
    /** Watch-latency rounds when the command line names none. */
    static final int DEFAULT_ROUNDS = 1_000;
    /** The most requests one phase makes. */
    static final int MAX_REQUESTS = 10_000_000;
    /** The most rounds (the watcher keeps every latency in memory). */
    static final int MAX_ROUNDS = 1_000_000;
    /** The latest start and the longest phase: an hour. */
    static final long MAX_MS = 3_600_000;

    /** Whether the phases are timed windows rather than counts. */
    boolean windowed() {
        return phaseMs > 0;
    }

    /**
     * Parses {@code cmdline}.
     *
     * @throws CommandLine.BadParameter naming the word at fault: an unknown key, a value that is
     *     not a number in range, or only one of {@code start=} and {@code phase=}
     */
    static XenstoreBenchOptions parse(String cmdline) {
        long[] n = {DEFAULT_REQUESTS, DEFAULT_ROUNDS, -1, 0}; // requests, rounds, start, phase
        new CommandLine("xenstore-bench")
                .number("requests", 0, MAX_REQUESTS, v -> n[0] = v)
                .number("rounds", 0, MAX_ROUNDS, v -> n[1] = v)
                .number("start", 0, MAX_MS, v -> n[2] = v)
                .number("phase", 0, MAX_MS, v -> n[3] = v)
                .parse(cmdline);
        long start = n[2];
        long phase = n[3];
        if ((start < 0) != (phase == 0)) {
            throw new CommandLine.BadParameter("xenstore-bench: timed phases need both start=<ms> and phase=<ms> > 0 (got '"
                    + cmdline + "')");
        }
        return new XenstoreBenchOptions((int) n[0], (int) n[1], Math.max(0, start), phase);
    }
}
