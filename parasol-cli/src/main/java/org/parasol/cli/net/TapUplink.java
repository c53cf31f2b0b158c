package org.parasol.cli.net;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

import org.parasol.hypercall.SharedBuffer;
import org.parasol.hypercall.abi.HostRelayOp;
import org.parasol.hypercall.io.FrameFifo;
import org.parasol.hypercall.io.InternetChecksum;
import org.parasol.hypercall.io.FrameRelayPage;
import org.parasol.hypervisor.domain.HostRelay;

/**
 * A dom0 bridge's uplink to a host TAP device: the host's end. The TAP lives in a network
 * namespace the user made ({@link Tap}); its frames reach dom0's bridge through the host
 * relay, as xenstored's socket clients do ({@link org.parasol.cli.relay}), in a slot of kind
 * {@link HostRelayOp#KIND_NET_UPLINK} whose page dom0 attaches ({@link FrameRelayPage}).
 *
 * <pre>
 *  reader thread: poll + read TAP --&gt; checks --&gt; queue (1 MiB, 1024 frames; full: dropped, counted)
 *  pump thread:   queue --&gt; to_dom0 ring (as room allows; a GSO frame in records) ; raise dom0's port
 *                 to_host ring --&gt; batch (a GSO frame put together) --&gt; write TAP (refused: dropped, counted) ; raise
 *  dom0's kicks (on its vCPU): unpark the pump, nothing more
 * </pre>
 *
 * <p>GSO, as QEMU and vhost-net use a TAP: where {@link Tap#gso()}, the host publishes
 * {@link FrameRelayPage#FEATURE_GSO_TCPV4} and dom0's bridge hands it TCP/IPv4 GSO frames whole;
 * each is written with a {@code virtio_net_hdr} ({@code VIRTIO_NET_HDR_GSO_TCPV4}, its MSS as
 * {@code gso_size}, {@code hdr_len}, and {@code VIRTIO_NET_HDR_F_NEEDS_CSUM} with
 * {@code csum_start}/{@code csum_offset} at the TCP checksum), and the host kernel cuts it. Such a
 * frame comes from a guest, so it is checked first as netback checks a GSO extra: a whole,
 * unfragmented IPv4 TCP packet, an MSS of at least {@value #MIN_MSS} and one whose segments
 * fit the TAP's MTU, a payload over one MSS; its IPv4 header checksum and its TCP pseudo-header
 * sum are written here, whatever the guest wrote. Anything else is dropped and counted
 * ({@link #framesToTapRefused}). The other way, the host kernel may hand over TCP/IPv4 GSO
 * frames (up to 64 KiB) and frames whose checksum is partial: a partial checksum is completed
 * here, and a GSO frame crosses to dom0 whole with its MSS, where the bridge hands it whole to
 * front ends that take GSO and cuts it for the others. A frame over 1514 bytes without GSO (an
 * MTU someone raised) and a GSO type not offered are dropped and counted
 * ({@link #framesFromTapRefused}).
 *
 * <p>The host never waits on dom0: the page is entered with {@code enter()}, which never
 * waits, only to copy (never across a system call); a raise that a vCPU's lock gets in the
 * way of is tried again {@value #RETRY_MICROS} µs later. Bounded both ways: frames from the TAP
 * wait in a fixed queue while dom0's ring is full and are dropped past it; frames for the TAP
 * wait only in dom0's queue and ring, and a write the TAP refuses is dropped. Nothing is
 * allocated per frame.
 */
public final class TapUplink implements HostRelay.Endpoint, AutoCloseable {
    /** Bytes of frames from the TAP waiting for room in dom0's ring: sixteen 64 KiB GSO frames. */
    static final int QUEUE_BYTES = 1 << 20;
    /** Frames from the TAP that may wait at once. */
    static final int QUEUE_FRAMES = 1024;
    /** The least data a GSO record carries unless less is left. */
    static final int MIN_CHUNK = 512;
    /** The longest frame: a 64 KiB GSO frame. */
    static final int MAX_FRAME = FrameRelayPage.MAX_GSO_FRAME;
    static final long RETRY_MICROS = 50;
    /** The smallest MSS taken: Linux's {@code TCP_MIN_MSS}, as netback's GSO check. */
    static final int MIN_MSS = 88;
    // virtio_net.h: struct virtio_net_hdr's flags and GSO types.
    static final int VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
    static final int VIRTIO_NET_HDR_GSO_NONE = 0;
    static final int VIRTIO_NET_HDR_GSO_TCPV4 = 1;
    static final int VIRTIO_NET_HDR_GSO_ECN = 0x80;
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort BE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;

