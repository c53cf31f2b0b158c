package org.parasol.hypercall.guest;

import java.util.Objects;
import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.Hypercall;

/**
 * {@code set_timer_op(timeout)} (hypercall 15): the calling vCPU's single-shot timer, the
 * same timer as {@code VCPUOP_set_singleshot_timer}, firing {@code VIRQ_TIMER}.
 */
public final class TimerCalls {
    private final Cpu cpu;

    /** Wrappers for {@code cpu}. The timeout travels in a register. */
    public TimerCalls(Cpu cpu) {
        this.cpu = Objects.requireNonNull(cpu, "cpu");
    }

    /**
     * Arms the timer for absolute system time {@code timeoutAbsNs}; a time already past fires
     * at once, an absurdly distant one is clamped (to about 100 ms). Always 0.
     */
    public long setTimerOp(long timeoutAbsNs) {
        return cpu.hypercall(Hypercall.SET_TIMER_OP, timeoutAbsNs);
    }

    /** {@code set_timer_op(0)}: cancels the single-shot timer. Always 0. */
    public long cancel() {
        return setTimerOp(0);
    }
}
