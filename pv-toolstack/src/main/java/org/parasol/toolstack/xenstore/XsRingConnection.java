package org.parasol.toolstack.xenstore;

import static org.parasol.hypercall.io.XenstoreDomainInterface.RING_SIZE;
import static org.parasol.hypercall.io.XenstoreDomainInterface.slot;

import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Objects;
import java.util.function.Consumer;

import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.SharedBuffer;
import org.parasol.hypercall.abi.XsWire;
import org.parasol.hypercall.io.XenstoreDomainInterface;
import org.parasol.hypercall.io.XsdSockmsg;

/**
 * xenstored's end of one domain's store page: takes {@code xs_wire} requests out of the
 * {@code req} ring, hands them to {@link Xenstored}, and puts the replies and the domain's
 * watch events into the {@code rsp} ring. Xen's {@code tools/xenstored/domain.c} and the
 * input and output halves of {@code core.c}, for one connection.
 *
 * <pre>
 *  guest                                   page                                  xenstored (this)
 *  writes requests ──► req[1024] ─────────────────────────────────────────► reqCons (ours)
 *     req_prod (guest's, acquired here) ─┘        req_cons (published here) ──► guest reuses space
 *  reads replies  ◄── rsp[1024] ◄─────────────────────────────────────────── rspProd (ours)
 *     rsp_cons (guest's, acquired here) ─┐        rsp_prod (published here) ──► guest reads
 * </pre>
 *
 * <p>The two indices this end produces, {@code req_cons} and {@code rsp_prod}, are kept in
 * private fields and only published to the page: a guest that scribbles on them changes
 * nothing here. The two it consumes are read once per step with acquire, and checked before
 * anything is copied: {@code req_prod - req_cons} and {@code rsp_prod - rsp_cons}, as unsigned
 * 32-bit differences, may not exceed the ring size. A guest whose index is more than a ring
 * ahead, or behind (which wraps to the same thing), has broken the protocol.
 *
 * <p>We can't trust the guest, so a bad client is never answered with an exception or a
 * loop: as Xen's {@code ignore_connection}, the connection is marked bad with
 * {@code XENSTORE_ERROR_RINGIDX} (an index out of range) or {@code XENSTORE_ERROR_PROTO} (a
 * header announcing more than {@value XsWire#XENSTORE_PAYLOAD_MAX} payload bytes), the reason is
 * written to the page's {@code error} field (the ring advertises
 * {@code XENSTORE_SERVER_FEATURE_ERROR}), its watches, transactions and queued output are
 * dropped, the {@link Faults} callback hears of it, and the ring is never read again. Everything
 * else a guest can get wrong inside a message (an unknown type, a missing NUL, a bad path or
 * transaction) is {@link Xenstored}'s to answer with an {@code XS_ERROR} reply.
 *
 * <p>Output is bounded, as xenstored bounds it:
 * <ul>
 *   <li>A reply waits in the connection's queue until the {@code rsp} ring has room. While
 *       {@link Limits#outstandingRequests} replies are waiting, the ring is not read (Xen's
 *       {@code quota_req_outstanding}): a domain that never consumes its responses is
 *       throttled, and its further requests stay in its own ring.</li>
 *   <li>A watch event is queued only while the queue holds fewer than
 *       {@link Limits#outputBytes} bytes (Xen's per-domain memory quota); past that, it is
 *       dropped and counted ({@link #eventsDropped}).</li>
 * </ul>
 * So one connection holds at most a few tens of kilobytes, whatever its domain does.
 *
 * <p>Ordering: the guest's request bytes are read only after an acquire of {@code req_prod};
 * {@code req_cons} is published with release after they were copied out. Reply bytes are
 * written only after an acquire of {@code rsp_cons} showed the space free, and {@code rsp_prod}
 * is published with release after them. After a step that moved either index, the
 * {@code notify} function (the store event channel, in dom0) kicks the guest once. Moving bytes
 * between the page and the connection's buffers allocates nothing; decoding a message and
 * running it does.
 *
 * <p>Invariants: used on one thread, xenstored's, like {@link XsStore}; {@code notify} must not
 * call back into this connection (an event-channel send does not).
 */
public final class XsRingConnection implements AutoCloseable {
    /**
     * How much output one connection may hold.
     *
     * @param outstandingRequests replies waiting for room in the {@code rsp} ring before the
     *                            {@code req} ring is no longer read (Xen's default is 20)
     * @param outputBytes         bytes of queued output past which watch events are dropped
     * @param boundPrivileged     whether the output bound holds for a privileged connection
     *                            too: false for dom0's own ring (exempt, as in Xen), true for
     *                            a socket client relayed from the host, which may be anyone
     *                            the socket's mode lets in and must not make dom0 queue
     *                            without bound by never reading
     */
    public record Limits(int outstandingRequests, int outputBytes, boolean boundPrivileged) {
        /** 20 outstanding replies (Xen's default), 64 KiB of queued output. */
        public static final Limits DEFAULT = new Limits(20, 64 * 1024);
        /** {@link #DEFAULT}, binding privileged connections too: a relayed socket client's. */
        public static final Limits RELAYED = new Limits(20, 64 * 1024, true);

