package org.parasol.hypervisor.hypercall;

import org.parasol.hypervisor.domain.Vcpu;

/**
 * set_timer_op (hypercall 15): {@code (u64 timeout)} arms the calling vCPU's single-shot
 * timer for absolute system time {@code timeout}; 0 cancels it. A timeout already past fires
 * VIRQ_TIMER at once. As Xen's {@code do_set_timer_op} works around old Linux guests, a
 * timeout that wrapped negative, or lies more than 2<sup>50</sup> ns (about 13 days) ahead,
 * fires 100 ms from now instead. Always returns 0.
 */
final class TimerOpHandler implements HypercallHandler {
    /** Offsets from now at or beyond this are absurd: Xen's {@code (uint32_t)(offset >> 50) != 0}. */
    static final int ABSURD_SHIFT = 50;
    static final long CLAMP_NS = 100_000_000L;

    @Override
    public long call(Vcpu v, long timeout, long a2, long a3, long a4, long a5) {
        if (timeout == 0) {
            v.timers().stopSingleshot();
            return 0;
        }
        long now = v.domain().host().systemTime();
        long offset = timeout - now;
        if (timeout < 0 || (offset > 0 && (int) (offset >> ABSURD_SHIFT) != 0)) {
            v.timers().setSingleshot(now + CLAMP_NS);
        } else {
            v.timers().setSingleshot(timeout);
        }
        return 0;
    }
}
