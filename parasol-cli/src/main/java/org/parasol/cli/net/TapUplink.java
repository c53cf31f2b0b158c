package org.parasol.cli.net;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

import org.parasol.hypercall.SharedBuffer;
import org.parasol.hypercall.abi.HostRelayOp;
import org.parasol.hypercall.io.FrameRelayPage;
import org.parasol.hypervisor.domain.HostRelay;

/**
 * A dom0 bridge's uplink to a host TAP device: the host's end. The TAP lives in a network
 * namespace the user made ({@link Tap}); its frames reach dom0's bridge through the host
 * relay, as xenstored's socket clients do ({@link org.parasol.cli.relay}), in a slot of kind
 * {@link HostRelayOp#KIND_NET_UPLINK} whose page dom0 attaches ({@link FrameRelayPage}).
 *
 * <pre>
 *  reader thread: poll + read TAP --&gt; queue (256 frames, preallocated; full: dropped, counted)
 *  pump thread:   queue --&gt; to_dom0 ring (as room allows) ; raise dom0's port
 *                 to_host ring --&gt; batch --&gt; write TAP (refused: dropped, counted) ; raise
 *  dom0's kicks (on its vCPU): unpark the pump, nothing more
 * </pre>
 *
 * <p>The host never waits on dom0: the page is entered with {@code enter()}, which never
 * waits, only to copy (never across a system call); a raise that a vCPU's lock gets in the
 * way of is tried again {@value #RETRY_MICROS} µs later. Bounded both ways: frames from the TAP
 * wait in a fixed queue while dom0's ring is full and are dropped past it; frames for the TAP
 * wait only in dom0's ring (dom0 drops what does not fit), and a write the TAP refuses is
 * dropped. Nothing is allocated per frame.
 */
public final class TapUplink implements HostRelay.Endpoint, AutoCloseable {
    /** Frames from the TAP waiting for room in dom0's ring. */
    static final int QUEUE = 256;
    /** Bytes per queued frame: more than a frame, so a longer one read is seen and dropped. */
    static final int SLOT = 2048;
    static final long RETRY_MICROS = 50;

    private final Tap tap;
    private final HostRelay relay;
    private final Consumer<String> log;
    private final String bridge;
    private final Arena arena = Arena.ofShared();
    /** The queue's frames: slot i at i * SLOT; lengths beside. */
    private final MemorySegment queue = arena.allocate((long) QUEUE * SLOT, 64);
    private final int[] lengths = new int[QUEUE];
    /** Free-running: the reader's next slot, the pump's next slot. */
    private volatile long queueTail;
    private volatile long queueHead;
    /** The frames taken out of to_host in one pass, written to the TAP after the page is left. */
    private final MemorySegment batch = arena.allocate(FrameRelayPage.CAPACITY, 64);
    private final int[] batchLengths = new int[FrameRelayPage.CAPACITY / FrameRelayPage.recordSize(FrameRelayPage.MIN_FRAME) + 1];
    private final Thread reader;
    private final Thread pump;
    private volatile HostRelay.Channel channel;
    private volatile boolean attached;
    private volatile boolean detached;
    private volatile boolean closing;
    // Counters: each written by one thread only.
    private volatile long fromTap;
    private volatile long fromTapDropped;
    private volatile long toTap;
    private volatile long toTapDropped;
    private volatile long tapErrors;

    private TapUplink(Tap tap, HostRelay relay, String bridge, Consumer<String> log) {
        this.tap = tap;
        this.relay = relay;
        this.bridge = bridge;
        this.log = log;
        this.reader = Thread.ofPlatform().daemon().name("parasol-tap-read-" + tap.name()).unstarted(this::readLoop);
        this.pump = Thread.ofPlatform().daemon().name("parasol-tap-pump-" + tap.name()).unstarted(this::pumpLoop);
    }

