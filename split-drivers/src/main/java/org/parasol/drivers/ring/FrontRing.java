package org.parasol.drivers.ring;

import java.util.Objects;
import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.SharedBuffer;
import org.parasol.hypercall.io.RingGeometry;

/**
 * The front end's view of a shared ring, ring.h's {@code struct <name>_front_ring}: it produces
 * requests and consumes responses.
 *
 * <pre>
 *   rsp_cons     rsp_prod    rsp_prod_pvt   req_cons     req_prod    req_prod_pvt
 *      |            |             |            |            |             |
 * .....+------------+-------------+------------+------------+-------------+.....
 *      | responses  | responses   | requests   | requests   | requests    |
 *      | published, | written,    | taken by   | published, | written,    |
 *      | not yet    | not yet     | the back,  | not yet    | not yet     |
 *      | consumed   | published   | unanswered | taken      | published   |
 *      |&lt;----------------------- at most size slots ---------------------&gt;|
 *
 *   front-private: req_prod_pvt, rsp_cons     shared: req_prod, rsp_prod, req_event, rsp_event
 *   back-private:  rsp_prod_pvt, req_cons     slot of any index i = i &amp; (size - 1)
 * </pre>
 *
 * <p>All indices are free-running 32-bit counters ({@code RING_IDX}) that wrap modulo
 * 2<sup>32</sup>; they are only ever compared by difference, so the picture holds across the
 * wrap. A response is written into the slot its request occupied, so at most {@code size}
 * requests are outstanding: {@code req_prod_pvt - rsp_cons <= size}.
 *
 * <p>Use: {@link #init} (or {@link #attach} to a ring already set up); then
 * {@link #produceRequest} while not {@link #full}, {@link #pushRequestsAndCheckNotify}; on a
 * notification, loop {@link #consumeResponse} until it returns {@code false}, then
 * {@link #finalCheckForResponses} and go idle only if it is {@code false}.
 *
 * <p>Not thread-safe: one front end, on one vCPU, owns it. Producing, pushing and consuming
 * allocate nothing. The ring calls {@code notifyBack} when the back end asked to be told about new
 * requests; what a notification is (an event-channel send) is the caller's business.
 *
 * @param <Q> the request holder type
 * @param <S> the response holder type
 */
public final class FrontRing<Q, S> {

    private final SharedRing sring;
    private final int size;
    private final EntryCodec<Q> requests;
    private final EntryCodec<S> responses;
    private final Runnable notifyBack;
    /** The private image of the slot array, as {@link BackRing}'s: slot {@code s} at {@code s * entrySize}. */
    private final SegmentBuffer run;
    /** Per slot, the request's bytes in {@link #run}: what the codec encodes into. */
    private final SegmentBuffer[] requestView;
    /** Per slot, the response's bytes in {@link #run}: what the codec decodes. */
    private final SegmentBuffer[] responseView;

    /** Next request slot to fill; requests below it are written. */
    private int reqProdPvt;
    /** Next response to consume. */
    private int rspCons;
    /** The {@code req_prod} this front end last published: its own copy, as the back end may scribble on the shared one. */
    private int reqProdPushed;
    /** The last {@code rsp_prod} read and found sane; {@code rspCons} never passes it. */
    private int rspProdSeen;
    /** Set once the back end published an impossible {@code rsp_prod}. */
    private boolean broken;
    /** The impossible {@code rsp_prod}, once {@code broken}. */
    private int badRspProd;

    /**
     * A front view over {@code page} with as many slots as fit (ring.h's {@code __RING_SIZE}),
     * each as large as the larger of request and response.
     */
    public FrontRing(SharedBuffer page, EntryCodec<Q> requests, EntryCodec<S> responses, Runnable notifyBack) {
        this(page, RingGeometry.of(page.capacity(), Math.max(requests.byteSize(), responses.byteSize())),
                requests, responses, notifyBack);
    }

    /**
     * A front view over {@code page} with an explicit geometry, e.g.
     * {@link org.parasol.hypercall.io.SringEntries#BLKIF_ONE_PAGE}.
     *
     * @throws IllegalArgumentException if an entry does not fit a slot or the slots the page
     */
    public FrontRing(SharedBuffer page, RingGeometry geometry, EntryCodec<Q> requests, EntryCodec<S> responses,
            Runnable notifyBack) {
        this.sring = new SharedRing(page, geometry);
        this.size = geometry.size();
        this.requests = Objects.requireNonNull(requests, "requests");
        this.responses = Objects.requireNonNull(responses, "responses");
        this.notifyBack = Objects.requireNonNull(notifyBack, "notifyBack");
        this.run = Scratch.ofSlots(geometry);
        this.requestView = Scratch.slotViews(run, requests, geometry);
        this.responseView = Scratch.slotViews(run, responses, geometry);
    }

