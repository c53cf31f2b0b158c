package org.parasol.hypervisor.hypercall;

import org.parasol.hypervisor.domain.Vcpu;

/**
 * set_timer_op (hypercall 15): {@code (u64 timeout)} arms the calling vCPU's single-shot
 * timer for absolute system time {@code timeout}; 0 cancels it. A timeout already past fires
 * VIRQ_TIMER at once. Absurdly distant timeouts (beyond 2^62 ns) are clamped to 100 ms from
 * now, as Xen clamps them. Always returns 0.
 */
final class TimerOpHandler implements HypercallHandler {
    static final long ABSURD = 1L << 62;
    static final long CLAMP_NS = 100_000_000L;

    @Override
    public long call(Vcpu v, long timeout, long a2, long a3, long a4, long a5) {
        if (timeout == 0) {
            v.timers().stopSingleshot();
            return 0;
        }
        long t = timeout;
        if (t < 0 || t > ABSURD) {
            t = v.domain().host().systemTime() + CLAMP_NS;
        }
        v.timers().setSingleshot(t);
        return 0;
    }
}
