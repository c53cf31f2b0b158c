package org.parasol.hypervisor.domain;

import static org.parasol.hypercall.Errno.EINVAL;
import static org.parasol.hypercall.Errno.ENOSPC;
import static org.parasol.hypercall.Errno.EPERM;

import java.lang.foreign.MemorySegment;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.SharedBuffer;
import org.parasol.hypercall.abi.HostRelayOp;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypervisor.event.EventChannels;
import org.parasol.hypervisor.mm.FrameTable;
import org.parasol.hypervisor.mm.MachineMemory;

/**
 * The host relay: how a connection the host accepts (dom0's tools on xenstored's Unix
 * socket) reaches the control domain, which serves it, without the host ever waiting on the
 * domain. Mechanism only: slots, a page per slot and a port per slot; what flows through them
 * is the two ends' business ({@link HostRelayOp} is the domain's side).
 *
 * <pre>
 *  host (a Netty event loop)                hypervisor (this)                 dom0
 *  offer(endpoint) -------------------&gt; slot OFFERED; VIRQ_ARCH_7 ------&gt; STATUS(slot)
 *                                                                          ATTACH(slot, mfn)
 *  endpoint.attached(channel) &lt;-------- page pinned and shared,
 *                                        a Xen-consumer port of dom0 &lt;---- the port
 *  channel.enter(): the page     \                                          the page (its own)
 *  channel.raise() ------------------&gt; pending on dom0's port ---------&gt; run loop
 *  endpoint.notified(channel) &lt;--------- EVTCHNOP_send on the port &lt;------ send
 *  channel.hangUp() ------------------&gt; slot HUNG_UP; VIRQ_ARCH_7 -------&gt; DETACH(slot)
 *  endpoint.detached(channel) &lt;--------- port closed, page unpinned, slot FREE
 * </pre>
 *
 * <p>Modelled on how Xen lets a domain and the hypervisor share a page and an event: the page
 * is one of dom0's own, pinned while shared as Xen pins a page a guest registers with it (the
 * FIFO event control block, a {@code vcpu_info}: a general and a writable type reference, so
 * the domain can neither free it nor make it a page table); the port is a Xen-consumer
 * channel ({@code alloc_unbound_xen_event_channel}), whose sends call the host's endpoint and
 * which the host raises ({@code notify_via_xen_event_channel}).
 *
 * <p>Threads. The domain's commands run on its vCPU; the host's on its own threads. The
 * endpoint's three callbacks run on the vCPU (or the thread destroying dom0) and must only
 * hand work on. No host call waits on anything the domain can hold: the host touches a page
 * only between {@link Channel#enter} and {@link Channel#exit}, and {@code enter} never waits
 * (it fails while a command of the domain holds the slot's lock, for a few instructions;
 * try again later); raising the port and the VIRQ give up at once when a vCPU holds the
 * event table's lock. The domain's commands take the slot's lock for a few instructions, the
 * host's copies hold it for at most one page; neither calls guest code while holding it.
 * Once {@link HostRelayOp#DETACH} returns the host no longer touches the page, so the domain
 * may reuse it at once.
 *
 * <p>Bounds: {@link #slots()} slots, so at most that many connections; an offer beyond them
 * is refused and the host turns the connection away. Each channel is a fresh object, so a
 * stale endpoint can never reach the next connection of its slot.
 */
public final class HostRelay {
    /** The host's end of one connection: hears what the domain does. Each must only hand work on. */
    public interface Endpoint {
        /** The domain attached the slot: {@link Channel#enter} now reaches its page. */
        void attached(Channel channel);

        /** The domain sent on the slot's port. */
        void notified(Channel channel);

        /** The domain detached the slot, refused it, or died: the page is no longer reachable. */
        void detached(Channel channel);
    }

    /** One connection in one slot, from offer to detach. */
    public final class Channel implements EventChannels.XenConsumer {
        private final int slot;
        private final int kind;
        private final Endpoint endpoint;
        private final ReentrantLock lock = new ReentrantLock();
        /** {@code HostRelayOp.FREE ..}: written under the lock; FREE once it is over. */
        private volatile int state = HostRelayOp.OFFERED;
        private Domain domain;
        private long mfn = -1;
        private int port;
        private SharedBuffer page;

