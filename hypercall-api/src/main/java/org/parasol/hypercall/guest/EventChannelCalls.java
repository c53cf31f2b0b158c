package org.parasol.hypercall.guest;

import java.util.Objects;
import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.Port;
import org.parasol.hypercall.Virq;
import org.parasol.hypercall.abi.EvtchnOp;
import org.parasol.hypercall.abi.EvtchnStat;
import org.parasol.hypercall.struct.EvtchnAllocUnbound;
import org.parasol.hypercall.struct.EvtchnBindInterdomain;
import org.parasol.hypercall.struct.EvtchnBindIpi;
import org.parasol.hypercall.struct.EvtchnBindPirq;
import org.parasol.hypercall.struct.EvtchnBindVcpu;
import org.parasol.hypercall.struct.EvtchnBindVirq;
import org.parasol.hypercall.struct.EvtchnClose;
import org.parasol.hypercall.struct.EvtchnExpandArray;
import org.parasol.hypercall.struct.EvtchnInitControl;
import org.parasol.hypercall.struct.EvtchnReset;
import org.parasol.hypercall.struct.EvtchnSend;
import org.parasol.hypercall.struct.EvtchnSetPriority;
import org.parasol.hypercall.struct.EvtchnStatus;
import org.parasol.hypercall.struct.EvtchnUnmask;

/**
 * {@code HYPERVISOR_event_channel_op(cmd, arg)} (hypercall 32), one method per
 * {@code EVTCHNOP_*} command, as Mini-OS's {@code events.c} calls it.
 *
 * <p>Each method marshals its {@code evtchn_*} structure through the {@link ArgumentPage},
 * passes its guest virtual address in the second argument register, and returns
 * {@code >= 0} or {@code -errno}. Commands that allocate a port return the port number as
 * the result. A bad argument pointer answers {@code -EFAULT}; an unknown command
 * {@code -ENOSYS}. {@link #send} and {@link #unmask} allocate nothing.
 */
public final class EventChannelCalls {
    private final Cpu cpu;
    private final ArgumentPage page;
    private final EvtchnAllocUnbound allocUnbound = new EvtchnAllocUnbound();
    private final EvtchnBindInterdomain bindInterdomain = new EvtchnBindInterdomain();
    private final EvtchnBindVirq bindVirq = new EvtchnBindVirq();
    private final EvtchnBindPirq bindPirq = new EvtchnBindPirq();
    private final EvtchnBindIpi bindIpi = new EvtchnBindIpi();
    private final EvtchnBindVcpu bindVcpu = new EvtchnBindVcpu();
    private final EvtchnClose close = new EvtchnClose();
    private final EvtchnSend send = new EvtchnSend();
    private final EvtchnUnmask unmask = new EvtchnUnmask();
    private final EvtchnStatus status = new EvtchnStatus();
    private final EvtchnReset reset = new EvtchnReset();
    private final EvtchnInitControl initControl = new EvtchnInitControl();
    private final EvtchnExpandArray expandArray = new EvtchnExpandArray();
    private final EvtchnSetPriority setPriority = new EvtchnSetPriority();

    /** Wrappers for {@code cpu}, marshalling through {@code page} (the same vCPU's). */
    public EventChannelCalls(Cpu cpu, ArgumentPage page) {
        this.cpu = Objects.requireNonNull(cpu, "cpu");
        this.page = Objects.requireNonNull(page, "page");
    }

    /**
     * {@code EVTCHNOP_alloc_unbound}: allocates a port in {@code dom} that {@code remoteDom}
     * may later bind to.
     *
     * @return the new port, or {@code -EPERM} if an unprivileged caller names a {@code dom}
     *     other than {@code DOMID_SELF}, {@code -ESRCH} for an unknown domain,
     *     {@code -ENOSPC} if no port is free
     */
    public long allocUnbound(DomId dom, DomId remoteDom) {
        long off = page.push(EvtchnAllocUnbound.SIZE);
        try {
            allocUnbound.wrap(page.buffer(), off).dom(dom.value()).remoteDom(remoteDom.value());
            long rc = call(EvtchnOp.ALLOC_UNBOUND, off, EvtchnAllocUnbound.SIZE, true);
            return rc < 0 ? rc : allocUnbound.wrap(page.buffer(), off).port();
        } finally {
            page.pop(off);
        }
    }

