package org.parasol.drivers.net.stack;

/**
 * Where a {@link NetDevice} hands each received Ethernet frame.
 *
 * <p>Ownership: the bytes {@code frame[offset, offset + length)} are lent for the duration of
 * the call only. The receiver reads them there (never writes them: a hub lends one copy to several ports) and copies whatever it keeps; the device may
 * reuse the array (a ring slot's bounce buffer, say) as soon as the call returns.
 */
@FunctionalInterface
public interface FrameReceiver {
    /** One frame, from its destination MAC address on; no preamble, no FCS. */
    void receive(byte[] frame, int offset, int length);
}
