package org.parasol.guest.xenbus;

import static org.parasol.hypercall.io.XenstoreDomainInterface.RING_SIZE;
import static org.parasol.hypercall.io.XenstoreDomainInterface.slot;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;

import org.parasol.guest.sched.Promise;
import org.parasol.guest.sched.RunLoop;
import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.SharedBuffer;
import org.parasol.hypercall.abi.XenbusState;
import org.parasol.hypercall.abi.XsWire;
import org.parasol.hypercall.io.XenstoreDomainInterface;
import org.parasol.hypercall.io.XsdSockmsg;

/**
 * The guest's xenbus client: talks to xenstored through the domain's store page
 * ({@code start_info.store_mfn}) and store event channel ({@code start_info.store_evtchn}),
 * as Mini-OS's {@code xenbus.c} does, but asynchronously: every request returns a
 * {@link Promise} that completes on the run loop when its reply arrives.
 *
 * <pre>
 *   request                          req ring (guest produces)         xenstored
 *   read("device/vif/0/state") ──►  [hdr|path\0] at req_prod ───────►  XS_READ
 *   Promise&lt;String&gt;  ◄── req_id ──  [hdr|"4"]   at rsp_cons ◄───────  reply, same req_id
 *   watch callback     ◄── token ───  [hdr|path\0token\0]   ◄───────  XS_WATCH_EVENT
 * </pre>
 *
 * <p>Requests: {@link #read}, {@link #write}, {@link #mkdir}, {@link #rm}, {@link #directory},
 * {@link #getPerms}, {@link #setPerms}, {@link #getDomainPath}, {@link #watch} (and
 * {@link XenbusWatch#unwatch}), {@link #transactionStart} and {@link #transactionEnd}; each
 * takes a {@link XenbusTransaction} or has a form without one. A refused request fails its
 * promise with a {@link XenbusException} naming xenstored's errno ({@code ENOENT},
 * {@code EACCES}, ...). {@link #transaction} runs a body in a transaction and starts it over
 * when the commit meets {@code EAGAIN}.
 *
 * <p>The split-driver handshake: {@link #switchState} writes an end's {@code state} node
 * (only if it changes, in a transaction, as Linux's {@code xenbus_switch_state});
 * {@link #waitForState} watches the other end's until a state it accepts arrives;
 * {@link #readFeature} reads a {@code feature-*} key, and a missing key means "not supported".
 *
 * <p>Matching: each request takes one of {@value #MAX_IN_FLIGHT} slots, and its
 * {@code req_id} is a sequence number shifted left by four with the slot in the low bits, so a
 * reply finds its request without a search, in any order. More requests than slots wait in a
 * queue of at most {@value #MAX_WAITING}; past that a request fails with {@code EBUSY} at once.
 * Fewer slots than xenstored's 20 outstanding replies means this client is never the one
 * throttled.
 *
 * <p>The ring: request bytes go in at this end's private {@code req_prod}, published with
 * release after the bytes; space is known from an acquire of xenstored's {@code req_cons}.
 * Replies are read after an acquire of {@code rsp_prod} and {@code rsp_cons} is published
 * with release after they were copied out. A step that moved an index kicks xenstored once
 * through {@code notify}. Moving bytes between the ring and the client's buffers allocates
 * nothing. The client checks xenstored's indices too: {@code rsp_prod} more than a ring ahead
 * of {@code rsp_cons}, a reply announcing more than 4096 bytes, or xenstored reporting an
 * error in the page's {@code error} field breaks the client, and every request fails with
 * {@code EIO}.
 *
 * <p>Invariants: used on the run loop's vCPU only. {@link #onEvent} is the store port's handler,
 * run as a task ({@link RunLoop#deferred}), never inside the upcall.
 */
public final class Xenbus {
    /** Requests sent and not yet answered, at most: a power of two. */
    public static final int MAX_IN_FLIGHT = 16;
    /** Requests waiting for a slot, at most. */
    public static final int MAX_WAITING = 256;
    /** Times {@link #transaction} starts a body over after {@code EAGAIN} before it gives up. */
    public static final int TRANSACTION_ATTEMPTS = 32;

    private static final int SLOT_MASK = MAX_IN_FLIGHT - 1;
    private static final int SLOT_BITS = Integer.numberOfTrailingZeros(MAX_IN_FLIGHT);

