package org.parasol.hypervisor.event;

import static org.parasol.hypercall.Errno.EBUSY;
import static org.parasol.hypercall.Errno.EEXIST;
import static org.parasol.hypercall.Errno.EINVAL;
import static org.parasol.hypercall.Errno.ENOENT;
import static org.parasol.hypercall.Errno.ENOSPC;

import org.parasol.hypercall.abi.Evtchn2l;
import org.parasol.hypercall.abi.EvtchnStat;
import org.parasol.hypercall.abi.Virq;
import org.parasol.hypercall.struct.EvtchnStatus;

/**
 * A domain's event-channel table, 2-level ABI: 4096 ports, port 0 reserved (Xen's
 * {@code struct evtchn} array and {@code event_channel.c}).
 *
 * <p>Each port has a state (Xen's {@code ECS_*}, numbered as {@code EVTCHNSTAT_*}), a notify
 * vCPU, and what it is bound to: a VIRQ, the domain allowed to bind an unbound port, or the
 * peer table and port of an interdomain channel. Raising, clearing and unmasking an event go
 * through a {@link Notifier} ({@link Event2l}), which owns the shared_info bits in Xen's order
 * and the vCPU wake-ups.
 *
 * <h2>Locking</h2>
 * Every table has an {@link EventLock}. Table changes take it as the writer; event send and
 * VIRQ delivery take the <em>sender's</em> lock as a reader. An operation touching two
 * domains (bind_interdomain, close of an interdomain port, death) takes both writer locks,
 * <b>lower domid first</b>; with the same domain (loopback) the one lock. A reader never takes
 * a second lock. Nothing under these locks calls guest code or waits for a vCPU: the
 * notifier only sets bits and unparks threads.
 *
 * <p>Why the sender's lock makes a send safe: a send reads its own port's peer and sets bits
 * in the peer's shared_info. The peer port can only stop being connected to us by a close
 * that takes our writer lock too, so while we hold our reader lock the peer's channel, and
 * the peer's shared_info page (freed only after its death closed every port), stay alive.
 *
 * <p>Sending allocates nothing and, under its reader lock, only reads arrays. Every read of
 * the table from outside (the two status readers, the accessors) takes the reader lock too, so it
 * never sees a port half-way through a bind or close.
 */
public final class EventChannels {
    /** Ports in the table: the 2-level ABI's {@code EVTCHN_2L_NR_CHANNELS}. */
    private static final int NR_PORTS = Evtchn2l.NR_CHANNELS;
    /** Ports a table starts with: one word of the pending bitmap. */
    static final int INITIAL_PORTS = 64;

    /**
     * The per-port state, for ports {@code 0 ..< capacity()}; a port beyond it is closed. Xen
     * allocates its {@code struct evtchn}s in buckets as ports are first used; here the arrays
     * double (from {@link #INITIAL_PORTS} up to the ABI's 4096), so a domain that uses a few
     * ports holds a few ports' worth of memory. The arrays are final fields of an object
     * published through a volatile field: a reader that finds the new object (a sender reading
     * its peer's notify vCPU under its own lock, an optimistic status read) sees it whole.
     */
    private static final class Ports {
        final byte[] state;
        final int[] notifyVcpu;
        final int[] boundVirq;
        /** Unbound: the domain allowed to bind. Interdomain: the peer domain. */
        final int[] remoteDom;
        /** Interdomain: the peer's port. */
        final int[] remotePort;
        /** Interdomain: the peer's table (this one for a loopback channel). */
        final EventChannels[] peer;
        /** Unbound with the hypervisor as its remote end: who hears the domain's sends. */
        final XenConsumer[] consumer;

        Ports(int capacity) {
            consumer = new XenConsumer[capacity];
            state = new byte[capacity];
            notifyVcpu = new int[capacity];
            boundVirq = new int[capacity];
            remoteDom = new int[capacity];
            remotePort = new int[capacity];
            peer = new EventChannels[capacity];
        }

