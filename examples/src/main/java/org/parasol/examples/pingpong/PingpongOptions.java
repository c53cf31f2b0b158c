package org.parasol.examples.pingpong;

import org.parasol.guest.kernel.CommandLine;

/**
 * The pingpong kernel's command line ({@link CommandLine}: {@code key=value} words separated by
 * blanks; a word it does not know is refused, naming it):
 *
 * <pre>
 *  [rounds=&lt;n&gt;] [timeout=&lt;seconds&gt;] [lie=ring-ref|grant|port|no-ring]
 * </pre>
 *
 * <p>Nothing on it says whom to meet or how: the two ends find each other through the store,
 * where dom0 put the device ({@link PingpongDevice}). {@code rounds} is the number of round
 * trips the front end makes; {@code timeout} bounds how long either end waits for the other to
 * make progress (a state change, an answer, a request) before it gives up with a message.
 * {@code lie} is which lie pingpong-liar tells ({@link PingpongLiarKernel}); the honest ends,
 * given the same line by {@code parasol run pingpong-liar}, leave it alone.
 *
 * @param rounds         round trips the front end makes (at least 1)
 * @param timeoutSeconds how long an end waits for the other (1..3600)
 * @param lie            the liar's lie
 */
record PingpongOptions(int rounds, int timeoutSeconds, String lie) {
    /** Round trips when the command line names none. */
    static final int DEFAULT_ROUNDS = 10_000;
    /** The most round trips one run makes (the latencies are kept in memory). */
    static final int MAX_ROUNDS = 1_000_000;
    /** Seconds an end waits for the other when the command line does not say. */
    static final int DEFAULT_TIMEOUT_SECONDS = 30;
    /** The liar's lie when the command line does not say. */
    static final String DEFAULT_LIE = "ring-ref";

    /**
     * Parses {@code cmdline}.
     *
     * @throws CommandLine.BadParameter naming the word at fault: an unknown key, a value that
     *     is not a number in range, a lie the liar does not tell
     */
    static PingpongOptions parse(String cmdline) {
        long[] n = {DEFAULT_ROUNDS, DEFAULT_TIMEOUT_SECONDS};
        String[] lie = {DEFAULT_LIE};
        new CommandLine("pingpong")
                .number("rounds", 1, MAX_ROUNDS, v -> n[0] = v)
                .number("timeout", 1, 3600, v -> n[1] = v)
                .choice("lie", v -> lie[0] = v, "ring-ref", "grant", "port", "no-ring")
                .parse(cmdline);
        return new PingpongOptions((int) n[0], (int) n[1], lie[0]);
    }
}