    /** Turns a reply's payload (the first {@code length} bytes of {@code b}) into a result. */
    @FunctionalInterface
    private interface Decoder<T> {
        T decode(byte[] b, int length);
    }

    /** One request: what goes on the wire, and the promise its reply completes. */
    private static final class Request<T> {
        final int type;
        final int txId;
        final String path;
        final byte[] payload;
        final Decoder<T> decoder;
        final Promise<T> promise;
        int reqId;

        Request(int type, int txId, String path, byte[] payload, Decoder<T> decoder, Promise<T> promise) {
            this.type = type;
            this.txId = txId;
            this.path = path;
            this.payload = payload;
            this.decoder = decoder;
            this.promise = promise;
        }

        void answer(int replyType, byte[] b, int length) {
            if (replyType == XsWire.XS_ERROR) {
                int end = 0;
                while (end < length && b[end] != 0) {
                    end++;
                }
                promise.fail(new XenbusException(new String(b, 0, end, StandardCharsets.ISO_8859_1), type, path, null));
                return;
            }
            if (replyType != type) {
                promise.fail(new XenbusException("EIO", type, path, "answered with type " + replyType));
                return;
            }
            T value;
            try {
                value = decoder.decode(b, length);
            } catch (RuntimeException unreadable) {
                promise.fail(new XenbusException("EIO", type, path, "unreadable reply: " + unreadable.getMessage()));
                return;
            }
            promise.complete(value);
        }

        void lost(String why) {
            promise.fail(new XenbusException("EIO", type, path, why));
        }
    }

    // Decoders are method references, not static fields: an image keeps no static state but
    // constants of known-immutable types, so that its domains can share one class loader.

    private static Void ok(byte[] b, int length) {
        return null;
    }

    private static byte[] bytes(byte[] b, int length) {
        return Arrays.copyOf(b, length);
    }

    private static String text(byte[] b, int length) {
        return new String(b, 0, length, StandardCharsets.UTF_8);
    }

    private final RunLoop loop;
    private final XenstoreDomainInterface intf;
    private final Runnable notify;

    // ---- requests
    private final Request<?>[] slots = new Request<?>[MAX_IN_FLIGHT];
    private int inFlight;
    private int sequence;
    private final ArrayDeque<Request<?>> waiting = new ArrayDeque<>();
    /** Requests holding a slot whose bytes are not all in the ring yet, oldest first. */
    private final ArrayDeque<Request<?>> sending = new ArrayDeque<>(MAX_IN_FLIGHT);
    private final byte[] staged = new byte[XsWire.HEADER_SIZE + XsWire.XENSTORE_PAYLOAD_MAX];
    private final MemorySegment stagedSegment = MemorySegment.ofArray(staged);
    private final XsdSockmsg stagedHeader = new XsdSockmsg().wrap(new SegmentBuffer(stagedSegment), 0);
    private int stagedLength = -1;
    private int stagedSent;
    /** Our {@code req_prod}. */
    private int reqProd;

    // ---- replies
    private final byte[] replyHeaderBytes = new byte[XsWire.HEADER_SIZE];
    private final MemorySegment replyHeaderSegment = MemorySegment.ofArray(replyHeaderBytes);
    private final XsdSockmsg replyHeader = new XsdSockmsg().wrap(new SegmentBuffer(replyHeaderSegment), 0);
    private final byte[] replyPayload = new byte[XsWire.XENSTORE_PAYLOAD_MAX];
    private final MemorySegment replyPayloadSegment = MemorySegment.ofArray(replyPayload);
    private int headerFill;
    private int payloadLength = -1;
    private int payloadFill;
    /** Our {@code rsp_cons}. */
    private int rspCons;

    // ---- watches, by token
    private final Map<String, XenbusWatch> watches = new HashMap<>();
    private int nextToken;

    private boolean kick;
    private String broken;
    private long strayReplies;
    private long transactionRetries;