    private final Tap tap;
    private final HostRelay relay;
    private final Consumer<String> log;
    private final String bridge;
    private final int vnet;
    private final Arena arena = Arena.ofShared();
    /** Frames from the TAP, waiting: the area and its bookkeeping (under its own lock: the reader adds, the pump takes). */
    private final MemorySegment queue = arena.allocate(QUEUE_BYTES, 64);
    private final FrameFifo fifo = new FrameFifo(QUEUE_BYTES, QUEUE_FRAMES);
    /** The plain frames taken out of to_host in one pass, each behind its header, written to the TAP after the page is left. */
    private final MemorySegment batch = arena.allocate(FrameRelayPage.CAPACITY + 2L * Tap.VNET_HDR * 256, 64);
    private final int[] batchLengths = new int[FrameRelayPage.CAPACITY / FrameRelayPage.recordSize(FrameRelayPage.MIN_FRAME) + 1];
    /** A GSO frame from to_host being put together: its header, then the frame; and a view of the frame. */
    private final MemorySegment big = arena.allocate(Tap.VNET_HDR + MAX_FRAME + 64L, 64);
    private final MemorySegment bigFrame = big.asSlice(Tap.VNET_HDR);
    /** One record on its way between the page and the queue or a frame. */
    private final MemorySegment chunk = arena.allocate(FrameRelayPage.CAPACITY, 64);
    private final Thread reader;
    private final Thread pump;
    private volatile HostRelay.Channel channel;
    private volatile boolean attached;
    private volatile boolean detached;
    private volatile boolean closing;
    // Counters: each written by one thread only.
    private volatile long fromTap;
    private volatile long fromTapGso;
    private volatile long fromTapDropped;
    private volatile long fromTapRefused;
    private volatile long toTap;
    private volatile long toTapGso;
    private volatile long toTapDropped;
    private volatile long toTapRefused;
    private volatile long tapErrors;

    private TapUplink(Tap tap, HostRelay relay, String bridge, Consumer<String> log) {
        this.tap = tap;
        this.relay = relay;
        this.bridge = bridge;
        this.log = log;
        this.vnet = tap.vnetHeader() ? Tap.VNET_HDR : 0;
        this.reader = Thread.ofPlatform().daemon().name("parasol-tap-read-" + tap.name()).unstarted(this::readLoop);
        this.pump = Thread.ofPlatform().daemon().name("parasol-tap-pump-" + tap.name()).unstarted(this::pumpLoop);
    }

    /**
     * Makes the TAP ({@link Tap#open}, with the offloads if {@code offload}) and offers the
     * uplink to dom0, which joins it to {@code bridge} (dom0 reads the bridge from its
     * {@code uplink=} command-line word).
     *
     * @throws Tap.TapException when the TAP cannot be made or the relay has no free slot; the
     *         message says which and why
     */
    public static TapUplink open(HostRelay relay, String netns, String tapName, String address, int prefix,
            String bridge, boolean offload, Consumer<String> log) throws Tap.TapException {
        Tap tap = Tap.open(netns, tapName, address, prefix, offload);
        TapUplink u = new TapUplink(tap, relay, bridge, log);
        HostRelay.Channel c = relay.offer(u, HostRelayOp.KIND_NET_UPLINK);
        if (c == null) {
            tap.close();
            u.arena.close();
            throw new Tap.TapException("the host relay has no free slot for the uplink");
        }
        u.channel = c;
        u.reader.start();
        u.pump.start();
        return u;
    }

    /** What the run prints: where the TAP is. */
    public String describe() {
        return "TAP " + tap.name() + " in network namespace " + tap.namespace() + ", uplink of dom0's " + bridge;
    }

    /** What the run prints next: the TAP's offloads, and so where GSO frames are cut. */
    public String offloads() {
        return "uplink " + tap.name() + ": " + tap.offloadNote();
    }

    /** Whether GSO frames cross to and from the TAP whole. */
    public boolean gso() {
        return tap.gso();
    }

    public long framesFromTap() {
        return fromTap;
    }

