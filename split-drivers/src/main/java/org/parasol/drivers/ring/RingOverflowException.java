package org.parasol.drivers.ring;

/**
 * The peer published a producer index that no correct peer can publish: the
 * {@code RING_REQUEST_PROD_OVERFLOW} / {@code RING_RESPONSE_PROD_OVERFLOW} case of {@code io/ring.h},
 * which a Linux back end answers by declaring the ring broken.
 *
 * <p>A ring that throws this stays broken: every later call that reads the peer's index throws it
 * again, and no entry past the bad index is ever read. The driver's answer is to stop using the
 * ring and tear the connection down (for a back end, to close the device towards that front end);
 * it is never a reason to crash the domain that detected it.
 *
 * <p>It is a checked exception so that no consume path can forget the hostile-peer case.
 */
public final class RingOverflowException extends Exception {

    private static final long serialVersionUID = 1L;

    private final String index;
    private final int producerIndex;
    private final int consumerIndex;
    private final int size;

    /**
     * @param index the shared index that was wrong, in ring.h's words ({@code "req_prod"} or {@code "rsp_prod"})
     * @param producerIndex the raw value read from it
     * @param consumerIndex the reader's private index it was checked against
     * @param size the ring size
     */
    RingOverflowException(String index, int producerIndex, int consumerIndex, int size, String why) {
        super(index + " = " + Integer.toUnsignedString(producerIndex) + " " + why + " (consumer at "
                + Integer.toUnsignedString(consumerIndex) + ", ring of " + size + ")");
        this.index = index;
        this.producerIndex = producerIndex;
        this.consumerIndex = consumerIndex;
        this.size = size;
    }

    /** Which shared index was wrong: {@code "req_prod"} or {@code "rsp_prod"}. */
    public String index() {
        return index;
    }

    /** The raw {@code RING_IDX} the peer published. */
    public int producerIndex() {
        return producerIndex;
    }

    /** The reader's own consumer index ({@code req_cons} or {@code rsp_cons}) at the time. */
    public int consumerIndex() {
        return consumerIndex;
    }

    /** The ring size. */
    public int size() {
        return size;
    }
}
