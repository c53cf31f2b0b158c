package org.parasol.hypercall.abi;

/**
 * Scheduler sub-commands ({@code SCHEDOP_*}), mirrors {@code public/sched.h}.
 *
 * <p>Passed as {@code cmd} to {@code sched_op(cmd, arg)}.
 */
public final class SchedOp {
    private SchedOp() {
    }

    /** {@code SCHEDOP_yield}: give up the pCPU, stay runnable. */
    public static final int YIELD = 0;
    /** {@code SCHEDOP_block}: re-enable upcalls and block until an event is pending. */
    public static final int BLOCK = 1;
    /** {@code SCHEDOP_shutdown}: stop the whole domain with a {@link Shutdown} reason. */
    public static final int SHUTDOWN = 2;
    /** {@code SCHEDOP_poll}: block until one of a set of ports is pending or a timeout. */
    public static final int POLL = 3;
    /** {@code SCHEDOP_remote_shutdown}: shut down another domain (privileged). */
    public static final int REMOTE_SHUTDOWN = 4;
    /** {@code SCHEDOP_shutdown_code}: latch the reason reported at a later shutdown. */
    public static final int SHUTDOWN_CODE = 5;
    /** {@code SCHEDOP_watchdog}: create, re-arm or destroy a domain watchdog. */
    public static final int WATCHDOG = 6;
    /** {@code SCHEDOP_pin_override}: pin to a pCPU (hardware domain only). */
    public static final int PIN_OVERRIDE = 7;

    /** Most ports one {@code SCHEDOP_poll} may list; more is {@code -EINVAL}. */
    public static final int POLL_MAX_PORTS = 128;
    /** Most watchdogs per domain; one more is {@code -ENOSPC}. */
    public static final int NR_WATCHDOGS = 2;
}