        Ports(Ports old, int capacity) {
            state = java.util.Arrays.copyOf(old.state, capacity);
            notifyVcpu = java.util.Arrays.copyOf(old.notifyVcpu, capacity);
            boundVirq = java.util.Arrays.copyOf(old.boundVirq, capacity);
            remoteDom = java.util.Arrays.copyOf(old.remoteDom, capacity);
            remotePort = java.util.Arrays.copyOf(old.remotePort, capacity);
            peer = java.util.Arrays.copyOf(old.peer, capacity);
            consumer = java.util.Arrays.copyOf(old.consumer, capacity);
        }

        int capacity() {
            return state.length;
        }
    }

    /** Port states, numbered as {@code EVTCHNSTAT_*}. */
    public static final byte CLOSED = (byte) EvtchnStat.CLOSED;
    public static final byte UNBOUND = (byte) EvtchnStat.UNBOUND;
    public static final byte INTERDOMAIN = (byte) EvtchnStat.INTERDOMAIN;
    public static final byte PIRQ = (byte) EvtchnStat.PIRQ;
    public static final byte VIRQ = (byte) EvtchnStat.VIRQ;
    public static final byte IPI = (byte) EvtchnStat.IPI;
    /** Port 0 and other ports never handed out. */
    public static final byte RESERVED = -1;

    /**
     * What raising an event needs from the rest of the hypervisor: the port ABI's operations on
     * shared_info ({@link Event2l} for the 2-level ABI), called with this table's lock held.
     */
    public interface Notifier {
        /** Xen's set_pending for {@code port} on notify vCPU {@code vcpu}. */
        void setPending(int port, int vcpu);

        /** Clears a closed port's pending bit. */
        void clearPending(int port);

        /** Xen's unmask for {@code port}, whose notify vCPU is {@code vcpu}. */
        void unmask(int port, int vcpu);
    }

    /**
     * The hypervisor's end of a Xen-consumer channel ({@link #allocXenConsumer}): hears each
     * send the domain makes on the port. Called on the sending vCPU's thread under the table's
     * reader lock, so it must not block, call guest code or touch this table: it only hands
     * the work on (Xen's {@code xen_event_channel_notification_t}).
     */
    @FunctionalInterface
    public interface XenConsumer {
        /** The domain sent on {@code port}. */
        void notified(int port);
    }

    private final int domid;
    private final EventLock lock = new EventLock();
    /** The ports in use so far: replaced by a larger copy under the writer lock, never shrunk. */
    private volatile Ports ports = new Ports(INITIAL_PORTS);
    /** [vCPU][VIRQ] to port; per-domain and global VIRQs live in row 0 wherever they notify. */
    private final int[][] virqToPort;
    private final int maxVcpus;
    private final Notifier notifier;
    /** Set once at death: no port is allocated any more and no one may bind to us. */
    private boolean dying;

    /** A table for domain {@code domid} of {@code maxVcpus} vCPUs. */
    public EventChannels(int domid, int maxVcpus, Notifier notifier) {
        this.domid = domid;
        this.maxVcpus = maxVcpus;
        this.notifier = notifier;
        this.virqToPort = new int[maxVcpus][Virq.NR_VIRQS];
        ports.state[0] = RESERVED;
    }

    /** Whether no one holds this table's lock: for tests that check nothing was left held. */
    public boolean lockFree() {
        return lock.isFree();
    }

    /** The domain this table belongs to. */
    public int domid() {
        return domid;
    }

    // ---------------------------------------------------------------- locking

    private static void lockBoth(EventChannels a, EventChannels b) {
        if (a == b) {
            a.lock.writeLock();
            return;
        }
        EventChannels first = a.domid < b.domid ? a : b;
        EventChannels second = first == a ? b : a;
        first.lock.writeLock();
        try {
            second.lock.writeLock();
        } catch (Throwable t) {
            first.lock.writeUnlock(); // never leave the first held if the second could not be taken
            throw t;
        }
    }

