package org.parasol.guest.event;

import java.util.Objects;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.EventCallback;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.Port;
import org.parasol.hypercall.abi.Evtchn2l;
import org.parasol.hypercall.abi.XenVersion;
import org.parasol.hypercall.guest.EventChannelCalls;

/**
 * A guest's event channels over the 2-level ABI: binds ports with their handlers and
 * dispatches events from the upcall, as Mini-OS's {@code events.c} does.
 *
 * <pre>
 *  shared_info:  vcpu_info[v] { upcall_pending @0, upcall_mask @1, pending_sel @8 }
 *                evtchn_pending[64] @2048   evtchn_mask[64] @2560
 *  port p  =  bit (p % 64) of word (p / 64);  selector bit p / 64
 * </pre>
 *
 * <p>Binding: {@link #allocUnbound}, {@link #bindInterdomain}, {@link #bindVirq} and
 * {@link #bindIpi} make the hypercall, record the handler and unmask the port; the
 * {@link BoundPort} they return closes the channel again. {@link #mask} and {@link #unmask}
 * change one port's mask bit; unmask re-checks the pending bit afterwards, because an event
 * that arrived while the port was masked raised no upcall.
 *
 * <p>The upcall ({@link #upcall}, registered as the vCPU's event callback) does Xen's guest
 * scan: clear {@code upcall_pending}, exchange the selector with 0, and for every selected word
 * take the pending-and-unmasked bits lowest first, clearing each pending bit before calling
 * its handler. The scan allocates nothing.
 *
 * <p>Invariants: one dispatcher per domain, used from the vCPU whose {@link Cpu} it was made
 * with (its memory and argument page belong to that vCPU); handlers are kept per port.
 */
public final class EventDispatcher implements EventCallback {
    private static final long VCPU_INFO_SIZE = 64;
    private static final long UPCALL_PENDING = 0;
    private static final long UPCALL_MASK = 1;
    private static final long PENDING_SEL = 8;
    private static final long EVTCHN_PENDING = 2048;
    private static final long EVTCHN_MASK = 2560;

    private final Cpu cpu;
    private final GuestMemory mem;
    private final EventChannelCalls calls;
    private final long sharedInfo;
    private final PortHandler[] handlers = new PortHandler[Evtchn2l.NR_CHANNELS];
    private long spurious;

    /** A dispatcher for {@code cpu}, using {@code calls} and shared_info mapped at {@code sharedInfoVa}. */
    public EventDispatcher(Cpu cpu, EventChannelCalls calls, long sharedInfoVa) {
        this.cpu = Objects.requireNonNull(cpu, "cpu");
        this.mem = cpu.memory();
        this.calls = Objects.requireNonNull(calls, "calls");
        this.sharedInfo = sharedInfoVa;
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

        /** EVTCHNOP_send on this port. */
        public long notifyRemote() {
            return calls.send(port);
        }

        /** Masks the port, forgets its handler and closes it (EVTCHNOP_close). Idempotent. */
        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            mask(port.value());
            handlers[port.value()] = null;
            calls.close(port);
        }
    }

    private BoundPort bound(String what, long rc, PortHandler handler) {
        if (rc < 0) {
            throw new EventChannelException(what, rc);
        }
        int p = (int) rc;
        handlers[p] = handler;
        unmask(p);
        return new BoundPort(Port.of(p));
    }

    /** EVTCHNOP_alloc_unbound for {@code remote}, handled by {@code handler}. */
    public BoundPort allocUnbound(DomId remote, PortHandler handler) {
        Objects.requireNonNull(handler, "handler");
        return bound("alloc_unbound", calls.allocUnbound(DomId.SELF, remote), handler);
    }

    /** EVTCHNOP_bind_interdomain to {@code remotePort} of {@code remote}. */
    public BoundPort bindInterdomain(DomId remote, Port remotePort, PortHandler handler) {
        Objects.requireNonNull(handler, "handler");
        return bound("bind_interdomain", calls.bindInterdomain(remote, remotePort), handler);
    }

    /** EVTCHNOP_bind_virq of {@code virq} on this dispatcher's vCPU. */
    public BoundPort bindVirq(int virq, PortHandler handler) {
        Objects.requireNonNull(handler, "handler");
        return bound("bind_virq", calls.bindVirq(virq, cpu.vcpuId()), handler);
    }

    /** EVTCHNOP_bind_ipi delivering to {@code vcpu}. */
    public BoundPort bindIpi(int vcpu, PortHandler handler) {
        Objects.requireNonNull(handler, "handler");
        return bound("bind_ipi", calls.bindIpi(vcpu), handler);
    }

    /** Whether {@code port} has a handler. */
    public boolean isBound(int port) {
        return handlers[port] != null;
    }

    /** Events that arrived on ports without a handler (the 2-level ABI allows spurious events). */
    public long spuriousEvents() {
        return spurious;
    }

    private long word(long array, int port) {
        return sharedInfo + array + 8L * (port >>> 6);
    }

    /** Sets {@code port}'s mask bit: events stay pending and raise no upcall. */
    public void mask(int port) {
        mem.getAndBitwiseOrLong(word(EVTCHN_MASK, port), 1L << (port & 63));
    }

    /**
     * Clears {@code port}'s mask bit, then re-checks: if the port became pending while masked
     * (no selector or upcall was raised for it), raises them on this vCPU as Xen's unmask
     * would, and if upcalls are enabled makes a hypercall so the upcall is delivered at its
     * return.
     */
    public void unmask(int port) {
        long bit = 1L << (port & 63);
        mem.getAndBitwiseAndLong(word(EVTCHN_MASK, port), ~bit);
        if ((mem.getLongAcquire(word(EVTCHN_PENDING, port)) & bit) == 0) {
            return;
        }
        long vi = sharedInfo + VCPU_INFO_SIZE * cpu.vcpuId();
        long sel = 1L << (port >>> 6);
        if ((mem.getAndBitwiseOrLong(vi + PENDING_SEL, sel) & sel) == 0) {
            mem.putByteRelease(vi + UPCALL_PENDING, (byte) 1);
            if (mem.getByteAcquire(vi + UPCALL_MASK) == 0) {
                cpu.hypercall(Hypercall.XEN_VERSION, XenVersion.VERSION, 0); // force_evtchn_callback
            }
        }
    }

    /** The 2-level scan: dispatches every pending, unmasked port selected for this vCPU. */
    @Override
    public void upcall(Cpu c) {
        long vi = sharedInfo + VCPU_INFO_SIZE * c.vcpuId();
        mem.putByteRelease(vi + UPCALL_PENDING, (byte) 0);
        long sel = mem.getAndSetLong(vi + PENDING_SEL, 0);
        while (sel != 0) {
            int i = Long.numberOfTrailingZeros(sel);
            sel &= sel - 1;
            long pw = sharedInfo + EVTCHN_PENDING + 8L * i;
            long mw = sharedInfo + EVTCHN_MASK + 8L * i;
            for (;;) {
                long ready = mem.getLongAcquire(pw) & ~mem.getLongAcquire(mw);
                if (ready == 0) {
                    break;
                }
                int j = Long.numberOfTrailingZeros(ready);
                mem.getAndBitwiseAndLong(pw, ~(1L << j));
                int port = (i << 6) | j;
                PortHandler h = handlers[port];
                if (h == null) {
                    spurious++;
                } else {
                    h.onEvent(port);
                }
            }
        }
    }
}
