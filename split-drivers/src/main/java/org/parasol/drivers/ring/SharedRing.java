package org.parasol.drivers.ring;

import java.lang.foreign.MemorySegment;
import java.util.Objects;
import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.SharedBuffer;
import org.parasol.hypercall.io.RingGeometry;
import org.parasol.hypercall.io.SharedRingHeader;

/**
 * The shared half of a ring, ring.h's {@code struct <name>_sring}: the four shared indices in
 * the page's header and the array of slots after it. {@link FrontRing} and {@link BackRing} each
 * hold one over the same page; everyone may read the indices, only the two views write them.
 *
 * <pre>
 *  0          4           8          12          16    64
 *  +----------+-----------+----------+-----------+-----+--------+--------+-----+----------+
 *  | req_prod | req_event | rsp_prod | rsp_event | ... | slot 0 | slot 1 | ... | slot n-1 |
 *  +----------+-----------+----------+-----------+-----+--------+--------+-----+----------+
 *   written by: front       back       back        front
 * </pre>
 *
 * <p>The page is a {@link SharedBuffer}: a {@link org.parasol.hypercall.GuestMemoryBuffer} at the
 * page's guest virtual address for a driver in a domain (the front end's own page, or the back
 * end's mapping of the grant), a {@link SegmentBuffer} for tests and benchmarks that share the
 * bytes directly. The indices are read and written through the {@link SharedRingHeader}
 * flyweight; the entries are copied whole between the page and the views' private images of
 * the slot array, one slot or a run of slots at a time.
 *
 * <p>Invariants: offsets come from {@link SharedRingHeader} and the geometry; the geometry fits
 * in the page, which is at least 4-byte aligned; the slot an index names is computed only by
 * {@link RingGeometry#slot(int)}. The reads here are acquire loads of raw {@code RING_IDX}
 * values (unsigned 32-bit counters stored unmasked); compare them only by difference. Nothing
 * here allocates.
 */
public final class SharedRing {

    private final SharedBuffer page;
    private final RingGeometry geometry;
    private final SharedRingHeader header = new SharedRingHeader();

    /**
     * The ring at the start of {@code page}.
     *
     * @throws IllegalArgumentException if the geometry does not fit the page, or the page is not
     *         4-byte aligned (the indices need naturally aligned words)
     */
    SharedRing(SharedBuffer page, RingGeometry geometry) {
        this.page = Objects.requireNonNull(page, "page");
        this.geometry = Objects.requireNonNull(geometry, "geometry");
        long needed = SharedRingHeader.RING_OFFSET + (long) geometry.size() * geometry.entrySize();
        if (needed > page.capacity()) {
            throw new IllegalArgumentException(geometry + " needs " + needed + " bytes, the page has " + page.capacity());
        }
        if (page.alignment() < Integer.BYTES) {
            throw new IllegalArgumentException("a ring page must be 4-byte aligned: " + page);
        }
        header.wrap(page, 0);
    }

    /** The page the ring lives in. */
    public SharedBuffer page() {
        return page;
    }

    /** Slot count and entry size. */
    public RingGeometry geometry() {
        return geometry;
    }

    /** The number of slots, a power of two. */
    public int size() {
        return geometry.size();
    }

    /** {@code req_prod}: requests published by the front end (acquire load). */
    public int reqProd() {
        return header.reqProdAcquire();
    }

    /** {@code req_event}: the back end wants a notification when {@code req_prod} reaches it (acquire load). */
    public int reqEvent() {
        return header.reqEventAcquire();
    }

    /** {@code rsp_prod}: responses published by the back end (acquire load). */
    public int rspProd() {
        return header.rspProdAcquire();
    }

    /** {@code rsp_event}: the front end wants a notification when {@code rsp_prod} reaches it (acquire load). */
    public int rspEvent() {
        return header.rspEventAcquire();
    }

    void setReqProd(int value) {
        header.reqProdRelease(value);
    }

