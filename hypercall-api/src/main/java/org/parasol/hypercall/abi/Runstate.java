package org.parasol.hypercall.abi;

/**
 * vCPU run states ({@code RUNSTATE_*}), mirrors {@code public/vcpu.h}: the {@code state} of
 * {@code vcpu_runstate_info} and the index into its {@code time[4]}.
 */
public final class Runstate {
    private Runstate() {
    }

    /** {@code RUNSTATE_running}: on a pCPU. */
    public static final int RUNNING = 0;
    /** {@code RUNSTATE_runnable}: ready, waiting for a pCPU. */
    public static final int RUNNABLE = 1;
    /** {@code RUNSTATE_blocked}: waiting for an event (takes precedence over offline). */
    public static final int BLOCKED = 2;
    /** {@code RUNSTATE_offline}: down or paused. */
    public static final int OFFLINE = 3;
    /** Number of states, the length of {@code time[]}. */
    public static final int NR_STATES = 4;

    /** {@code XEN_RUNSTATE_UPDATE}: set in {@code state_entry_time} while Xen updates the area. */
    public static final long XEN_RUNSTATE_UPDATE = 1L << 63;
}
