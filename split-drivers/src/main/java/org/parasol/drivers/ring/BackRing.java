package org.parasol.drivers.ring;

import java.util.Objects;
import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.SharedBuffer;
import org.parasol.hypercall.io.RingGeometry;

/**
 * The back end's view of a shared ring, ring.h's {@code struct <name>_back_ring}: it consumes
 * requests and produces responses, each response in the slot of a request already consumed.
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
 *   back-private:  rsp_prod_pvt, req_cons     shared: req_prod, rsp_prod, req_event, rsp_event
 *   front-private: req_prod_pvt, rsp_cons     slot of any index i = i &amp; (size - 1)
 * </pre>
 *
 * <p>The front end is untrusted. Every {@code req_prod} it publishes is checked before a slot
 * is read ({@link #requestOverflow}); an impossible one breaks the ring
 * ({@link RingOverflowException}). Requests are copied to private memory before they are decoded,
 * so what the driver validates is what it acts on. Counters are free-running {@code RING_IDX}
 * values compared only by difference.
 *
 * <p>Use: {@link #attach} (index 0 for a fresh ring, {@code BACK_RING_INIT}); on a notification,
 * loop {@link #consumeRequest}; {@link #produceResponse} as each completes, then
 * {@link #pushResponsesAndCheckNotify}; when out of requests, {@link #finalCheckForRequests} and
 * go idle only if it is {@code false}.
 *
 * <p>Or by runs, as a busy back end should: {@link #consumeRequests} takes every request between
 * {@code req_cons} and one reading of {@code req_prod} (up to a limit) in one pass, and
 * {@link #produceResponses} writes a run of responses; then one push. A run is one acquire of
 * {@code req_prod}, one overflow check and one bulk copy of the run's slots (two where it wraps
 * past the last slot) into the ring's private image of the slot array, from which each request
 * is decoded; a run of responses is encoded into that image and copied into the page the same
 * way. Each byte of a request is still read from the shared page exactly once, by that copy:
 * the front end cannot change a field between the driver's check and its use.
 *
 * <p>Not thread-safe: one back end, on one vCPU, owns it. Consuming, producing and pushing
 * allocate nothing. {@code notifyFront} is called when the front end asked to be told about new
 * responses.
 *
 * @param <Q> the request holder type
 * @param <S> the response holder type
 */
public final class BackRing<Q, S> {

    private final SharedRing sring;
    private final int size;
    private final EntryCodec<Q> requests;
    private final EntryCodec<S> responses;
    private final Runnable notifyFront;
    /**
     * The private image of the slot array, slot {@code s} at {@code s * entrySize}: every slot
     * taken is copied here whole, and its request decoded from here; a response is encoded over
     * the start of its slot's image and copied in from here (a run of them as whole slots, the
     * rest of each slot as the front end left it when its request was taken).
     */
    private final SegmentBuffer run;
    /** Per slot, the request's bytes in {@link #run}: what the codec decodes. */
    private final SegmentBuffer[] requestView;
    /** Per slot, the response's bytes in {@link #run}: what the codec encodes into. */
    private final SegmentBuffer[] responseView;

    /** Next response slot to fill; responses below it are written. */
    private int rspProdPvt;
    /** Next request to consume. */
    private int reqCons;
    /** The last {@code req_prod} read and found sane; {@code reqCons} never passes it. */
    private int reqProdSeen;
    /** Set once the front end published an impossible {@code req_prod}. */
    private boolean broken;
    /** The impossible {@code req_prod}, once {@code broken}. */
    private int badReqProd;

    /**
     * A back view over {@code page} with as many slots as fit (ring.h's {@code __RING_SIZE}),
     * each as large as the larger of request and response. Its private indices start at 0
     * ({@code BACK_RING_INIT}).
     */
    public BackRing(SharedBuffer page, EntryCodec<Q> requests, EntryCodec<S> responses, Runnable notifyFront) {
        this(page, RingGeometry.of(page.capacity(), Math.max(requests.byteSize(), responses.byteSize())),
                requests, responses, notifyFront);
    }

