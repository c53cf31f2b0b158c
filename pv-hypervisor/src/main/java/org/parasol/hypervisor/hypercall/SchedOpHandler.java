package org.parasol.hypervisor.hypercall;

import static org.parasol.hypercall.Errno.EFAULT;
import static org.parasol.hypercall.Errno.EINVAL;
import static org.parasol.hypercall.Errno.ENOSYS;
import static org.parasol.hypercall.Errno.EPERM;
import static org.parasol.hypercall.Errno.ESRCH;

import org.parasol.hypercall.GuestAbort;
import org.parasol.hypercall.abi.Evtchn2l;
import org.parasol.hypercall.abi.SchedOp;
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypercall.struct.SchedPoll;
import org.parasol.hypercall.struct.SchedRemoteShutdown;
import org.parasol.hypercall.struct.SchedShutdown;
import org.parasol.hypercall.struct.SchedWatchdog;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.Vcpu;

/**
 * sched_op (hypercall 29): {@code (cmd, arg)}, in {@code do_sched_op}'s order: a command with
 * an argument copies it in first (-EFAULT) and decodes it with the ABI's flyweight.
 *
 * <ul>
 *   <li>SCHEDOP_yield (0): gives the pCPU to a waiting vCPU. Returns 0.</li>
 *   <li>SCHEDOP_block (1): clears upcall_mask and blocks unless an event is pending.</li>
 *   <li>SCHEDOP_shutdown (2): {@code sched_shutdown {u32 reason}}; the reason is taken as
 *       Xen's {@code u8}, any value (one Parasol does not name is handled as a crash). The
 *       domain shuts down and the caller does not return (its stack unwinds with
 *       {@link GuestAbort}); suspend also ends the domain here, as there is no toolstack yet
 *       to resume it.</li>
 *   <li>SCHEDOP_poll (3): {@code sched_poll {ports; u32 nr_ports; u64 timeout}}, as
 *       {@code do_poll}: more than 128 ports -EINVAL; a port list Xen's {@code access_ok}
 *       refuses -EFAULT; an upcall already deliverable returns 0 at once; then the ports are
 *       read one at a time: a pending one ends the poll (0), an unreadable one is -EFAULT, one
 *       beyond the table -EINVAL.</li>
 *   <li>SCHEDOP_remote_shutdown (4): {@code {u16 domain_id; u32 reason}}: unknown domain
 *       (by id: {@code DOMID_SELF} names none) -ESRCH, then an unprivileged caller -EPERM.</li>
 *   <li>SCHEDOP_shutdown_code (5): latches the reason a later shutdown reports; only the
 *       first code counts.</li>
 *   <li>SCHEDOP_watchdog (6): {@code {u32 id; u32 timeout}}.</li>
 * </ul>
 */
final class SchedOpHandler implements HypercallHandler {

    @Override
    public long call(Vcpu v, long cmd, long arg, long a3, long a4, long a5) {
        return switch ((int) cmd) {
            case SchedOp.YIELD -> v.sched().yield();
            case SchedOp.BLOCK -> {
                GuestArgs.idle(v); // a blocked vCPU holds no argument area
                yield v.sched().block();
            }
            case SchedOp.SHUTDOWN -> shutdown(v, arg);
            case SchedOp.POLL -> poll(v, arg);
            case SchedOp.REMOTE_SHUTDOWN -> remoteShutdown(v, arg);
            case SchedOp.SHUTDOWN_CODE -> shutdownCode(v, arg);
            case SchedOp.WATCHDOG -> watchdog(v, arg);
            default -> -ENOSYS;
        };
    }

    /** {@code (u8)reason}, as Xen passes a {@code sched_shutdown} reason to {@code domain_shutdown}. */
    private static int reason(long reason) {
        return (int) (reason & 0xFF);
    }

    private static long shutdown(Vcpu v, long arg) {
        GuestArgs a = GuestArgs.of(v);
        if (!a.in(v, arg, SchedShutdown.SIZE)) {
            return -EFAULT;
        }
        int reason = reason(a.shutdown.reason());
        v.domain().shutdown(reason, reason == Shutdown.CRASH ? "the guest reported a crash" : null);
        v.returnToGuest(); // the domain no longer runs: this unwinds the caller
        return 0;
    }

    private static long shutdownCode(Vcpu v, long arg) {
        GuestArgs a = GuestArgs.of(v);
        if (!a.in(v, arg, SchedShutdown.SIZE)) {
            return -EFAULT;
        }
        v.domain().setShutdownCode(reason(a.shutdown.reason()));
        return 0;
    }

    private static long remoteShutdown(Vcpu v, long arg) {
        GuestArgs a = GuestArgs.of(v);
        if (!a.in(v, arg, SchedRemoteShutdown.SIZE)) {
            return -EFAULT;
        }
        SchedRemoteShutdown op = a.remoteShutdown;
        int reason = reason(op.reason());
        Domain target = DomainArgs.byId(v, op.domainId());
        if (target == null) {
            return -ESRCH;
        }
        if (!v.domain().privileged()) {
            return -EPERM; // XSM_DM_PRIV
        }
        target.shutdown(reason, reason == Shutdown.CRASH ? "crashed by domain " + v.domain().domid() : null);
        return 0;
    }

    private static long poll(Vcpu v, long arg) {
        GuestArgs a = GuestArgs.of(v);
        if (!a.in(v, arg, SchedPoll.SIZE)) {
            return -EFAULT;
        }
        SchedPoll op = a.poll;
        long ports = op.ports();
        long nr = op.nrPorts();
        long timeout = op.timeout();
        if (nr > SchedOp.POLL_MAX_PORTS) {
            return -EINVAL;
        }
        if (!GuestArgs.arrayOk(ports, nr, Integer.BYTES)) {
            return -EFAULT;
        }
        if (v.traps().upcallDeliverable()) {
            return 0; // local_events_need_delivery: the upcall is delivered on the way out
        }
        int[] list = a.pollPorts;
        for (int i = 0; i < nr; i++) {
            if (!a.inU32Element(v, ports, i)) {
                return -EFAULT;
            }
            int port = a.u32Element();
            if (port < 0 || port >= Evtchn2l.NR_CHANNELS) {
                return -EINVAL;
            }
            if (v.domain().sharedInfo().isPending(port)) {
                return 0; // evtchn_port_poll found it pending: no need to block
            }
            list[i] = port;
        }
        return v.sched().poll(list, (int) nr, timeout);
    }

    private static long watchdog(Vcpu v, long arg) {
        GuestArgs a = GuestArgs.of(v);
        if (!a.in(v, arg, SchedWatchdog.SIZE)) {
            return -EFAULT;
        }
        SchedWatchdog op = a.watchdog;
        return v.domain().watchdog((int) op.id(), op.timeout());
    }
}