    /**
     * {@code EVTCHNOP_bind_interdomain}: connects a new local port to {@code remotePort} of
     * {@code remoteDom}, which must be unbound and waiting for this domain. The new port is
     * left pending, covering notifications sent before the bind.
     *
     * @return the new local port, or {@code -EINVAL} if the remote port is not unbound for
     *     this domain, {@code -ESRCH} for an unknown domain, {@code -ENOSPC} if no port is free
     */
    public long bindInterdomain(DomId remoteDom, Port remotePort) {
        long off = page.push(EvtchnBindInterdomain.SIZE);
        try {
            bindInterdomain.wrap(page.buffer(), off).remoteDom(remoteDom.value()).remotePort(remotePort.value());
            long rc = call(EvtchnOp.BIND_INTERDOMAIN, off, EvtchnBindInterdomain.SIZE, true);
            return rc < 0 ? rc : bindInterdomain.wrap(page.buffer(), off).localPort();
        } finally {
            page.pop(off);
        }
    }

    /**
     * {@code EVTCHNOP_bind_virq}: binds virtual IRQ {@code virq} to a new port notifying
     * {@code vcpu}. Global and per-domain VIRQs are bound on vCPU 0. Allocates nothing for a
     * VIRQ Xen defines (its handle is a shared constant).
     *
     * @return the new port, or {@code -EINVAL} for a VIRQ number of 24 or more or a
     *     non-per-vCPU VIRQ with {@code vcpu != 0}, {@code -ENOENT} for no such vCPU,
     *     {@code -EEXIST} if already bound on that vCPU, {@code -EBUSY} if another domain
     *     owns the global VIRQ
     */
    public long bindVirq(Virq virq, int vcpu) {
        long off = page.push(EvtchnBindVirq.SIZE);
        try {
            bindVirq.wrap(page.buffer(), off).virq(virq.value()).vcpu(vcpu);
            long rc = call(EvtchnOp.BIND_VIRQ, off, EvtchnBindVirq.SIZE, true);
            return rc < 0 ? rc : bindVirq.wrap(page.buffer(), off).port();
        } finally {
            page.pop(off);
        }
    }

    /**
     * {@code EVTCHNOP_bind_pirq}: binds physical IRQ {@code pirq} (privileged domains with
     * device access only).
     *
     * @return the new port, or {@code -EPERM} without access to the IRQ, {@code -EINVAL}
     *     for a bad IRQ, {@code -EEXIST} if already bound
     */
    public long bindPirq(int pirq, int flags) {
        long off = page.push(EvtchnBindPirq.SIZE);
        try {
            bindPirq.wrap(page.buffer(), off).pirq(pirq).flags(flags);
            long rc = call(EvtchnOp.BIND_PIRQ, off, EvtchnBindPirq.SIZE, true);
            return rc < 0 ? rc : bindPirq.wrap(page.buffer(), off).port();
        } finally {
            page.pop(off);
        }
    }

    /**
     * {@code EVTCHNOP_bind_ipi}: allocates a port for notifications between this domain's
     * vCPUs, delivered to {@code vcpu}; its vCPU binding never changes.
     *
     * @return the new port, or {@code -ENOENT} for no such vCPU, {@code -ENOSPC} if no port is free
     */
    public long bindIpi(int vcpu) {
        long off = page.push(EvtchnBindIpi.SIZE);
        try {
            bindIpi.wrap(page.buffer(), off).vcpu(vcpu);
            long rc = call(EvtchnOp.BIND_IPI, off, EvtchnBindIpi.SIZE, true);
            return rc < 0 ? rc : bindIpi.wrap(page.buffer(), off).port();
        } finally {
            page.pop(off);
        }
    }

