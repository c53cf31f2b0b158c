package org.parasol.toolstack.dom0;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.Map;

import org.parasol.drivers.net.Bridge;
import org.parasol.drivers.net.Gso;
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
import org.parasol.hypercall.abi.Netif;
import org.parasol.hypercall.io.FrameFifo;
import org.parasol.hypercall.io.FrameRelayPage;

/**
 * A bridge's uplink to the host: the host's TAP device, as a port of one of dom0's bridges
 * (Linux's {@code xenbr0} with the host's interface enslaved). The host opens the TAP (dom0
 * has no host access under the image rules) and offers the uplink on the host relay
 * ({@link HostRelayOp#KIND_NET_UPLINK}); dom0 attaches a page of its own, and Ethernet frames
 * cross it both ways ({@link FrameRelayPage}).
 *
 * <pre>
 *  host TAP --read--&gt; host queue --&gt; to_dom0 ring --port--&gt; staging --&gt; bridge.input / inputGso(uplink)
 *  host TAP &lt;-write-- to_host ring &lt;-- queue (256 KiB, 1024 frames; full: dropped, counted) &lt;-- bridge delivers
 * </pre>
 *
 * <p>GSO: where the host says its TAP takes TCP/IPv4 GSO frames whole
 * ({@link FrameRelayPage#FEATURE_GSO_TCPV4}: opened with {@code IFF_VNET_HDR} and
 * {@code TUN_F_TSO4}), the uplink is a port that takes GSO ({@link Bridge.Port#acceptsGso}):
 * the bridge hands it a GSO frame whole with its MSS, and it crosses the page as a run of
 * records for the host kernel to cut. Where not, the bridge cuts it into segments first, and
 * the queue holds all of them: {@value #QUEUE_BYTES} bytes and {@value #QUEUE_FRAMES} frames
 * hold the segments of the longest GSO frame at the smallest MSS (745 segments of at most 144
 * bytes each with their rounding, 107 KiB), or four such frames at an MSS of 1448 (45 segments).
 * GSO frames from the host (the host kernel's own, through the TAP) come as such runs too and
 * go into the bridge whole ({@link Bridge#inputGso}), which cuts them for front ends that do not
 * take GSO.
 *
 * <p>The page's ring holds one full-size frame each way, so frames for the host that do not fit
 * wait in the queue until the host makes room and kicks; past it they are dropped and counted,
 * as a vif without RX buffers drops. Everything runs on dom0's vCPU 0 run loop; one send on the
 * port per pass of the loop covers every record put in the ring during it. The host is trusted,
 * but a broken ring (a position out of range, an impossible record, a GSO run out of order)
 * still ends the uplink instead of copying garbage.
 */
final class Dom0Uplink {
    /** Records taken from the host per pass before the other tasks run. */
    static final int BUDGET = 64;
    /** Bytes of frames for the host that wait in dom0 while the page's ring is full. */
    static final int QUEUE_BYTES = 256 * 1024;
    /** Frames that may wait at once (the segments of a 64 KiB frame at the smallest MSS are 745). */
    static final int QUEUE_FRAMES = 1024;
    /** The least data a GSO record carries unless less is left: the ring is not filled with slivers. */
    static final int MIN_CHUNK = 512;
    private static final int GSO_PAGES = (FrameRelayPage.MAX_GSO_FRAME + Mmu.PAGE_SIZE - 1) / Mmu.PAGE_SIZE;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;

    /** One attached uplink slot. */
    private final class Link implements Bridge.Port {
        final int slot;
        final PageRun page;
        final PageRun staging;
        final PageRun queue;
        /** Where a GSO frame from the host is put together. */
        final PageRun gsoIn;
        final FrameFifo fifo = new FrameFifo(QUEUE_BYTES, QUEUE_FRAMES);
        final Port port;
        /** What handles {@link #port} here (detached by identity). */
        PortHandler handler;
        final GuestMemoryBuffer buf;
        /** Our {@code host_prod} (to_host) and {@code dom0_cons} (to_dom0). */
        int hostProd;
        int dom0Cons;
        /** A GSO frame from the host under way: its length, MSS, and the bytes of it here. */
        boolean inGso;
        int gsoLength;
        int gsoSize;
        int gsoAt;
        boolean kickQueued;
        boolean closed;

        Link(int slot, PageRun page, PageRun staging, PageRun queue, PageRun gsoIn, Port port) {
            this.slot = slot;
            this.page = page;
            this.staging = staging;
            this.queue = queue;
            this.gsoIn = gsoIn;
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
            if (fifo.isEmpty() && room(length)) {
                mem.copyToSegment(va, frame, 0, length);
                put(length);
                return true;
            }
            return !closed && enqueue(va, length, 0);
        }

        /** Whether the host's TAP takes TCP/IPv4 GSO frames whole (it said so in {@code host_features}). */
        @Override
        public boolean acceptsGso() {
            return !closed && (FrameRelayPage.hostFeaturesAcquire(buf) & FrameRelayPage.FEATURE_GSO_TCPV4) != 0;
        }

