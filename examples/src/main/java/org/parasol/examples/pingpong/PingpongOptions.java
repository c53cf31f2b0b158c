package org.parasol.examples.pingpong;

/**
 * The pingpong kernel's command line, {@code key=value} words separated by spaces; other words
 * are ignored (they may be for the kernel or another application).
 *
 * <pre>
 *  [rounds=&lt;n&gt;] [timeout=&lt;seconds&gt;]
 * </pre>
 *
 * <p>Nothing on it says whom to meet or how: the two ends find each other through the store,
 * where dom0 put the device ({@link PingpongDevice}). {@code rounds} is the number of round
 * trips the front end makes; {@code timeout} bounds how long either end waits for the other to
 * make progress (a state change, an answer, a request) before it gives up with a message.
 *
 * @param rounds         round trips the front end makes (at least 1)
 * @param timeoutSeconds how long an end waits for the other (1..3600)
 */
record PingpongOptions(int rounds, int timeoutSeconds) {
    /** Round trips when the command line names none. */
    static final int DEFAULT_ROUNDS = 10_000;
    /** The most round trips one run makes (the latencies are kept in memory). */
    static final int MAX_ROUNDS = 1_000_000;
    /** Seconds an end waits for the other when the command line does not say. */
    static final int DEFAULT_TIMEOUT_SECONDS = 30;

    /**
     * Parses {@code cmdline}.
     *
     * @throws IllegalArgumentException naming the word at fault: a value that is not a number in range
     */
    static PingpongOptions parse(String cmdline) {
        long rounds = DEFAULT_ROUNDS;
        long timeout = DEFAULT_TIMEOUT_SECONDS;
        for (String word : cmdline.trim().split("\\s+")) {
            int eq = word.indexOf('=');
            if (eq <= 0) {
                continue;
            }
            String key = word.substring(0, eq);
            String value = word.substring(eq + 1);
            switch (key) {
                case "rounds" -> rounds = number(word, value, 1, MAX_ROUNDS);
                case "timeout" -> timeout = number(word, value, 1, 3600);
                default -> {
                    // someone else's option
                }
            }
        }
        return new PingpongOptions((int) rounds, (int) timeout);
    }

    private static long number(String word, String value, long min, long max) {
        long v;
        try {
            v = Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("pingpong: '" + word + "' is not a number", e);
        }
        if (v < min || v > max) {
            throw new IllegalArgumentException("pingpong: '" + word + "' is out of range " + min + ".." + max);
        }
        return v;
    }
}