    private static void unlockBoth(EventChannels a, EventChannels b) {
        a.lock.writeUnlock();
        if (a != b) {
            b.lock.writeUnlock();
        }
    }

    /** The lowest free port, growing the table when every port in it is taken (writer lock). */
    private int allocPortLocked() {
        return allocPortLocked(true);
    }

    private int allocPortLocked(boolean mayGrow) {
        if (dying) {
            return -EINVAL;
        }
        Ports t = ports;
        for (int p = 1; p < t.capacity(); p++) {
            if (t.state[p] == CLOSED) {
                return p;
            }
        }
        if (t.capacity() >= NR_PORTS) {
            return -ENOSPC;
        }
        if (mayGrow) {
            ports = new Ports(t, Math.min(NR_PORTS, t.capacity() * 2));
        }
        return t.capacity();
    }

    /** The state of {@code port} (0 ..< 4096); a port beyond the table is closed. */
    private byte stateOf(int port) {
        Ports t = ports;
        return port < t.capacity() ? t.state[port] : CLOSED;
    }

    /** How many ports the table holds now (tests: it grows only as ports are used). */
    public int capacity() {
        return ports.capacity();
    }

    /**
     * What allocating a port would answer now: 0 if one is free, else -ENOSPC (or -EINVAL once
     * the domain is dying). For a caller that must report a full table before a refusal Xen
     * only reaches after allocating, as alloc_unbound reports -ENOSPC before -EPERM.
     */
    public int checkFreePort() {
        lock.readLock();
        try {
            int port = allocPortLocked(false);
            return port < 0 ? port : 0;
        } finally {
            lock.readUnlock();
        }
    }

    private static boolean validPort(int port) {
        return port > 0 && port < NR_PORTS;
    }

    // ---------------------------------------------------------------- binding

    /**
     * Xen's {@code get_virq_type}: the class of {@code virq} (below {@code NR_VIRQS}); every
     * number that is neither per-vCPU nor per-domain is global, the undefined ones and x86's
     * architecture VIRQs included.
     */
    static Virq.VirqClass virqType(int virq) {
        Virq.VirqClass c = Virq.classOf(virq);
        return c == null ? Virq.VirqClass.GLOBAL : c;
    }

    /**
     * EVTCHNOP_bind_virq, in {@code evtchn_bind_virq}'s order: virq beyond NR_VIRQS: -EINVAL;
     * a VIRQ that is not per-vCPU on a vCPU other than 0: -EINVAL; no such vCPU: -ENOENT; a
     * global VIRQ ({@link #virqType}) when this domain is not its handler
     * ({@code globalHandler}): -EBUSY; already bound (on that vCPU for a per-vCPU VIRQ,
     * anywhere for the others): -EEXIST; no free port: -ENOSPC.
     */
    public int bindVirq(int virq, int vcpu, boolean globalHandler) {
        if (virq < 0 || virq >= Virq.NR_VIRQS) {
            return -EINVAL;
        }
        Virq.VirqClass c = virqType(virq);
        if (c != Virq.VirqClass.PER_VCPU && vcpu != 0) {
            return -EINVAL;
        }
        if (vcpu < 0 || vcpu >= maxVcpus) {
            return -ENOENT;
        }
        lock.writeLock();
        try {
            if (c == Virq.VirqClass.GLOBAL && !globalHandler) {
                return -EBUSY;
            }
            if (virqToPort[vcpu][virq] != 0) {
                return -EEXIST;
            }
            int port = allocPortLocked();
            if (port < 0) {
                return port;
            }
            ports.state[port] = VIRQ;
            ports.notifyVcpu[port] = vcpu;
            ports.boundVirq[port] = virq;
            virqToPort[vcpu][virq] = port;
            return port;
        } finally {
            lock.writeUnlock();
        }
    }

