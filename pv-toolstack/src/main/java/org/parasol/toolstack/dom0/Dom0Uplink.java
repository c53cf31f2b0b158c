package org.parasol.toolstack.dom0;

import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;

import org.parasol.drivers.net.Bridge;
import org.parasol.drivers.net.NetBackend;
import org.parasol.guest.event.PortHandler;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.mm.GuestOutOfMemoryException;
import org.parasol.guest.mm.PageRun;
import org.parasol.hypercall.Errno;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.GuestMemoryBuffer;
import org.parasol.hypercall.Mfn;
import org.parasol.hypercall.Port;
import org.parasol.hypercall.abi.HostRelayOp;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.guest.EventChannelCalls;
import org.parasol.hypercall.guest.HostRelayCalls;
import org.parasol.hypercall.io.FrameRelayPage;

/**
 * A bridge's uplink to the host: the host's TAP device, as a port of one of dom0's bridges
 * (Linux's {@code xenbr0} with the host's interface enslaved). The host opens the TAP (dom0
 * has no host access under the image rules) and offers the uplink on the host relay
 * ({@link HostRelayOp#KIND_NET_UPLINK}); dom0 attaches a page of its own, and Ethernet frames
 * cross it both ways ({@link FrameRelayPage}).
 *
 * <pre>
 *  host TAP --read--&gt; host queue --&gt; to_dom0 ring --port--&gt; staging page --&gt; bridge.input(uplink)
 *  host TAP &lt;-write-- to_host ring &lt;-- queue (32; dropped and counted when full) &lt;-- bridge delivers to the uplink
 * </pre>
 *
 * <p>The page's ring holds one full-size frame each way, so frames for the host that do not fit
 * wait in a bounded queue of dom0's ({@value #QUEUE} frames) until the host makes room and
 * kicks; past it they are dropped and counted, as a vif without RX buffers drops. Everything runs on dom0's vCPU 0 run loop; one
 * send on the port per pass of the loop covers every frame put in the ring during it.
 * The host is trusted, but a broken ring (a position out of range, an impossible record) still
 * ends the uplink instead of copying garbage.
 */
final class Dom0Uplink {
    /** Frames taken from the host per pass before the other tasks run. */
    static final int BUDGET = 64;
    /**
     * Frames for the host that wait in dom0 while the page's ring is full (it holds one
     * full-size frame): 32 slots of 2 KiB, so a burst (a fragmented datagram, a stream of
     * replies) crosses whole; past them, frames are dropped and counted.
     */
    static final int QUEUE = 32;
    private static final int QUEUE_SLOT = 2048;

    /** One attached uplink slot. */
    private final class Link implements Bridge.Port {
        final int slot;
        final PageRun page;
        final PageRun staging;
        final PageRun queue;
        final int[] queued = new int[QUEUE];
        int queueHead;
        int queueTail;
        final Port port;
        /** What handles {@link #port} here (detached by identity). */
        PortHandler handler;
        final GuestMemoryBuffer buf;
        /** Our {@code host_prod} (to_host) and {@code dom0_cons} (to_dom0). */
        int hostProd;
        int dom0Cons;
        boolean kickQueued;
        boolean closed;

        Link(int slot, PageRun page, PageRun staging, PageRun queue, Port port) {
            this.slot = slot;
            this.page = page;
            this.staging = staging;
            this.queue = queue;
            this.port = port;
            this.buf = new GuestMemoryBuffer(mem, page.va(), Mmu.PAGE_SIZE);
        }

        /**
         * The bridge's frame for the host: into the to_host ring if it fits and nothing waits
         * before it, else into the queue, else dropped and counted.
         */
        @Override
        public boolean deliver(long va, int length) {
            if (closed || length < FrameRelayPage.MIN_FRAME || length > FrameRelayPage.MAX_FRAME) {
                toHostDropped++;
                return false;
            }
            if (queueHead == queueTail && room(length)) {
                mem.copyToSegment(va, frame, 0, length);
                put(length);
                return true;
            }
            if (closed) {
                return false;
            }
            if (queueTail - queueHead == QUEUE) {
                toHostDropped++;
                return false;
            }
            int i = queueTail % QUEUE;
            mem.copyToSegment(va, frame, 0, length);
            mem.copyFromSegment(frame, 0, queue.va() + (long) i * QUEUE_SLOT, length);
            queued[i] = length;
            queueTail++;
            return true;
        }