    /**
     * {@code SHARED_RING_INIT} then {@code FRONT_RING_INIT}: the front end sets up a fresh shared
     * ring at index 0, before it grants the page to the back end.
     */
    public FrontRing<Q, S> init() {
        return init(0);
    }

    /**
     * {@code SHARED_RING_INIT} and {@code FRONT_RING_ATTACH} at {@code index}: every shared and
     * private counter starts at {@code index}, both event indices at {@code index + 1}. Xen's
     * macros start at 0; any start is equally valid, since counters are compared by difference.
     */
    public FrontRing<Q, S> init(int index) {
        sring.init(index);
        return attach(index);
    }

    /**
     * {@code FRONT_RING_ATTACH}: take over a shared ring that is already set up, with
     * {@code req_prod_pvt = rsp_cons = index}. The shared page is not touched.
     */
    public FrontRing<Q, S> attach(int index) {
        reqProdPvt = index;
        reqProdPushed = index;
        rspCons = index;
        rspProdSeen = index;
        broken = false;
        return this;
    }

    /** The shared indices. */
    public SharedRing sring() {
        return sring;
    }

    /** {@code RING_SIZE}: the number of slots. */
    public int size() {
        return size;
    }

    /** {@code req_prod_pvt}: the next request to be produced (raw {@code RING_IDX}). */
    public int reqProdPvt() {
        return reqProdPvt;
    }

    /** {@code rsp_cons}: the next response to be consumed (raw {@code RING_IDX}). */
    public int rspCons() {
        return rspCons;
    }

    /** Whether the back end has published an impossible {@code rsp_prod}; see {@link RingOverflowException}. */
    public boolean broken() {
        return broken;
    }

    /** {@code RING_FREE_REQUESTS}: {@code size - (req_prod_pvt - rsp_cons)}. */
    public int freeRequests() {
        return size - (reqProdPvt - rspCons);
    }

    /** {@code RING_FULL}: no free request slot until responses are consumed. */
    public boolean full() {
        return freeRequests() == 0;
    }

    /**
     * {@code RING_GET_REQUEST} at {@code req_prod_pvt}, filled from {@code request}, then
     * {@code req_prod_pvt++}. The back end sees it only after a push.
     *
     * @throws IllegalStateException if the ring is {@link #full()} (a bug in the caller)
     */
    public void produceRequest(Q request) {
        if (full()) {
            throw new IllegalStateException("request ring full: " + size + " requests outstanding");
        }
        SegmentBuffer view = requestView[sring.geometry().slot(reqProdPvt)];
        view.setMemory(0, view.capacity(), (byte) 0);
        requests.encode(request, view);
        // Plain copy: the back end may read the slot only after the release of req_prod that covers it.
        sring.copyIn(reqProdPvt, view);
        reqProdPvt++;
    }

    /**
     * A run of {@code count} requests at {@code req_prod_pvt}: {@code from[offset]},
     * {@code from[offset + 1]}, ..., in slot order, then {@code req_prod_pvt += count}. Each is
     * encoded into the private image of its slot (its bytes zeroed first) and, where a request
     * fills its slot (netif's, blkif's), the run is copied into the page in one bulk copy (two if
     * it wraps past the last slot); a request smaller than its slot is copied slot by slot, so
     * that past each request the slot keeps what the back end left there, as with
     * {@link #produceRequest}. The page ends up byte for byte as {@code count} calls of
     * {@link #produceRequest} would leave it. The back end sees them only after a push; push
     * once for the run.
     *
     * @throws IllegalStateException if fewer than {@code count} request slots are free (a bug
     *         in the caller); nothing is written then
     * @throws IndexOutOfBoundsException if {@code from} has no {@code count} holders from {@code offset}
     */
    public void produceRequests(Q[] from, int offset, int count) {
        Objects.checkFromIndexSize(offset, count, from.length);
        if (count > freeRequests()) {
            throw new IllegalStateException(count + " requests for " + freeRequests() + " free slots at req_prod_pvt "
                    + Integer.toUnsignedString(reqProdPvt));
        }
        if (count == 0) {
            return;
        }
        RingGeometry geometry = sring.geometry();
        for (int i = 0; i < count; i++) {
            SegmentBuffer view = requestView[geometry.slot(reqProdPvt + i)];
            view.setMemory(0, view.capacity(), (byte) 0);
            requests.encode(from[offset + i], view);
        }
        // Plain copies: the back end may read the slots only after the release of req_prod that covers them.
        if (requests.byteSize() == geometry.entrySize()) {
            sring.copyInSlots(reqProdPvt, count, run);
        } else {
            for (int i = 0; i < count; i++) {
                sring.copyIn(reqProdPvt + i, requestView[geometry.slot(reqProdPvt + i)]);
            }
        }
        reqProdPvt += count;
    }