    /**
     * A client over the {@code xenstore_domain_interface} at {@code offset} in {@code page},
     * completing its promises on {@code loop}; {@code notify} kicks xenstored (sends on the
     * store event channel). The indices start where the page has them.
     *
     * @throws IndexOutOfBoundsException if the interface does not fit in {@code page}
     */
    public Xenbus(RunLoop loop, SharedBuffer page, long offset, Runnable notify) {
        this.loop = Objects.requireNonNull(loop, "loop");
        this.notify = Objects.requireNonNull(notify, "notify");
        this.intf = new XenstoreDomainInterface().wrap(page, offset);
        this.reqProd = intf.reqProdAcquire();
        this.rspCons = intf.rspConsAcquire();
    }

    // ---------------------------------------------------------------- the ring

    /**
     * The store event channel fired: reads every reply and watch event xenstored wrote, sends
     * what fits of the requests waiting, and kicks xenstored if an index moved. Run it as a
     * task (the kernel wraps it with {@link RunLoop#deferred}).
     */
    public void onEvent() {
        if (broken != null) {
            return;
        }
        if ((intf.serverFeatures() & XsWire.XENSTORE_SERVER_FEATURE_ERROR) != 0) {
            int error = intf.errorAcquire();
            if (error != XsWire.XENSTORE_ERROR_NONE) {
                breakRing("xenstored stopped serving the ring (error " + error + ")");
                return;
            }
        }
        readReplies();
        push();
        kickIfMoved();
    }

    /** Why the client stopped working, or null while it works. */
    public String broken() {
        return broken;
    }

    /** Requests sent or being sent and not yet answered. */
    public int inFlight() {
        return inFlight;
    }

    /** Requests waiting for a slot. */
    public int waiting() {
        return waiting.size();
    }

    /** Replies that matched no request (ignored). */
    public long strayReplies() {
        return strayReplies;
    }

    /** Times {@link #transaction} started a body over after {@code EAGAIN}. */
    public long transactionRetries() {
        return transactionRetries;
    }

    private <T> Promise<T> submit(int type, XenbusTransaction tx, String path, byte[] payload, Decoder<T> decoder) {
        Promise<T> p = loop.promise();
        if (broken != null) {
            p.fail(new XenbusException("EIO", type, path, broken));
            return p;
        }
        if (payload.length > XsWire.XENSTORE_PAYLOAD_MAX) {
            p.fail(new XenbusException("E2BIG", type, path, payload.length + " payload bytes"));
            return p;
        }
        Request<T> r = new Request<>(type, tx.id(), path, payload, decoder, p);
        if (inFlight < MAX_IN_FLIGHT) {
            start(r);
        } else if (waiting.size() < MAX_WAITING) {
            waiting.add(r);
            return p;
        } else {
            p.fail(new XenbusException("EBUSY", type, path, MAX_WAITING + " requests already wait"));
            return p;
        }
        push();
        kickIfMoved();
        return p;
    }

    private void start(Request<?> r) {
        int slot = 0;
        while (slots[slot] != null) {
            slot++;
        }
        r.reqId = (sequence++ << SLOT_BITS) | slot;
        slots[slot] = r;
        inFlight++;
        sending.add(r);
    }

    /** Writes what fits of the requests being sent. */
    private void push() {
        while (broken == null) {
            if (stagedLength < 0) {
                Request<?> r = sending.peek();
                if (r == null) {
                    return;
                }
                stagedHeader.type(r.type).reqId(Integer.toUnsignedLong(r.reqId)).txId(Integer.toUnsignedLong(r.txId))
                        .len(r.payload.length);
                System.arraycopy(r.payload, 0, staged, XsWire.HEADER_SIZE, r.payload.length);
                stagedLength = XsWire.HEADER_SIZE + r.payload.length;
                stagedSent = 0;
            }
            int cons = intf.reqConsAcquire(); // xenstored's reads of the bytes before req_cons are done
            int used = reqProd - cons;
            if (Integer.compareUnsigned(used, RING_SIZE) > 0) {
                breakRing("req_cons " + Integer.toUnsignedString(cons) + " is out of range of req_prod "
                        + Integer.toUnsignedString(reqProd));
                return;
            }
            int space = RING_SIZE - used;
            if (space == 0) {
                return; // xenstored kicks us when it has taken some
            }
            int n = Math.min(space, stagedLength - stagedSent);
            intf.putReqWrapping(reqProd, stagedSegment, stagedSent, n);
            reqProd += n;
            stagedSent += n;
            intf.reqProdRelease(reqProd); // the request bytes above are visible to whoever acquires req_prod
            kick = true;
            if (stagedSent == stagedLength) {
                sending.poll();
                stagedLength = -1;
            }
        }
    }