        private Channel(int slot, int kind, Endpoint endpoint) {
            this.slot = slot;
            this.kind = kind;
            this.endpoint = endpoint;
        }

        /** The slot number. */
        public int slot() {
            return slot;
        }

        /** What the slot carries: {@code HostRelayOp.KIND_XENSTORED} or {@code KIND_NET_UPLINK}. */
        public int kind() {
            return kind;
        }

        /** {@code HostRelayOp.OFFERED}, {@code ATTACHED}, {@code HUNG_UP}, or {@code FREE} once over. */
        public int state() {
            return state;
        }

        /**
         * Takes the page for the calling host thread, if the channel is attached and no command
         * of the domain holds it now; never waits. On true the caller reads and writes
         * {@link #page()} and then calls {@link #exit()}; on false it tries again later (or
         * gives up if {@link #state()} is over).
         */
        public boolean enter() {
            if (state != HostRelayOp.ATTACHED && state != HostRelayOp.HUNG_UP) {
                return false;
            }
            if (!lock.tryLock()) {
                return false;
            }
            if (page == null) {
                lock.unlock();
                return false;
            }
            return true;
        }

        /** Ends an {@link #enter}. */
        public void exit() {
            lock.unlock();
        }

        /** The shared page (4096 bytes); use only between {@link #enter} and {@link #exit}. */
        public SharedBuffer page() {
            if (!lock.isHeldByCurrentThread()) {
                throw new IllegalStateException("the page of slot " + slot + " is reachable only after enter()");
            }
            return page;
        }

        /**
         * Raises the slot's port in the domain. Never waits: false when a vCPU holds the
         * event table's lock right now (try again later) or the channel is not attached.
         */
        public boolean raise() {
            int s = state; // read first: attach wrote domain and port before it published ATTACHED
            if (s != HostRelayOp.ATTACHED && s != HostRelayOp.HUNG_UP) {
                return false;
            }
            Domain d = domain;
            // A detach since closed the port: the table answers "not this consumer's" and nothing is raised.
            return d != null && d.events().tryRaiseXenConsumer(port, this) == EventChannels.VIRQ_RAISED;
        }

        /**
         * The host's end closed: an attached slot becomes {@code HUNG_UP} (the domain is told
         * and detaches); an offered one is withdrawn at once. Idempotent. Returns false when
         * the domain holds the slot's lock this instant: try again later.
         */
        public boolean hangUp() {
            if (!lock.tryLock()) {
                return false;
            }
            try {
                switch (state) {
                    case HostRelayOp.OFFERED -> free(this);
                    case HostRelayOp.ATTACHED -> state = HostRelayOp.HUNG_UP;
                    default -> {
                        return true;
                    }
                }
            } finally {
                lock.unlock();
            }
            raiseVirq();
            return true;
        }

        /** From the domain's {@code EVTCHNOP_send} on the port, under its event lock. */
        @Override
        public void notified(int p) {
            endpoint.notified(this);
        }

        @Override
        public String toString() {
            return "host relay slot " + slot + " (" + stateName(state) + ")";
        }
    }

    /** Slots of every host: connections carried at once (the host side may bound them lower). */
    public static final int DEFAULT_SLOTS = 64;

    private final Host host;
    private final Channel[] slots;
    /**
     * Which raises of a VIRQ are owed, when several host threads raise it at once (the
     * xenstored socket's loop, each uplink's pump) and one raise, delivered, covers every
     * change made before it began. Each raise takes a ticket when it begins ({@link #begin});
     * one that reached every domain records it ({@link #delivered}); a raise is owed while the
     * highest delivered ticket is below the last one handed out. A single owed flag is not
     * enough: a raise that failed after another began set it, the other's success cleared it,
     * and the failed one was lost. Lock-free; allocates nothing.
     */
    public static final class OwedRaises {
        private final AtomicLong asked = new AtomicLong();
        private final AtomicLong covered = new AtomicLong();

