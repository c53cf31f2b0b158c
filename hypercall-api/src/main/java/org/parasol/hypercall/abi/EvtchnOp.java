package org.parasol.hypercall.abi;

/**
 * Event-channel sub-commands ({@code EVTCHNOP_*}), mirrors {@code public/event_channel.h}.
 *
 * <p>Passed as {@code cmd} to hypercall {@code event_channel_op(cmd, arg)}; {@code arg} points
 * to the per-command structure. Unknown commands answer {@code -ENOSYS}.
 */
public final class EvtchnOp {
    private EvtchnOp() {
    }

    /** {@code EVTCHNOP_bind_interdomain}: connect to an unbound port of another domain. */
    public static final int BIND_INTERDOMAIN = 0;
    /** {@code EVTCHNOP_bind_virq}: bind a virtual IRQ on a vCPU. */
    public static final int BIND_VIRQ = 1;
    /** {@code EVTCHNOP_bind_pirq}: bind a physical IRQ. */
    public static final int BIND_PIRQ = 2;
    /** {@code EVTCHNOP_close}: close a port. */
    public static final int CLOSE = 3;
    /** {@code EVTCHNOP_send}: notify the remote end of a port. */
    public static final int SEND = 4;
    /** {@code EVTCHNOP_status}: query a port's state. */
    public static final int STATUS = 5;
    /** {@code EVTCHNOP_alloc_unbound}: allocate a port waiting for a remote domain. */
    public static final int ALLOC_UNBOUND = 6;
    /** {@code EVTCHNOP_bind_ipi}: allocate an inter-vCPU port. */
    public static final int BIND_IPI = 7;
    /** {@code EVTCHNOP_bind_vcpu}: change the vCPU a port notifies. */
    public static final int BIND_VCPU = 8;
    /** {@code EVTCHNOP_unmask}: clear a port's mask bit and redeliver if pending. */
    public static final int UNMASK = 9;
    /** {@code EVTCHNOP_reset}: close every port of a domain. */
    public static final int RESET = 10;
    /** {@code EVTCHNOP_init_control}: register a FIFO control block (switches to FIFO). */
    public static final int INIT_CONTROL = 11;
    /** {@code EVTCHNOP_expand_array}: add a page to the FIFO event array. */
    public static final int EXPAND_ARRAY = 12;
    /** {@code EVTCHNOP_set_priority}: set a port's FIFO priority. */
    public static final int SET_PRIORITY = 13;
    /** {@code EVTCHNOP_reset_cont}: Xen-internal continuation of {@link #RESET}. */
    public static final int RESET_CONT = 14;

    /** {@code BIND_PIRQ__WILL_SHARE}: {@code bind_pirq} flag, the IRQ may be shared. */
    public static final int BIND_PIRQ_WILL_SHARE = 1;
}