    /** EVTCHNOP_bind_ipi: a port notifying {@code vcpu} for good. -ENOENT: no such vCPU; -ENOSPC. */
    public int bindIpi(int vcpu) {
        if (vcpu < 0 || vcpu >= maxVcpus) {
            return -ENOENT;
        }
        lock.writeLock();
        try {
            int port = allocPortLocked();
            if (port < 0) {
                return port;
            }
            ports.state[port] = IPI;
            ports.notifyVcpu[port] = vcpu;
            return port;
        } finally {
            lock.writeUnlock();
        }
    }

    /**
     * EVTCHNOP_alloc_unbound in this table: a port accepting a bind from {@code remoteDomid}.
     * Returns it, -ENOSPC, or -EINVAL once the domain is dying.
     */
    public int allocUnbound(int remoteDomid) {
        lock.writeLock();
        try {
            int port = allocPortLocked();
            if (port < 0) {
                return port;
            }
            ports.state[port] = UNBOUND;
            ports.notifyVcpu[port] = 0;
            ports.remoteDom[port] = remoteDomid;
            return port;
        } finally {
            lock.writeUnlock();
        }
    }

    /**
     * Xen's {@code alloc_unbound_xen_event_channel}: a port of this domain whose remote end is
     * the hypervisor. It reads as unbound, waiting for {@code DOMID_XEN}, so no domain can bind
     * to it; the domain's sends on it go to {@code consumer}, and the hypervisor raises it with
     * {@link #tryRaiseXenConsumer}. The domain cannot close it ({@code EVTCHNOP_close} is
     * -EINVAL, as Xen refuses a guest closing a Xen-consumer port); the hypervisor does, with
     * {@link #freeXenConsumer}, or the domain's death. Returns the port, -ENOSPC, or -EINVAL
     * once the domain is dying.
     */
    public int allocXenConsumer(XenConsumer consumer) {
        java.util.Objects.requireNonNull(consumer, "consumer");
        lock.writeLock();
        try {
            int port = allocPortLocked();
            if (port < 0) {
                return port;
            }
            ports.state[port] = UNBOUND;
            ports.notifyVcpu[port] = 0;
            ports.remoteDom[port] = org.parasol.hypercall.DomId.DOMID_XEN;
            ports.consumer[port] = consumer;
            return port;
        } finally {
            lock.writeUnlock();
        }
    }

    /**
     * Closes the Xen-consumer port {@code port} that {@code consumer} owns; returns whether it
     * was that (a port the domain's death already closed answers false).
     */
    public boolean freeXenConsumer(int port, XenConsumer consumer) {
        if (!validPort(port)) {
            return false;
        }
        lock.writeLock();
        try {
            if (stateOf(port) != UNBOUND || ports.consumer[port] != consumer) {
                return false;
            }
            freePortLocked(port);
            return true;
        } finally {
            lock.writeUnlock();
        }
    }

    /**
     * Xen's {@code notify_via_xen_event_channel} for a host thread that must never wait on a
     * lock a vCPU may hold: raises the Xen-consumer port {@code port} owned by
     * {@code consumer}, or gives up at once when a writer holds the table
     * ({@link #VIRQ_BUSY}: try again later). {@link #VIRQ_UNBOUND} when the port is no longer
     * that consumer's. Allocates nothing.
     */
    public int tryRaiseXenConsumer(int port, XenConsumer consumer) {
        if (!validPort(port)) {
            return VIRQ_UNBOUND;
        }
        if (!lock.tryReadLock()) {
            return VIRQ_BUSY;
        }
        try {
            if (stateOf(port) != UNBOUND || ports.consumer[port] != consumer) {
                return VIRQ_UNBOUND;
            }
            notifier.setPending(port, ports.notifyVcpu[port]);
            return VIRQ_RAISED;
        } finally {
            lock.readUnlock();
        }
    }

