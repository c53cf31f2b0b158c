package org.parasol.hypervisor.domain;

import java.lang.foreign.MemorySegment;

import org.parasol.hypercall.Errno;
import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.io.XenconsInterface;
import org.parasol.hypervisor.event.EventChannels;
import org.parasol.hypervisor.mm.FrameTable;
import org.parasol.hypervisor.mm.MachineMemory;

/**
 * The back end of a domain's PV console ring ({@code xencons_interface}, the page named by
 * {@code start_info.console.domU}): the hypervisor's end, in the place xenconsoled holds in
 * Xen. It produces the ring's {@code in} half — what a user types at {@code parasol console} —
 * and raises the console's event channel, a port whose remote end is the hypervisor
 * ({@link EventChannels#allocXenConsumer}). A Parasol guest writes its output with
 * {@code console_io} (deviation 27), so the {@code out} half stays unused.
 *
 * <pre>
 *  host thread                      machine page (the guest's frame)        guest vCPU
 *  write(bytes) ── in[prod & 1023] ──►  in[] ... in_prod (release)   ──► reads in[cons..prod)
 *                ◄── space = 1024 - (prod - in_cons (acquire)) ◄───────── in_cons (release)
 *  raise: tryRaiseXenConsumer(port) ───────────────────────────────────► upcall on the port
 * </pre>
 *
 * <p>The guest is hostile: {@code in_prod} is kept here, never read back from the page, and
 * an {@code in_cons} that is ahead of it or more than a ring behind makes the ring
 * {@linkplain #broken() broken}: nothing more is written. The frame is held with a general
 * reference from {@link #open} to {@link #close} (as xenconsoled's foreign mapping holds it),
 * so a page the guest gave back cannot be handed to another domain while this writes it.
 * Every method takes this object's monitor for a bounded copy of at most 1024 bytes and never
 * waits on anything a guest holds: raising the port gives up at once when a vCPU holds the
 * event table's lock, and {@link #raiseIfOwed} tries again.
 */
public final class ConsoleRing implements EventChannels.XenConsumer {
    private final Domain domain;
    private final long mfn;
    private final XenconsInterface ring = new XenconsInterface();
    private int port = -1;
    private int prod;
    private boolean open;
    private boolean broken;
    private volatile boolean raiseOwed;
    private long bytesIn;
    private final java.util.concurrent.atomic.AtomicLong guestNotifications = new java.util.concurrent.atomic.AtomicLong();

    private ConsoleRing(Domain domain, long mfn) {
        this.domain = domain;
        this.mfn = mfn;
    }

    /**
     * The ring on frame {@code mfn} of {@code d}: takes a reference on the frame, zeroes the
     * ring and allocates the console port. Null when the frame is not the domain's or no port
     * is left ({@code -ENOSPC} in Xen's builder).
     */
    static ConsoleRing open(Domain d, long mfn) {
        FrameTable frames = d.host().frames();
        if (!frames.getPage(mfn, d.domid())) {
            return null;
        }
        ConsoleRing r = new ConsoleRing(d, mfn);
        MemorySegment page = d.host().machine().segment().asSlice(MachineMemory.maddr(mfn), MachineMemory.PAGE_SIZE);
        r.ring.wrap(new SegmentBuffer(page), 0).clear();
        int port = d.events().allocXenConsumer(r);
        if (port < 0) {
            frames.putPage(mfn);
            return null;
        }
        synchronized (r) {
            r.port = port;
            r.open = true;
        }
        return r;
    }

    /** The console's event channel in the domain ({@code start_info.console.domU.evtchn}). */
    public synchronized int port() {
        return port;
    }

    /** The ring's frame ({@code start_info.console.domU.mfn}). */
    public long mfn() {
        return mfn;
    }

    /**
     * Puts up to {@code len} bytes of {@code b} from {@code off} into the ring's {@code in} half
     * and raises the console port; returns how many fit (0 when the guest has not read what is
     * there), or {@code -ESRCH} once the domain is going or the ring is closed, or
     * {@code -EIO} when the guest broke its indices.
     */
    public int write(byte[] b, int off, int len) {
        int n;
        synchronized (this) {
            if (!open || !domain.mayRun()) {
                return -Errno.ESRCH;
            }
            if (broken) {
                return -Errno.EIO;
            }
            int cons = ring.inConsAcquire();
            int used = prod - cons;
            if (used < 0 || used > XenconsInterface.IN_SIZE) {
                broken = true;
                return -Errno.EIO;
            }
            n = Math.min(len, XenconsInterface.IN_SIZE - used);
            for (int i = 0; i < n; i++) {
                ring.in(XenconsInterface.inSlot(prod + i), b[off + i] & 0xff);
            }
            if (n == 0) {
                return 0;
            }
            prod += n;
            ring.inProdRelease(prod);
            bytesIn += n;
            raiseOwed = true;
        }
        raiseIfOwed();
        return n;
    }

    /**
     * Raises the console port if a write could not: true when nothing is owed any more. Never
     * waits.
     */
    public boolean raiseIfOwed() {
        if (!raiseOwed) {
            return true;
        }
        int p;
        synchronized (this) {
            if (!open) {
                raiseOwed = false;
                return true;
            }
            p = port;
        }
        int rc = domain.events().tryRaiseXenConsumer(p, this);
        if (rc == EventChannels.VIRQ_BUSY) {
            return false;
        }
        raiseOwed = false;
        return true;
    }

    /** Bytes that fit the ring since it opened. */
    public synchronized long bytesIn() {
        return bytesIn;
    }

    /** Whether the guest broke the ring's indices (nothing more is written). */
    public synchronized boolean broken() {
        return broken;
    }

    /** Sends the domain made on the console port (a guest saying it read input). */
    public long guestNotifications() {
        return guestNotifications.get();
    }

    /** From the domain's {@code EVTCHNOP_send} on the port: counted only. */
    @Override
    public void notified(int p) {
        guestNotifications.incrementAndGet();
    }

    /**
     * Lets go of the frame and the port (teardown, step 2'): nothing is written after it.
     * Idempotent.
     */
    void close() {
        synchronized (this) {
            if (!open) {
                return;
            }
            open = false;
        }
        domain.events().freeXenConsumer(port, this);
        domain.host().frames().putPage(mfn);
    }
}
