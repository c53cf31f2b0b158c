package org.parasol.hypercall.abi;

/**
 * Port states reported by {@code EVTCHNOP_status} ({@code EVTCHNSTAT_*}), mirrors
 * {@code public/event_channel.h}.
 */
public final class EvtchnStat {
    private EvtchnStat() {
    }

    /** {@code EVTCHNSTAT_closed}: free or reserved port. */
    public static final int CLOSED = 0;
    /** {@code EVTCHNSTAT_unbound}: waiting for a remote domain to bind. */
    public static final int UNBOUND = 1;
    /** {@code EVTCHNSTAT_interdomain}: connected to a port of another (or the same) domain. */
    public static final int INTERDOMAIN = 2;
    /** {@code EVTCHNSTAT_pirq}: bound to a physical IRQ. */
    public static final int PIRQ = 3;
    /** {@code EVTCHNSTAT_virq}: bound to a virtual IRQ. */
    public static final int VIRQ = 4;
    /** {@code EVTCHNSTAT_ipi}: inter-vCPU notification port. */
    public static final int IPI = 5;
}
