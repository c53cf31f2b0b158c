package org.parasol.guest.event;

import java.util.Objects;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.EventCallback;
import org.parasol.hypercall.GuestMemoryBuffer;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.Port;
import org.parasol.hypercall.Virq;
import org.parasol.hypercall.abi.Evtchn2l;
import org.parasol.hypercall.abi.XenVersion;
import org.parasol.hypercall.guest.EventChannelCalls;
import org.parasol.hypercall.struct.SharedInfo;
import org.parasol.hypercall.struct.VcpuInfo;

/**
 * A vCPU's event channels over the 2-level ABI: binds ports with their handlers and
 * dispatches events from the upcall, as Mini-OS's {@code events.c} does.
 *
 * <pre>
 *  shared_info:  vcpu_info[v] { evtchn_upcall_pending, evtchn_upcall_mask, evtchn_pending_sel }
 *                evtchn_pending[64]   evtchn_mask[64]
 *  port p  =  bit (p % 64) of word (p / 64);  selector bit p / 64
 * </pre>
 *
 * <p>The page is read only through the ABI's {@link SharedInfo} and {@link VcpuInfo}
 * flyweights over this vCPU's mapping of it: the same classes, offsets and atomics the
 * hypervisor uses on its side.
 *
 * <p>Binding: {@link #allocUnbound}, {@link #bindInterdomain}, {@link #bindVirq} and
 * {@link #bindIpi} make the hypercall, record the handler and unmask the port; the
 * {@link BoundPort} they return closes the channel again (it is {@code AutoCloseable}).
 * {@link #mask} and {@link #unmask} change one port's mask bit; unmask re-checks the pending
 * bit afterwards, because an event that arrived while the port was masked raised no upcall.
 *
 * <p>Ports are {@link Port} handles in this API. Each bound port's handle is made once, when
 * it is bound, and kept beside its handler: the upcall passes that same object to the
 * handler and {@link BoundPort#notifyRemote} sends on it, so neither allocates.
 *
 * <p>The upcall ({@link #upcall}, registered as the vCPU's event callback) does Xen's guest
 * scan: clear {@code upcall_pending}, exchange the selector with 0, and for every selected word
 * take the pending-and-unmasked bits lowest first, clearing each pending bit before calling
 * its handler. The scan allocates nothing.
 *
 * <p>Invariants: one dispatcher per vCPU that takes events (the boot vCPU's and each secondary
 * vCPU's), used only from the vCPU whose {@link Cpu} it was made with (its memory and argument
 * page belong to that vCPU); handlers are kept per port, per dispatcher.
 *
 * <p>Ports and vCPUs (Linux's {@code cpu_evtchn_mask}): the pending bitmap is the domain's, so
 * a vCPU's scan can see another vCPU's port pending in a word it was sent to scan. A secondary
 * vCPU's dispatcher binds its interdomain and unbound ports to its own vCPU
 * ({@code EVTCHNOP_bind_vcpu}) and <em>claims</em> every port it handles (its timer VIRQ and IPI
 * too) in a bitmap all the domain's dispatchers share: the boot vCPU's scan leaves claimed ports alone, and a secondary's scan
 * takes only its own, so no vCPU clears (and loses) another's event.
 *
 * <pre>
 *  ready(word i) = pending[i] &amp; ~mask[i] &amp; (boot vCPU: ~claimed[i]; secondary: mine[i])
 * </pre>
 */
public final class EventDispatcher implements EventCallback {
    /** Handler slots a dispatcher starts with: ports 0-63, one word of the pending bitmap. */
    static final int INITIAL_PORTS = 64;
    private final Cpu cpu;
    private final EventChannelCalls calls;
    /** shared_info as this vCPU maps it. */
    private final SharedInfo shared;
    /** This vCPU's slot in it. */
    private final VcpuInfo vcpuInfo;
    /**
     * Each bound port's handler, by port number. Sized to the highest port bound so far (from
     * {@link #INITIAL_PORTS}, doubling): a domain that binds a handful of ports holds a handful
     * of slots, not the ABI's 4096.
     */
    private PortHandler[] handlers = new PortHandler[INITIAL_PORTS];
    /** Ports claimed by the domain's secondary vCPUs' dispatchers: shared by all of them. */
    private final java.util.concurrent.atomic.AtomicLongArray claimed;
    /** This dispatcher's ports, by bit (secondaries only; null on the boot vCPU). */
    private final long[] mine;
    /** The handle of each bound port, made at bind time: what the upcall hands its handler. */
    private Port[] ports = new Port[INITIAL_PORTS];
    private long spurious;