    /**
     * Xen's {@code notify_via_xen_event_channel} for a vCPU of another domain (a device model
     * on the vCPU that drives it): as {@link #tryRaiseXenConsumer}, but waits for the reader
     * lock as {@link #sendVirq} does (a writer holds it only inside a port operation of this
     * domain, never across guest code). Returns whether the port was that consumer's.
     */
    public boolean raiseXenConsumer(int port, XenConsumer consumer) {
        if (!validPort(port)) {
            return false;
        }
        lock.readLock();
        try {
            if (stateOf(port) != UNBOUND || ports.consumer[port] != consumer) {
                return false;
            }
            notifier.setPending(port, ports.notifyVcpu[port]);
            return true;
        } finally {
            lock.readUnlock();
        }
    }

    /**
     * EVTCHNOP_bind_interdomain: connects a new port of this table to {@code rport} of
     * {@code remote} (this table itself for loopback), in {@code evtchn_bind_interdomain}'s
     * order: no local port free: -ENOSPC (-EINVAL once this domain is dying); then the remote
     * port must exist and be unbound and waiting for this domain, else -EINVAL (also when the
     * remote domain is dying). As Xen does, the new local port is left pending, covering
     * anything the peer sent while its port was unbound.
     */
    public int bindInterdomain(EventChannels remote, int rport) {
        lockBoth(this, remote);
        try {
            int lport = allocPortLocked();
            if (lport < 0) {
                return lport;
            }
            if (rport < 0 || rport >= NR_PORTS || remote.dying || remote.stateOf(rport) != UNBOUND
                    || remote.ports.remoteDom[rport] != domid || remote.ports.consumer[rport] != null) {
                return -EINVAL;
            }
            ports.state[lport] = INTERDOMAIN;
            ports.notifyVcpu[lport] = 0;
            ports.remoteDom[lport] = remote.domid;
            ports.remotePort[lport] = rport;
            ports.peer[lport] = this == remote ? this : remote;
            remote.ports.state[rport] = INTERDOMAIN;
            remote.ports.remoteDom[rport] = domid;
            remote.ports.remotePort[rport] = lport;
            remote.ports.peer[rport] = this;
            notifier.setPending(lport, 0);
            return lport;
        } finally {
            unlockBoth(this, remote);
        }
    }

    /**
     * EVTCHNOP_bind_vcpu: makes {@code port} notify {@code vcpu}. -ENOENT: no such vCPU;
     * -EINVAL: a free port, an IPI port or a per-vCPU VIRQ port (their vCPU never changes).
     */
    public int bindVcpu(int port, int vcpu) {
        if (vcpu < 0 || vcpu >= maxVcpus) {
            return -ENOENT;
        }
        if (!validPort(port)) {
            return -EINVAL;
        }
        lock.writeLock();
        try {
            switch (stateOf(port)) {
                case UNBOUND, INTERDOMAIN, PIRQ -> ports.notifyVcpu[port] = vcpu;
                case VIRQ -> {
                    if (virqType(ports.boundVirq[port]) == Virq.VirqClass.PER_VCPU) {
                        return -EINVAL;
                    }
                    ports.notifyVcpu[port] = vcpu;
                }
                default -> {
                    return -EINVAL;
                }
            }
            return 0;
        } finally {
            lock.writeUnlock();
        }
    }

    // ---------------------------------------------------------------- closing

    /**
     * EVTCHNOP_close: -EINVAL for a free, reserved or out-of-range port, and for a Xen-consumer
     * port ({@link #allocXenConsumer}), which only the hypervisor closes. Closing one end of an
     * interdomain channel puts the peer's port back to unbound, accepting a rebind from this
     * domain.
     */
    public int close(int port) {
        return close(port, false);
    }