    /** Of {@link #framesFromTap}, the GSO frames. */
    public long gsoFramesFromTap() {
        return fromTapGso;
    }

    /** Frames from the TAP dropped for a full queue or nobody to take them. */
    public long framesFromTapDropped() {
        return fromTapDropped;
    }

    /** Frames from the TAP refused: over 1514 bytes without GSO, a GSO type not offered, a partial checksum out of the frame, a GSO frame that is no TCP/IPv4 packet. */
    public long framesFromTapRefused() {
        return fromTapRefused;
    }

    public long framesToTap() {
        return toTap;
    }

    /** Of {@link #framesToTap}, the GSO frames written whole. */
    public long gsoFramesToTap() {
        return toTapGso;
    }

    public long framesToTapDropped() {
        return toTapDropped;
    }

    /** GSO frames from dom0 (from a guest) refused before the host kernel saw them. */
    public long framesToTapRefused() {
        return toTapRefused;
    }

    // ---------------------------------------------------------------- dom0's side (its vCPU): hand on only

    @Override
    public void attached(HostRelay.Channel c) {
        attached = true;
        LockSupport.unpark(pump);
    }

    @Override
    public void notified(HostRelay.Channel c) {
        LockSupport.unpark(pump);
    }

    @Override
    public void detached(HostRelay.Channel c) {
        detached = true;
        LockSupport.unpark(pump);
    }

    // ---------------------------------------------------------------- the TAP's reader

    private void readLoop() {
        MemorySegment st = Libc.callState(arena);
        MemorySegment pfd = arena.allocate(8, 8);
        MemorySegment scratch = arena.allocate(vnet + MAX_FRAME + 64L, 64);
        MemorySegment frame = scratch.asSlice(vnet);
        pfd.set(ValueLayout.JAVA_INT, 0, tap.fd());
        pfd.set(ValueLayout.JAVA_SHORT, 4, Libc.POLLIN);
        while (!closing) {
            pfd.set(ValueLayout.JAVA_SHORT, 6, (short) 0);
            int n = Libc.poll(st, pfd, 100);
            if (n <= 0) {
                continue; // timeout, or EINTR: look at closing again
            }
            boolean any = false;
            while (!closing) {
                long r = Libc.read(st, tap.fd(), scratch, scratch.byteSize());
                if (r < 0) {
                    int e = Libc.errno(st);
                    if (e != Libc.EAGAIN && e != Libc.EINTR) {
                        tapErrors++;
                        if (tapErrors == 1) {
                            log.accept("uplink: reading " + tap.name() + ": " + Libc.describe(e));
                        }
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
                    }
                    break;
                }
                int len = (int) r - vnet;
                int mss = fromHost(scratch, frame, len);
                if (mss < 0) {
                    continue; // refused and counted
                }
                if (!attached || detached) {
                    fromTapDropped++; // nobody to give it to
                    continue;
                }
                int at;
                synchronized (fifo) {
                    at = fifo.reserve(len);
                }
                if (at < 0) {
                    fromTapDropped++; // no room here
                    continue;
                }
                MemorySegment.copy(frame, 0, queue, at, len);
                synchronized (fifo) {
                    fifo.add(at, len, mss); // the bytes are the pump's once it sees the frame, under the lock
                }
                fromTap++;
                if (mss > 0) {
                    fromTapGso++;
                }
                any = true;
            }
            if (any) {
                LockSupport.unpark(pump);
            }
        }
    }

