package org.parasol.guest.archfixture.cycle.ping;

import org.parasol.guest.archfixture.cycle.pong.Pong;

/** Half of a deliberate package cycle: ping names pong, which names ping. */
public final class Ping {
    private Ping() {
    }

    /** Calls across the cycle. */
    public static int serve(int n) {
        return n <= 0 ? 0 : Pong.answer(n - 1);
    }
}