        /** A raise begins, after the change it announces: its ticket. */
        public long begin() {
            return asked.incrementAndGet();
        }

        /** The raise with {@code ticket} reached every domain: it covers every raise begun before it. */
        public void delivered(long ticket) {
            covered.accumulateAndGet(ticket, Math::max);
        }

        /** Whether some raise that began is covered by no delivered one. */
        public boolean owed() {
            return covered.get() < asked.get();
        }
    }

    private final OwedRaises virq = new OwedRaises();

    HostRelay(Host host, int slots) {
        if (slots < 1 || slots > 4096) {
            throw new IllegalArgumentException("host relay slots " + slots + " not in 1..4096");
        }
        this.host = Objects.requireNonNull(host, "host");
        this.slots = new Channel[slots];
    }

    /** How many connections the relay carries at most. */
    public int slots() {
        return slots.length;
    }

    /** Slots in use (offered, attached or hung up). */
    public synchronized int inUse() {
        int n = 0;
        for (Channel c : slots) {
            if (c != null) {
                n++;
            }
        }
        return n;
    }

    /**
     * Offers a new connection to the control domain: a free slot becomes {@code OFFERED} and
     * {@code VIRQ_ARCH_7} is raised. Returns null when every slot is taken (the host refuses the
     * connection).
     */
    public Channel offer(Endpoint endpoint) {
        return offer(endpoint, HostRelayOp.KIND_XENSTORED);
    }

    /**
     * Offers a connection of the given kind ({@code HostRelayOp.KIND_XENSTORED},
     * {@code KIND_NET_UPLINK}), which the domain reads with {@link HostRelayOp#KIND} before it
     * attaches; otherwise as {@link #offer(Endpoint)}.
     */
    public Channel offer(Endpoint endpoint, int kind) {
        Objects.requireNonNull(endpoint, "endpoint");
        if (kind != HostRelayOp.KIND_XENSTORED && kind != HostRelayOp.KIND_NET_UPLINK) {
            throw new IllegalArgumentException("host relay kind " + kind);
        }
        Channel c;
        synchronized (this) {
            int free = -1;
            for (int i = 0; i < slots.length; i++) {
                if (slots[i] == null) {
                    free = i;
                    break;
                }
            }
            if (free < 0) {
                return null;
            }
            c = new Channel(free, kind, endpoint);
            slots[free] = c;
        }
        raiseVirq();
        return c;
    }

    /**
     * Raises {@code VIRQ_ARCH_7} in the privileged domains that bound it, without waiting; a
     * raise a vCPU's lock got in the way of is owed and made by {@link #retryVirq}, which the
     * host calls until it answers true. Returns whether nothing is owed. One raise covers every
     * change made before it began (the domain scans every slot); any host thread may call it,
     * at the same time as others: a raise that fails stays owed until one that began after
     * it succeeds ({@link OwedRaises}).
     */
    public boolean raiseVirq() {
        long ticket = virq.begin(); // after the caller's change: a delivered raise covers it
        boolean busy = false;
        for (Domain d : host.domains()) {
            if (d.privileged() && d.mayRun()
                    && d.events().trySendVirq(HostRelayOp.VIRQ, 0) == EventChannels.VIRQ_BUSY) {
                busy = true;
            }
        }
        if (!busy) {
            virq.delivered(ticket);
        }
        return !virq.owed();
    }

    /** Raises the VIRQ again if an earlier raise was owed; returns whether nothing is owed now. */
    public boolean retryVirq() {
        return !virq.owed() || raiseVirq();
    }

    private synchronized void free(Channel c) {
        c.state = HostRelayOp.FREE;
        if (slots[c.slot] == c) {
            slots[c.slot] = null;
        }
    }

    private synchronized Channel at(int slot) {
        return slot >= 0 && slot < slots.length ? slots[slot] : null;
    }

    // ---------------------------------------------------------------- the domain's commands