    /** {@link #close}; {@code internal}: the hypervisor's own close, which takes Xen-consumer ports too. */
    private int close(int port, boolean internal) {
        if (!validPort(port)) {
            return -EINVAL;
        }
        for (;;) {
            EventChannels p;
            lock.writeLock();
            try {
                byte s = stateOf(port);
                if (s == CLOSED || s == RESERVED || (s == UNBOUND && ports.consumer[port] != null && !internal)) {
                    return -EINVAL;
                }
                if (s != INTERDOMAIN) {
                    freePortLocked(port);
                    return 0;
                }
                p = ports.peer[port];
                if (p == this) {
                    disconnectLocked(port, p);
                    return 0;
                }
                if (domid < p.domid) {
                    p.lock.writeLock(); // lower domid already held: the order is kept
                    try {
                        disconnectLocked(port, p);
                        return 0;
                    } finally {
                        p.lock.writeUnlock();
                    }
                }
            } finally {
                lock.writeUnlock();
            }
            // The peer's lock comes first: we let ours go; take both in order, check nothing moved.
            lockBoth(this, p);
            try {
                if (stateOf(port) == INTERDOMAIN && ports.peer[port] == p) {
                    disconnectLocked(port, p);
                    return 0;
                }
            } finally {
                unlockBoth(this, p);
            }
        }
    }

    /** Both writer locks held: our port closes, the peer's goes back to unbound for us. */
    private void disconnectLocked(int port, EventChannels p) {
        int rport = ports.remotePort[port];
        p.ports.state[rport] = UNBOUND;
        p.ports.remoteDom[rport] = domid;
        p.ports.remotePort[rport] = 0;
        p.ports.peer[rport] = null;
        freePortLocked(port);
    }

    private void freePortLocked(int port) {
        if (ports.state[port] == VIRQ) {
            int virq = ports.boundVirq[port];
            int row = virqType(virq) == Virq.VirqClass.PER_VCPU ? ports.notifyVcpu[port] : 0;
            virqToPort[row][virq] = 0;
        }
        ports.state[port] = CLOSED;
        ports.notifyVcpu[port] = 0;
        ports.boundVirq[port] = 0;
        ports.remoteDom[port] = 0;
        ports.remotePort[port] = 0;
        ports.peer[port] = null;
        ports.consumer[port] = null;
        notifier.clearPending(port);
    }

    /**
     * Closes every port (EVTCHNOP_reset) but the Xen-consumer ones, which stay the
     * hypervisor's (Xen's reset skips them too). Returns how many were closed.
     */
    public int closeAll() {
        return closeAll(false);
    }

    private int closeAll(boolean internal) {
        int n = 0;
        for (int p = 1; p < ports.capacity(); p++) {
            byte s = stateOf(p);
            if (s != CLOSED && s != RESERVED && close(p, internal) == 0) {
                n++;
            }
        }
        return n;
    }

    /**
     * The domain's death: no port is allocated or bound to from now on, then every port is
     * closed, so each interdomain peer goes back to unbound. Returns how many were open.
     */
    public int destroy() {
        lock.writeLock();
        try {
            dying = true;
        } finally {
            lock.writeUnlock();
        }
        return closeAll(true);
    }

    // ---------------------------------------------------------------- raising

    /**
     * EVTCHNOP_send: an interdomain port raises the peer's port on the peer's notify vCPU; an
     * IPI port raises itself; an unbound port drops the event and answers 0, unless the
     * hypervisor is its remote end ({@link #allocXenConsumer}), whose consumer hears it; any other port
     * (free, reserved, VIRQ, out of range) is -EINVAL. Allocates nothing.
     */
    public int send(int port) {
        int rc = sendLocked(port);
        if (org.parasol.hypervisor.jfr.JfrSwitch.evtchnSend) { // a plain flag: nothing allocated when off
            org.parasol.hypervisor.jfr.EventSendEvent e = new org.parasol.hypervisor.jfr.EventSendEvent();
            e.domid = domid;
            e.port = port;
            e.result = rc;
            e.commit();
        }
        return rc;
    }

