package org.parasol.hypervisor.event;

import static org.parasol.hypercall.Errno.EEXIST;
import static org.parasol.hypercall.Errno.EINVAL;
import static org.parasol.hypercall.Errno.ENOENT;
import static org.parasol.hypercall.Errno.ENOSPC;

import java.util.concurrent.locks.ReentrantLock;

import org.parasol.hypercall.abi.EvtchnStat;
import org.parasol.hypercall.abi.Virq;

/**
 * A domain's event-channel table, 2-level ABI: 4096 ports, port 0 reserved.
 *
 * <p>The table holds each port's state (Xen's {@code ECS_*}), its notify vCPU and what it is
 * bound to. Raising an event follows Xen's {@code evtchn_2l_set_pending} order through a
 * {@link Notifier} that owns the shared_info bits and the vCPU wake-ups. Table changes take
 * the domain's event lock; sending reads one port's state without it (a racing close can
 * at worst deliver one spurious event, which the 2-level ABI allows).
 *
 * <p>This issue implements VIRQ binding, unmask, close, status and unbound ports (for the
 * domain builder); interdomain channels and IPIs come with the events-and-grants issue.
 */
public final class EventChannels {
    /** {@code EVTCHN_2L_NR_CHANNELS} on 64-bit guests. */
    public static final int NR_PORTS = 4096;
    /** {@code NR_VIRQS}. */
    public static final int NR_VIRQS = Virq.NR_VIRQS;

    /** Port states, numbered as {@code EVTCHNSTAT_*}. */
    public static final byte CLOSED = (byte) EvtchnStat.CLOSED;
    public static final byte UNBOUND = (byte) EvtchnStat.UNBOUND;
    public static final byte INTERDOMAIN = (byte) EvtchnStat.INTERDOMAIN;
    public static final byte PIRQ = (byte) EvtchnStat.PIRQ;
    public static final byte VIRQ = (byte) EvtchnStat.VIRQ;
    public static final byte IPI = (byte) EvtchnStat.IPI;
    /** Port 0 and other ports never handed out. */
    public static final byte RESERVED = -1;

    /** What raising an event needs from the rest of the hypervisor. */
    public interface Notifier {
        /** Xen's set_pending for {@code port} on notify vCPU {@code vcpu}. */
        void setPending(int port, int vcpu);

        /** Clears a closed port's pending bit and masks nothing. */
        void clearPending(int port);
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final byte[] state = new byte[NR_PORTS];
    private final int[] notifyVcpu = new int[NR_PORTS];
    private final int[] boundVirq = new int[NR_PORTS];
    private final int[] remoteDom = new int[NR_PORTS];
    private final int[][] virqToPort;
    private final int maxVcpus;
    private final Notifier notifier;

    /** A table for a domain of {@code maxVcpus} vCPUs. */
    public EventChannels(int maxVcpus, Notifier notifier) {
        this.maxVcpus = maxVcpus;
        this.notifier = notifier;
        this.virqToPort = new int[maxVcpus][NR_VIRQS];
        state[0] = RESERVED;
    }

    private int allocPortLocked() {
        for (int p = 1; p < NR_PORTS; p++) {
            if (state[p] == CLOSED) {
                return p;
            }
        }
        return -ENOSPC;
    }

    /**
     * EVTCHNOP_bind_virq. Refusals: virq beyond NR_VIRQS or undefined, or a non-per-vCPU VIRQ
     * on a vCPU other than 0: -EINVAL; no such vCPU: -ENOENT; already bound on that vCPU:
     * -EEXIST; no free port: -ENOSPC.
     */
    public int bindVirq(int virq, int vcpu) {
        if (virq < 0 || virq >= NR_VIRQS) {
            return -EINVAL;
        }
        Virq.VirqClass c = Virq.classOf(virq);
        if (c == null) {
            return -EINVAL;
        }
        if (c != Virq.VirqClass.PER_VCPU && vcpu != 0) {
            return -EINVAL;
        }
        if (vcpu < 0 || vcpu >= maxVcpus) {
            return -ENOENT;
        }
        lock.lock();
        try {
            if (virqToPort[vcpu][virq] != 0) {
                return -EEXIST;
            }
            int port = allocPortLocked();
            if (port < 0) {
                return port;
            }
            state[port] = VIRQ;
            notifyVcpu[port] = vcpu;
            boundVirq[port] = virq;
            virqToPort[vcpu][virq] = port;
            return port;
        } finally {
            lock.unlock();
        }
    }

    /** Allocates an unbound port accepting a bind from {@code remoteDomid}; returns it or -ENOSPC. */
    public int allocUnbound(int remoteDomid) {
        lock.lock();
        try {
            int port = allocPortLocked();
            if (port < 0) {
                return port;
            }
            state[port] = UNBOUND;
            notifyVcpu[port] = 0;
            remoteDom[port] = remoteDomid;
            return port;
        } finally {
            lock.unlock();
        }
    }

    /** EVTCHNOP_close: -EINVAL for a free, reserved or out-of-range port. */
    public int close(int port) {
        if (port <= 0 || port >= NR_PORTS) {
            return -EINVAL;
        }
        lock.lock();
        try {
            byte s = state[port];
            if (s == CLOSED || s == RESERVED) {
                return -EINVAL;
            }
            if (s == VIRQ) {
                virqToPort[notifyVcpu[port]][boundVirq[port]] = 0;
            }
            state[port] = CLOSED;
            notifyVcpu[port] = 0;
            boundVirq[port] = 0;
            remoteDom[port] = 0;
            notifier.clearPending(port);
            return 0;
        } finally {
            lock.unlock();
        }
    }

    /** Closes every port: the domain's death or EVTCHNOP_reset. Returns how many were open. */
    public int closeAll() {
        int n = 0;
        for (int p = 1; p < NR_PORTS; p++) {
            if (state[p] != CLOSED && state[p] != RESERVED && close(p) == 0) {
                n++;
            }
        }
        return n;
    }

    /** Raises {@code virq} on {@code vcpu} if the domain bound it; returns whether it was bound. */
    public boolean sendVirq(int virq, int vcpu) {
        if (vcpu < 0 || vcpu >= maxVcpus) {
            return false;
        }
        int port = virqToPort[vcpu][virq];
        if (port == 0) {
            return false;
        }
        notifier.setPending(port, notifyVcpu[port]);
        return true;
    }

    /** The state of a port, {@code EVTCHNSTAT_*}; -EINVAL when out of range. */
    public int status(int port) {
        if (port < 0 || port >= NR_PORTS) {
            return -EINVAL;
        }
        byte s = state[port];
        return s == RESERVED ? CLOSED : s;
    }

    /** A port's notify vCPU. */
    public int notifyVcpu(int port) {
        return notifyVcpu[port];
    }

    /** The VIRQ a port is bound to (valid when its state is VIRQ). */
    public int boundVirq(int port) {
        return boundVirq[port];
    }

    /** The domain an unbound or interdomain port is tied to. */
    public int remoteDomain(int port) {
        return remoteDom[port];
    }

    /** Whether {@code port} is a valid open port of this domain. */
    public boolean isOpen(int port) {
        return port > 0 && port < NR_PORTS && state[port] != CLOSED && state[port] != RESERVED;
    }

    /** Number of open ports, for reclamation checks. */
    public int openPorts() {
        int n = 0;
        for (int p = 1; p < NR_PORTS; p++) {
            if (state[p] != CLOSED && state[p] != RESERVED) {
                n++;
            }
        }
        return n;
    }
}