    /** Reads every complete reply and watch event in the rsp ring. */
    private void readReplies() {
        while (broken == null) {
            int prod = intf.rspProdAcquire(); // xenstored's reply bytes before rsp_prod are visible from here
            int avail = prod - rspCons;
            if (Integer.compareUnsigned(avail, RING_SIZE) > 0) {
                breakRing("rsp_prod " + Integer.toUnsignedString(prod) + " is out of range of rsp_cons "
                        + Integer.toUnsignedString(rspCons));
                return;
            }
            if (avail == 0) {
                return;
            }
            int at = slot(rspCons);
            int n;
            if (payloadLength < 0) {
                n = Math.min(Math.min(avail, XsWire.HEADER_SIZE - headerFill), RING_SIZE - at);
                intf.getRsp(at, replyHeaderSegment, headerFill, n);
                headerFill += n;
            } else {
                n = Math.min(Math.min(avail, payloadLength - payloadFill), RING_SIZE - at);
                intf.getRsp(at, replyPayloadSegment, payloadFill, n);
                payloadFill += n;
            }
            rspCons += n;
            intf.rspConsRelease(rspCons); // our reads of those bytes are done before xenstored may overwrite them
            kick = true;
            if (payloadLength < 0 && headerFill == XsWire.HEADER_SIZE) {
                long len = replyHeader.len();
                if (len > XsWire.XENSTORE_PAYLOAD_MAX) {
                    breakRing("a reply announces " + len + " payload bytes");
                    return;
                }
                payloadLength = (int) len;
                payloadFill = 0;
            }
            if (payloadLength >= 0 && payloadFill == payloadLength) {
                int length = payloadLength;
                headerFill = 0;
                payloadLength = -1;
                deliver((int) replyHeader.type(), (int) replyHeader.reqId(), length);
            }
        }
    }

    private void deliver(int type, int reqId, int length) {
        if (type == XsWire.XS_WATCH_EVENT) {
            watchEvent(length);
            return;
        }
        int slot = reqId & SLOT_MASK;
        Request<?> r = slots[slot];
        if (r == null || r.reqId != reqId || sending.contains(r)) {
            strayReplies++;
            return;
        }
        slots[slot] = null;
        inFlight--;
        r.answer(type, replyPayload, length);
        if (!waiting.isEmpty()) {
            start(waiting.poll());
        }
    }

    private void watchEvent(int length) {
        List<String> parts = strings(replyPayload, length);
        XenbusWatch w = parts.size() < 2 ? null : watches.get(parts.get(XsWire.XS_WATCH_TOKEN));
        if (w == null) {
            strayReplies++;
            return;
        }
        String path = parts.get(XsWire.XS_WATCH_PATH);
        loop.execute(() -> {
            if (w.isActive()) {
                w.callback().fired(path);
            }
        });
    }

    private void kickIfMoved() {
        if (kick) {
            kick = false;
            notify.run();
        }
    }

    private void breakRing(String why) {
        broken = why;
        for (int i = 0; i < slots.length; i++) {
            if (slots[i] != null) {
                slots[i].lost(why);
                slots[i] = null;
            }
        }
        for (Request<?> r : waiting) {
            r.lost(why);
        }
        waiting.clear();
        sending.clear();
        inFlight = 0;
        for (XenbusWatch w : watches.values()) {
            w.deactivate();
        }
        watches.clear();
    }

    // ---------------------------------------------------------------- requests

    /** {@code XS_READ}: the value as text (UTF-8). */
    public Promise<String> read(XenbusTransaction tx, String path) {
        return submit(XsWire.XS_READ, tx, path, strings(path), Xenbus::text);
    }

    /** {@code XS_READ} outside a transaction. */
    public Promise<String> read(String path) {
        return read(XenbusTransaction.NONE, path);
    }

    /** {@code XS_READ}: the value's bytes. */
    public Promise<byte[]> readBytes(XenbusTransaction tx, String path) {
        return submit(XsWire.XS_READ, tx, path, strings(path), Xenbus::bytes);
    }