    private int sendLocked(int port) {
        if (!validPort(port)) {
            return -EINVAL;
        }
        lock.readLock();
        try {
            switch (stateOf(port)) {
                case INTERDOMAIN -> {
                    EventChannels p = ports.peer[port];
                    int rport = ports.remotePort[port];
                    p.notifier.setPending(rport, p.ports.notifyVcpu[rport]);
                    return 0;
                }
                case IPI -> {
                    notifier.setPending(port, ports.notifyVcpu[port]);
                    return 0;
                }
                case UNBOUND -> {
                    XenConsumer c = ports.consumer[port];
                    if (c != null) {
                        c.notified(port); // Xen's xen_notification_fn: the hypervisor's end hears it
                    }
                    return 0;
                }
                default -> {
                    return -EINVAL;
                }
            }
        } finally {
            lock.readUnlock();
        }
    }

    /**
     * Raises {@code virq} if the domain bound it: a per-vCPU VIRQ on {@code vcpu}, the others
     * on whatever vCPU their port notifies ({@code vcpu} is ignored). Returns whether it was
     * bound.
     */
    public boolean sendVirq(int virq, int vcpu) {
        int row = virqRow(virq, vcpu);
        if (row < 0) {
            return false;
        }
        lock.readLock();
        try {
            return raiseVirqLocked(virq, row);
        } finally {
            lock.readUnlock();
        }
    }

    /** {@link #trySendVirq}: the table's lock was held by a writer; nothing was raised. */
    public static final int VIRQ_BUSY = -1;
    /** {@link #trySendVirq}: the VIRQ is not bound; nothing was raised. */
    public static final int VIRQ_UNBOUND = 0;
    /** {@link #trySendVirq}: the VIRQ's port was raised. */
    public static final int VIRQ_RAISED = 1;

    /**
     * {@link #sendVirq} for host threads that must never wait on a lock a vCPU may hold (the
     * timer thread): gives up at once when a writer (a bind or close on a vCPU) holds the
     * table, answering {@link #VIRQ_BUSY} so the caller can retry later.
     */
    public int trySendVirq(int virq, int vcpu) {
        int row = virqRow(virq, vcpu);
        if (row < 0) {
            return VIRQ_UNBOUND;
        }
        if (!lock.tryReadLock()) {
            return VIRQ_BUSY;
        }
        try {
            return raiseVirqLocked(virq, row) ? VIRQ_RAISED : VIRQ_UNBOUND;
        } finally {
            lock.readUnlock();
        }
    }

    /** The row of {@link #virqToPort} for {@code virq} raised on {@code vcpu}, or -1. */
    private int virqRow(int virq, int vcpu) {
        Virq.VirqClass c = Virq.classOf(virq);
        if (c == null) {
            return -1;
        }
        int row = c == Virq.VirqClass.PER_VCPU ? vcpu : 0;
        return row < 0 || row >= maxVcpus ? -1 : row;
    }

    private boolean raiseVirqLocked(int virq, int row) {
        int port = virqToPort[row][virq];
        if (port == 0) {
            return false;
        }
        notifier.setPending(port, ports.notifyVcpu[port]);
        return true;
    }

    /**
     * EVTCHNOP_unmask ({@code evtchn_unmask}): -EINVAL for a port beyond the table; otherwise
     * clears its mask bit and re-raises an edge the mask swallowed, on the notify vCPU read
     * under the lock, as Xen reads it under the channel's lock. Allocates nothing.
     */
    public int unmask(int port) {
        if (port < 0 || port >= NR_PORTS) {
            return -EINVAL;
        }
        lock.readLock();
        try {
            Ports t = ports;
            notifier.unmask(port, port < t.capacity() ? t.notifyVcpu[port] : 0);
            return 0;
        } finally {
            lock.readUnlock();
        }
    }

    // ---------------------------------------------------------------- reading

    /** The state of a port, {@code EVTCHNSTAT_*}; -EINVAL when out of range. */
    public int status(int port) {
        if (port < 0 || port >= NR_PORTS) {
            return -EINVAL;
        }
        lock.readLock();
        try {
            byte s = stateOf(port);
            return s == RESERVED ? CLOSED : s;
        } finally {
            lock.readUnlock();
        }
    }

