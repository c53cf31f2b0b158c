package org.parasol.examples.xenstorebench;

/**
 * The xenstore-bench kernel's command line: {@code key=value} words separated by spaces;
 * other words are ignored (they may be for the kernel or another application).
 *
 * <pre>
 *  [requests=&lt;n&gt;] [rounds=&lt;n&gt;]
 * </pre>
 *
 * @param requests requests each throughput phase times (read and write, 1 and
 *                 {@code Xenbus.MAX_IN_FLIGHT} in flight); 0 skips the throughput phases
 * @param rounds   stamps the watch-latency phase writes (or watches); 0 skips it
 */
record XenstoreBenchOptions(int requests, int rounds) {
    /** Requests per throughput phase when the command line names none. */
    static final int DEFAULT_REQUESTS = 10_000;
    /** Watch-latency rounds when the command line names none. */
    static final int DEFAULT_ROUNDS = 1_000;
    /** The most requests one phase makes. */
    static final int MAX_REQUESTS = 10_000_000;
    /** The most rounds (the watcher keeps every latency in memory). */
    static final int MAX_ROUNDS = 1_000_000;

    /**
     * Parses {@code cmdline}.
     *
     * @throws IllegalArgumentException naming the word at fault: a value that is not a number
     *     in range
     */
    static XenstoreBenchOptions parse(String cmdline) {
        long requests = DEFAULT_REQUESTS;
        long rounds = DEFAULT_ROUNDS;
        for (String word : cmdline.trim().split("\\s+")) {
            int eq = word.indexOf('=');
            if (eq <= 0) {
                continue;
            }
            String value = word.substring(eq + 1);
            switch (word.substring(0, eq)) {
                case "requests" -> requests = number(word, value, MAX_REQUESTS);
                case "rounds" -> rounds = number(word, value, MAX_ROUNDS);
                default -> {
                    // someone else's option
                }
            }
        }
        return new XenstoreBenchOptions((int) requests, (int) rounds);
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