    /** A dispatcher for {@code cpu}, using {@code calls} and shared_info mapped at {@code sharedInfoVa}. */
    public EventDispatcher(Cpu cpu, EventChannelCalls calls, long sharedInfoVa) {
        this.cpu = Objects.requireNonNull(cpu, "cpu");
        this.calls = Objects.requireNonNull(calls, "calls");
        this.shared = new SharedInfo().wrap(new GuestMemoryBuffer(cpu.memory(), sharedInfoVa, SharedInfo.SIZE), 0);
        this.vcpuInfo = shared.vcpuInfo(cpu.vcpuId(), new VcpuInfo());
        this.claimed = new java.util.concurrent.atomic.AtomicLongArray(Evtchn2l.NR_CHANNELS / 64);
        this.mine = null;
    }

    /**
     * A secondary vCPU's dispatcher, beside {@code boot} (the domain's boot vCPU's): its
     * interdomain and unbound ports are bound to its vCPU and claimed from the boot vCPU's scan.
     */
    public EventDispatcher(EventDispatcher boot, Cpu cpu, EventChannelCalls calls, long sharedInfoVa) {
        this.cpu = Objects.requireNonNull(cpu, "cpu");
        this.calls = Objects.requireNonNull(calls, "calls");
        this.shared = new SharedInfo().wrap(new GuestMemoryBuffer(cpu.memory(), sharedInfoVa, SharedInfo.SIZE), 0);
        this.vcpuInfo = shared.vcpuInfo(cpu.vcpuId(), new VcpuInfo());
        this.claimed = boot.claimed;
        this.mine = new long[Evtchn2l.NR_CHANNELS / 64];
    }

    /** A channel this dispatcher bound; closing it unbinds the handler and closes the port. */
    public final class BoundPort implements AutoCloseable {
        private final Port port;
        private boolean closed;

        private BoundPort(Port port) {
            this.port = port;
        }

        /** The local port. */
        public Port port() {
            return port;
        }

        /** EVTCHNOP_send on this port. Allocates nothing. */
        public long notifyRemote() {
            return calls.send(port);
        }

        /** Whether {@link #close} has run. */
        public boolean isClosed() {
            return closed;
        }

        /** Masks the port, forgets its handler and closes it (EVTCHNOP_close). Idempotent. */
        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            int p = port.value();
            shared.testAndSetMask(p);
            handlers[p] = null;
            ports[p] = null;
            release(p);
            calls.close(port);
        }