    /**
     * EVTCHNOP_status's answer for one port, one consistent snapshot as Xen reads it under the
     * channel's lock, then written into {@code into}: {@code status}, {@code vcpu} and the union
     * {@code u} (zeroed, then the member the state names). The snapshot is read optimistically
     * (no atomic operation, no store to the lock: {@link EventLock#optimisticRead}), and read
     * again, as a seqlock reader does, while a writer got in the way; it never takes the lock,
     * which is what lets the hypercall run without the stack-headroom check. Returns -EINVAL
     * when out of range, else 0. Allocates nothing.
     */
    public int status(int port, EvtchnStatus into) {
        if (port < 0 || port >= NR_PORTS) {
            return -EINVAL;
        }
        int st;
        int vcpu;
        int rdom;
        int rport;
        int virq;
        byte s;
        int spins = 0;
        for (;;) {
            int stamp = lock.optimisticRead();
            Ports t = ports;
            s = CLOSED;
            vcpu = 0;
            rdom = 0;
            rport = 0;
            virq = 0;
            if (port < t.capacity()) {
                s = t.state[port];
                vcpu = t.notifyVcpu[port];
                rdom = t.remoteDom[port];
                rport = t.remotePort[port];
                virq = t.boundVirq[port];
            }
            if (lock.validate(stamp)) {
                break;
            }
            // A writer held the lock or entered since: read again once it has left. The reader
            // never enters the lock, so the call holds nothing a stack overflow could leak.
            spins = EventLock.backOff(spins);
        }
        st = s == RESERVED ? CLOSED : s;
        into.status(st).vcpu(vcpu).clearU();
        switch (st) {
            case UNBOUND -> into.unboundDom(rdom);
            case INTERDOMAIN -> into.interdomainDom(rdom).interdomainPort(rport);
            case VIRQ -> into.virq(virq);
            default -> {
            }
        }
        return 0;
    }

    /** A port's notify vCPU (read under the lock: a bind_vcpu may be changing it). */
    public int notifyVcpu(int port) {
        lock.readLock();
        try {
            Ports t = ports;
            return port >= 0 && port < t.capacity() ? t.notifyVcpu[port] : 0;
        } finally {
            lock.readUnlock();
        }
    }

    /** The VIRQ a port is bound to (valid when its state is VIRQ). */
    public int boundVirq(int port) {
        lock.readLock();
        try {
            Ports t = ports;
            return port >= 0 && port < t.capacity() ? t.boundVirq[port] : 0;
        } finally {
            lock.readUnlock();
        }
    }

    /** The domain an unbound or interdomain port is tied to. */
    public int remoteDomain(int port) {
        lock.readLock();
        try {
            Ports t = ports;
            return port >= 0 && port < t.capacity() ? t.remoteDom[port] : 0;
        } finally {
            lock.readUnlock();
        }
    }

    /** The peer port of an interdomain port. */
    public int remotePort(int port) {
        lock.readLock();
        try {
            Ports t = ports;
            return port >= 0 && port < t.capacity() ? t.remotePort[port] : 0;
        } finally {
            lock.readUnlock();
        }
    }

    /** Whether {@code port} is a valid open port of this domain. */
    public boolean isOpen(int port) {
        if (!validPort(port)) {
            return false;
        }
        lock.readLock();
        try {
            byte s = stateOf(port);
            return s != CLOSED && s != RESERVED;
        } finally {
            lock.readUnlock();
        }
    }

    /** Number of open ports, for reclamation checks. */
    public int openPorts() {
        lock.readLock();
        try {
            int n = 0;
            Ports t = ports;
            for (int p = 1; p < t.capacity(); p++) {
                if (t.state[p] != CLOSED && t.state[p] != RESERVED) {
                    n++;
                }
            }
            return n;
        } finally {
            lock.readUnlock();
        }
    }
}
