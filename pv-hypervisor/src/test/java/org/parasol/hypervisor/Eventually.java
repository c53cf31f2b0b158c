package org.parasol.hypervisor;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits, bounded, for a condition another thread makes true. */
final class Eventually {
    private Eventually() {
    }

    static void until(Duration atMost, BooleanSupplier condition) {
        long deadline = System.nanoTime() + atMost.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within " + atMost);
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted");
            }
        }
    }
}