        @Override
        public String toString() {
            return "BoundPort[" + port + (closed ? ", closed]" : "]");
        }
    }

    private BoundPort bound(String what, long rc, PortHandler handler) {
        if (rc < 0) {
            throw new EventChannelException(what, rc);
        }
        int p = (int) rc;
        Port port = Port.of(p);
        install(p, port, handler);
        unmask(p);
        return new BoundPort(port);
    }

    /**
     * A port this secondary vCPU's dispatcher bound: claimed from the boot vCPU's scan, then
     * routed here with {@code EVTCHNOP_bind_vcpu}. An event raised between the bind and the
     * route went to the boot vCPU, which may have taken it as spurious: the caller looks at its
     * ring once after binding (as every back end here does).
     */
    private BoundPort boundHere(String what, long rc, PortHandler handler) {
        if (mine == null || rc < 0) {
            return bound(what, rc, handler);
        }
        int p = (int) rc;
        Port port = Port.of(p);
        install(p, port, handler);
        long routed = calls.bindVcpu(port, cpu.vcpuId());
        if (routed < 0) {
            handlers[p] = null;
            ports[p] = null;
            release(p);
            calls.close(port);
            throw new EventChannelException("bind_vcpu", routed);
        }
        unmask(p);
        return new BoundPort(port);
    }

    /** Gives up this dispatcher's claim on port {@code p} (nothing on the boot vCPU). */
    private void release(int p) {
        if (mine != null && (mine[p >>> 6] & 1L << p) != 0) {
            mine[p >>> 6] &= ~(1L << p);
            claimed.getAndUpdate(p >>> 6, w -> w & ~(1L << p));
        }
    }

    /** EVTCHNOP_alloc_unbound for {@code remote}, handled by {@code handler}. */
    public BoundPort allocUnbound(DomId remote, PortHandler handler) {
        Objects.requireNonNull(handler, "handler");
        return boundHere("alloc_unbound", calls.allocUnbound(DomId.SELF, remote), handler);
    }

    /** EVTCHNOP_bind_interdomain to {@code remotePort} of {@code remote}. */
    public BoundPort bindInterdomain(DomId remote, Port remotePort, PortHandler handler) {
        Objects.requireNonNull(handler, "handler");
        return boundHere("bind_interdomain", calls.bindInterdomain(remote, remotePort), handler);
    }

    /** EVTCHNOP_bind_virq of {@code virq} on this dispatcher's vCPU. */
    public BoundPort bindVirq(Virq virq, PortHandler handler) {
        Objects.requireNonNull(handler, "handler");
        return bound("bind_virq", calls.bindVirq(virq, cpu.vcpuId()), handler);
    }

    /**
     * EVTCHNOP_send on {@code port} from this dispatcher's vCPU: a port of this domain bound to
     * another of its vCPUs (an IPI that kicks it), or an interdomain port. Allocates nothing.
     */
    public long send(Port port) {
        return calls.send(port);
    }

    /** EVTCHNOP_bind_ipi delivering to {@code vcpu}. */
    public BoundPort bindIpi(int vcpu, PortHandler handler) {
        Objects.requireNonNull(handler, "handler");
        return bound("bind_ipi", calls.bindIpi(vcpu), handler);
    }

    /**
     * Handles events on {@code port}, a channel the domain builder bound before the domain
     * started (the store and console channels of {@code start_info}), and unmasks it. Nothing
     * is allocated or closed: the channel stays the builder's, as Linux's xenbus never closes
     * the store channel.
     */
    public void attach(Port port, PortHandler handler) {
        Objects.requireNonNull(handler, "handler");
        int p = port.value();
        if (p <= 0 || p >= Evtchn2l.NR_CHANNELS) {
            throw new IllegalArgumentException("port " + p + " cannot carry events");
        }
        install(p, port, handler);
        unmask(p);
    }

    /**
     * Stops handling events on {@code port}, a channel {@link #attach}ed here with
     * {@code handler} that someone else closes (the hypervisor, for a host-relay port or an
     * emulated NIC's wire): masks it and forgets its handler; the port itself is left alone.
     * Does nothing, and answers false, where {@code handler} is no longer the port's: the
     * hypervisor closed the channel before this was called and the number went to a new
     * binding, which keeps its handler, its mask bit and its vCPU.
     */
    public boolean detach(Port port, PortHandler handler) {
        int p = port.value();
        if (p <= 0 || p >= handlers.length || handlers[p] != handler) {
            return false;
        }
        shared.testAndSetMask(p);
        handlers[p] = null;
        ports[p] = null;
        release(p);
        return true;
    }

    /** Records {@code handler} for port {@code p}, growing the tables to reach it. */
    private void install(int p, Port port, PortHandler handler) {
        if (p >= handlers.length) {
            int n = handlers.length;
            while (n <= p) {
                n *= 2;
            }
            handlers = java.util.Arrays.copyOf(handlers, Math.min(n, Evtchn2l.NR_CHANNELS));
            ports = java.util.Arrays.copyOf(ports, handlers.length);
        }
        ports[p] = port;
        handlers[p] = handler;
        if (mine != null) {
            // Claimed before it can be routed here: from now on the boot vCPU's scan leaves it.
            mine[p >>> 6] |= 1L << p;
            claimed.getAndUpdate(p >>> 6, w -> w | 1L << p);
        }
    }

    /** Whether {@code port} has a handler. */
    public boolean isBound(Port port) {
        int p = port.value();
        return p < handlers.length && handlers[p] != null;
    }

    /** Events that arrived on ports without a handler (the 2-level ABI allows spurious events). */
    public long spuriousEvents() {
        return spurious;
    }

    /** Sets {@code port}'s mask bit: events stay pending and raise no upcall. */
    public void mask(Port port) {
        shared.testAndSetMask(port.value());
    }

    /**
     * Clears {@code port}'s mask bit, then re-checks: if the port became pending while masked
     * (no selector or upcall was raised for it), raises them on this vCPU as Xen's unmask
     * would, and if upcalls are enabled makes a hypercall so the upcall is delivered at its
     * return.
     */
    public void unmask(Port port) {
        unmask(port.value());
    }

    private void unmask(int port) {
        shared.testAndClearMask(port);
        if (!shared.isPending(port)) {
            return;
        }
        if (!vcpuInfo.testAndSetPendingSel(port >>> 6)) {
            vcpuInfo.upcallPendingRelease(1);
            if (vcpuInfo.upcallMaskAcquire() == 0) {
                cpu.hypercall(Hypercall.XEN_VERSION, XenVersion.VERSION, 0); // force_evtchn_callback
            }
        }
    }

    /** The 2-level scan: dispatches every pending, unmasked port selected for this vCPU. */
    @Override
    public void upcall(Cpu c) {
        // Cleared before the scan: an event raised from here on sets it again and is seen below
        // or by the next upcall.
        vcpuInfo.upcallPendingRelease(0);
        long sel = vcpuInfo.takePendingSel();
        while (sel != 0) {
            int i = Long.numberOfTrailingZeros(sel);
            sel &= sel - 1;
            for (;;) {
                long ready = shared.pendingWordAcquire(i) & ~shared.maskWordAcquire(i)
                        & (mine == null ? ~claimed.get(i) : mine[i]);
                if (ready == 0) {
                    break;
                }
                int port = (i << 6) | Long.numberOfTrailingZeros(ready);
                shared.testAndClearPending(port);
                PortHandler h = port < handlers.length ? handlers[port] : null;
                if (h == null) {
                    spurious++;
                } else {
                    h.onEvent(ports[port]);
                }
            }
        }
    }
}
