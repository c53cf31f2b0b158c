package org.parasol.examples.pingpong;

import org.parasol.hypercall.abi.XenbusState;

/**
 * The pingpong device in the store: its kind, its directories and keys, and the strict reading
 * of what the other end wrote (either end may be hostile).
 *
 * <pre>
 *  written by dom0 when it builds the front end (libxl__device_generic_add), one transaction:
 *   /local/domain/&lt;F&gt;/device/pingpong/0              nF rB   backend, backend-id, state=1
 *   /local/domain/&lt;B&gt;/backend/pingpong/&lt;F&gt;/0        nB rF   frontend, frontend-id, online=1, state=1
 *  written by the front end (in its own directory):   ring-ref, event-channel, state
 *  written by the back end (in its own directory):    state
 * </pre>
 *
 * <p>Keys as Linux's ring-based drivers name them ({@code ring-ref}, {@code event-channel}); the
 * states are {@link XenbusState}'s.
 */
final class PingpongDevice {
    /** The device kind: the name of its directories. */
    static final String KIND = "pingpong";
    /** The front end's device directory, relative to its domain's path (devid 0). */
    static final String FRONT_DIR = "device/" + KIND + "/0";
    /** Where a back end finds the devices it serves, relative to its domain's path: {@code <front domid>/<devid>} below. */
    static final String BACK_ROOT = "backend/" + KIND;
    static final String BACKEND = "backend";
    static final String BACKEND_ID = "backend-id";
    static final String FRONTEND = "frontend";
    static final String FRONTEND_ID = "frontend-id";
    static final String STATE = "state";
    static final String RING_REF = "ring-ref";
    static final String EVENT_CHANNEL = "event-channel";
    /** Domain ids are below {@code DOMID_FIRST_RESERVED}. */
    static final long DOMID_LIMIT = 0x7FF0;
    /** Ports of the 2-level event ABI are below 4096. */
    static final long PORT_LIMIT = 4096;

    private PingpongDevice() {
    }

    /**
     * {@code value}, the content of key {@code key}, as a decimal number from {@code min} to
     * {@code max}.
     *
     * @throws IllegalArgumentException naming the key and what it held
     */
    static long number(String key, String value, long min, long max) {
        boolean digits = !value.isEmpty() && value.length() <= 10;
        for (int i = 0; digits && i < value.length(); i++) {
            digits = value.charAt(i) >= '0' && value.charAt(i) <= '9';
        }
        if (!digits) {
            throw new IllegalArgumentException(key + " '" + shorten(value) + "' is not a decimal number");
        }
        long v = Long.parseLong(value);
        if (v < min || v > max) {
            throw new IllegalArgumentException(key + " " + v + " is out of range " + min + ".." + max);
        }
        return v;
    }

    /** A domain id another domain wrote, 1..0x7FEF (never dom0 for a pingpong end, never DOMID_SELF). */
    static int domid(String key, String value) {
        return (int) number(key, value, 1, DOMID_LIMIT - 1);
    }

    /** Whether {@code s} says the end has gone or is going: Closing, Closed, or a state node gone or garbled. */
    static boolean gone(XenbusState s) {
        return s == XenbusState.UNKNOWN || s.wire() >= XenbusState.CLOSING.wire();
    }

    /** {@code s} as Xen's docs name it, and its number. */
    static String describe(XenbusState s) {
        return switch (s) {
            case UNKNOWN -> "Unknown (its state node gone or garbled)";
            case INITIALISING -> "Initialising (1)";
            case INIT_WAIT -> "InitWait (2)";
            case INITIALISED -> "Initialised (3)";
            case CONNECTED -> "Connected (4)";
            case CLOSING -> "Closing (5)";
            case CLOSED -> "Closed (6)";
            case RECONFIGURING -> "Reconfiguring (7)";
            case RECONFIGURED -> "Reconfigured (8)";
        };
    }

    /** {@code s} for a message: at most 24 characters, or its length if it holds anything not printable. */
    static String shorten(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < 0x20 || s.charAt(i) >= 0x7f) {
                return "<" + s.length() + " bytes>";
            }
        }
        return s.length() <= 24 ? s : s.substring(0, 24) + "...";
    }
}