    /** {@code XS_READ}, with a missing node ({@code ENOENT}) as an empty optional rather than a failure. */
    public Promise<Optional<String>> readOptional(XenbusTransaction tx, String path) {
        Promise<Optional<String>> p = loop.promise();
        read(tx, path).whenDone((v, e) -> {
            if (e == null) {
                p.complete(Optional.of(v));
            } else if (XenbusException.is(e, "ENOENT")) {
                p.complete(Optional.empty());
            } else {
                p.fail(e);
            }
        });
        return p;
    }

    /**
     * An unsigned decimal value, or {@code otherwise} when the node is missing or holds no such
     * number (Linux's {@code xenbus_read_unsigned}).
     */
    public Promise<Long> readUnsigned(XenbusTransaction tx, String path, long otherwise) {
        return readOptional(tx, path).map(v -> v.map(Xenbus::unsigned).orElse(-1L)).map(v -> v < 0 ? otherwise : v);
    }

    /** {@code XS_WRITE}: sets the value (UTF-8), creating the node and missing parents. */
    public Promise<Void> write(XenbusTransaction tx, String path, String value) {
        return writeBytes(tx, path, value.getBytes(StandardCharsets.UTF_8));
    }

    /** {@code XS_WRITE} outside a transaction. */
    public Promise<Void> write(String path, String value) {
        return write(XenbusTransaction.NONE, path, value);
    }

    /** {@code XS_WRITE} of raw bytes: {@code path\0} then the value, unterminated. */
    public Promise<Void> writeBytes(XenbusTransaction tx, String path, byte[] value) {
        byte[] p = path.getBytes(StandardCharsets.ISO_8859_1);
        byte[] payload = new byte[p.length + 1 + value.length];
        System.arraycopy(p, 0, payload, 0, p.length);
        System.arraycopy(value, 0, payload, p.length + 1, value.length);
        return submit(XsWire.XS_WRITE, tx, path, payload, Xenbus::ok);
    }

    /** {@code XS_MKDIR}: creates the node unless it exists. */
    public Promise<Void> mkdir(XenbusTransaction tx, String path) {
        return submit(XsWire.XS_MKDIR, tx, path, strings(path), Xenbus::ok);
    }

    /** {@code XS_MKDIR} outside a transaction. */
    public Promise<Void> mkdir(String path) {
        return mkdir(XenbusTransaction.NONE, path);
    }

    /** {@code XS_RM}: removes the node and everything below it. */
    public Promise<Void> rm(XenbusTransaction tx, String path) {
        return submit(XsWire.XS_RM, tx, path, strings(path), Xenbus::ok);
    }

    /** {@code XS_RM} outside a transaction. */
    public Promise<Void> rm(String path) {
        return rm(XenbusTransaction.NONE, path);
    }

    /** {@code XS_DIRECTORY}: the children's names. */
    public Promise<List<String>> directory(XenbusTransaction tx, String path) {
        return submit(XsWire.XS_DIRECTORY, tx, path, strings(path), Xenbus::strings);
    }

    /** {@code XS_DIRECTORY} outside a transaction. */
    public Promise<List<String>> directory(String path) {
        return directory(XenbusTransaction.NONE, path);
    }

    /** {@code XS_GET_PERMS}: entries such as {@code "n1"}, {@code "r0"}: the first names the owner. */
    public Promise<List<String>> getPerms(XenbusTransaction tx, String path) {
        return submit(XsWire.XS_GET_PERMS, tx, path, strings(path), Xenbus::strings);
    }

    /** {@code XS_SET_PERMS}: replaces the permission list; the first entry names the owner. */
    public Promise<Void> setPerms(XenbusTransaction tx, String path, List<String> perms) {
        String[] parts = new String[perms.size() + 1];
        parts[0] = path;
        for (int i = 0; i < perms.size(); i++) {
            parts[i + 1] = perms.get(i);
        }
        return submit(XsWire.XS_SET_PERMS, tx, path, strings(parts), Xenbus::ok);
    }

    /** {@code XS_GET_DOMAIN_PATH}: {@code /local/domain/<domid>}. */
    public Promise<String> getDomainPath(int domid) {
        String id = Integer.toString(domid);
        return submit(XsWire.XS_GET_DOMAIN_PATH, XenbusTransaction.NONE, null, strings(id), Xenbus::firstString);
    }

