package org.parasol.examples.xenstorebench;

/**
 * The xenstore-bench kernel's command line: {@code key=value} words separated by spaces;
 * other words are ignored (they may be for the kernel or another application).
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
     * @throws IllegalArgumentException naming the word at fault: a value that is not a number
     *     in range, or only one of {@code start=} and {@code phase=}
     */
    static XenstoreBenchOptions parse(String cmdline) {
        long requests = DEFAULT_REQUESTS;
        long rounds = DEFAULT_ROUNDS;
        long start = -1;
        long phase = 0;
        for (String word : cmdline.trim().split("\\s+")) {
            int eq = word.indexOf('=');
            if (eq <= 0) {
                continue;
            }
            String value = word.substring(eq + 1);
            switch (word.substring(0, eq)) {
                case "requests" -> requests = number(word, value, MAX_REQUESTS);
                case "rounds" -> rounds = number(word, value, MAX_ROUNDS);
                case "start" -> start = number(word, value, MAX_MS);
                case "phase" -> phase = number(word, value, MAX_MS);
                default -> {
                    // someone else's option
                }
            }
        }
        if ((start < 0) != (phase == 0)) {
            throw new IllegalArgumentException("xenstore-bench: timed phases need both start=<ms> and phase=<ms> > 0 (got '"
                    + cmdline + "')");
        }
        return new XenstoreBenchOptions((int) requests, (int) rounds, Math.max(0, start), phase);
    }

    private static long number(String word, String value, long max) {
        long v;
        try {
            v = Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("xenstore-bench: '" + word + "' is not a number", e);
        }
        if (v < 0 || v > max) {
            throw new IllegalArgumentException("xenstore-bench: '" + word + "' is out of range 0.." + max);
        }
        return v;
    }
}
