package org.parasol.cli.relay;

import static org.parasol.hypercall.io.XenstoreDomainInterface.RING_SIZE;
import static org.parasol.hypercall.io.XenstoreDomainInterface.slot;

import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;

import org.parasol.hypercall.abi.HostRelayOp;
import org.parasol.hypercall.io.XenstoreDomainInterface;
import org.parasol.hypervisor.domain.HostRelay;

/**
 * One client of xenstored's socket, relayed into dom0: the client's end of a
 * {@code xenstore_domain_interface} page, as a domain's xenbus is the client's end of its
 * store ring. The socket's bytes go into {@code req} as room allows; what dom0 puts into
 * {@code rsp} goes out on the socket as the socket can take it.
 *
 * <pre>
 *  socket ──read──► inbound (one read's buffers) ──copy as room allows──► req ring (req_prod ours)
 *  socket ◄─write── as long as the socket is writable ◄──copy out────── rsp ring (rsp_cons ours)
 *                                    kick dom0 after either index moved (the slot's port)
 * </pre>
 *
 * <p>The host never waits on dom0. Everything here runs on the socket's event loop; dom0's
 * kicks, its attach and its detach arrive on dom0's vCPU thread, which only flags work and
 * hands it to the loop (at most one task queued per client, whatever dom0 sends). When the
 * page cannot be entered or the port not raised this instant (a vCPU holds the lock for a
 * few instructions), the loop tries again {@value #RETRY_MICROS} µs later.
 *
 * <p>Bounded: reading stops (Netty's auto-read off) while the bytes of the last read have not
 * all gone into {@code req}, so a client that writes faster than dom0 reads holds at most one
 * read's buffers here; copying out of {@code rsp} stops while the socket is not writable (its
 * outbound buffer above the high-water mark), so a client that never reads holds at most that
 * plus one ring here, and the rest waits in dom0, which stops reading its requests after 20
 * unread replies and drops its watch events past 64 KiB ({@code Limits.RELAYED}).
 *
 * <p>The two indices this end produces, {@code req_prod} and {@code rsp_cons}, live in private
 * fields and are only published; the two dom0 produces are read once per step with acquire
 * and checked. dom0 is trusted, but an index out of range still closes the client rather
 * than copying garbage.
 */
final class RelayConnection extends ChannelInboundHandlerAdapter implements HostRelay.Endpoint {
    /** How soon the loop tries again when dom0 held the page or its event lock. */
    static final long RETRY_MICROS = 50;

    private final XenstoredSocket server;
    private Channel socket;
    private EventLoop loop;
    private HostRelay.Channel slot;
    private final XenstoreDomainInterface intf = new XenstoreDomainInterface();
    private final byte[] staging = new byte[RING_SIZE];
    private final MemorySegment stagingSegment = MemorySegment.ofArray(staging);
    /** Socket bytes not yet in {@code req}: the buffers of one read at most. */
    private final ArrayDeque<ByteBuf> inbound = new ArrayDeque<>();
    /** Set while a {@link #work} task is queued: dom0's kicks coalesce into one. */
    private final AtomicBoolean queued = new AtomicBoolean();
    private volatile boolean detached;
    private boolean attached;
    private boolean done;
    private boolean hangUpOwed;
    private boolean raiseOwed;
    private boolean retryScheduled;
    /** Our {@code req_prod} and {@code rsp_cons}. */
    private int reqProd;
    private int rspCons;

    RelayConnection(XenstoredSocket server) {
        this.server = server;
    }

