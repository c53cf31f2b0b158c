package org.parasol.hypercall.abi;

/**
 * vCPU sub-commands ({@code VCPUOP_*}), mirrors {@code public/vcpu.h}.
 *
 * <p>Passed as {@code cmd} to {@code vcpu_op(cmd, vcpuid, arg)}.
 */
public final class VcpuOp {
    private VcpuOp() {
    }

    /** {@code VCPUOP_initialise}: set a down vCPU's initial context, once. */
    public static final int INITIALISE = 0;
    /** {@code VCPUOP_up}: start an initialised vCPU. */
    public static final int UP = 1;
    /** {@code VCPUOP_down}: stop a vCPU. */
    public static final int DOWN = 2;
    /** {@code VCPUOP_is_up}: 1 if the vCPU is up, else 0. */
    public static final int IS_UP = 3;
    /** {@code VCPUOP_get_runstate_info}: copy out the vCPU's runstate. */
    public static final int GET_RUNSTATE_INFO = 4;
    /** {@code VCPUOP_register_runstate_memory_area}: keep a runstate copy at a guest VA. */
    public static final int REGISTER_RUNSTATE_MEMORY_AREA = 5;
    /** {@code VCPUOP_set_periodic_timer}: period at least 1 ms. */
    public static final int SET_PERIODIC_TIMER = 6;
    /** {@code VCPUOP_stop_periodic_timer}. */
    public static final int STOP_PERIODIC_TIMER = 7;
    /** {@code VCPUOP_set_singleshot_timer}: current vCPU only. */
    public static final int SET_SINGLESHOT_TIMER = 8;
    /** {@code VCPUOP_stop_singleshot_timer}. */
    public static final int STOP_SINGLESHOT_TIMER = 9;
    /** {@code VCPUOP_register_vcpu_info}: move vcpu_info out of shared_info, once. */
    public static final int REGISTER_VCPU_INFO = 10;
    /** {@code VCPUOP_send_nmi}. */
    public static final int SEND_NMI = 11;
    /** {@code VCPUOP_get_physid}: physical id of the pCPU. */
    public static final int GET_PHYSID = 12;
    /** {@code VCPUOP_register_vcpu_time_memory_area}: a second vcpu_time_info copy. */
    public static final int REGISTER_VCPU_TIME_MEMORY_AREA = 13;
    /** {@code VCPUOP_register_runstate_phys_area}: runstate copy by guest frame. */
    public static final int REGISTER_RUNSTATE_PHYS_AREA = 14;
    /** {@code VCPUOP_register_vcpu_time_phys_area}: time copy by guest frame. */
    public static final int REGISTER_VCPU_TIME_PHYS_AREA = 15;

    /** {@code _VCPU_SSHOTTMR_future}: bit number of {@link #VCPU_SSHOTTMR_FUTURE}. */
    public static final int VCPU_SSHOTTMR_FUTURE_BIT = 0;
    /** {@code VCPU_SSHOTTMR_future}: single-shot flag, the timeout should lie in the future. */
    public static final int VCPU_SSHOTTMR_FUTURE = 1 << VCPU_SSHOTTMR_FUTURE_BIT;
    /** Shortest period {@code set_periodic_timer} accepts, in ns (1 ms). */
    public static final long MIN_PERIODIC_TIMER_NS = 1_000_000L;
    /** Period of the periodic timer a PV vCPU starts with, in ns (10 ms). */
    public static final long DEFAULT_PERIODIC_TIMER_NS = 10_000_000L;
}
