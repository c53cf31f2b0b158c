package org.parasol.drivers.ring;

import java.lang.foreign.MemorySegment;
import java.util.Objects;
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
 * <p>Invariants: offsets come from {@link SharedRingHeader} and the geometry; the geometry fits
 * in the page; the slot an index names is computed only by {@link RingGeometry#slot(int)}. The
 * reads here are acquire loads of raw {@code RING_IDX} values (unsigned 32-bit counters stored
 * unmasked); compare them only by difference.
 */
public final class SharedRing {

    private final RingPage page;
    private final RingGeometry geometry;

    SharedRing(RingPage page, RingGeometry geometry) {
        this.page = Objects.requireNonNull(page, "page");
        this.geometry = Objects.requireNonNull(geometry, "geometry");
        long needed = SharedRingHeader.RING_OFFSET + (long) geometry.size() * geometry.entrySize();
        if (needed > page.byteSize()) {
            throw new IllegalArgumentException(geometry + " needs " + needed + " bytes, the page has " + page.byteSize());
        }
    }

    /** The page the ring lives in. */
    public RingPage page() {
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
        return page.getIntAcquire(SharedRingHeader.REQ_PROD_OFFSET);
    }

    /** {@code req_event}: the back end wants a notification when {@code req_prod} reaches it (acquire load). */
    public int reqEvent() {
        return page.getIntAcquire(SharedRingHeader.REQ_EVENT_OFFSET);
    }

    /** {@code rsp_prod}: responses published by the back end (acquire load). */
    public int rspProd() {
        return page.getIntAcquire(SharedRingHeader.RSP_PROD_OFFSET);
    }

    /** {@code rsp_event}: the front end wants a notification when {@code rsp_prod} reaches it (acquire load). */
    public int rspEvent() {
        return page.getIntAcquire(SharedRingHeader.RSP_EVENT_OFFSET);
    }

    void setReqProd(int value) {
        page.putIntRelease(SharedRingHeader.REQ_PROD_OFFSET, value);
    }

    void setReqEvent(int value) {
        page.putIntRelease(SharedRingHeader.REQ_EVENT_OFFSET, value);
    }

    void setRspProd(int value) {
        page.putIntRelease(SharedRingHeader.RSP_PROD_OFFSET, value);
    }

    void setRspEvent(int value) {
        page.putIntRelease(SharedRingHeader.RSP_EVENT_OFFSET, value);
    }

    /** {@code xen_mb()}. */
    void fullFence() {
        page.fullFence();
    }

    /** Plain copy of private {@code src} into the slot of {@code index}. */
    void copyIn(int index, MemorySegment src) {
        page.copyIn(src, 0, geometry.slotOffset(index), src.byteSize());
    }

    /** Plain copy of the slot of {@code index} into private {@code dst}. */
    void copyOut(int index, MemorySegment dst) {
        page.copyOut(geometry.slotOffset(index), dst, 0, dst.byteSize());
    }

    /**
     * {@code SHARED_RING_INIT}, generalised to start the counters at {@code index} (Xen's macro is
     * {@code index = 0}): zeroes the header ({@code pvt} and padding included), then
     * {@code req_prod = rsp_prod = index}, {@code req_event = rsp_event = index + 1}.
     */
    void init(int index) {
        // Plain and release stores before the page is granted: the back end reads none of them until the
        // grant and the xenstore handshake, and whoever acquires req_prod (stored last) sees them all.
        page.fill(0, SharedRingHeader.SIZE, (byte) 0);
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