        /** Whether to_host has room for a frame of {@code length}; a broken position ends the link. */
        private boolean room(int length) {
            int cons = FrameRelayPage.consAcquire(buf, FrameRelayPage.TO_HOST); // the host's reads before it are done
            int used = FrameRelayPage.used(hostProd, cons);
            if (used < 0) {
                broken("host_cons " + cons + " is out of range");
                return false;
            }
            return FrameRelayPage.CAPACITY - used >= FrameRelayPage.recordSize(length);
        }

        /** The frame in {@link #frame} into to_host, published, the host kicked (once per pass). */
        private void put(int length) {
            hostProd = FrameRelayPage.put(buf, FrameRelayPage.TO_HOST, hostProd, frame, 0, length);
            FrameRelayPage.prodRelease(buf, FrameRelayPage.TO_HOST, hostProd); // the record is visible before host_prod
            toHost++;
            kick();
        }

        /** Queued frames into to_host while it has room (the host made some and kicked us). */
        void drainQueue() {
            while (!closed && queueHead != queueTail) {
                int i = queueHead % QUEUE;
                if (!room(queued[i])) {
                    return;
                }
                mem.copyToSegment(queue.va() + (long) i * QUEUE_SLOT, frame, 0, queued[i]);
                put(queued[i]);
                queueHead++;
            }
        }

        /** One send per pass of the run loop, whatever number of frames it carried. */
        void kick() {
            if (!kickQueued) {
                kickQueued = true;
                k.execute(() -> {
                    kickQueued = false;
                    if (!closed) {
                        evtchn.send(port);
                    }
                });
            }
        }

        /** Frames the host put in to_dom0, into the bridge; returns whether some are left. */
        boolean service() {
            if (closed) {
                return false;
            }
            drainQueue(); // the host's kick may say it made room in to_host
            int moved = 0;
            while (moved < BUDGET) {
                int prod = FrameRelayPage.prodAcquire(buf, FrameRelayPage.TO_DOM0); // records before it are visible
                int used = FrameRelayPage.used(prod, dom0Cons);
                if (used < 0) {
                    broken("dom0_prod " + prod + " is out of range");
                    return false;
                }
                if (used == 0) {
                    break;
                }
                int length = FrameRelayPage.length(buf, FrameRelayPage.TO_DOM0, dom0Cons, used);
                if (length < 0) {
                    broken("an impossible record at " + dom0Cons);
                    return false;
                }
                dom0Cons = FrameRelayPage.get(buf, FrameRelayPage.TO_DOM0, dom0Cons, frame, 0, length);
                FrameRelayPage.consRelease(buf, FrameRelayPage.TO_DOM0, dom0Cons); // our copy is done: the space is the host's
                mem.copyFromSegment(frame, 0, staging.va(), length);
                toDom0++;
                moved++;
                bridge.input(this, staging.va(), length);
                bridge.flush(); // the next frame reuses the staging page
            }
            if (moved > 0) {
                kick(); // the host may have frames waiting for the room we made
            }
            return moved == BUDGET;
        }

        void broken(String why) {
            k.println("dom0: uplink on " + bridge.name() + ": the host's ring is broken (" + why + "); detached");
            k.execute(() -> drop(this));
        }
    }

    private final Kernel k;
    private final GuestMemory mem;
    private final HostRelayCalls relay;
    private final EventChannelCalls evtchn;
    private final Bridge bridge;
    private final Map<Integer, Link> links = new HashMap<>();
    /** One frame on its way between the page and dom0's memory. */
    private final MemorySegment frame = MemorySegment.ofArray(new byte[FrameRelayPage.MAX_FRAME]);
    private long toHost;
    private long toDom0;
    private long toHostDropped;

