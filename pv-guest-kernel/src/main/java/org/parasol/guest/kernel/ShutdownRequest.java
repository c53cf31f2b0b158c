package org.parasol.guest.kernel;

import org.parasol.hypercall.abi.Shutdown;

/**
 * What the toolstack can ask of a domain through its {@code control/shutdown} node, and the
 * {@code SCHEDOP_shutdown} reason each request ends in: the words of Linux's
 * {@code shutdown_handlers} ({@code drivers/xen/manage.c}), which are what libxl writes for
 * {@code xl shutdown}, {@code xl reboot} and {@code xl save}.
 */
public enum ShutdownRequest {
    /** {@code xl shutdown}: power off ({@code SHUTDOWN_poweroff}). */
    POWEROFF("poweroff", Shutdown.POWEROFF),
    /** Older toolstacks' word for a power-off; Linux powers off for it and does not advertise it. */
    HALT("halt", Shutdown.POWEROFF),
    /** {@code xl reboot}: {@code SHUTDOWN_reboot}; the toolstack's on_reboot says what follows. */
    REBOOT("reboot", Shutdown.REBOOT),
    /** {@code xl save} and migration: {@code SHUTDOWN_suspend}, for a kernel that can be resumed. */
    SUSPEND("suspend", Shutdown.SUSPEND);

    private final String word;
    private final int reason;

    ShutdownRequest(String word, int reason) {
        this.word = word;
        this.reason = reason;
    }

    /** The word in {@code control/shutdown}. */
    public String word() {
        return word;
    }

    /** The {@code SHUTDOWN_*} reason the kernel shuts down with. */
    public int reason() {
        return reason;
    }

    /** The request {@code word} names exactly, or null for any other value. */
    public static ShutdownRequest of(String word) {
        for (ShutdownRequest r : values()) {
            if (r.word.equals(word)) {
                return r;
            }
        }
        return null;
    }
}
