package org.parasol.examples.pingpong;

/**
 * The pingpong kernel's command line, {@code key=value} words separated by spaces; other words
 * are ignored (they may be for the kernel or another application).
 *
 * <pre>
 *  offering domain:   peer=&lt;domid&gt; [rounds=&lt;n&gt;]
 *  accepting domain:  peer=&lt;domid&gt; gref=&lt;n&gt; port=&lt;p&gt;
 * </pre>
 *
 * <p>{@code peer} is the other domain's id; {@code gref} and {@code port} are the offer the
 * offering domain printed, which the launcher passes on. A command line with {@code gref=} is
 * the accepting side's.
 *
 * @param peer   the other domain's id
 * @param gref   the offered grant reference, or -1 on the offering side
 * @param port   the offered unbound port, or -1 on the offering side
 * @param rounds round trips the offering side makes (at least 1)
 */
record PingpongOptions(int peer, int gref, int port, int rounds) {
    /** Round trips when the command line names none. */
    static final int DEFAULT_ROUNDS = 10_000;
    /** The most round trips one run makes (the latencies are kept in memory). */
    static final int MAX_ROUNDS = 1_000_000;
    /** Domain ids are below {@code DOMID_FIRST_RESERVED}. */
    private static final int DOMID_LIMIT = 0x7FF0;
    /** Ports of the 2-level event ABI are below 4096. */
    private static final int PORT_LIMIT = 4096;

    /** Whether this is the accepting side (the command line carries an offer). */
    boolean accepting() {
        return gref >= 0;
    }

    /**
     * Parses {@code cmdline}.
     *
     * @throws IllegalArgumentException naming the word at fault: {@code peer=} missing, a value
     *     that is not a number in range, or only one of {@code gref=} and {@code port=}
     */
    static PingpongOptions parse(String cmdline) {
        long peer = -1;
        long gref = -1;
        long port = -1;
        long rounds = DEFAULT_ROUNDS;
        for (String word : cmdline.trim().split("\\s+")) {
            int eq = word.indexOf('=');
            if (eq <= 0) {
                continue;
            }
            String key = word.substring(0, eq);
            String value = word.substring(eq + 1);
            switch (key) {
                case "peer" -> peer = number(word, value, 0, DOMID_LIMIT - 1);
                case "gref" -> gref = number(word, value, 0, Integer.MAX_VALUE);
                case "port" -> port = number(word, value, 1, PORT_LIMIT - 1);
                case "rounds" -> rounds = number(word, value, 1, MAX_ROUNDS);
                default -> {
                    // someone else's option
                }
            }
        }
        if (peer < 0) {
            throw new IllegalArgumentException("pingpong needs peer=<domid> on its command line (got '" + cmdline + "')");
        }
        if ((gref < 0) != (port < 0)) {
            throw new IllegalArgumentException("pingpong's accepting side needs both gref=<n> and port=<p> (got '"
                    + cmdline + "')");
        }
        return new PingpongOptions((int) peer, (int) gref, (int) port, (int) rounds);
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
