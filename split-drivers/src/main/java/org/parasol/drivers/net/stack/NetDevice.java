package org.parasol.drivers.net.stack;

/**
 * The link the stack sits on: one Ethernet interface (netfront's vif in a guest, a port of a
 * {@link LoopbackWire} in tests). The stack knows nothing of rings, grants or events.
 *
 * <pre>
 *   frame:  | dst MAC (6) | src MAC (6) | EtherType (2) | payload (up to mtu()) |
 *           ^ offset                                                 offset + length ^
 * </pre>
 *
 * <p>Contract:
 * <ul>
 *   <li>{@link #transmit} takes one whole Ethernet II frame, at most {@code 14 + mtu()}
 *       bytes, without FCS. The bytes are lent for the call: the device copies them (into a
 *       granted page, say) or queues a copy before returning, and the caller reuses the array
 *       at once. A device that cannot take the frame (ring full, link down) drops it and says
 *       so by returning false; the stack counts that.</li>
 *   <li>{@code transmit} never calls the receiver before it returns: received frames arrive
 *       later, as their own tasks on the run loop (the stack reuses its transmit buffers and
 *       is not reentrant).</li>
 *   <li>{@link #setReceiver} installs the one {@link FrameReceiver}; the device calls it on
 *       the vCPU's run loop, one frame at a time, with the frame lent for the call.</li>
 * </ul>
 */
public interface NetDevice {
    /** The interface's own address. */
    MacAddress mac();

    /** The largest payload of one frame (IP packet size), 1500 on Ethernet; at least 576. */
    int mtu();

    /**
     * Sends {@code frame[offset, offset + length)}.
     *
     * @return false if the device dropped it (queue full, not connected)
     * @throws IllegalArgumentException if the range lies outside the array or the frame is
     *         shorter than 14 or longer than {@code 14 + mtu()} bytes (a bug in the caller)
     */
    boolean transmit(byte[] frame, int offset, int length);

    /**
     * Whether the device has blank UDP checksums filled in (netfront's {@code NETTXF_csum_blank}):
     * when true the stack leaves the checksum of a datagram that fits one frame 0 and the device
     * marks such frames blank (a computed checksum is never 0 on the wire, RFC 768). False by
     * default: the stack sums every datagram.
     */
    default boolean checksumOffload() {
        return false;
    }

    /** Installs where received frames go (null: nowhere, they are dropped). */
    void setReceiver(FrameReceiver receiver);
}
