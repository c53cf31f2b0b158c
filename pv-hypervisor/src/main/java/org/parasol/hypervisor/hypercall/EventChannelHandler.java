package org.parasol.hypervisor.hypercall;

import static org.parasol.hypercall.Errno.EBUSY;
import static org.parasol.hypercall.Errno.EFAULT;
import static org.parasol.hypercall.Errno.EINVAL;
import static org.parasol.hypercall.Errno.ENOSYS;
import static org.parasol.hypercall.Errno.EPERM;
import static org.parasol.hypercall.Errno.ESRCH;

import org.parasol.hypercall.abi.EvtchnOp;
import org.parasol.hypercall.abi.Virq;
import org.parasol.hypercall.DomId;
import org.parasol.hypervisor.domain.Vcpu;
import org.parasol.hypervisor.event.EventChannels;

/**
 * event_channel_op (hypercall 32): {@code (cmd, arg)}. This issue implements the commands a
 * kernel needs for its timer: bind_virq (1), close (3), status (5) and unmask (9).
 * Interdomain channels, IPIs, send, bind_vcpu, alloc_unbound and reset come with the
 * events-and-grants issue and answer -ENOSYS until then.
 *
 * <ul>
 *   <li>bind_virq {@code {u32 virq; u32 vcpu; u32 port OUT}}: see
 *       {@link EventChannels#bindVirq}; a global VIRQ is bindable only by a privileged domain
 *       (its default owner), -EBUSY otherwise.</li>
 *   <li>close {@code {u32 port}}: -EINVAL for a port that is not open.</li>
 *   <li>status {@code {u16 dom; u32 port; u32 status OUT; u32 vcpu OUT; union u OUT}}:
 *       another domain's ports only for a privileged caller (-EPERM); -ESRCH unknown domain.</li>
 *   <li>unmask {@code {u32 port}}: clears the mask and re-raises a pending event.</li>
 * </ul>
 */
final class EventChannelHandler implements HypercallHandler {

    @Override
    public long call(Vcpu v, long cmd, long arg, long a3, long a4, long a5) {
        return switch ((int) cmd) {
            case EvtchnOp.BIND_VIRQ -> bindVirq(v, arg);
            case EvtchnOp.CLOSE -> close(v, arg);
            case EvtchnOp.STATUS -> status(v, arg);
            case EvtchnOp.UNMASK -> unmask(v, arg);
            default -> -ENOSYS;
        };
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
        int port = v.domain().events().bindVirq(virq, vcpu);
        if (port < 0) {
            return port;
        }
        GuestArgs.put32(v, 8, port);
        if (!GuestArgs.out(v, 8, arg + 8, 4)) {
            v.domain().events().close(port);
            return -EFAULT;
        }
        return 0;
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
        int port = GuestArgs.u32(v, 0);
        if (port < 0 || port >= EventChannels.NR_PORTS) {
            return -EINVAL;
        }
        v.domain().unmask(port);
        return 0;
    }

    private static long status(Vcpu v, long arg) {
        if (!GuestArgs.in(v, arg, 0, 24)) {
            return -EFAULT;
        }
        int dom = GuestArgs.u16(v, 0);
        int port = GuestArgs.u32(v, 4);
        var d = v.domain();
        if (dom != DomId.DOMID_SELF && dom != d.domid()) {
            if (!d.privileged()) {
                return -EPERM;
            }
            var other = d.hypervisor().domain(dom);
            if (other.isEmpty()) {
                return -ESRCH;
            }
            d = other.get();
        }
        EventChannels ev = d.events();
        int st = ev.status(port);
        if (st < 0) {
            return st;
        }
        GuestArgs.zero(v, 8, 16);
        GuestArgs.put32(v, 8, st);
        GuestArgs.put32(v, 12, ev.notifyVcpu(port));
        switch (st) {
            case EventChannels.UNBOUND -> GuestArgs.put16(v, 16, ev.remoteDomain(port));
            case EventChannels.VIRQ -> GuestArgs.put32(v, 16, ev.boundVirq(port));
            default -> {
            }
        }
        return GuestArgs.out(v, 8, arg + 8, 16) ? 0 : -EFAULT;
    }
}
