package org.parasol.hypervisor.hypercall;

import static org.parasol.hypercall.Errno.EBUSY;
import static org.parasol.hypercall.Errno.EFAULT;
import static org.parasol.hypercall.Errno.EINVAL;
import static org.parasol.hypercall.Errno.ENOSYS;
import static org.parasol.hypercall.Errno.EPERM;
import static org.parasol.hypercall.Errno.ESRCH;

import org.parasol.hypercall.DomId;
import org.parasol.hypercall.abi.EvtchnOp;
import org.parasol.hypercall.abi.Virq;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.Vcpu;
import org.parasol.hypervisor.event.EventChannels;

/**
 * event_channel_op (hypercall 32): {@code (cmd, arg)}, the 2-level ABI. Each command copies
 * its structure in once, validates, commits, and copies OUT fields back; a bad pointer is
 * -EFAULT. Domain ids are checked against the caller's: {@code DOMID_SELF} or the caller's own
 * id name the caller.
 *
 * <ul>
 *   <li>alloc_unbound (6) {@code {u16 dom; u16 remote_dom; u32 port OUT}}: a port of
 *       {@code dom} waiting for {@code remote_dom} ({@code DOMID_SELF} = the caller). A
 *       {@code dom} other than the caller needs privilege (-EPERM); unknown: -ESRCH.</li>
 *   <li>bind_interdomain (0) {@code {u16 remote_dom; u32 remote_port; u32 local_port OUT}}:
 *       unknown domain -ESRCH; remote port not unbound for the caller -EINVAL; the new local
 *       port is left pending.</li>
 *   <li>bind_virq (1) {@code {u32 virq; u32 vcpu; u32 port OUT}}: see
 *       {@link EventChannels#bindVirq}; a global VIRQ belongs to its default handler, the
 *       privileged (hardware) domain, and is -EBUSY for anyone else.</li>
 *   <li>bind_ipi (7) {@code {u32 vcpu; u32 port OUT}}: -ENOENT for no such vCPU.</li>
 *   <li>bind_vcpu (8) {@code {u32 port; u32 vcpu}}: see {@link EventChannels#bindVcpu}.</li>
 *   <li>close (3), send (4), unmask (9) {@code {u32 port}}.</li>
 *   <li>status (5) {@code {u16 dom; u32 port; u32 status OUT; u32 vcpu OUT; union u OUT}}:
 *       another domain's ports only for a privileged caller (-EPERM); -ESRCH unknown.</li>
 *   <li>reset (10) {@code {u16 dom}}: closes every port of {@code dom}; another domain needs
 *       privilege (-EPERM); -ESRCH unknown.</li>
 *   <li>bind_pirq (2): -EPERM, no domain has physical IRQs. init_control, expand_array,
 *       set_priority (FIFO ABI): -ENOSYS, as a Xen without FIFO events answers.</li>
 * </ul>
 *
 * <p>send allocates nothing: it reads one 4-byte argument into the vCPU's scratch.
 */
final class EventChannelHandler implements HypercallHandler {

