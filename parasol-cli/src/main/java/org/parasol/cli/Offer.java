package org.parasol.cli;

import java.util.HashMap;
import java.util.Map;

/**
 * What an offering domain printed on its console for its peer: a grant reference to the page
 * it shared and an unbound event-channel port, both for domain {@code peer}. The launcher's
 * stand-in for the xenstore keys a Xen front end writes ({@code ring-ref},
 * {@code event-channel}).
 *
 * <p>The line is the launch plan's {@code offer.line} prefix, a space, then exactly these three
 * words in any order, each once, in decimal:
 * <pre>
 *   gref=&lt;0..2147483647&gt; port=&lt;1..4095&gt; peer=&lt;1..32751&gt;
 * </pre>
 * Port 0 is reserved and the 2-level event ABI stops at 4096; a domain id is below
 * {@code DOMID_FIRST_RESERVED}. Anything else after the prefix is malformed.
 *
 * @param gref the grant reference
 * @param port the unbound port, in the offering domain
 * @param peer the domain both are for
 */
record Offer(int gref, int port, int peer) {
    private static final long GREF_MAX = Integer.MAX_VALUE;
    private static final long PORT_MAX = 4095;
    private static final long DOMID_MAX = 0x7FEF;

    /**
     * Parses the words after the prefix.
     *
     * @throws LaunchException naming what is wrong: a missing, repeated, unknown or
     *     out-of-range word, or one that is not {@code key=decimal}
     */
    static Offer parse(String words) throws LaunchException {
        if (words.isBlank()) {
            throw new LaunchException("nothing after the prefix (expected gref=<n> port=<p> peer=<domid>)");
        }
        Map<String, Long> values = new HashMap<>();
        for (String word : words.strip().split(" +")) {
            int eq = word.indexOf('=');
            String key = eq < 0 ? word : word.substring(0, eq);
            long max = switch (key) {
                case "gref" -> GREF_MAX;
                case "port" -> PORT_MAX;
                case "peer" -> DOMID_MAX;
                default -> throw new LaunchException("unexpected word '" + word + "' (expected gref=, port=, peer=)");
            };
            long min = key.equals("gref") ? 0 : 1;
            String digits = eq < 0 ? "" : word.substring(eq + 1);
            if (digits.isEmpty() || digits.length() > 10 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw new LaunchException("'" + word + "' is not " + key + "=<decimal number>");
            }
            long v = Long.parseLong(digits);
            if (v < min || v > max) {
                throw new LaunchException("'" + word + "' is out of range " + min + ".." + max);
            }
            if (values.put(key, v) != null) {
                throw new LaunchException("'" + key + "=' appears twice");
            }
        }
        for (String key : new String[] {"gref", "port", "peer"}) {
            if (!values.containsKey(key)) {
                throw new LaunchException("no " + key + "=");
            }
        }
        return new Offer(values.get("gref").intValue(), values.get("port").intValue(), values.get("peer").intValue());
    }

    /** The accepting domain's command-line words: {@code peer=<offering domid> gref=<n> port=<p>}. */
    String acceptArguments(int offeringDomid) {
        return "peer=" + offeringDomid + " gref=" + gref + " port=" + port;
    }
}