    /**
     * {@code EVTCHNOP_bind_vcpu}: makes {@code port} notify {@code vcpu}. Allowed for
     * unbound, interdomain, PIRQ and global or per-domain VIRQ ports.
     *
     * @return 0, or {@code -EINVAL} for a per-vCPU VIRQ or IPI port or a free port,
     *     {@code -ENOENT} for no such vCPU
     */
    public long bindVcpu(Port port, int vcpu) {
        long off = page.push(EvtchnBindVcpu.SIZE);
        try {
            bindVcpu.wrap(page.buffer(), off).port(port.value()).vcpu(vcpu);
            return call(EvtchnOp.BIND_VCPU, off, EvtchnBindVcpu.SIZE, false);
        } finally {
            page.pop(off);
        }
    }

    /**
     * {@code EVTCHNOP_close}: closes {@code port}. The peer of an interdomain channel goes
     * back to unbound, accepting a rebind from this domain.
     *
     * @return 0, or {@code -EINVAL} for a free or reserved port
     */
    public long close(Port port) {
        long off = page.push(EvtchnClose.SIZE);
        try {
            close.wrap(page.buffer(), off).port(port.value());
            return call(EvtchnOp.CLOSE, off, EvtchnClose.SIZE, false);
        } finally {
            page.pop(off);
        }
    }

    /**
     * {@code EVTCHNOP_send}: notifies the other end of {@code port} (the peer's port for an
     * interdomain channel, this port for an IPI). A send on an unbound port is dropped and
     * still returns 0.
     *
     * @return 0, or {@code -EINVAL} for a free port or one of another kind
     */
    public long send(Port port) {
        long off = page.push(EvtchnSend.SIZE);
        try {
            send.wrap(page.buffer(), off).port(port.value());
            return call(EvtchnOp.SEND, off, EvtchnSend.SIZE, false);
        } finally {
            page.pop(off);
        }
    }

    /**
     * {@code EVTCHNOP_unmask}: clears {@code port}'s mask bit and, if it is pending, raises
     * the upcall on its vCPU.
     *
     * @return 0, or {@code -EINVAL} for a port beyond the domain's ports
     */
    public long unmask(Port port) {
        long off = page.push(EvtchnUnmask.SIZE);
        try {
            unmask.wrap(page.buffer(), off).port(port.value());
            return call(EvtchnOp.UNMASK, off, EvtchnUnmask.SIZE, false);
        } finally {
            page.pop(off);
        }
    }

    /**
     * {@code EVTCHNOP_status}: the state of {@code port} in {@code dom}. Asking about
     * another domain needs privilege.
     *
     * @return the state; its {@code result} is 0, or {@code -EPERM} without privilege,
     *     {@code -ESRCH} for an unknown domain, {@code -EINVAL} for a port out of range
     */
    public ChannelStatus status(DomId dom, Port port) {
        long off = page.push(EvtchnStatus.SIZE);
        try {
            status.wrap(page.buffer(), off).dom(dom.value()).port(port.value());
            long rc = call(EvtchnOp.STATUS, off, EvtchnStatus.SIZE, true);
            if (rc < 0) {
                return new ChannelStatus(rc, 0, 0, DomId.INVALID, Port.NONE, 0);
            }
            EvtchnStatus s = status.wrap(page.buffer(), off);
            int state = (int) s.status();
            int remoteDom = DomId.DOMID_INVALID;
            long remotePort = 0;
            long irq = 0;
            switch (state) {
                case EvtchnStat.UNBOUND -> remoteDom = s.unboundDom();
                case EvtchnStat.INTERDOMAIN -> {
                    remoteDom = s.interdomainDom();
                    remotePort = s.interdomainPort();
                }
                case EvtchnStat.PIRQ -> irq = s.pirq();
                case EvtchnStat.VIRQ -> irq = s.virq();
                default -> {
                }
            }
            return new ChannelStatus(rc, state, (int) s.vcpu(), DomId.of(remoteDom), Port.of((int) remotePort), (int) irq);
        } finally {
            page.pop(off);
        }
    }