    /**
     * {@code XS_WATCH}: calls {@code callback} for every change at or below {@code path}, and
     * once as soon as xenstored registered it. The watch is returned at once; its
     * {@link XenbusWatch#registered} promise says whether xenstored took it ({@code E2BIG}
     * past the watch quota).
     */
    public XenbusWatch watch(String path, WatchCallback callback) {
        Objects.requireNonNull(callback, "callback");
        String token = "xb" + Integer.toHexString(nextToken++);
        Promise<Void> ack = loop.promise();
        XenbusWatch w = new XenbusWatch(this, path, token, callback, ack);
        watches.put(token, w);
        submit(XsWire.XS_WATCH, XenbusTransaction.NONE, path, strings(path, token), Xenbus::ok).whenDone((v, e) -> {
            if (e != null) {
                if (w.deactivate()) {
                    watches.remove(token);
                }
                ack.fail(e);
            } else {
                ack.complete(null);
            }
        });
        return w;
    }

    Promise<Void> unwatch(XenbusWatch w) {
        if (!w.deactivate()) {
            return loop.completed(null);
        }
        watches.remove(w.token());
        return submit(XsWire.XS_UNWATCH, XenbusTransaction.NONE, w.path(), strings(w.path(), w.token()), Xenbus::ok);
    }

    /** Watches whose events still reach their callbacks. */
    public int watchCount() {
        return watches.size();
    }

    /** {@code XS_TRANSACTION_START}. */
    public Promise<XenbusTransaction> transactionStart() {
        return submit(XsWire.XS_TRANSACTION_START, XenbusTransaction.NONE, null, new byte[] {0},
                (b, n) -> new XenbusTransaction(Integer.parseUnsignedInt(firstString(b, n))));
    }

    /** {@code XS_TRANSACTION_END}: commits ({@code EAGAIN} if another change conflicted) or aborts. */
    public Promise<Void> transactionEnd(XenbusTransaction tx, boolean commit) {
        return submit(XsWire.XS_TRANSACTION_END, tx, null, strings(commit ? "T" : "F"), Xenbus::ok);
    }

    /**
     * Runs {@code body} in a new transaction and commits it. When the commit (or a request of
     * the body) fails with {@code EAGAIN} because another client changed what the body read,
     * the body runs again in a fresh transaction, up to {@value #TRANSACTION_ATTEMPTS} times in
     * all. Any other failure of the body aborts the transaction and fails the promise.
     */
    public <T> Promise<T> transaction(Function<XenbusTransaction, Promise<T>> body) {
        Objects.requireNonNull(body, "body");
        Promise<T> result = loop.promise();
        attempt(body, result, 1);
        return result;
    }

    private <T> void attempt(Function<XenbusTransaction, Promise<T>> body, Promise<T> result, int attempt) {
        transactionStart().whenDone((tx, failed) -> {
            if (failed != null) {
                result.fail(failed);
                return;
            }
            Promise<T> work;
            try {
                work = Objects.requireNonNull(body.apply(tx), "the transaction body returned no promise");
            } catch (RuntimeException e) {
                transactionEnd(tx, false);
                result.fail(e);
                return;
            }
            work.whenDone((value, bodyFailed) -> {
                if (bodyFailed != null) {
                    transactionEnd(tx, false).whenDone((v, ignored) -> retryOrFail(body, result, attempt, bodyFailed));
                    return;
                }
                transactionEnd(tx, true).whenDone((v, endFailed) -> {
                    if (endFailed == null) {
                        result.complete(value);
                    } else {
                        retryOrFail(body, result, attempt, endFailed);
                    }
                });
            });
        });
    }

    private <T> void retryOrFail(Function<XenbusTransaction, Promise<T>> body, Promise<T> result, int attempt,
            Throwable failure) {
        if (XenbusException.is(failure, "EAGAIN") && attempt < TRANSACTION_ATTEMPTS) {
            transactionRetries++;
            attempt(body, result, attempt + 1);
        } else {
            result.fail(failure);
        }
    }

    // ---------------------------------------------------------------- the split-driver handshake

    /**
     * An end's state: the decimal number in its {@code state} node, {@link XenbusState#UNKNOWN}
     * when the node is missing or holds no known state.
     */
    public Promise<XenbusState> readState(String statePath) {
        return readOptional(XenbusTransaction.NONE, statePath).map(v -> v.map(Xenbus::state).orElse(XenbusState.UNKNOWN));
    }

