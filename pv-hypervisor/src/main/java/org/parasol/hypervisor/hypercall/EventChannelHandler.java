package org.parasol.hypervisor.hypercall;

import static org.parasol.hypercall.Errno.EFAULT;
import static org.parasol.hypercall.Errno.EINVAL;
import static org.parasol.hypercall.Errno.ENOSYS;
import static org.parasol.hypercall.Errno.EPERM;
import static org.parasol.hypercall.Errno.ESRCH;

import org.parasol.hypercall.DomId;
import org.parasol.hypercall.abi.Evtchn2l;
import org.parasol.hypercall.abi.EvtchnOp;
import org.parasol.hypercall.struct.EvtchnAllocUnbound;
import org.parasol.hypercall.struct.EvtchnBindInterdomain;
import org.parasol.hypercall.struct.EvtchnBindIpi;
import org.parasol.hypercall.struct.EvtchnBindPirq;
import org.parasol.hypercall.struct.EvtchnBindVcpu;
import org.parasol.hypercall.struct.EvtchnBindVirq;
import org.parasol.hypercall.struct.EvtchnClose;
import org.parasol.hypercall.struct.EvtchnReset;
import org.parasol.hypercall.struct.EvtchnSend;
import org.parasol.hypercall.struct.EvtchnStatus;
import org.parasol.hypercall.struct.EvtchnUnmask;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.Vcpu;
import org.parasol.hypervisor.event.EventChannels;

/**
 * event_channel_op (hypercall 32): {@code (cmd, arg)}, the 2-level ABI, in
 * {@code do_event_channel_op}'s order: every command first copies its {@code evtchn_*}
 * structure in (-EFAULT for a bad pointer) and decodes it with the ABI's flyweight; a command
 * with OUT fields copies the whole structure back on success, as Xen does. Domain arguments are
 * looked up before permission is checked ({@link DomainArgs#byAnyId}, -ESRCH), so naming a
 * domain that does not exist is -ESRCH whoever asks.
 *
 * <ul>
 *   <li>alloc_unbound (6): {@code dom} unknown -ESRCH; no free port in it -ENOSPC; a
 *       {@code dom} other than the caller without privilege -EPERM; a new port of {@code dom}
 *       waiting for {@code remote_dom} ({@code DOMID_SELF} = the caller).</li>
 *   <li>bind_interdomain (0): unknown domain -ESRCH; no free local port -ENOSPC; remote port
 *       not unbound for the caller -EINVAL; the new local port is left pending.</li>
 *   <li>bind_virq (1): see {@link EventChannels#bindVirq}; the handler of a global VIRQ is
 *       the privileged (hardware) domain, anyone else gets -EBUSY after the range, vCPU-0 and
 *       vCPU checks.</li>
 *   <li>bind_ipi (7): -ENOENT for no such vCPU.</li>
 *   <li>bind_vcpu (8): see {@link EventChannels#bindVcpu}.</li>
 *   <li>close (3), send (4), unmask (9): -EINVAL for a port beyond the table.</li>
 *   <li>status (5): unknown domain -ESRCH; port beyond the table -EINVAL; another domain's
 *       ports without privilege -EPERM.</li>
 *   <li>reset (10): unknown domain -ESRCH; another domain without privilege -EPERM; another
 *       domain that is not paused -EINVAL; closes every port of the domain.</li>
 *   <li>bind_pirq (2): -EPERM, no domain may reach a physical IRQ. init_control,
 *       expand_array, set_priority (FIFO ABI): -ENOSYS, as a Xen without FIFO events answers.</li>
 * </ul>
 *
 * <p>A new port whose OUT structure cannot be written back is closed again before -EFAULT
 * (Xen leaves it bound: "cleaning up here would be a mess"); see docs/deviations.md.
 *
 * <p>send and status allocate nothing: their structures are copied into the vCPU's scratch and
 * read through flyweights wrapped there once.
 */
final class EventChannelHandler implements HypercallHandler {

    @Override
    public long call(Vcpu v, long cmd, long arg, long a3, long a4, long a5) {
        return switch ((int) cmd) {
            case EvtchnOp.SEND -> send(v, arg);
            case EvtchnOp.BIND_INTERDOMAIN -> bindInterdomain(v, arg);
            case EvtchnOp.BIND_VIRQ -> bindVirq(v, arg);
            case EvtchnOp.BIND_PIRQ -> bindPirq(v, arg);
            case EvtchnOp.CLOSE -> close(v, arg);
            case EvtchnOp.STATUS -> status(v, arg);
            case EvtchnOp.ALLOC_UNBOUND -> allocUnbound(v, arg);
            case EvtchnOp.BIND_IPI -> bindIpi(v, arg);
            case EvtchnOp.BIND_VCPU -> bindVcpu(v, arg);
            case EvtchnOp.UNMASK -> unmask(v, arg);
            case EvtchnOp.RESET -> reset(v, arg);
            default -> -ENOSYS;
        };
    }

    private static long send(Vcpu v, long arg) {
        GuestArgs a = GuestArgs.of(v);
        if (!a.in(v, arg, EvtchnSend.SIZE)) {
            return -EFAULT;
        }
        int rc = v.domain().events().send((int) a.send.port());
        if (rc == 0) {
            v.countEventSend();
        }
        return rc;
    }

