package org.parasol.hypervisor.sched;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class StackGuardTest {

    @Test
    @DisplayName("the stack pointer can be read on this host (Linux x86-64): the check is not silently off")
    void shouldBeAvailableOnThisHost() {
        assertThat(StackGuard.unavailableReason()).isNull();
        assertThat(StackGuard.available()).isTrue();
    }

    @Test
    void shouldReadAStackPointerInsideTheThreadsBounds() {
        StackGuard g = new StackGuard();
        g.readBounds();
        long sp = StackGuard.stackPointer();

        assertThat(g.low()).isPositive();
        assertThat(sp).isBetween(g.low(), g.high() - 1);
        assertThat(g.remaining()).isPositive().isLessThan(g.high() - g.low());
    }

    @Test
    void shouldSeeTheStackGrowDownAsCallsNest() {
        long top = StackGuard.stackPointer();
        long deep = spAtDepth(200);

        assertThat(deep).as("200 frames deeper").isLessThan(top - 200 * 16);
    }

    @Test
    @DisplayName("a thread that has used up its stack down to the headroom is refused; a shallow one is not")
    void shouldRefuseWhenLessThanTheHeadroomIsLeft() throws Exception {
        StackGuard g = new StackGuard();
        assertThat(g.hasHeadroom()).isTrue();

        AtomicLong refusedAt = new AtomicLong(-1);
        AtomicLong remainingThen = new AtomicLong();
        Thread t = Thread.ofPlatform().stackSize(2 << 20).unstarted(() -> {
            StackGuard own = new StackGuard();
            own.readBounds();
            dive(own, 0, refusedAt, remainingThen);
        });
        t.start();
        t.join();

        assertThat(refusedAt.get()).as("depth at which the guard refused").isPositive();
        assertThat(remainingThen.get()).isLessThan(StackGuard.HEADROOM)
                .isGreaterThan(StackGuard.HEADROOM - 64 * 1024);
    }

    /** Recurses until the guard refuses (long before the stack overflows, which would fail the test). */
    private static void dive(StackGuard g, int depth, AtomicLong refusedAt, AtomicLong remainingThen) {
        if (!g.hasHeadroom()) {
            refusedAt.set(depth);
            remainingThen.set(g.remaining());
            return;
        }
        dive(g, depth + 1, refusedAt, remainingThen);
    }

    private static long spAtDepth(int n) {
        return n == 0 ? StackGuard.stackPointer() : spAtDepth(n - 1);
    }
}