    /** {@code RING_PUSH_REQUESTS}: publish every produced request, without a notify check. */
    public void pushRequests() {
        // Release: a back end that acquires req_prod sees every request written before it.
        sring.setReqProd(reqProdPvt);
        reqProdPushed = reqProdPvt;
    }

    /**
     * {@code RING_PUSH_REQUESTS_AND_CHECK_NOTIFY}: publish every produced request and, if the
     * back end's {@code req_event} lies in {@code (old req_prod, new req_prod]}, call
     * {@code notifyBack}.
     *
     * @return whether the back end was notified
     */
    public boolean pushRequestsAndCheckNotify() {
        // Acquire of our own last release (only the front end writes req_prod): what the back end was last shown.
        int oldProd = sring.reqProd();
        int newProd = reqProdPvt;
        // Release: a back end that acquires req_prod sees every request written before it.
        sring.setReqProd(newProd);
        reqProdPushed = newProd;
        // Full fence: req_prod is visible before req_event is read, so a back end going idle either
        // sees these requests in its final check or has set req_event where we read it now.
        sring.fullFence();
        boolean notify = SharedRing.notifyNeeded(oldProd, newProd, sring.reqEvent());
        if (notify) {
            notifyBack.run();
        }
        return notify;
    }

    /**
     * {@code RING_RESPONSE_PROD_OVERFLOW}, made strict: whether {@code rspProd} is an index no
     * correct back end can publish. ring.h refuses {@code rsp_prod - rsp_cons > size}; since
     * responses answer requests, more than the {@code req_prod_pvt - rsp_cons} outstanding
     * requests (never more than {@code size}) is refused too, which also catches {@code rsp_prod}
     * moving backwards.
     */
    public boolean responseOverflow(int rspProd) {
        int available = rspProd - rspCons;
        return Integer.compareUnsigned(available, size) > 0
                || Integer.compareUnsigned(available, reqProdPvt - rspCons) > 0;
    }

    /**
     * {@code RING_HAS_UNCONSUMED_RESPONSES}: responses published but not yet consumed.
     *
     * @throws RingOverflowException if the back end published an impossible {@code rsp_prod};
     *         the ring is then {@link #broken()}
     */
    public int unconsumedResponses() throws RingOverflowException {
        checkNotBroken();
        // Acquire: every response below rsp_prod, written before the back end released it, is visible to copyOut.
        int rspProd = sring.rspProd();
        if (responseOverflow(rspProd)) {
            broken = true;
            badRspProd = rspProd;
            throw new RingOverflowException("rsp_prod", rspProd, rspCons, size,
                    "is beyond the " + (reqProdPvt - rspCons) + " outstanding requests");
        }
        rspProdSeen = rspProd;
        return rspProd - rspCons;
    }

    /**
     * {@code RING_COPY_RESPONSE} at {@code rsp_cons}, decoded into {@code into}, then
     * {@code rsp_cons++}: the slot is copied to private memory first, so the back end cannot
     * change what the caller then validates.
     *
     * @return {@code false}, leaving {@code into} alone, if no response is available
     * @throws RingOverflowException if the back end published an impossible {@code rsp_prod}
     */
    public boolean consumeResponse(S into) throws RingOverflowException {
        checkNotBroken();
        if (rspCons == rspProdSeen && unconsumedResponses() == 0) {
            return false;
        }
        // Plain copy: ordered after the acquire of rsp_prod that covered this slot.
        SegmentBuffer view = responseView[sring.geometry().slot(rspCons)];
        sring.copyOut(rspCons, view);
        responses.decode(view, into);
        rspCons++;
        return true;
    }