    /**
     * A frame the host kernel handed over ({@code len} bytes at {@code frame}, its header at
     * {@code hdr} when the TAP has one): its partial checksum completed; the MSS it crosses
     * with (0: a plain frame), or -1 if refused (counted).
     */
    private int fromHost(MemorySegment hdr, MemorySegment frame, int len) {
        if (len < FrameRelayPage.MIN_FRAME || len > MAX_FRAME) {
            refusedFromTap("a frame of " + len + " bytes");
            return -1;
        }
        if (vnet == 0) {
            if (len > FrameRelayPage.MAX_FRAME) {
                refusedFromTap("a frame of " + len + " bytes (over 1514: the TAP's MTU must stay " + Tap.MTU + ")");
                return -1;
            }
            return 0;
        }
        int flags = hdr.get(ValueLayout.JAVA_BYTE, 0) & 0xFF;
        int gsoType = hdr.get(ValueLayout.JAVA_BYTE, 1) & 0xFF;
        int gsoSize = hdr.get(LE_SHORT, 4) & 0xFFFF;
        if ((flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) != 0) {
            int start = hdr.get(LE_SHORT, 6) & 0xFFFF;
            int offset = hdr.get(LE_SHORT, 8) & 0xFFFF;
            if (start + offset + 2 > len || offset + 2 > len) {
                refusedFromTap("a partial checksum at " + start + "+" + offset + " in a frame of " + len + " bytes");
                return -1;
            }
            completeChecksum(frame, start, offset, len);
        }
        if (gsoType == VIRTIO_NET_HDR_GSO_NONE) {
            if (len > FrameRelayPage.MAX_FRAME) {
                refusedFromTap("a frame of " + len + " bytes without GSO (over 1514: the TAP's MTU must stay " + Tap.MTU + ")");
                return -1;
            }
            return 0;
        }
        if (gsoType != VIRTIO_NET_HDR_GSO_TCPV4 || gsoSize < MIN_MSS
                || headerLength(frame, len) < 0) {
            refusedFromTap("a GSO frame of type " + gsoType + ", MSS " + gsoSize + ", " + len + " bytes");
            return -1;
        }
        return len <= FrameRelayPage.MAX_FRAME && payload(frame) <= gsoSize ? 0 : gsoSize;
    }

    private void refusedFromTap(String what) {
        fromTapRefused++;
        if (fromTapRefused == 1) {
            log.accept("uplink: " + tap.name() + ": refused " + what + " from the host (counted; only the first is said)");
        }
    }

    /**
     * The length of the Ethernet, IPv4 and TCP headers of {@code f} ({@code len} bytes), or -1 if
     * it is not a whole IPv4 TCP packet: EtherType 0x0800, version 4, a header of 20..60 bytes,
     * not a fragment, protocol 6, a TCP data offset of 20..60 bytes, a total length that covers
     * both headers and fits the frame. The rules of dom0's {@code Gso.headerLength}, which the
     * host cannot reach across the module boundary.
     */
    static int headerLength(MemorySegment f, int len) {
        if (len < 14 + 40 || (f.get(BE_SHORT, 12) & 0xFFFF) != 0x0800) {
            return -1;
        }
        int vihl = f.get(ValueLayout.JAVA_BYTE, 14) & 0xFF;
        int ihl = (vihl & 15) * 4;
        int total = f.get(BE_SHORT, 16) & 0xFFFF;
        int frag = f.get(BE_SHORT, 20) & 0x3FFF;
        int proto = f.get(ValueLayout.JAVA_BYTE, 23) & 0xFF;
        if (vihl >>> 4 != 4 || ihl < 20 || frag != 0 || proto != 6 || 14 + total > len || total < ihl + 20) {
            return -1;
        }
        int thl = ((f.get(ValueLayout.JAVA_BYTE, 14 + ihl + 12) & 0xFF) >>> 4) * 4;
        if (thl < 20 || ihl + thl > total) {
            return -1;
        }
        return 14 + ihl + thl;
    }

    /** The TCP payload bytes of a whole IPv4 TCP packet ({@link #headerLength} said so). */
    private static int payload(MemorySegment f) {
        int total = f.get(BE_SHORT, 16) & 0xFFFF;
        return total - (headerLength(f, 14 + total) - 14);
    }

    /**
     * A partial checksum completed as the kernel would: the ones'-complement sum from
     * {@code start} to the end (the field holds the pseudo-header's sum already), folded,
     * inverted, into the field at {@code start + offset}.
     */
    static void completeChecksum(MemorySegment f, int start, int offset, int len) {
        long acc = 0;
        int i = start;
        for (; i + 1 < len; i += 2) {
            acc += f.get(BE_SHORT, i) & 0xFFFF;
        }
        if (i < len) {
            acc += (f.get(ValueLayout.JAVA_BYTE, i) & 0xFF) << 8;
        }
        int sum = InternetChecksum.finish(acc);
        f.set(BE_SHORT, start + offset, (short) (sum == 0 ? 0xFFFF : sum));
    }

    /**
     * A GSO frame from dom0 ({@code len} bytes in {@link #bigFrame}, MSS {@code mss}) made ready
     * for the host kernel, its {@code virtio_net_hdr} in front: the length to write (header
     * included), or -1 if refused. It comes from a guest: checked as netback checks a GSO extra,
     * and the headers the kernel relies on written here.
     */
    private int toHostKernel(int len, int mss) {
        return tap.gso() ? forHostKernel(big, bigFrame, len, mss) : -1;
    }