        /** Limits that leave privileged connections unbound, as Xen does. */
        public Limits(int outstandingRequests, int outputBytes) {
            this(outstandingRequests, outputBytes, false);
        }

        /** Checks that each limit lets at least one largest message through. */
        public Limits {
            if (outstandingRequests < 1) {
                throw new IllegalArgumentException("outstandingRequests " + outstandingRequests + " < 1");
            }
            if (outputBytes < XsWire.HEADER_SIZE + XsWire.XENSTORE_PAYLOAD_MAX) {
                throw new IllegalArgumentException("outputBytes " + outputBytes + " holds no largest message");
            }
        }
    }

    /** Hears that a domain broke the ring protocol and is no longer served. */
    @FunctionalInterface
    public interface Faults {
        /** {@code ring} stopped with {@code error} ({@code XENSTORE_ERROR_*}) because of {@code why}. */
        void badClient(XsRingConnection ring, int error, String why);
    }

    /** What the ring advertises in {@code server_features}. */
    static final int SERVER_FEATURES = XsWire.XENSTORE_SERVER_FEATURE_ERROR | XsWire.XENSTORE_SERVER_FEATURE_WATCHDEPTH;
    /** Input bytes one {@link #service} call takes before it lets other connections have a turn. */
    static final int INPUT_BUDGET = 4 * RING_SIZE;

    private final Xenstored xenstored;
    private final XsConnection connection;
    private final XenstoreDomainInterface intf;
    private final Runnable notify;
    private final Limits limits;
    private final Faults faults;

    // ---- input: req ring -> framer -> xenstored
    private final XsFramer framer = new XsFramer();
    private final byte[] input = new byte[RING_SIZE];
    private final MemorySegment inputSegment = MemorySegment.ofArray(input);
    private final Consumer<XsMessage> dispatch = this::handleRequest;
    /** Our {@code req_cons}: the next request byte to take. */
    private int reqCons;

    // ---- output: queue -> staged message -> rsp ring
    private final ArrayDeque<XsMessage> output = new ArrayDeque<>();
    private final byte[] staged = new byte[XsWire.HEADER_SIZE + XsWire.XENSTORE_PAYLOAD_MAX];
    private final MemorySegment stagedSegment = MemorySegment.ofArray(staged);
    private final XsdSockmsg stagedHeader = new XsdSockmsg().wrap(new SegmentBuffer(stagedSegment), 0);
    /** Bytes of the staged message, header included; -1 when none is staged. */
    private int stagedLength = -1;
    private int stagedSent;
    private boolean stagedIsEvent;
    /** Our {@code rsp_prod}: where the next reply byte goes. */
    private int rspProd;
    private int queuedBytes;
    private int outstanding;

    // ---- watch events that fire while one of our requests runs go out after its reply
    private final ArrayList<XsMessage> eventsOfRequest = new ArrayList<>();
    private boolean handling;

    private boolean kick;
    private int error = XsWire.XENSTORE_ERROR_NONE;
    private String failure;
    private boolean closed;
    private long requests;
    private long eventsDropped;

    /**
     * Serves domain {@code domid}'s store page at {@code offset} in {@code page} for
     * {@code xenstored}, with the {@link Limits#DEFAULT default limits}; bad clients are
     * reported to {@code faults}.
     */
    public XsRingConnection(Xenstored xenstored, int domid, boolean privileged, SharedBuffer page, long offset,
            Runnable notify, Faults faults) {
        this(xenstored, domid, privileged, page, offset, notify, Limits.DEFAULT, faults);
    }

    /**
     * Serves domain {@code domid}'s store page ({@code xenstore_domain_interface} at
     * {@code offset} in {@code page}) for {@code xenstored}. The indices start where the page
     * has them (a guest must not assume 0); {@code server_features} is set. {@code notify} kicks
     * the guest (sends on the store event channel).
     *
     * @throws IndexOutOfBoundsException if the interface does not fit in {@code page}
     */
    public XsRingConnection(Xenstored xenstored, int domid, boolean privileged, SharedBuffer page, long offset,
            Runnable notify, Limits limits, Faults faults) {
        this.xenstored = Objects.requireNonNull(xenstored, "xenstored");
        this.notify = Objects.requireNonNull(notify, "notify");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.faults = Objects.requireNonNull(faults, "faults");
        this.intf = new XenstoreDomainInterface().wrap(page, offset);
        this.connection = new XsConnection(domid, privileged, this::watchEvent);
        this.reqCons = intf.reqConsAcquire();
        this.rspProd = intf.rspProdAcquire();
        intf.serverFeatures(SERVER_FEATURES);
        intf.errorRelease(XsWire.XENSTORE_ERROR_NONE);
        xenstored.store().connect(connection);
    }