        /** A GSO frame whole for the host: queued, and as much of it as fits put in the ring now. */
        @Override
        public boolean deliverGso(long va, int length, int rxFlags, int mss) {
            if (closed || length < FrameRelayPage.MIN_FRAME || length > FrameRelayPage.MAX_GSO_FRAME || mss < 1
                    || mss > 0xFFFF) {
                toHostDropped++;
                return false;
            }
            if (!enqueue(va, length, mss)) {
                return false;
            }
            drainQueue();
            return true;
        }

        private boolean enqueue(long va, int length, int mss) {
            int at = fifo.reserve(length);
            if (at < 0) {
                toHostDropped++;
                return false;
            }
            mem.copy(va, queue.va() + at, length);
            fifo.add(at, length, mss);
            return true;
        }

        /** Free bytes in to_host, or -1 when the host's position is broken (the link ends). */
        private int free() {
            int cons = FrameRelayPage.consAcquire(buf, FrameRelayPage.TO_HOST); // the host's reads before it are done
            int used = FrameRelayPage.used(hostProd, cons);
            if (used < 0) {
                broken("host_cons " + cons + " is out of range");
                return -1;
            }
            return FrameRelayPage.CAPACITY - used;
        }

        /** Whether to_host has room for a frame of {@code length}; a broken position ends the link. */
        private boolean room(int length) {
            return free() >= FrameRelayPage.recordSize(length);
        }

        /** The frame in {@link #frame} into to_host, published, the host kicked (once per pass). */
        private void put(int length) {
            hostProd = FrameRelayPage.put(buf, FrameRelayPage.TO_HOST, hostProd, frame, 0, length);
            FrameRelayPage.prodRelease(buf, FrameRelayPage.TO_HOST, hostProd); // the record is visible before host_prod
            toHost++;
            kick();
        }

