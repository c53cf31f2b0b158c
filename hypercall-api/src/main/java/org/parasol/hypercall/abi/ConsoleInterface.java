package org.parasol.hypercall.abi;

/**
 * Console ring constants of {@code xencons_interface}, mirrors {@code io/console.h}.
 *
 * <p>Indices are free-running 32-bit counters; a byte's slot is {@code idx & (size - 1)}.
 */
public final class ConsoleInterface {
    private ConsoleInterface() {
    }

    /** {@code XENCONSOLE_CONNECTED}: {@code connection} value, the back end is attached. */
    public static final int XENCONSOLE_CONNECTED = 0;
    /** {@code XENCONSOLE_DISCONNECTED}: {@code connection} value, the start state. */
    public static final int XENCONSOLE_DISCONNECTED = 1;
    /** Size of {@code in[]}, back end to guest. */
    public static final int IN_RING_SIZE = 1024;
    /** Size of {@code out[]}, guest to back end. */
    public static final int OUT_RING_SIZE = 2048;
}