    /**
     * Makes the TAP ({@link Tap#open}) and offers the uplink to dom0, which joins it to
     * {@code bridge} (dom0 reads the bridge from its {@code uplink=} command-line word).
     *
     * @throws Tap.TapException when the TAP cannot be made or the relay has no free slot; the
     *         message says which and why
     */
    public static TapUplink open(HostRelay relay, String netns, String tapName, String address, int prefix,
            String bridge, Consumer<String> log) throws Tap.TapException {
        Tap tap = Tap.open(netns, tapName, address, prefix);
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

    public long framesFromTap() {
        return fromTap;
    }

    public long framesFromTapDropped() {
        return fromTapDropped;
    }

    public long framesToTap() {
        return toTap;
    }

    public long framesToTapDropped() {
        return toTapDropped;
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
        MemorySegment scratch = arena.allocate(SLOT, 64);
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
                long tail = queueTail;
                boolean full = tail - queueHead >= QUEUE;
                int i = (int) (tail % QUEUE);
                MemorySegment into = full ? scratch : queue.asSlice((long) i * SLOT, SLOT);
                long r = Libc.read(st, tap.fd(), into, SLOT);
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
                if (full || r < FrameRelayPage.MIN_FRAME || r > FrameRelayPage.MAX_FRAME || !attached || detached) {
                    fromTapDropped++; // no room here, a frame dom0's bridge cannot take, or nobody to give it to
                    continue;
                }
                lengths[i] = (int) r;
                queueTail = tail + 1; // the frame and its length are visible to whoever reads queueTail
                fromTap++;
                any = true;
            }
            if (any) {
                LockSupport.unpark(pump);
            }
        }
    }

    // ---------------------------------------------------------------- the pump

    private void pumpLoop() {
        MemorySegment st = Libc.callState(arena);
        int dom0Prod = 0;
        int hostCons = 0;
        boolean entered = false;
        boolean raiseOwed = false;
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
            if (c.enter()) {
                try {
                    SharedBuffer page = c.page();
                    if (!entered) {
                        dom0Prod = FrameRelayPage.prodAcquire(page, FrameRelayPage.TO_DOM0);
                        hostCons = FrameRelayPage.consAcquire(page, FrameRelayPage.TO_HOST);
                        entered = true;
                    }
                    // Queued TAP frames into to_dom0 while it has room.
                    while (queueHead != queueTail) {
                        int cons = FrameRelayPage.consAcquire(page, FrameRelayPage.TO_DOM0);
                        int used = FrameRelayPage.used(dom0Prod, cons);
                        if (used < 0) {
                            throw new BrokenPage("dom0_cons " + cons + " is out of range");
                        }
                        long head = queueHead;
                        int i = (int) (head % QUEUE);
                        int len = lengths[i];
                        if (FrameRelayPage.CAPACITY - used < FrameRelayPage.recordSize(len)) {
                            break; // dom0 makes room and kicks us
                        }
                        dom0Prod = FrameRelayPage.put(page, FrameRelayPage.TO_DOM0, dom0Prod, queue, (long) i * SLOT, len);
                        FrameRelayPage.prodRelease(page, FrameRelayPage.TO_DOM0, dom0Prod); // the record before dom0_prod
                        queueHead = head + 1;
                        moved = true;
                    }
                    // dom0's frames for the TAP out of to_host, into the batch.
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
                        int len = FrameRelayPage.length(page, FrameRelayPage.TO_HOST, hostCons, used);
                        if (len < 0) {
                            throw new BrokenPage("an impossible record at " + hostCons);
                        }
                        if (at + len > batch.byteSize() || batched == batchLengths.length) {
                            break;
                        }
                        hostCons = FrameRelayPage.get(page, FrameRelayPage.TO_HOST, hostCons, batch, at, len);
                        batchLengths[batched++] = len;
                        at += len;
                    }
                    if (batched > 0) {
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
            if (batched > 0) {
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
        log.accept("uplink: " + tap.name() + " closed: " + fromTap + " frames to dom0 (" + fromTapDropped
                + " dropped), " + toTap + " from dom0 (" + toTapDropped + " dropped)");
    }
}
