package org.parasol.hypercall.abi;

/**
 * Domain shutdown reasons ({@code SHUTDOWN_*}), mirrors {@code public/sched.h}; the argument of
 * {@code SCHEDOP_shutdown} and {@code SCHEDOP_remote_shutdown}.
 */
public final class Shutdown {
    private Shutdown() {
    }

    /** {@code SHUTDOWN_poweroff}: clean halt. */
    public static final int POWEROFF = 0;
    /** {@code SHUTDOWN_reboot}: clean reboot. */
    public static final int REBOOT = 1;
    /** {@code SHUTDOWN_suspend}: save state and stop, for save/restore or migration. */
    public static final int SUSPEND = 2;
    /** {@code SHUTDOWN_crash}: the domain failed. */
    public static final int CRASH = 3;
    /** {@code SHUTDOWN_watchdog}: a domain watchdog expired. */
    public static final int WATCHDOG = 4;
    /** {@code SHUTDOWN_soft_reset}: reset in place, keeping memory. */
    public static final int SOFT_RESET = 5;
    /** {@code SHUTDOWN_MAX}: the largest defined reason. */
    public static final int MAX = 5;

    /** Returns Xen's lower-case name of {@code reason} (e.g. {@code "poweroff"}), or {@code null}. */
    public static String name(int reason) {
        return switch (reason) {
            case POWEROFF -> "poweroff";
            case REBOOT -> "reboot";
            case SUSPEND -> "suspend";
            case CRASH -> "crash";
            case WATCHDOG -> "watchdog";
            case SOFT_RESET -> "soft_reset";
            default -> null;
        };
    }
}
