package org.parasol.hypercall.abi;

/**
 * A split-driver end's handshake state ({@code enum xenbus_state}), mirrors
 * {@code io/xenbus.h}. Each end stores its state as a decimal string in its {@code state}
 * node and watches the other end's.
 */
public enum XenbusState {
    /** {@code XenbusStateUnknown}: no state yet (node absent). */
    UNKNOWN(0),
    /** {@code XenbusStateInitialising}: the toolstack created the device. */
    INITIALISING(1),
    /** {@code XenbusStateInitWait}: back end published its features, waits for the front end. */
    INIT_WAIT(2),
    /** {@code XenbusStateInitialised}: front end published ring and event channel. */
    INITIALISED(3),
    /** {@code XenbusStateConnected}: I/O may flow. */
    CONNECTED(4),
    /** {@code XenbusStateClosing}: one end is shutting the device down. */
    CLOSING(5),
    /** {@code XenbusStateClosed}: the end released its resources. */
    CLOSED(6),
    /** {@code XenbusStateReconfiguring}: back end is reconfiguring. */
    RECONFIGURING(7),
    /** {@code XenbusStateReconfigured}: reconfiguration done. */
    RECONFIGURED(8);

    private final int wire;

    XenbusState(int wire) {
        this.wire = wire;
    }

    /** The number written to the {@code state} node. */
    public int wire() {
        return wire;
    }

    /** Returns the state with wire number {@code wire}, or {@code null} if none has it. */
    public static XenbusState fromWire(int wire) {
        return switch (wire) {
            case 0 -> UNKNOWN;
            case 1 -> INITIALISING;
            case 2 -> INIT_WAIT;
            case 3 -> INITIALISED;
            case 4 -> CONNECTED;
            case 5 -> CLOSING;
            case 6 -> CLOSED;
            case 7 -> RECONFIGURING;
            case 8 -> RECONFIGURED;
            default -> null;
        };
    }
}
