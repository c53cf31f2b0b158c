package org.parasol.drivers.net;

/**
 * One netback queue's counters, as Linux keeps a {@code struct xenvif_stats} per queue: written
 * only on the vCPU that serves the queue, so plain fields. The vif keeps one more for the queues
 * that have closed, and each queue adds its own into it as it lets go ({@link #addTo}), as
 * Linux's {@code xenvif_get_stats} sums its queues'. Read by the closing line and
 * {@link NetBack#statistics}.
 */
final class QueueStats {
    /** TX by grant map ({@code xen_netback.tx_map=1}): slots mapped and unmapped, the hypercalls that did it, frames switched in place. */
    long txMapped;
    long txUnmapped;
    long mapCalls;
    long unmapCalls;
    long txInPlace;
    /** Frames and bytes taken from the front end onto the bridge, and copied into its buffers. */
    long txFrames;
    long rxFrames;
    long txBytes;
    long rxBytes;
    /** TX frames refused (bad slots, grants, checksums, GSO extras). */
    long txErrors;
    /**
     * TX frames refused for a GSO extra that cannot stand (a type other than TCPv4, a size under
     * Gso.MIN_SIZE, a frame that is no whole IPv4 TCP packet) and for taking more than
     * XEN_NETIF_NR_SLOTS_MIN slots.
     */
    long gsoRefused;
    long tooManySlots;
    /** TX frames refused for NETTXF_csum_blank on what is not a whole IPv4 TCP or UDP packet. */
    long csumRefused;
    /** RX frames dropped for want of a posted buffer. */
    long rxDropped;
    /** RX frames over what the front end takes: one buffer without its feature-sg. */
    long rxTooBig;
    /** RX frames given over several slots (NETRXF_more_data). */
    long rxMultiSlot;
    /** TCP/IPv4 GSO frames taken from the front end, and given to it whole with their GSO extra. */
    long txGsoFrames;
    long rxGsoFrames;
    /** RX frames dropped because dom0 had no pages for the RX queue (never seen: said in the log). */
    long rxNoQueueMemory;
    /** Frames handed over from other vCPUs' lanes to this queue. */
    long handedIn;
    /** Frames the bridge gave this queue on its own vCPU's lane (the vif's: on any lane, with the hand-off's). */
    long rxOffered;

    /** Adds every counter of this one into {@code sum}. */
    void addTo(QueueStats sum) {
        sum.txMapped += txMapped;
        sum.txUnmapped += txUnmapped;
        sum.mapCalls += mapCalls;
        sum.unmapCalls += unmapCalls;
        sum.txInPlace += txInPlace;
        sum.txFrames += txFrames;
        sum.rxFrames += rxFrames;
        sum.txBytes += txBytes;
        sum.rxBytes += rxBytes;
        sum.txErrors += txErrors;
        sum.gsoRefused += gsoRefused;
        sum.tooManySlots += tooManySlots;
        sum.csumRefused += csumRefused;
        sum.rxDropped += rxDropped;
        sum.rxTooBig += rxTooBig;
        sum.rxMultiSlot += rxMultiSlot;
        sum.txGsoFrames += txGsoFrames;
        sum.rxGsoFrames += rxGsoFrames;
        sum.rxNoQueueMemory += rxNoQueueMemory;
        sum.handedIn += handedIn;
        sum.rxOffered += rxOffered;
    }
}