    void setReqEvent(int value) {
        header.reqEventRelease(value);
    }

    void setRspProd(int value) {
        header.rspProdRelease(value);
    }

    void setRspEvent(int value) {
        header.rspEventRelease(value);
    }

    /** {@code xen_mb()}. */
    void fullFence() {
        page.fullFence();
    }

    /** Plain copy of private {@code src} into the slot of {@code index}. */
    void copyIn(int index, SegmentBuffer src) {
        MemorySegment bytes = src.segment();
        page.putBytes(geometry.slotOffset(index), bytes, 0, bytes.byteSize());
    }

    /** Plain copy of the slot of {@code index} into private {@code dst}. */
    void copyOut(int index, SegmentBuffer dst) {
        MemorySegment bytes = dst.segment();
        page.getBytes(geometry.slotOffset(index), bytes, 0, bytes.byteSize());
    }

    /**
     * Plain copy of {@code count} whole slots, from the slot of {@code index} on, out of the page
     * into {@code run}, a private image of the slot array (slot {@code s} at
     * {@code s * entrySize}): one bulk copy, one bounds check, two where the run wraps past the
     * last slot. {@code count} is at most the ring's size.
     */
    void copyOutSlots(int index, int count, SegmentBuffer run) {
        int head = Math.min(count, geometry.size() - geometry.slot(index));
        copyOutPart(index, head, run);
        if (head < count) {
            copyOutPart(index + head, count - head, run);
        }
    }

    private void copyOutPart(int index, int count, SegmentBuffer run) {
        long at = (long) geometry.slot(index) * geometry.entrySize();
        page.getBytes(geometry.slotOffset(index), run.segment(), at, count * geometry.entrySize());
    }

    /**
     * Plain copy of {@code count} whole slots of the private image {@code run}, from the slot of
     * {@code index} on, into the page: the inverse of {@link #copyOutSlots}, with the same rules.
     */
    void copyInSlots(int index, int count, SegmentBuffer run) {
        int head = Math.min(count, geometry.size() - geometry.slot(index));
        copyInPart(index, head, run);
        if (head < count) {
            copyInPart(index + head, count - head, run);
        }
    }

    private void copyInPart(int index, int count, SegmentBuffer run) {
        long at = (long) geometry.slot(index) * geometry.entrySize();
        page.putBytes(geometry.slotOffset(index), run.segment(), at, count * geometry.entrySize());
    }

    /**
     * {@code SHARED_RING_INIT}, generalised to start the counters at {@code index} (Xen's macro is
     * {@code index = 0}): zeroes the header ({@code pvt} and padding included), then
     * {@code req_prod = rsp_prod = index}, {@code req_event = rsp_event = index + 1}.
     */
    void init(int index) {
        // Plain and release stores before the page is granted: the back end reads none of them until the
        // grant and the xenstore handshake, and whoever acquires req_prod (stored last) sees them all.
        header.clear();
        setReqEvent(index + 1);
        setRspEvent(index + 1);
        setRspProd(index);
        setReqProd(index);
    }

    /**
     * ring.h's notify test after a push from {@code oldProd} to {@code newProd}: notify iff
     * {@code (RING_IDX)(new - event) < (RING_IDX)(new - old)}, i.e. the peer's event index lies in
     * {@code (old, new]}. Pure arithmetic on raw counters, correct across wraparound.
     */
    static boolean notifyNeeded(int oldProd, int newProd, int event) {
        return Integer.compareUnsigned(newProd - event, newProd - oldProd) < 0;
    }

    @Override
    public String toString() {
        return "sring[req_prod=" + Integer.toUnsignedString(reqProd())
                + " req_event=" + Integer.toUnsignedString(reqEvent())
                + " rsp_prod=" + Integer.toUnsignedString(rspProd())
                + " rsp_event=" + Integer.toUnsignedString(rspEvent())
                + " size=" + size() + "]";
    }
}