    /**
     * A back view over {@code page} with an explicit geometry, e.g.
     * {@link org.parasol.hypercall.io.SringEntries#BLKIF_ONE_PAGE}.
     *
     * @throws IllegalArgumentException if an entry does not fit a slot or the slots the page
     */
    public BackRing(SharedBuffer page, RingGeometry geometry, EntryCodec<Q> requests, EntryCodec<S> responses,
            Runnable notifyFront) {
        this.sring = new SharedRing(page, geometry);
        this.size = geometry.size();
        this.requests = Objects.requireNonNull(requests, "requests");
        this.responses = Objects.requireNonNull(responses, "responses");
        this.notifyFront = Objects.requireNonNull(notifyFront, "notifyFront");
        this.run = Scratch.ofSlots(geometry);
        this.requestView = Scratch.slotViews(run, requests, geometry);
        this.responseView = Scratch.slotViews(run, responses, geometry);
    }

    /**
     * {@code BACK_RING_ATTACH}: start with {@code rsp_prod_pvt = req_cons = index}, where the front
     * end started its counters ({@code BACK_RING_INIT} is {@code index = 0}). The shared page is
     * not touched; the back end never initialises it.
     */
    public BackRing<Q, S> attach(int index) {
        rspProdPvt = index;
        reqCons = index;
        reqProdSeen = index;
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

    /** {@code rsp_prod_pvt}: the next response to be produced (raw {@code RING_IDX}). */
    public int rspProdPvt() {
        return rspProdPvt;
    }

    /** {@code req_cons}: the next request to be consumed (raw {@code RING_IDX}). */
    public int reqCons() {
        return reqCons;
    }

    /** Whether the front end has published an impossible {@code req_prod}; see {@link RingOverflowException}. */
    public boolean broken() {
        return broken;
    }

    /** Requests consumed but not yet answered: {@code req_cons - rsp_prod_pvt}. */
    public int pendingResponses() {
        return reqCons - rspProdPvt;
    }

    /**
     * {@code RING_REQUEST_PROD_OVERFLOW}, made strict: whether {@code reqProd} is an index no
     * correct front end can publish. ring.h refuses {@code req_prod - rsp_prod_pvt > size} (more
     * requests outstanding than slots); a {@code req_prod} behind {@code req_cons} (moved
     * backwards) is refused too.
     */
    public boolean requestOverflow(int reqProd) {
        int outstanding = reqProd - rspProdPvt;
        return Integer.compareUnsigned(outstanding, size) > 0
                || Integer.compareUnsigned(outstanding, reqCons - rspProdPvt) < 0;
    }

    /**
     * {@code RING_HAS_UNCONSUMED_REQUESTS}:
     * {@code min(req_prod - req_cons, size - (req_cons - rsp_prod_pvt))}, the second bound
     * keeping the back end from reading a slot whose response it has not yet written.
     *
     * @throws RingOverflowException if the front end published an impossible {@code req_prod};
     *         the ring is then {@link #broken()}
     */
    public int unconsumedRequests() throws RingOverflowException {
        checkNotBroken();
        // Acquire: every request below req_prod, written before the front end released it, is visible to copyOut.
        int reqProd = sring.reqProd();
        if (requestOverflow(reqProd)) {
            broken = true;
            badReqProd = reqProd;
            throw new RingOverflowException("req_prod", reqProd, reqCons, size,
                    "puts more than the ring's requests outstanding, or moved behind req_cons");
        }
        int published = reqProd - reqCons;
        int room = size - (reqCons - rspProdPvt);
        int unconsumed = Integer.compareUnsigned(published, room) <= 0 ? published : room;
        reqProdSeen = reqCons + unconsumed;
        return unconsumed;
    }

    /**
     * {@code RING_COPY_REQUEST} at {@code req_cons}, decoded into {@code into}, then
     * {@code req_cons++}: the slot is copied to private memory first, so the front end cannot
     * change what the caller then validates.
     *
     * @return {@code false}, leaving {@code into} alone, if no request is available
     * @throws RingOverflowException if the front end published an impossible {@code req_prod}
     */
    public boolean consumeRequest(Q into) throws RingOverflowException {
        checkNotBroken();
        if (reqCons == reqProdSeen && unconsumedRequests() == 0) {
            return false;
        }
        // Plain copy: ordered after the acquire of req_prod that covered this slot.
        sring.copyOutSlots(reqCons, 1, run);
        requests.decode(requestView[sring.geometry().slot(reqCons)], into);
        reqCons++;
        return true;
    }

    /**
     * {@code RING_COPY_REQUEST} over a run: reads {@code req_prod} once, checks it
     * ({@link #requestOverflow}), and takes every request from {@code req_cons} up to it, at most
     * {@code max} and at most {@code into.length}, decoding the {@code i}-th into
     * {@code into[i]}; then {@code req_cons} moves past the run. The run's slots are copied into
     * private memory in one bulk copy (two if the run wraps past the last slot) before any is
     * decoded, so, as with {@link #consumeRequest}, each byte is read from the shared page once
     * and what the caller validates is what the front end wrote. A {@code req_prod} the front
     * end moves meanwhile is seen, and checked, at the next call.
     *
     * <p>Equivalent to calling {@link #consumeRequest} until it returns {@code false} or the
     * limit is reached, except that it reads {@code req_prod} once instead of whenever the
     * last reading is used up.
     *
     * @param into holders, one per request of the run, reused by the caller
     * @param max the most requests to take (0 takes none and reads nothing)
     * @return how many requests were taken, 0 if none is available
     * @throws RingOverflowException if the front end published an impossible {@code req_prod}
     * @throws IllegalArgumentException if {@code max} is negative
     */
    public int consumeRequests(Q[] into, int max) throws RingOverflowException {
        checkNotBroken();
        if (max < 0) {
            throw new IllegalArgumentException("negative run limit " + max);
        }
        int limit = Math.min(max, into.length);
        if (limit == 0) {
            return 0;
        }
        int n = Math.min(unconsumedRequests(), limit);
        if (n == 0) {
            return 0;
        }
        RingGeometry geometry = sring.geometry();
        // Plain copies: ordered after the acquire of req_prod (in unconsumedRequests) that covered the run.
        sring.copyOutSlots(reqCons, n, run);
        for (int i = 0; i < n; i++) {
            requests.decode(requestView[geometry.slot(reqCons + i)], into[i]);
        }
        reqCons += n;
        return n;
    }

    /**
     * {@code RING_GET_RESPONSE} at {@code rsp_prod_pvt}, filled from {@code response}, then
     * {@code rsp_prod_pvt++}. Responses go out in slot order; which request a response answers
     * is the protocol's business (an {@code id} field). The front end sees it only after a push.
     *
     * @throws IllegalStateException if every consumed request is already answered (a bug in the caller)
     */
    public void produceResponse(S response) {
        if (rspProdPvt == reqCons) {
            throw new IllegalStateException("no consumed request left to answer at rsp_prod_pvt "
                    + Integer.toUnsignedString(rspProdPvt));
        }
        SegmentBuffer view = responseView[sring.geometry().slot(rspProdPvt)];
        view.setMemory(0, view.capacity(), (byte) 0);
        responses.encode(response, view);
        // Plain copy: the front end may read the slot only after the release of rsp_prod that covers it.
        sring.copyIn(rspProdPvt, view);
        rspProdPvt++;
    }

    /**
     * A run of {@code count} responses at {@code rsp_prod_pvt}: {@code from[offset]},
     * {@code from[offset + 1]}, ..., in slot order, then {@code rsp_prod_pvt += count}. Each is
     * encoded into the private image of its slot (the response's bytes zeroed first) and the run
     * is copied into the page as whole slots in one bulk copy (two if it wraps): beyond each
     * response, its slot gets back the bytes its request had when it was taken. As with
     * {@link #produceResponse}, the front end sees them only after a push; push once for the run.
     *
     * @throws IllegalStateException if fewer than {@code count} consumed requests are unanswered
     *         (a bug in the caller); nothing is written then
     * @throws IndexOutOfBoundsException if {@code from} has no {@code count} holders from {@code offset}
     */
    public void produceResponses(S[] from, int offset, int count) {
        Objects.checkFromIndexSize(offset, count, from.length);
        if (Integer.compareUnsigned(count, reqCons - rspProdPvt) > 0) {
            throw new IllegalStateException(count + " responses for " + (reqCons - rspProdPvt)
                    + " unanswered requests at rsp_prod_pvt " + Integer.toUnsignedString(rspProdPvt));
        }
        if (count == 0) {
            return;
        }
        RingGeometry geometry = sring.geometry();
        for (int i = 0; i < count; i++) {
            SegmentBuffer view = responseView[geometry.slot(rspProdPvt + i)];
            view.setMemory(0, view.capacity(), (byte) 0);
            responses.encode(from[offset + i], view);
        }
        // Plain copies: the front end may read the slots only after the release of rsp_prod that covers them.
        sring.copyInSlots(rspProdPvt, count, run);
        rspProdPvt += count;
    }

    /** {@code RING_PUSH_RESPONSES}: publish every produced response, without a notify check. */
    public void pushResponses() {
        // Release: a front end that acquires rsp_prod sees every response written before it.
        sring.setRspProd(rspProdPvt);
    }

    /**
     * {@code RING_PUSH_RESPONSES_AND_CHECK_NOTIFY}: publish every produced response and, if the
     * front end's {@code rsp_event} lies in {@code (old rsp_prod, new rsp_prod]}, call
     * {@code notifyFront}.
     *
     * @return whether the front end was notified
     */
    public boolean pushResponsesAndCheckNotify() {
        // Acquire of our own last release (only the back end writes rsp_prod): what the front end was last shown.
        int oldProd = sring.rspProd();
        int newProd = rspProdPvt;
        // Release: a front end that acquires rsp_prod sees every response written before it.
        sring.setRspProd(newProd);
        // Full fence: rsp_prod is visible before rsp_event is read, so a front end going idle either
        // sees these responses in its final check or has set rsp_event where we read it now.
        sring.fullFence();
        boolean notify = SharedRing.notifyNeeded(oldProd, newProd, sring.rspEvent());
        if (notify) {
            notifyFront.run();
        }
        return notify;
    }

    /**
     * {@code RING_FINAL_CHECK_FOR_REQUESTS}: before going idle, ask to be notified of the next
     * request ({@code req_event = req_cons + 1}) and look once more.
     *
     * @return whether requests are waiting (then do not go idle)
     * @throws RingOverflowException if the front end published an impossible {@code req_prod}
     */
    public boolean finalCheckForRequests() throws RingOverflowException {
        if (unconsumedRequests() > 0) {
            return true;
        }
        // Release: a front end pushing after it reads req_event learns that we wait for req_cons + 1.
        sring.setReqEvent(reqCons + 1);
        // Full fence: req_event is visible before req_prod is re-read, so a request pushed meanwhile
        // is either seen below or notified by its front end, which then reads our new req_event.
        sring.fullFence();
        return unconsumedRequests() > 0;
    }

    private void checkNotBroken() throws RingOverflowException {
        if (broken) {
            throw new RingOverflowException("req_prod", badReqProd, reqCons, size, "was published earlier: ring broken");
        }
    }

    @Override
    public String toString() {
        return "back[rsp_prod_pvt=" + Integer.toUnsignedString(rspProdPvt)
                + " req_cons=" + Integer.toUnsignedString(reqCons)
                + (broken ? " broken" : "") + "] " + sring;
    }
}
