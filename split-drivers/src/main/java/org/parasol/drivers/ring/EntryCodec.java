package org.parasol.drivers.ring;

import org.parasol.hypercall.SharedBuffer;

/**
 * How one kind of ring entry — a request or a response — is written to and read from the bytes
 * of a slot; the typed half of ring.h's {@code DEFINE_RING_TYPES}, which declares a ring from its
 * request and response structures.
 *
 * <p>The ring never hands a codec the shared page. A producer's entry is encoded into the ring
 * view's private image of its slot (zeroed first, so padding never carries stale bytes) and then
 * copied into the slot (a run of them in one bulk copy); a consumer's slot, or a run of slots, is
 * copied out into that private image before {@link #decode} sees it, so a peer rewriting the
 * slot meanwhile cannot change what the driver validates (no double fetch).
 *
 * <p>What a codec gets is a {@link SharedBuffer} over its entry's bytes in that image, so that it
 * may wrap the entry's {@code io/} flyweight over it ({@code BlkifRequest},
 * {@code NetifTxRequest}...) and read the fields by their names, as the peer wrote them.
 *
 * <p>Rules for implementations:
 * <ul>
 *   <li>{@link #byteSize()} is constant and at most the ring's entry size (the size of the
 *       request/response union).</li>
 *   <li>{@link #decode} accepts any bytes: the peer is untrusted, and checking the decoded
 *       values is the driver's job, done on the private copy.</li>
 *   <li>Neither method allocates: {@code decode} fills a holder the caller reuses, so the ring's
 *       consume path stays allocation-free.</li>
 * </ul>
 *
 * @param <T> the driver's private, mutable representation of the entry
 */
public interface EntryCodec<T> {

    /** Bytes of the slot this entry occupies, e.g. 112 for {@code blkif_request}. */
    long byteSize();

    /** Writes {@code entry} into {@code dst}, private memory of {@link #byteSize()} bytes, zeroed. */
    void encode(T entry, SharedBuffer dst);

    /** Reads {@code src}, a private copy of {@link #byteSize()} bytes, into {@code into}. */
    void decode(SharedBuffer src, T into);
}