    /**
     * {@link #toHostKernel}'s work on {@code frame} ({@code len} bytes, MSS {@code mss}) and its
     * header {@code hdr} ({@value Tap#VNET_HDR} bytes right before it): the length to write, or -1.
     */
    static int forHostKernel(MemorySegment hdr, MemorySegment f, int len, int mss) {
        int hl = headerLength(f, len);
        if (mss < MIN_MSS || hl < 0) {
            return -1;
        }
        int ihl = (f.get(ValueLayout.JAVA_BYTE, 14) & 15) * 4;
        int total = f.get(BE_SHORT, 16) & 0xFFFF;
        int n = 14 + total; // Ethernet padding past the IPv4 packet is left out
        int payload = total - (hl - 14);
        boolean whole = payload <= mss;
        if (hl - 14 + mss > Tap.MTU && !whole || whole && n > FrameRelayPage.MAX_FRAME) {
            return -1; // segments over the TAP's MTU
        }
        // The IPv4 header checksum, and the TCP pseudo-header's sum for the kernel to finish.
        f.set(BE_SHORT, 24, (short) 0);
        long ipAcc = 0;
        for (int i = 0; i < ihl; i += 2) {
            ipAcc += f.get(BE_SHORT, 14 + i) & 0xFFFF;
        }
        f.set(BE_SHORT, 24, (short) InternetChecksum.finish(ipAcc));
        long acc = 6 + (total - ihl);
        for (int i = 0; i < 8; i += 2) {
            acc += f.get(BE_SHORT, 26 + i) & 0xFFFF;
        }
        f.set(BE_SHORT, 14 + ihl + 16, (short) InternetChecksum.fold(acc));
        hdr.set(ValueLayout.JAVA_BYTE, 0, (byte) VIRTIO_NET_HDR_F_NEEDS_CSUM);
        hdr.set(ValueLayout.JAVA_BYTE, 1, (byte) (whole ? VIRTIO_NET_HDR_GSO_NONE : VIRTIO_NET_HDR_GSO_TCPV4));
        hdr.set(LE_SHORT, 2, (short) hl);
        hdr.set(LE_SHORT, 4, (short) (whole ? 0 : mss));
        hdr.set(LE_SHORT, 6, (short) (14 + ihl));
        hdr.set(LE_SHORT, 8, (short) 16);
        return Tap.VNET_HDR + n;
    }

    // ---------------------------------------------------------------- the pump