    /**
     * Sets an end's state node to {@code state}: in a transaction, and only if it holds
     * another state, so that the other end's watch does not fire for nothing (Linux's
     * {@code xenbus_switch_state}).
     */
    public Promise<Void> switchState(String statePath, XenbusState state) {
        Objects.requireNonNull(state, "state");
        return transaction(tx -> readOptional(tx, statePath).then(now -> {
            if (now.isPresent() && state(now.get()) == state) {
                return loop.<Void>completed(null);
            }
            return write(tx, statePath, Integer.toString(state.wire()));
        }));
    }

    /**
     * Watches the other end's state node until it holds a state {@code until} accepts, and
     * completes with that state; the watch is removed then. The first check is the watch's
     * initial event, so a state reached before the call is seen too. A peer may skip states
     * (Mini-OS goes from Initialising to Connected), so accept a range, not one value.
     */
    public Promise<XenbusState> waitForState(String statePath, Predicate<XenbusState> until) {
        Objects.requireNonNull(until, "until");
        Promise<XenbusState> result = loop.promise();
        XenbusWatch[] watch = new XenbusWatch[1];
        watch[0] = watch(statePath, changed -> {
            if (result.isDone()) {
                return;
            }
            readState(statePath).whenDone((s, e) -> {
                if (result.isDone()) {
                    return;
                }
                if (e != null) {
                    result.fail(e);
                } else if (until.test(s)) {
                    result.complete(s);
                } else {
                    return;
                }
                watch[0].unwatch();
            });
        });
        watch[0].registered().whenDone((v, e) -> {
            if (e != null) {
                result.fail(e);
            }
        });
        return result;
    }

    /**
     * Whether the end at {@code dir} offers {@code feature} (a key such as
     * {@code feature-persistent}): its value is a non-zero number. A missing key, or one
     * that holds anything else, means the end declined it.
     */
    public Promise<Boolean> readFeature(String dir, String feature) {
        return readUnsigned(XenbusTransaction.NONE, dir + "/" + feature, 0).map(v -> v != 0);
    }

    /** Publishes whether this end offers {@code feature}: {@code "1"} or {@code "0"}. */
    public Promise<Void> writeFeature(XenbusTransaction tx, String dir, String feature, boolean offered) {
        return write(tx, dir + "/" + feature, offered ? "1" : "0");
    }

    // ---------------------------------------------------------------- wire helpers

    /** Each string in ISO-8859-1, NUL-terminated: xs_wire's argument list. */
    private static byte[] strings(String... parts) {
        int length = 0;
        for (String s : parts) {
            length += s.length() + 1;
        }
        byte[] b = new byte[length];
        int at = 0;
        for (String s : parts) {
            byte[] bytes = s.getBytes(StandardCharsets.ISO_8859_1);
            System.arraycopy(bytes, 0, b, at, bytes.length);
            at += bytes.length + 1;
        }
        return b;
    }

    /** The NUL-terminated strings of a reply; trailing bytes after the last NUL are one more. */
    private static List<String> strings(byte[] b, int length) {
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < length; i++) {
            if (b[i] == 0) {
                out.add(new String(b, start, i - start, StandardCharsets.ISO_8859_1));
                start = i + 1;
            }
        }
        if (start < length) {
            out.add(new String(b, start, length - start, StandardCharsets.ISO_8859_1));
        }
        return out;
    }

    private static String firstString(byte[] b, int length) {
        int end = 0;
        while (end < length && b[end] != 0) {
            end++;
        }
        return new String(b, 0, end, StandardCharsets.ISO_8859_1);
    }

    /**
     * An unsigned decimal number of at most 18 digits (plain digits, as the store's values are
     * written: no sign, no spaces), or -1: how every xenbus value that is a number is read.
     */
    public static long unsigned(String s) {
        if (s.isEmpty() || s.length() > 18) {
            return -1;
        }
        long v = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }

    private static XenbusState state(String s) {
        long v = unsigned(s);
        XenbusState state = v < 0 || v > Integer.MAX_VALUE ? null : XenbusState.fromWire((int) v);
        return state == null ? XenbusState.UNKNOWN : state;
    }
}