        /** Queued frames into to_host while it has room (the host made some and kicked us); a GSO frame in records. */
        void drainQueue() {
            while (!closed && !fifo.isEmpty()) {
                int length = fifo.headLength();
                int mss = fifo.headWord();
                long src = queue.va() + fifo.headOffset();
                if (mss == 0) {
                    if (!room(length)) {
                        return;
                    }
                    mem.copyToSegment(src, frame, 0, length);
                    put(length);
                    fifo.remove();
                    continue;
                }
                int free = free();
                if (free < 0) {
                    return;
                }
                int sent = fifo.sent();
                int desc = sent == 0 ? FrameRelayPage.GSO_DESCRIPTOR : 0;
                int left = length - sent;
                int fits = Math.min(FrameRelayPage.MAX_CHUNK, (free - FrameRelayPage.RECORD_HEADER) & ~3) - desc;
                int n = Math.min(left, fits);
                if (n < Math.min(left, MIN_CHUNK)) {
                    return; // the host makes room and kicks us
                }
                if (desc > 0) {
                    chunk.set(INT, 0, length);
                    chunk.set(SHORT, 4, (short) mss);
                    chunk.set(SHORT, 6, (short) 0);
                }
                mem.copyToSegment(src + sent, chunk, desc, n);
                int kind = desc > 0 ? FrameRelayPage.KIND_GSO_HEAD : FrameRelayPage.KIND_GSO_MORE;
                hostProd = FrameRelayPage.putRecord(buf, FrameRelayPage.TO_HOST, hostProd, kind | (desc + n), chunk, 0);
                FrameRelayPage.prodRelease(buf, FrameRelayPage.TO_HOST, hostProd); // the record is visible before host_prod
                kick();
                if (sent + n == length) {
                    fifo.remove();
                    toHost++;
                    toHostGso++;
                } else {
                    fifo.sent(sent + n);
                }
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

        /** Records the host put in to_dom0, into the bridge; returns whether some are left. */
        boolean service() {
            if (closed) {
                return false;
            }
            drainQueue(); // the host's kick may say it made room in to_host
            int moved = 0;
            while (moved < BUDGET && !closed) {
                int prod = FrameRelayPage.prodAcquire(buf, FrameRelayPage.TO_DOM0); // records before it are visible
                int used = FrameRelayPage.used(prod, dom0Cons);
                if (used < 0) {
                    broken("dom0_prod " + prod + " is out of range");
                    return false;
                }
                if (used == 0) {
                    break;
                }
                int word = FrameRelayPage.record(buf, FrameRelayPage.TO_DOM0, dom0Cons, used);
                if (word < 0) {
                    broken("an impossible record at " + dom0Cons);
                    return false;
                }
                int kind = word & FrameRelayPage.KIND_MASK;
                int bytes = word & ~FrameRelayPage.KIND_MASK;
                if (kind == FrameRelayPage.KIND_FRAME) {
                    if (inGso) {
                        broken("a frame inside a GSO frame at " + dom0Cons);
                        return false;
                    }
                    dom0Cons = FrameRelayPage.get(buf, FrameRelayPage.TO_DOM0, dom0Cons, frame, 0, bytes);
                    FrameRelayPage.consRelease(buf, FrameRelayPage.TO_DOM0, dom0Cons); // our copy is done: the space is the host's
                    mem.copyFromSegment(frame, 0, staging.va(), bytes);
                    toDom0++;
                    moved++;
                    bridge.input(this, staging.va(), bytes);
                    bridge.flush(); // the next frame reuses the staging page
                    continue;
                }
                if (kind == FrameRelayPage.KIND_GSO_HEAD ? inGso : !inGso) {
                    broken("a GSO record out of order at " + dom0Cons);
                    return false;
                }
                dom0Cons = FrameRelayPage.get(buf, FrameRelayPage.TO_DOM0, dom0Cons, chunk, 0, bytes);
                FrameRelayPage.consRelease(buf, FrameRelayPage.TO_DOM0, dom0Cons);
                moved++;
                int desc = 0;
                if (kind == FrameRelayPage.KIND_GSO_HEAD) {
                    desc = FrameRelayPage.GSO_DESCRIPTOR;
                    gsoLength = chunk.get(INT, 0);
                    gsoSize = chunk.get(SHORT, 4) & 0xFFFF;
                    gsoAt = 0;
                    inGso = true;
                    if (gsoLength < bytes - desc || gsoLength > FrameRelayPage.MAX_GSO_FRAME) {
                        broken("a GSO frame of " + gsoLength + " bytes");
                        return false;
                    }
                }
                if (gsoAt + bytes - desc > gsoLength) {
                    broken("a GSO frame longer than its head says");
                    return false;
                }
                mem.copyFromSegment(chunk, desc, gsoIn.va() + gsoAt, bytes - desc);
                gsoAt += bytes - desc;
                if (gsoAt == gsoLength) {
                    inGso = false;
                    fromHostGso();
                }
            }
            if (moved > 0) {
                kick(); // the host may have frames waiting for the room we made
            }
            return moved == BUDGET;
        }

        /** A whole GSO frame from the host: into the bridge if it is the TCP/IPv4 frame its head says, else dropped and counted. */
        private void fromHostGso() {
            mem.copyToSegment(gsoIn.va(), frame, 0, Math.min(gsoLength, Gso.MAX_HEADERS));
            if (Gso.check(Netif.GSO_TYPE_TCPV4, gsoSize) != Gso.OK || Gso.headerLength(frame, gsoLength) < 0) {
                fromHostRefused++;
                return;
            }
            toDom0++;
            toDom0Gso++;
            bridge.inputGso(this, gsoIn.va(), gsoLength, bridge.now(), Netif.NETTXF_DATA_VALIDATED, gsoSize);
            bridge.flush(); // the next frame reuses the pages
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
    /** One GSO record on its way between the page and dom0's memory. */
    private final MemorySegment chunk = MemorySegment.ofArray(new byte[FrameRelayPage.CAPACITY]);
    private long toHost;
    private long toHostGso;
    private long toDom0;
    private long toDom0Gso;
    private long toHostDropped;
    private long fromHostRefused;

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
            queue = k.memory().allocatePages(QUEUE_BYTES / Mmu.PAGE_SIZE);
        } catch (GuestOutOfMemoryException e) {
            k.memory().freePages(staging);
            k.memory().freePages(page);
            k.println("dom0: no pages for the uplink's queue in slot " + slot + "; refused");
            relay.detach(slot);
            return;
        }
        PageRun gsoIn;
        try {
            gsoIn = k.memory().allocatePages(GSO_PAGES);
        } catch (GuestOutOfMemoryException e) {
            k.memory().freePages(queue);
            k.memory().freePages(staging);
            k.memory().freePages(page);
            k.println("dom0: no pages for the uplink's GSO frames in slot " + slot + "; refused");
            relay.detach(slot);
            return;
        }
        mem.fill(page.va(), Mmu.PAGE_SIZE, (byte) 0);
        Mfn mfn = k.memory().mfn(page.pfn());
        long rc = relay.attach(slot, mfn);
        if (rc < 0) {
            k.memory().freePages(gsoIn);
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
        Link l = new Link(slot, page, staging, queue, gsoIn, port);
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
        k.memory().freePages(l.gsoIn);
        k.memory().freePages(l.queue);
        k.memory().freePages(l.staging);
        k.memory().freePages(l.page);
        k.println("dom0: " + bridge.name() + ": uplink detached (" + toDom0 + " frames in, " + toDom0Gso + " of them GSO, "
                + fromHostRefused + " GSO refused; " + toHost + " out, " + toHostGso + " of them GSO, " + toHostDropped
                + " dropped for a full queue)");
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

    long toHostGso() {
        return toHostGso;
    }

    long toDom0Gso() {
        return toDom0Gso;
    }
}