    private void pumpLoop() {
        MemorySegment st = Libc.callState(arena);
        int dom0Prod = 0;
        int hostCons = 0;
        boolean entered = false;
        boolean raiseOwed = false;
        // A GSO frame from dom0 under way: its length, MSS, bytes here; whether it is whole and to be written.
        boolean inGso = false;
        int gsoLength = 0;
        int gsoSize = 0;
        int gsoAt = 0;
        int bigLength = 0;
        while (!closing) {
            HostRelay.Channel c = channel;
            boolean retry = false;
            if (detached) {
                log.accept("uplink: dom0 let go of " + describe() + "; frames are no longer relayed");
                break;
            }
            if (!attached || c == null) {
                relay.retryVirq(); // the offer's VIRQ, if a vCPU's lock got in its way (cheap when nothing is owed)
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
                continue;
            }
            int batched = 0;
            boolean moved = false;
            boolean bigReady = false;
            if (c.enter()) {
                try {
                    SharedBuffer page = c.page();
                    if (!entered) {
                        dom0Prod = FrameRelayPage.prodAcquire(page, FrameRelayPage.TO_DOM0);
                        hostCons = FrameRelayPage.consAcquire(page, FrameRelayPage.TO_HOST);
                        FrameRelayPage.hostFeaturesRelease(page, tap.gso() ? FrameRelayPage.FEATURE_GSO_TCPV4 : 0);
                        entered = true;
                        moved = true; // dom0 is told of the features
                    }
                    // Queued TAP frames into to_dom0 while it has room.
                    while (true) {
                        int len;
                        int mss;
                        int off;
                        int sent;
                        synchronized (fifo) {
                            if (fifo.isEmpty()) {
                                break;
                            }
                            len = fifo.headLength();
                            mss = fifo.headWord();
                            off = fifo.headOffset();
                            sent = fifo.sent();
                        }
                        int cons = FrameRelayPage.consAcquire(page, FrameRelayPage.TO_DOM0);
                        int used = FrameRelayPage.used(dom0Prod, cons);
                        if (used < 0) {
                            throw new BrokenPage("dom0_cons " + cons + " is out of range");
                        }
                        int free = FrameRelayPage.CAPACITY - used;
                        if (mss == 0) {
                            if (free < FrameRelayPage.recordSize(len)) {
                                break; // dom0 makes room and kicks us
                            }
                            dom0Prod = FrameRelayPage.put(page, FrameRelayPage.TO_DOM0, dom0Prod, queue, off, len);
                            FrameRelayPage.prodRelease(page, FrameRelayPage.TO_DOM0, dom0Prod); // the record before dom0_prod
                            synchronized (fifo) {
                                fifo.remove();
                            }
                            moved = true;
                            continue;
                        }
                        int desc = sent == 0 ? FrameRelayPage.GSO_DESCRIPTOR : 0;
                        int left = len - sent;
                        int fits = Math.min(FrameRelayPage.MAX_CHUNK, (free - FrameRelayPage.RECORD_HEADER) & ~3) - desc;
                        int n = Math.min(left, fits);
                        if (n < Math.min(left, MIN_CHUNK)) {
                            break;
                        }
                        if (desc > 0) {
                            chunk.set(INT, 0, len);
                            chunk.set(ValueLayout.JAVA_SHORT_UNALIGNED, 4, (short) mss);
                            chunk.set(ValueLayout.JAVA_SHORT_UNALIGNED, 6, (short) 0);
                        }
                        MemorySegment.copy(queue, off + sent, chunk, desc, n);
                        int kind = desc > 0 ? FrameRelayPage.KIND_GSO_HEAD : FrameRelayPage.KIND_GSO_MORE;
                        dom0Prod = FrameRelayPage.putRecord(page, FrameRelayPage.TO_DOM0, dom0Prod, kind | (desc + n), chunk, 0);
                        FrameRelayPage.prodRelease(page, FrameRelayPage.TO_DOM0, dom0Prod); // the record before dom0_prod
                        moved = true;
                        synchronized (fifo) {
                            if (sent + n == len) {
                                fifo.remove();
                            } else {
                                fifo.sent(sent + n);
                            }
                        }
                    }
                    // dom0's frames for the TAP out of to_host: plain ones into the batch, a GSO one put together.
                    long at = 0;
                    while (true) {
                        int prod = FrameRelayPage.prodAcquire(page, FrameRelayPage.TO_HOST);
                        int used = FrameRelayPage.used(prod, hostCons);
                        if (used < 0) {
                            throw new BrokenPage("host_prod " + prod + " is out of range");
                        }
                        if (used == 0) {
                            break;
                        }
                        int word = FrameRelayPage.record(page, FrameRelayPage.TO_HOST, hostCons, used);
                        if (word < 0) {
                            throw new BrokenPage("an impossible record at " + hostCons + " (word 0x" + Integer.toHexString(
                                    page.getInt(FrameRelayPage.TO_HOST.ringOffset() + hostCons % FrameRelayPage.CAPACITY))
                                    + ", " + used + " bytes in use)");
                        }
                        int kind = word & FrameRelayPage.KIND_MASK;
                        int bytes = word & ~FrameRelayPage.KIND_MASK;
                        if (kind == FrameRelayPage.KIND_FRAME) {
                            if (inGso) {
                                throw new BrokenPage("a frame inside a GSO frame at " + hostCons);
                            }
                            if (at + vnet + bytes > batch.byteSize() || batched == batchLengths.length) {
                                break;
                            }
                            if (vnet > 0) {
                                batch.asSlice(at, vnet).fill((byte) 0); // no offload asked for this frame
                            }
                            hostCons = FrameRelayPage.get(page, FrameRelayPage.TO_HOST, hostCons, batch, at + vnet, bytes);
                            batchLengths[batched++] = vnet + bytes;
                            at += vnet + bytes;
                            continue;
                        }
                        if (kind == FrameRelayPage.KIND_GSO_HEAD ? inGso : !inGso) {
                            throw new BrokenPage("a GSO record out of order at " + hostCons);
                        }
                        hostCons = FrameRelayPage.get(page, FrameRelayPage.TO_HOST, hostCons, chunk, 0, bytes);
                        moved = true;
                        int desc = 0;
                        if (kind == FrameRelayPage.KIND_GSO_HEAD) {
                            desc = FrameRelayPage.GSO_DESCRIPTOR;
                            gsoLength = chunk.get(INT, 0);
                            gsoSize = chunk.get(ValueLayout.JAVA_SHORT_UNALIGNED, 4) & 0xFFFF;
                            gsoAt = 0;
                            inGso = true;
                            if (gsoLength < bytes - desc || gsoLength > MAX_FRAME) {
                                throw new BrokenPage("a GSO frame of " + gsoLength + " bytes");
                            }
                        }
                        if (gsoAt + bytes - desc > gsoLength) {
                            throw new BrokenPage("a GSO frame longer than its head says");
                        }
                        MemorySegment.copy(chunk, desc, bigFrame, gsoAt, bytes - desc);
                        gsoAt += bytes - desc;
                        if (gsoAt == gsoLength) {
                            inGso = false;
                            bigReady = true;
                            break; // written after the page is left, behind the plain frames before it
                        }
                    }
                    if (batched > 0 || moved) {
                        FrameRelayPage.consRelease(page, FrameRelayPage.TO_HOST, hostCons); // our copies are done
                        moved = true;
                    }
                } catch (BrokenPage e) {
                    log.accept("uplink: dom0's page is broken (" + e.getMessage() + "); hanging up");
                    break;
                } finally {
                    c.exit();
                }
            } else {
                retry = true; // dom0 holds the slot this instant
            }
            long at = 0;
            for (int b = 0; b < batched; b++) {
                long w = Libc.write(st, tap.fd(), batch.asSlice(at, batchLengths[b]), batchLengths[b]);
                if (w == batchLengths[b]) {
                    toTap++;
                } else {
                    toTapDropped++; // the interface is down, or its queue full
                }
                at += batchLengths[b];
            }
            if (bigReady) {
                bigLength = toHostKernel(gsoLength, gsoSize);
                if (bigLength < 0) {
                    toTapRefused++;
                    if (toTapRefused == 1) {
                        log.accept("uplink: " + tap.name() + ": refused a GSO frame of " + gsoLength + " bytes at MSS " + gsoSize
                                + " from dom0 (counted; only the first is said)");
                    }
                } else if (Libc.write(st, tap.fd(), big, bigLength) == bigLength) {
                    toTap++;
                    toTapGso++;
                } else {
                    toTapDropped++;
                }
            }
            if (moved) {
                raiseOwed = true;
            }
            if (raiseOwed) {
                if (c.raise()) {
                    raiseOwed = false;
                } else {
                    retry = true;
                }
            }
            if (batched > 0 || bigReady || moved) {
                continue; // to_host may hold more
            }
            LockSupport.parkNanos(retry ? TimeUnit.MICROSECONDS.toNanos(RETRY_MICROS)
                    : TimeUnit.MILLISECONDS.toNanos(100));
        }
        hangUp();
    }

    private void hangUp() {
        HostRelay.Channel c = channel;
        if (c == null) {
            return;
        }
        for (int i = 0; i < 2000 && !c.hangUp(); i++) {
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(RETRY_MICROS));
        }
        for (int i = 0; i < 2000 && !relay.retryVirq(); i++) {
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(RETRY_MICROS));
        }
    }

    /** dom0's positions are impossible. */
    private static final class BrokenPage extends Exception {
        BrokenPage(String why) {
            super(why, null, false, false);
        }
    }

    /** Hangs up (dom0 detaches the port from its bridge), stops both threads, closes the TAP. */
    @Override
    public void close() {
        if (closing) {
            return;
        }
        closing = true;
        LockSupport.unpark(pump);
        try {
            pump.join(2000);
            reader.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        tap.close();
        if (!pump.isAlive() && !reader.isAlive()) {
            arena.close();
        }
        log.accept("uplink: " + tap.name() + " closed: " + fromTap + " frames to dom0 (" + fromTapGso + " of them GSO, "
                + fromTapDropped + " dropped, " + fromTapRefused + " refused), " + toTap + " from dom0 (" + toTapGso
                + " of them GSO, " + toTapDropped + " dropped, " + toTapRefused + " refused)");
    }
}
