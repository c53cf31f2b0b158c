package org.parasol.hypercall.abi;

/**
 * The FIFO event-channel ABI ({@code EVTCHN_FIFO_*}) and the 2-level channel count, mirrors
 * {@code public/event_channel.h}.
 *
 * <pre>
 *  31       30       29       28      27 .. 17   16 ............ 0
 * +--------+--------+--------+------+----------+-----------------+
 * |PENDING | MASKED | LINKED | BUSY | reserved |      LINK       |
 * +--------+--------+--------+------+----------+-----------------+
 * </pre>
 * One 32-bit event word per port; {@code LINK} is the next port in the queue, 0 at the tail.
 */
public final class EvtchnFifo {
    private EvtchnFifo() {
    }

    /** {@code EVTCHN_FIFO_PENDING}: bit number of the pending bit. */
    public static final int PENDING = 31;
    /** {@code EVTCHN_FIFO_MASKED}: bit number of the mask bit. */
    public static final int MASKED = 30;
    /** {@code EVTCHN_FIFO_LINKED}: bit number of "on a queue". */
    public static final int LINKED = 29;
    /** {@code EVTCHN_FIFO_BUSY}: bit number Xen holds while it rewrites {@code LINK}. */
    public static final int BUSY = 28;
    /** {@code EVTCHN_FIFO_LINK_BITS}: width of the link field. */
    public static final int LINK_BITS = 17;
    /** {@code EVTCHN_FIFO_LINK_MASK}: the link field. */
    public static final int LINK_MASK = (1 << LINK_BITS) - 1;
    /** {@code EVTCHN_FIFO_NR_CHANNELS}: ports a FIFO domain can address. */
    public static final int NR_CHANNELS = 1 << LINK_BITS;

    /** {@code EVTCHN_FIFO_PRIORITY_MAX}: highest priority. */
    public static final int PRIORITY_MAX = 0;
    /** {@code EVTCHN_FIFO_PRIORITY_DEFAULT}: priority of a new port. */
    public static final int PRIORITY_DEFAULT = 7;
    /** {@code EVTCHN_FIFO_PRIORITY_MIN}: lowest priority. */
    public static final int PRIORITY_MIN = 15;
    /** {@code EVTCHN_FIFO_MAX_QUEUES}: one queue per priority per vCPU. */
    public static final int MAX_QUEUES = PRIORITY_MIN + 1;

    /** {@code EVTCHN_FIFO_EVENT_WORDS_PER_PAGE}: event words in one 4 KiB array page. */
    public static final int EVENT_WORDS_PER_PAGE = 1024;
    /** Maximum event-array pages ({@code NR_CHANNELS / EVENT_WORDS_PER_PAGE}). */
    public static final int MAX_EVENT_ARRAY_PAGES = 128;
    /** Size of {@code evtchn_fifo_control_block} in bytes. */
    public static final int CONTROL_BLOCK_SIZE = 72;

    /** {@code EVTCHN_2L_NR_CHANNELS}: ports of the 2-level ABI on 64-bit (64 words of 64 bits). */
    public static final int EVTCHN_2L_NR_CHANNELS = 4096;
}