    private static long allocUnbound(Vcpu v, long arg) {
        GuestArgs a = GuestArgs.of(v);
        if (!a.in(v, arg, EvtchnAllocUnbound.SIZE)) {
            return -EFAULT;
        }
        EvtchnAllocUnbound op = a.allocUnbound;
        int remote = op.remoteDom();
        Domain d = DomainArgs.byAnyId(v, op.dom());
        if (d == null) {
            return -ESRCH;
        }
        EventChannels events = d.events();
        if (!DomainArgs.mayControl(v, d)) {
            // evtchn_alloc_unbound allocates the port before asking XSM: a full table is said first.
            int free = events.checkFreePort();
            return free < 0 ? free : -EPERM;
        }
        int port = events.allocUnbound(remote == DomId.DOMID_SELF ? v.domain().domid() : remote);
        if (port < 0) {
            return port;
        }
        op.port(port);
        if (!a.out(v, arg, EvtchnAllocUnbound.SIZE)) {
            events.close(port);
            return -EFAULT;
        }
        return 0;
    }

    private static long bindInterdomain(Vcpu v, long arg) {
        GuestArgs a = GuestArgs.of(v);
        if (!a.in(v, arg, EvtchnBindInterdomain.SIZE)) {
            return -EFAULT;
        }
        EvtchnBindInterdomain op = a.bindInterdomain;
        int remotePort = (int) op.remotePort();
        Domain remote = DomainArgs.byAnyId(v, op.remoteDom());
        if (remote == null) {
            return -ESRCH;
        }
        EventChannels events = v.domain().events();
        int port = events.bindInterdomain(remote.events(), remotePort);
        if (port < 0) {
            return port;
        }
        op.localPort(port);
        if (!a.out(v, arg, EvtchnBindInterdomain.SIZE)) {
            events.close(port);
            return -EFAULT;
        }
        return 0;
    }

    private static long bindVirq(Vcpu v, long arg) {
        GuestArgs a = GuestArgs.of(v);
        if (!a.in(v, arg, EvtchnBindVirq.SIZE)) {
            return -EFAULT;
        }
        EvtchnBindVirq op = a.bindVirq;
        int port = v.domain().events().bindVirq((int) op.virq(), (int) op.vcpu(), v.domain().privileged());
        if (port < 0) {
            return port;
        }
        op.port(port);
        return portOut(v, port, arg, EvtchnBindVirq.SIZE);
    }

    private static long bindIpi(Vcpu v, long arg) {
        GuestArgs a = GuestArgs.of(v);
        if (!a.in(v, arg, EvtchnBindIpi.SIZE)) {
            return -EFAULT;
        }
        EvtchnBindIpi op = a.bindIpi;
        int port = v.domain().events().bindIpi((int) op.vcpu());
        if (port < 0) {
            return port;
        }
        op.port(port);
        return portOut(v, port, arg, EvtchnBindIpi.SIZE);
    }

    /** Copies a structure holding new port {@code port} back; a fault closes the port again. */
    private static long portOut(Vcpu v, int port, long arg, long size) {
        if (!GuestArgs.of(v).out(v, arg, size)) {
            v.domain().events().close(port);
            return -EFAULT;
        }
        return 0;
    }

    private static long bindPirq(Vcpu v, long arg) {
        if (!GuestArgs.of(v).in(v, arg, EvtchnBindPirq.SIZE)) {
            return -EFAULT;
        }
        return -EPERM; // pirq_access_permitted: no domain has a physical IRQ
    }

    private static long bindVcpu(Vcpu v, long arg) {
        GuestArgs a = GuestArgs.of(v);
        if (!a.in(v, arg, EvtchnBindVcpu.SIZE)) {
            return -EFAULT;
        }
        EvtchnBindVcpu op = a.bindVcpu;
        int port = (int) op.port();
        return v.domain().events().bindVcpu(port, (int) op.vcpu());
    }

    private static long close(Vcpu v, long arg) {
        GuestArgs a = GuestArgs.of(v);
        if (!a.in(v, arg, EvtchnClose.SIZE)) {
            return -EFAULT;
        }
        return v.domain().events().close((int) a.close.port());
    }

    private static long unmask(Vcpu v, long arg) {
        GuestArgs a = GuestArgs.of(v);
        if (!a.in(v, arg, EvtchnUnmask.SIZE)) {
            return -EFAULT;
        }
        return v.domain().events().unmask((int) a.unmask.port());
    }

    private static long reset(Vcpu v, long arg) {
        GuestArgs a = GuestArgs.of(v);
        if (!a.in(v, arg, EvtchnReset.SIZE)) {
            return -EFAULT;
        }
        Domain d = DomainArgs.byAnyId(v, a.reset.dom());
        if (d == null) {
            return -ESRCH;
        }
        if (!DomainArgs.mayControl(v, d)) {
            return -EPERM;
        }
        if (d != v.domain() && !d.pauseRequested()) {
            return -EINVAL; // evtchn_reset: another domain only while its controller holds it paused
        }
        d.events().closeAll();
        return 0;
    }

    private static long status(Vcpu v, long arg) {
        GuestArgs a = GuestArgs.of(v);
        if (!a.in(v, arg, EvtchnStatus.SIZE)) {
            return -EFAULT;
        }
        EvtchnStatus op = a.status;
        long port = op.port();
        Domain d = DomainArgs.byAnyId(v, op.dom());
        if (d == null) {
            return -ESRCH;
        }
        if (port >= Evtchn2l.NR_CHANNELS) {
            return -EINVAL;
        }
        if (!DomainArgs.mayControl(v, d)) {
            return -EPERM;
        }
        int rc = d.events().status((int) port, op);
        if (rc < 0) {
            return rc;
        }
        return a.out(v, arg, EvtchnStatus.SIZE) ? 0 : -EFAULT;
    }
}