    /** The store's view of this client (its watches, transactions, domain). */
    public XsConnection connection() {
        return connection;
    }

    /**
     * Does what the ring has for us: writes queued output while the {@code rsp} ring has room,
     * reads and runs requests while fewer than {@link Limits#outstandingRequests} replies wait,
     * and kicks the guest once if either index moved. Call it when the store event channel
     * fires. Never throws for anything the guest did.
     *
     * @return true if it stopped with input left after taking {@value #INPUT_BUDGET} bytes, so
     *         that other connections get their turn: call it again after them
     */
    public boolean service() {
        boolean more = false;
        try {
            int budget = INPUT_BUDGET;
            while (isServing()) {
                boolean wrote = flush();
                int took = readRequests(budget);
                budget -= took;
                if (budget <= 0) {
                    more = isServing() && inputWaiting();
                    break;
                }
                if (!wrote && took == 0) {
                    break;
                }
            }
        } catch (RuntimeException bug) {
            // A bug of ours, not the guest's: this connection ends, every other goes on.
            fail(XsWire.XENSTORE_ERROR_COMM, "internal error: " + bug);
        }
        kickIfMoved();
        return more;
    }

    /** Whether the ring is still served: not closed and not marked bad. */
    public boolean isServing() {
        return !closed && error == XsWire.XENSTORE_ERROR_NONE;
    }

    /** {@code XENSTORE_ERROR_*}: why the ring stopped being served, or {@code XENSTORE_ERROR_NONE}. */
    public int error() {
        return error;
    }

    /** What the guest did wrong, for the host's log; null while it is served. */
    public String failure() {
        return failure;
    }

    /** Requests taken from the ring and answered. */
    public long requests() {
        return requests;
    }

    /** Replies queued or being written that the guest has not been given room for yet. */
    public int outstanding() {
        return outstanding;
    }

    /** Bytes of output waiting for room in the {@code rsp} ring. */
    public int queuedBytes() {
        return queuedBytes;
    }

    /** Watch events dropped because the guest did not read its output (here and at the store). */
    public long eventsDropped() {
        return eventsDropped + connection.eventsDropped();
    }

    /** Stops serving the ring: its watches and transactions go (Xen's {@code XS_RELEASE}). Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        xenstored.store().disconnect(connection);
        dropOutput();
    }

    // ---------------------------------------------------------------- input

    private boolean inputWaiting() {
        return intf.reqProdAcquire() != reqCons;
    }

    /** Takes requests from the req ring until it is empty, throttled, bad, or the budget is spent; returns bytes taken. */
    private int readRequests(int budget) {
        int took = 0;
        while (isServing() && outstanding < limits.outstandingRequests() && took < budget) {
            int prod = intf.reqProdAcquire(); // the guest's request bytes before req_prod are visible from here
            int avail = prod - reqCons;
            if (Integer.compareUnsigned(avail, RING_SIZE) > 0) {
                fail(XsWire.XENSTORE_ERROR_RINGIDX, "req_prod " + Integer.toUnsignedString(prod) + " is "
                        + Integer.toUnsignedString(avail) + " bytes past req_cons " + Integer.toUnsignedString(reqCons));
                break;
            }
            if (avail == 0) {
                break;
            }
            // One contiguous piece, and never past the end of the message being assembled: the
            // throttle is looked at again between messages.
            int at = slot(reqCons);
            int n = Math.min(Math.min(avail, framer.needed()), RING_SIZE - at);
            intf.getReq(at, inputSegment, 0, n);
            reqCons += n;
            intf.reqConsRelease(reqCons); // our reads of those bytes are done before the guest may overwrite them
            kick = true;
            took += n;
            if (!framer.feed(input, 0, n, dispatch)) {
                fail(XsWire.XENSTORE_ERROR_PROTO, "a request header announces more than "
                        + XsWire.XENSTORE_PAYLOAD_MAX + " payload bytes");
                break;
            }
        }
        return took;
    }