    /**
     * {@code RING_COPY_RESPONSE} over a run: reads {@code rsp_prod} once, checks it
     * ({@link #responseOverflow}), and takes every response from {@code rsp_cons} up to it, at
     * most {@code max} and at most {@code into.length}, decoding the {@code i}-th into
     * {@code into[i]}; then {@code rsp_cons} moves past the run. The run's slots are copied into
     * private memory in one bulk copy (two if the run wraps past the last slot) before any is
     * decoded: each byte is read from the shared page once, as with {@link #consumeResponse}.
     *
     * @param into holders, one per response of the run, reused by the caller
     * @param max the most responses to take (0 takes none and reads nothing)
     * @return how many responses were taken, 0 if none is available
     * @throws RingOverflowException if the back end published an impossible {@code rsp_prod}
     * @throws IllegalArgumentException if {@code max} is negative
     */
    public int consumeResponses(S[] into, int max) throws RingOverflowException {
        checkNotBroken();
        if (max < 0) {
            throw new IllegalArgumentException("negative run limit " + max);
        }
        int limit = Math.min(max, into.length);
        if (limit == 0) {
            return 0;
        }
        int n = Math.min(unconsumedResponses(), limit);
        if (n == 0) {
            return 0;
        }
        RingGeometry geometry = sring.geometry();
        // Plain copies: ordered after the acquire of rsp_prod (in unconsumedResponses) that covered the run.
        sring.copyOutSlots(rspCons, n, run);
        for (int i = 0; i < n; i++) {
            responses.decode(responseView[geometry.slot(rspCons + i)], into[i]);
        }
        rspCons += n;
        return n;
    }

    /**
     * {@code RING_FINAL_CHECK_FOR_RESPONSES}: before going idle, ask to be notified of the next
     * response ({@code rsp_event = rsp_cons + 1}) and look once more.
     *
     * @return whether responses are waiting (then do not go idle)
     * @throws RingOverflowException if the back end published an impossible {@code rsp_prod}
     */
    public boolean finalCheckForResponses() throws RingOverflowException {
        if (unconsumedResponses() > 0) {
            return true;
        }
        // Release: a back end pushing after it reads rsp_event learns that we wait for rsp_cons + 1.
        sring.setRspEvent(rspCons + 1);
        // Full fence: rsp_event is visible before rsp_prod is re-read, so a response pushed meanwhile
        // is either seen below or notified by its back end, which then reads our new rsp_event.
        sring.fullFence();
        return unconsumedResponses() > 0;
    }

    /**
     * {@link #finalCheckForResponses}, asking to be notified only once half of the published
     * requests still unanswered are answered ({@code rsp_event = rsp_cons + max(1, outstanding / 2)}),
     * not at the next response: while the back end is busy, one notification (and one wake-up
     * of this front end) per half ring instead of one per response. Every published request is
     * answered, so the event is always reached; with one request outstanding it is ring.h's
     * {@code rsp_cons + 1}. Linux's netfront once set its transmit ring's {@code rsp_event} the
     * same way; its blkfront uses {@code rsp_cons + 1} (Parasol's blkfront: deviation 47).
     *
     * @return whether responses are waiting (then do not go idle)
     * @throws RingOverflowException if the back end published an impossible {@code rsp_prod}
     */
    public boolean finalCheckForResponsesBatched() throws RingOverflowException {
        if (unconsumedResponses() > 0) {
            return true;
        }
        int outstanding = reqProdPushed - rspCons; // never more than size: requests answer into their slots
        // Release: a back end pushing after it reads rsp_event learns how far we wait.
        sring.setRspEvent(rspCons + Math.max(1, outstanding >>> 1));
        // Full fence, as in finalCheckForResponses.
        sring.fullFence();
        return unconsumedResponses() > 0;
    }

    private void checkNotBroken() throws RingOverflowException {
        if (broken) {
            throw new RingOverflowException("rsp_prod", badRspProd, rspCons, size, "was published earlier: ring broken");
        }
    }

    @Override
    public String toString() {
        return "front[req_prod_pvt=" + Integer.toUnsignedString(reqProdPvt)
                + " rsp_cons=" + Integer.toUnsignedString(rspCons)
                + (broken ? " broken" : "") + "] " + sring;
    }
}
