package org.parasol.guest.archfixture.cycle.pong;

import org.parasol.guest.archfixture.cycle.ping.Ping;

/** The other half of a deliberate package cycle. */
public final class Pong {
    private Pong() {
    }

    /** Calls back across the cycle. */
    public static int answer(int n) {
        return n <= 0 ? 1 : Ping.serve(n - 1);
    }
}