    /** {@code parasol_host_relay_op} for domain {@code d}: see {@link HostRelayOp}. */
    public long op(Domain d, int cmd, long slotArg, long mfnArg) {
        if (!d.privileged()) {
            return -EPERM; // the control domain only: no domain dom0 builds is privileged
        }
        if (cmd == HostRelayOp.SLOTS) {
            return slots.length;
        }
        if (slotArg < 0 || slotArg >= slots.length) {
            return -EINVAL;
        }
        int slot = (int) slotArg;
        return switch (cmd) {
            case HostRelayOp.STATUS -> {
                Channel c = at(slot);
                yield c == null ? HostRelayOp.FREE : c.state;
            }
            case HostRelayOp.KIND -> {
                Channel c = at(slot);
                yield c == null ? -EINVAL : c.kind;
            }
            case HostRelayOp.ATTACH -> attach(d, slot, mfnArg);
            case HostRelayOp.DETACH -> detach(slot);
            default -> -EINVAL;
        };
    }

    private long attach(Domain d, int slot, long mfn) {
        Channel c = at(slot);
        if (c == null) {
            return -EINVAL;
        }
        FrameTable frames = host.frames();
        MachineMemory machine = host.machine();
        c.lock.lock(); // held by the host for at most one page copy, never across a wait
        try {
            if (c.state != HostRelayOp.OFFERED) {
                return -EINVAL;
            }
            if (!machine.isValidMfn(mfn) || frames.owner(mfn) != d.domid() || !frames.getPage(mfn, d.domid())) {
                return -EINVAL;
            }
            if (frames.owner(mfn) != d.domid()) {
                // Freed and reused between the check and the reference (as a page the
                // hypervisor shares with the domain, which getPage also accepts): Xen's
                // get_page checks the owner under the reference it took.
                frames.putPage(mfn);
                return -EINVAL;
            }
            if (!frames.getPageType(mfn, FrameTable.PGT_WRITABLE_PAGE)) {
                frames.putPage(mfn);
                return -EINVAL;
            }
            int p = d.events().allocXenConsumer(c);
            if (p < 0) {
                frames.putPageType(mfn);
                frames.putPage(mfn);
                return p == -ENOSPC ? -ENOSPC : -EINVAL;
            }
            MemorySegment seg = machine.segment().asSlice(MachineMemory.maddr(mfn), Mmu.PAGE_SIZE);
            c.domain = d;
            c.mfn = mfn;
            c.port = p;
            c.page = new SegmentBuffer(seg);
            c.state = HostRelayOp.ATTACHED;
            c.endpoint.attached(c);
            return p;
        } finally {
            c.lock.unlock();
        }
    }

    private long detach(int slot) {
        Channel c = at(slot);
        if (c == null) {
            return -EINVAL;
        }
        release(c);
        return 0;
    }

    /** Unpins the page, closes the port, frees the slot and tells the host; under the slot's lock. */
    private void release(Channel c) {
        c.lock.lock();
        try {
            if (c.state == HostRelayOp.FREE) {
                return;
            }
            if (c.page != null) {
                c.page = null;
                c.domain.events().freeXenConsumer(c.port, c);
                host.frames().putPageType(c.mfn);
                host.frames().putPage(c.mfn);
            }
            free(c);
        } finally {
            c.lock.unlock();
        }
        c.endpoint.detached(c);
    }

    /** The privileged domain {@code d} is being destroyed: every slot it attached is released. */
    void domainDying(Domain d) {
        if (!d.privileged()) {
            return;
        }
        Channel[] all;
        synchronized (this) {
            all = slots.clone();
        }
        for (Channel c : all) {
            if (c != null && (c.domain == d || c.domain == null)) {
                release(c);
            }
        }
    }

    private static String stateName(int s) {
        return switch (s) {
            case HostRelayOp.FREE -> "free";
            case HostRelayOp.OFFERED -> "offered";
            case HostRelayOp.ATTACHED -> "attached";
            case HostRelayOp.HUNG_UP -> "hung up";
            default -> "state " + s;
        };
    }
}
