package org.parasol.hypervisor.domain;

import org.parasol.hypervisor.time.Timers;

/**
 * A vCPU's timers (the timer fields of Xen's {@code struct vcpu}): the single-shot timer
 * ({@code set_timer_op}, {@code VCPUOP_set_singleshot_timer}), the periodic timer
 * ({@code VCPUOP_set_periodic_timer}; every PV vCPU starts with a 10 ms one) and the poll
 * timer of {@code SCHEDOP_poll}. The first two raise {@code VIRQ_TIMER} on the vCPU. A native
 * kernel's vCPU also has its local APIC's timer in TSC-deadline mode, whose expiry is an
 * interrupt at the LVT's vector ({@link VmExits#localTimerExpired}), not {@code VIRQ_TIMER}.
 *
 * <p>Expiries run on the host's timer thread, which must never wait on a lock a vCPU may
 * hold: {@code VIRQ_TIMER} is raised with a try-lock of the domain's event table
 * ({@link Domain#tryRaiseTimer}), and raised again {@value #TIMER_RETRY_NANOS} ns later when
 * the table was busy. The setters may be called from any thread.
 */
public final class VcpuTimers {
    /** How long the timer thread waits before raising a VIRQ_TIMER it could not raise. */
    static final long TIMER_RETRY_NANOS = 20_000;
    /** Xen's default period for a PV vCPU's periodic timer. */
    static final long DEFAULT_PERIOD_NS = 10_000_000L;

    private final Vcpu vcpu;
    private final Domain domain;
    private final Host host;
    private final Timers.Timer singleshot;
    private final Timers.Timer periodic;
    private final Timers.Timer poll;
    /** Raises VIRQ_TIMER again when the timer thread found the event table busy. */
    private final Timers.Timer retry;
    /** The local APIC timer of a native kernel's vCPU (TSC-deadline mode). */
    private final Timers.Timer localApic;
    private volatile long periodNs;

    VcpuTimers(Vcpu vcpu, Domain domain, Host host) {
        this.vcpu = vcpu;
        this.domain = domain;
        this.host = host;
        Timers timers = host.timers();
        this.singleshot = timers.newTimer(this::raiseTimer);
        this.periodic = timers.newTimer(this::periodicExpired);
        this.poll = timers.newTimer(() -> vcpu.sched().pollTimeout());
        this.retry = timers.newTimer(this::raiseTimer);
        this.localApic = timers.newTimer(this::localApicExpired);
    }

    /** Arms the local APIC timer for absolute system time {@code systemTime} (a native kernel's vCPU). */
    void setLocalApic(long systemTime) {
        localApic.set(host.clockTimeOf(systemTime));
    }

    /** Disarms the local APIC timer. */
    void stopLocalApic() {
        localApic.stop();
    }

    /** Whether the local APIC timer is armed. */
    public boolean localApicArmed() {
        return localApic.armed();
    }

    /** The timer thread: the deadline passed; the interrupt is latched, never waited for. */
    private void localApicExpired() {
        VmExits x = vcpu.vmExits();
        if (x != null && domain.mayRun()) {
            x.localTimerExpired();
        }
    }

    /** Arms the single-shot timer for absolute system time {@code systemTime}; 0 stops it. */
    public void setSingleshot(long systemTime) {
        if (systemTime == 0) {
            singleshot.stop();
            return;
        }
        singleshot.set(host.clockTimeOf(systemTime));
    }

    /** Stops the single-shot timer. */
    public void stopSingleshot() {
        singleshot.stop();
    }

    /** Whether the single-shot timer is armed. */
    public boolean singleshotArmed() {
        return singleshot.armed();
    }

    /** Starts the periodic timer with {@code periodNs}. */
    public void setPeriodic(long periodNs) {
        this.periodNs = periodNs;
        periodic.set(host.clock().nanos() + periodNs);
    }

    /** Starts Xen's default 10 ms periodic timer, as for every PV vCPU. */
    void startPeriodicDefault() {
        setPeriodic(DEFAULT_PERIOD_NS);
    }

    /** Stops the periodic timer. */
    public void stopPeriodic() {
        this.periodNs = 0;
        periodic.stop();
    }

    /** The periodic timer's period, 0 when stopped. */
    public long periodNs() {
        return periodNs;
    }

    /** Arms the poll timer for absolute system time {@code systemTime}. */
    void armPoll(long systemTime) {
        poll.set(host.clockTimeOf(systemTime));
    }

    /** Stops the poll timer. */
    void stopPoll() {
        poll.stop();
    }

    /** Stops every timer of the vCPU: it is down for good, or its domain is ending. */
    void stopAll() {
        singleshot.stop();
        periodic.stop();
        poll.stop();
        retry.stop();
        localApic.stop();
        periodNs = 0;
    }

    private void periodicExpired() {
        long p = periodNs;
        if (p > 0 && domain.mayRun()) {
            periodic.set(periodic.deadline() + p);
            raiseTimer();
        }
    }

    /**
     * VIRQ_TIMER from the timer thread, which must never wait on a lock a vCPU may hold: when
     * the event table is busy the interrupt is raised again {@value #TIMER_RETRY_NANOS} ns later.
     */
    private void raiseTimer() {
        if (!domain.tryRaiseTimer(vcpu)) {
            retry.set(host.clock().nanos() + TIMER_RETRY_NANOS);
        }
    }
}