    private void handleRequest(XsMessage request) {
        if (!isServing()) {
            return; // a message completed in the same piece that broke the ring
        }
        requests++;
        XsMessage reply;
        handling = true;
        try {
            reply = xenstored.handle(connection, request);
        } finally {
            handling = false;
        }
        if (!isServing()) {
            dropOutput(); // the request closed its own connection (dom0 releasing itself)
            return;
        }
        output.add(reply);
        queuedBytes += XsWire.HEADER_SIZE + reply.payload().length;
        outstanding++;
        for (int i = 0; i < eventsOfRequest.size(); i++) {
            queueEvent(eventsOfRequest.get(i));
        }
        eventsOfRequest.clear();
    }

    // ---------------------------------------------------------------- output

    /** The connection's watch-event sink: queued, and written at once unless a request of ours is running. */
    private void watchEvent(XsMessage event) {
        if (handling) {
            eventsOfRequest.add(event); // Xen answers the request first, then fires
            return;
        }
        queueEvent(event);
        if (isServing()) {
            try {
                flush();
            } catch (RuntimeException bug) {
                fail(XsWire.XENSTORE_ERROR_COMM, "internal error: " + bug);
            }
            kickIfMoved();
        }
    }

    private void queueEvent(XsMessage event) {
        int size = XsWire.HEADER_SIZE + event.payload().length;
        if (!isServing()) {
            connection.eventDelivered();
            return;
        }
        if ((!connection.privileged() || limits.boundPrivileged()) && queuedBytes + size > limits.outputBytes()) {
            eventsDropped++;
            connection.eventDelivered(); // it no longer waits anywhere
            return;
        }
        output.add(event);
        queuedBytes += size;
    }

    /** Writes queued output while the rsp ring has room; returns whether any byte went. */
    private boolean flush() {
        boolean wrote = false;
        while (isServing()) {
            if (stagedLength < 0 && !stageNext()) {
                break;
            }
            int cons = intf.rspConsAcquire(); // the guest's reads of the bytes before rsp_cons are done
            int used = rspProd - cons;
            if (Integer.compareUnsigned(used, RING_SIZE) > 0) {
                fail(XsWire.XENSTORE_ERROR_RINGIDX, "rsp_cons " + Integer.toUnsignedString(cons) + " is "
                        + Integer.toUnsignedString(used) + " bytes behind rsp_prod " + Integer.toUnsignedString(rspProd));
                break;
            }
            int space = RING_SIZE - used;
            if (space == 0) {
                break;
            }
            int n = Math.min(space, stagedLength - stagedSent);
            intf.putRspWrapping(rspProd, stagedSegment, stagedSent, n);
            rspProd += n;
            stagedSent += n;
            intf.rspProdRelease(rspProd); // the reply bytes above are visible to whoever acquires rsp_prod
            kick = true;
            wrote = true;
            if (stagedSent == stagedLength) {
                sent();
            }
        }
        return wrote;
    }

    /** Copies the next queued message, header and payload, into the staging buffer. */
    private boolean stageNext() {
        XsMessage m = output.poll();
        if (m == null) {
            return false;
        }
        byte[] payload = m.payload();
        stagedHeader.type(Integer.toUnsignedLong(m.type())).reqId(Integer.toUnsignedLong(m.reqId()))
                .txId(Integer.toUnsignedLong(m.txId())).len(payload.length);
        System.arraycopy(payload, 0, staged, XsWire.HEADER_SIZE, payload.length);
        stagedLength = XsWire.HEADER_SIZE + payload.length;
        stagedSent = 0;
        stagedIsEvent = m.type() == XsWire.XS_WATCH_EVENT;
        return true;
    }

    private void sent() {
        queuedBytes -= stagedLength;
        if (stagedIsEvent) {
            connection.eventDelivered();
        } else {
            outstanding--;
        }
        stagedLength = -1;
    }

    private void dropOutput() {
        if (stagedLength >= 0 && stagedIsEvent) {
            connection.eventDelivered();
        }
        for (XsMessage m : output) {
            if (m.type() == XsWire.XS_WATCH_EVENT) {
                connection.eventDelivered();
            }
        }
        output.clear();
        eventsOfRequest.clear();
        stagedLength = -1;
        queuedBytes = 0;
        outstanding = 0;
    }

    private void kickIfMoved() {
        if (kick) {
            kick = false;
            notify.run();
        }
    }

    /** Xen's {@code ignore_connection}: the guest broke the protocol; nothing of it is served again. */
    private void fail(int why, String what) {
        if (!isServing()) {
            return;
        }
        error = why;
        failure = what;
        intf.errorRelease(why); // the guest sees why once it looks
        xenstored.store().disconnect(connection);
        dropOutput();
        kick = true; // a guest waiting on a reply wakes up and finds the error
        faults.badClient(this, why, what);
    }

    @Override
    public String toString() {
        return "store ring of d" + connection.domid() + (isServing() ? "" : " (not served: " + failure + ")");
    }
}