    /**
     * {@code EVTCHNOP_reset}: closes every port of {@code dom} ({@code DOMID_SELF} for this
     * domain) and reverts to the 2-level event ABI.
     *
     * @return 0, or {@code -EPERM} for another domain without privilege, {@code -ESRCH}
     *     for an unknown domain
     */
    public long reset(DomId dom) {
        long off = page.push(EvtchnReset.SIZE);
        try {
            reset.wrap(page.buffer(), off).dom(dom.value());
            return call(EvtchnOp.RESET, off, EvtchnReset.SIZE, false);
        } finally {
            page.pop(off);
        }
    }

    /**
     * {@code EVTCHNOP_init_control}: registers {@code vcpu}'s FIFO control block at
     * {@code offset} in frame {@code controlGfn}; the first call switches the domain to the
     * FIFO ABI.
     *
     * @return {@code link_bits} (17), or {@code -EINVAL} for an offset not 8-byte aligned, a
     *     block crossing the page or a second registration, {@code -ENOENT} for no such vCPU
     */
    public long initControl(long controlGfn, long offset, int vcpu) {
        long off = page.push(EvtchnInitControl.SIZE);
        try {
            initControl.wrap(page.buffer(), off).controlGfn(controlGfn).offset(offset).vcpu(vcpu);
            long rc = call(EvtchnOp.INIT_CONTROL, off, EvtchnInitControl.SIZE, true);
            return rc < 0 ? rc : initControl.wrap(page.buffer(), off).linkBits();
        } finally {
            page.pop(off);
        }
    }

    /**
     * {@code EVTCHNOP_expand_array}: adds frame {@code arrayGfn} (1024 event words) to the
     * FIFO event array.
     *
     * @return 0, or {@code -ENOSPC} beyond 128 pages, {@code -EINVAL} before init_control
     */
    public long expandArray(long arrayGfn) {
        long off = page.push(EvtchnExpandArray.SIZE);
        try {
            expandArray.wrap(page.buffer(), off).arrayGfn(arrayGfn);
            return call(EvtchnOp.EXPAND_ARRAY, off, EvtchnExpandArray.SIZE, false);
        } finally {
            page.pop(off);
        }
    }

    /**
     * {@code EVTCHNOP_set_priority}: sets {@code port}'s FIFO priority, 0 (highest) to 15.
     *
     * @return 0, or {@code -EINVAL} for a priority above 15 or a free port,
     *     {@code -ENOSYS} under the 2-level ABI
     */
    public long setPriority(Port port, int priority) {
        long off = page.push(EvtchnSetPriority.SIZE);
        try {
            setPriority.wrap(page.buffer(), off).port(port.value()).priority(priority);
            return call(EvtchnOp.SET_PRIORITY, off, EvtchnSetPriority.SIZE, false);
        } finally {
            page.pop(off);
        }
    }

    private long call(int cmd, long off, long size, boolean hasOut) {
        GuestMemory memory = cpu.memory();
        page.copyIn(memory, off, size);
        long rc = cpu.hypercall(Hypercall.EVENT_CHANNEL_OP, cmd, page.address(off));
        if (hasOut && rc >= 0) {
            page.copyOut(memory, off, size);
        }
        return rc;
    }

    /**
     * What {@link #status} learned about a port.
     *
     * @param result 0, or {@code -errno} (then the numbers are 0, the domain
     *     {@link DomId#INVALID} and the port {@link Port#NONE})
     * @param state {@code EVTCHNSTAT_*}
     * @param vcpu the vCPU the port notifies
     * @param remoteDom for an unbound port the domain allowed to bind, for an interdomain
     *     port the peer domain; {@link DomId#INVALID} for other ports
     * @param remotePort for an interdomain port, the peer port; {@link Port#NONE} for others
     * @param irq for a PIRQ or VIRQ port, its IRQ number
     */
    public record ChannelStatus(long result, int state, int vcpu, DomId remoteDom, Port remotePort, int irq) {
    }
}