    Dom0Uplink(Kernel k, HostRelayCalls relay, NetBackend netback, String bridgeName) {
        this.k = k;
        this.mem = k.cpu().memory();
        this.relay = relay;
        this.evtchn = new EventChannelCalls(k.cpu(), k.argumentPage());
        this.bridge = netback.bridge(bridgeName);
    }

    /** Whether {@code slot} is an uplink of ours. */
    boolean owns(int slot) {
        return links.containsKey(slot);
    }

    /** A slot of ours is no longer attached (the host hung up): let it go. */
    void status(int slot, long state) {
        Link l = links.get(slot);
        if (l != null && state != HostRelayOp.ATTACHED) {
            drop(l);
        }
    }

    /** The host offers an uplink in {@code slot}: a page and a staging page, attached; a port on the bridge. */
    void attach(int slot) {
        PageRun page;
        PageRun staging;
        try {
            page = k.memory().allocatePages(1);
        } catch (GuestOutOfMemoryException e) {
            k.println("dom0: no page for the uplink in slot " + slot + "; refused");
            relay.detach(slot);
            return;
        }
        try {
            staging = k.memory().allocatePages(1);
        } catch (GuestOutOfMemoryException e) {
            k.memory().freePages(page);
            k.println("dom0: no page for the uplink in slot " + slot + "; refused");
            relay.detach(slot);
            return;
        }
        PageRun queue;
        try {
            queue = k.memory().allocatePages(QUEUE * QUEUE_SLOT / Mmu.PAGE_SIZE);
        } catch (GuestOutOfMemoryException e) {
            k.memory().freePages(staging);
            k.memory().freePages(page);
            k.println("dom0: no pages for the uplink's queue in slot " + slot + "; refused");
            relay.detach(slot);
            return;
        }
        mem.fill(page.va(), Mmu.PAGE_SIZE, (byte) 0);
        Mfn mfn = k.memory().mfn(page.pfn());
        long rc = relay.attach(slot, mfn);
        if (rc < 0) {
            k.memory().freePages(queue);
            k.memory().freePages(staging);
            k.memory().freePages(page);
            if (rc != -Errno.EINVAL) {
                k.println("dom0: the uplink in slot " + slot + " cannot be attached (" + Builder.errnoName(rc) + ")");
                relay.detach(slot);
            }
            return;
        }
        Port port = Port.of((int) rc);
        Link l = new Link(slot, page, staging, queue, port);
        links.put(slot, l);
        bridge.attach(l);
        l.handler = k.loop().deferred(p -> serve(l));
        k.events().attach(port, l.handler);
        k.println("dom0: " + bridge.name() + ": uplink to the host attached");
        serve(l); // what the host wrote before the port was ours
    }

    private void serve(Link l) {
        if (links.get(l.slot) == l && l.service()) {
            k.execute(() -> serve(l));
        }
    }

    /** In reverse of {@link #attach}. */
    private void drop(Link l) {
        if (links.get(l.slot) != l) {
            return;
        }
        links.remove(l.slot);
        l.closed = true;
        bridge.detach(l);
        k.events().detach(l.port, l.handler);
        relay.detach(l.slot);
        k.memory().freePages(l.queue);
        k.memory().freePages(l.staging);
        k.memory().freePages(l.page);
        k.println("dom0: " + bridge.name() + ": uplink detached (" + toDom0 + " frames in, " + toHost + " out, "
                + toHostDropped + " dropped for a full ring)");
    }

    /** Ends every uplink (dom0 powering off). */
    void close() {
        for (Link l : links.values().toArray(Link[]::new)) {
            drop(l);
        }
    }

    long toHost() {
        return toHost;
    }

    long toDom0() {
        return toDom0;
    }

    long toHostDropped() {
        return toHostDropped;
    }
}