    @Override
    public long call(Vcpu v, long cmd, long arg, long a3, long a4, long a5) {
        return switch ((int) cmd) {
            case EvtchnOp.SEND -> send(v, arg);
            case EvtchnOp.BIND_INTERDOMAIN -> bindInterdomain(v, arg);
            case EvtchnOp.BIND_VIRQ -> bindVirq(v, arg);
            case EvtchnOp.BIND_PIRQ -> -EPERM;
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

    /** The caller's own domain for DOMID_SELF or its own id, else the other domain or null. */
    private static Domain resolve(Vcpu v, int dom) {
        Domain d = v.domain();
        if (dom == DomId.DOMID_SELF || dom == d.domid()) {
            return d;
        }
        return d.host().lookup(dom);
    }

    private static long send(Vcpu v, long arg) {
        if (!GuestArgs.in(v, arg, 0, 4)) {
            return -EFAULT;
        }
        return v.domain().events().send(GuestArgs.u32(v, 0));
    }

    private static long allocUnbound(Vcpu v, long arg) {
        if (!GuestArgs.in(v, arg, 0, 8)) {
            return -EFAULT;
        }
        int dom = GuestArgs.u16(v, 0);
        int remote = GuestArgs.u16(v, 2);
        Domain self = v.domain();
        Domain d = resolve(v, dom);
        if (d != self && !self.privileged()) {
            return -EPERM;
        }
        if (d == null) {
            return -ESRCH;
        }
        int remoteDomid = remote == DomId.DOMID_SELF ? self.domid() : remote;
        int port = d.events().allocUnbound(remoteDomid);
        if (port < 0) {
            return port;
        }
        GuestArgs.put32(v, 4, port);
        if (!GuestArgs.out(v, 4, arg + 4, 4)) {
            d.events().close(port);
            return -EFAULT;
        }
        return 0;
    }

    private static long bindInterdomain(Vcpu v, long arg) {
        if (!GuestArgs.in(v, arg, 0, 12)) {
            return -EFAULT;
        }
        int remoteDom = GuestArgs.u16(v, 0);
        int remotePort = GuestArgs.u32(v, 4);
        Domain remote = resolve(v, remoteDom);
        if (remote == null) {
            return -ESRCH;
        }
        EventChannels ev = v.domain().events();
        int port = ev.bindInterdomain(remote.events(), remotePort);
        if (port < 0) {
            return port;
        }
        GuestArgs.put32(v, 8, port);
        if (!GuestArgs.out(v, 8, arg + 8, 4)) {
            ev.close(port);
            return -EFAULT;
        }
        return 0;
    }

    private static long bindVirq(Vcpu v, long arg) {
        if (!GuestArgs.in(v, arg, 0, 12)) {
            return -EFAULT;
        }
        int virq = GuestArgs.u32(v, 0);
        int vcpu = GuestArgs.u32(v, 4);
        if (Virq.classOf(virq) == Virq.VirqClass.GLOBAL && !v.domain().privileged()) {
            return -EBUSY;
        }
        return portOut(v, v.domain().events().bindVirq(virq, vcpu), arg, 8);
    }

    private static long bindIpi(Vcpu v, long arg) {
        if (!GuestArgs.in(v, arg, 0, 8)) {
            return -EFAULT;
        }
        return portOut(v, v.domain().events().bindIpi(GuestArgs.u32(v, 0)), arg, 4);
    }

    /** Writes a new port to its OUT field; a fault closes it again and answers -EFAULT. */
    private static long portOut(Vcpu v, int port, long arg, int off) {
        if (port < 0) {
            return port;
        }
        GuestArgs.put32(v, off, port);
        if (!GuestArgs.out(v, off, arg + off, 4)) {
            v.domain().events().close(port);
            return -EFAULT;
        }
        return 0;
    }

    private static long bindVcpu(Vcpu v, long arg) {
        if (!GuestArgs.in(v, arg, 0, 8)) {
            return -EFAULT;
        }
        return v.domain().events().bindVcpu(GuestArgs.u32(v, 0), GuestArgs.u32(v, 4));
    }

    private static long close(Vcpu v, long arg) {
        if (!GuestArgs.in(v, arg, 0, 4)) {
            return -EFAULT;
        }
        return v.domain().events().close(GuestArgs.u32(v, 0));
    }

    private static long unmask(Vcpu v, long arg) {
        if (!GuestArgs.in(v, arg, 0, 4)) {
            return -EFAULT;
        }
        return v.domain().events().unmask(GuestArgs.u32(v, 0));
    }

    private static long reset(Vcpu v, long arg) {
        if (!GuestArgs.in(v, arg, 0, 2)) {
            return -EFAULT;
        }
        Domain self = v.domain();
        Domain d = resolve(v, GuestArgs.u16(v, 0));
        if (d != self && !self.privileged()) {
            return -EPERM;
        }
        if (d == null) {
            return -ESRCH;
        }
        d.events().closeAll();
        return 0;
    }

    private static long status(Vcpu v, long arg) {
        if (!GuestArgs.in(v, arg, 0, 24)) {
            return -EFAULT;
        }
        int dom = GuestArgs.u16(v, 0);
        int port = GuestArgs.u32(v, 4);
        Domain self = v.domain();
        Domain d = resolve(v, dom);
        if (d != self && !self.privileged()) {
            return -EPERM;
        }
        if (d == null) {
            return -ESRCH;
        }
        int[] snap = v.eventSnapshot();
        int rc = d.events().snapshot(port, snap);
        if (rc < 0) {
            return rc;
        }
        int st = snap[0];
        GuestArgs.zero(v, 8, 16);
        GuestArgs.put32(v, 8, st);
        GuestArgs.put32(v, 12, snap[1]);
        switch (st) {
            case EventChannels.UNBOUND -> GuestArgs.put16(v, 16, snap[2]);
            case EventChannels.INTERDOMAIN -> {
                GuestArgs.put16(v, 16, snap[2]);
                GuestArgs.put32(v, 20, snap[3]);
            }
            case EventChannels.VIRQ -> GuestArgs.put32(v, 16, snap[4]);
            default -> {
            }
        }
        return GuestArgs.out(v, 8, arg + 8, 16) ? 0 : -EFAULT;
    }
}