    // ---------------------------------------------------------------- socket side (the loop)

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        socket = ctx.channel();
        loop = ctx.channel().eventLoop();
        if (!server.admit(socket)) {
            done = true;
            socket.close();
            return;
        }
        slot = server.relay().offer(this);
        if (slot == null) {
            server.relayFull();
            server.gone();
            done = true;
            socket.close();
            return;
        }
        if (!server.relay().retryVirq()) {
            retryLater(); // a vCPU held dom0's event lock: the offer's VIRQ is raised again soon
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf b = (ByteBuf) msg;
        if (done || !b.isReadable()) {
            b.release();
            return;
        }
        inbound.add(b);
        pump();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (socket.isWritable()) {
            pump(); // dom0's replies waiting in rsp can go now
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseInbound();
        if (slot == null) {
            return; // turned away before it had a slot
        }
        if (!done) {
            done = true;
            server.gone();
        }
        hangUpOwed = true;
        hangUp();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        server.log("client on slot " + (slot != null ? slot.slot() : -1) + ": " + cause);
        ctx.close();
    }

    private void hangUp() {
        if (!hangUpOwed) {
            return;
        }
        if (slot.hangUp()) {
            hangUpOwed = false;
        }
        if (hangUpOwed || !server.relay().retryVirq()) {
            retryLater(); // the slot's lock or dom0's event lock was held: again soon
        }
    }

    // ---------------------------------------------------------------- dom0's side (its vCPU)

    @Override
    public void attached(HostRelay.Channel c) {
        kick();
    }

    @Override
    public void notified(HostRelay.Channel c) {
        kick();
    }

    @Override
    public void detached(HostRelay.Channel c) {
        detached = true;
        kick();
    }

    /** Hands {@link #work} to the loop unless it is queued already: never waits, never queues twice. */
    private void kick() {
        if (queued.compareAndSet(false, true)) {
            try {
                loop.execute(this::work);
            } catch (RejectedExecutionException shuttingDown) {
                queued.set(false); // the socket server is closing: nothing left to relay
            }
        }
    }

    // ---------------------------------------------------------------- the relay (the loop)

    private void work() {
        queued.set(false);
        retryScheduled = false;
        if (!server.relay().retryVirq()) {
            retryLater(); // an offer's or a hang-up's VIRQ is still owed to dom0
        }
        if (detached) {
            // dom0 let go of the slot (it refused, the client broke the protocol, or dom0
            // died): the page is no longer ours; the client goes.
            attached = false;
            releaseInbound();
            if (socket.isOpen()) {
                socket.close();
            }
            return;
        }
        if (done) {
            hangUp(); // whatever of the hang-up is still owed
            return;
        }
        if (!attached && slot.state() == HostRelayOp.ATTACHED) {
            if (!slot.enter()) {
                retryLater();
                return;
            }
            try {
                intf.wrap(slot.page(), 0);
                reqProd = intf.reqProdAcquire();
                rspCons = intf.rspConsAcquire();
            } finally {
                slot.exit();
            }
            attached = true;
            socket.config().setAutoRead(true); // the client's bytes have somewhere to go now
        }
        pump();
    }

    /** Moves bytes both ways while it can, then kicks dom0 if either index moved. */
    private void pump() {
        if (!attached || done) {
            return;
        }
        boolean moved = false;
        if (!slot.enter()) {
            retryLater();
            return;
        }
        try {
            moved |= copyIn();
            moved |= copyOut();
        } finally {
            slot.exit();
        }
        if (done) {
            return;
        }
        socket.config().setAutoRead(inbound.isEmpty());
        if (moved) {
            raiseOwed = true;
        }
        if (raiseOwed) {
            if (slot.raise()) {
                raiseOwed = false;
            } else if (slot.state() == HostRelayOp.ATTACHED) {
                retryLater();
            }
        }
    }

    /** Socket bytes into {@code req} while it has room; returns whether {@code req_prod} moved. */
    private boolean copyIn() {
        boolean moved = false;
        while (!inbound.isEmpty()) {
            int cons = intf.reqConsAcquire(); // dom0's reads of the bytes before req_cons are done
            int used = reqProd - cons;
            if (Integer.compareUnsigned(used, RING_SIZE) > 0) {
                broken("req_cons " + Integer.toUnsignedString(cons) + " is out of range");
                return moved;
            }
            int space = RING_SIZE - used;
            if (space == 0) {
                break;
            }
            ByteBuf b = inbound.peek();
            int n = Math.min(space, b.readableBytes());
            b.readBytes(staging, 0, n);
            intf.putReqWrapping(reqProd, stagingSegment, 0, n);
            reqProd += n;
            intf.reqProdRelease(reqProd); // the request bytes above are visible to whoever acquires req_prod
            moved = true;
            if (!b.isReadable()) {
                inbound.poll().release();
            }
        }
        return moved;
    }

    /** {@code rsp} bytes onto the socket while it is writable; returns whether {@code rsp_cons} moved. */
    private boolean copyOut() {
        boolean moved = false;
        while (socket.isWritable()) {
            int prod = intf.rspProdAcquire(); // dom0's reply bytes before rsp_prod are visible from here
            int avail = prod - rspCons;
            if (Integer.compareUnsigned(avail, RING_SIZE) > 0) {
                broken("rsp_prod " + Integer.toUnsignedString(prod) + " is out of range");
                return moved;
            }
            if (avail == 0) {
                break;
            }
            int at = slot(rspCons);
            int n = Math.min(avail, RING_SIZE - at);
            intf.getRsp(at, stagingSegment, 0, n);
            rspCons += n;
            intf.rspConsRelease(rspCons); // our reads are done before dom0 reuses the space
            socket.write(socket.alloc().buffer(n, n).writeBytes(staging, 0, n));
            moved = true;
        }
        if (moved) {
            socket.flush();
        }
        return moved;
    }

    private void broken(String why) {
        server.log("client on slot " + slot.slot() + ": dom0's ring is broken (" + why + "); closing the client");
        socket.close();
    }

    private void retryLater() {
        if (retryScheduled) {
            return;
        }
        retryScheduled = true;
        try {
            loop.schedule(() -> {
                retryScheduled = false;
                work();
            }, RETRY_MICROS, TimeUnit.MICROSECONDS);
        } catch (RejectedExecutionException shuttingDown) {
            retryScheduled = false;
        }
    }

    private void releaseInbound() {
        ByteBuf b;
        while ((b = inbound.poll()) != null) {
            b.release();
        }
    }
}
