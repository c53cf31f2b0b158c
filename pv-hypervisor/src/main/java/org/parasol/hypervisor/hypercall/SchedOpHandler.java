package org.parasol.hypervisor.hypercall;

import static org.parasol.hypercall.Errno.EFAULT;
import static org.parasol.hypercall.Errno.EINVAL;
import static org.parasol.hypercall.Errno.ENOSYS;
import static org.parasol.hypercall.Errno.EPERM;
import static org.parasol.hypercall.Errno.ESRCH;

import org.parasol.hypercall.GuestAbort;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypercall.abi.SchedOp;
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypervisor.domain.Vcpu;
import org.parasol.hypervisor.event.EventChannels;

/**
 * sched_op (hypercall 29): {@code (cmd, arg)}.
 *
 * <ul>
 *   <li>SCHEDOP_yield (0): gives the pCPU to a waiting vCPU. Returns 0.</li>
 *   <li>SCHEDOP_block (1): clears upcall_mask and blocks unless an event is pending.</li>
 *   <li>SCHEDOP_shutdown (2): {@code sched_shutdown {u32 reason}}; reason beyond
 *       SHUTDOWN_MAX (5) is -EINVAL. The domain shuts down and the caller does not return
 *       (its stack unwinds with {@link GuestAbort}); suspend also ends the domain here, as
 *       there is no toolstack yet to resume it.</li>
 *   <li>SCHEDOP_poll (3): {@code sched_poll {ports ptr; u32 nr_ports; u64 timeout}};
 *       nr_ports beyond 128 is -EINVAL, a port beyond the table -EINVAL.</li>
 *   <li>SCHEDOP_remote_shutdown (4): {@code {u16 domain_id; u32 reason}}, privileged
 *       callers only (-EPERM), -ESRCH for an unknown domain.</li>
 *   <li>SCHEDOP_shutdown_code (5): latches the reason a later shutdown reports.</li>
 *   <li>SCHEDOP_watchdog (6): {@code {u32 id; u32 timeout}}.</li>
 * </ul>
 */
final class SchedOpHandler implements HypercallHandler {

    @Override
    public long call(Vcpu v, long cmd, long arg, long a3, long a4, long a5) {
        return switch ((int) cmd) {
            case SchedOp.YIELD -> v.sched().yield();
            case SchedOp.BLOCK -> v.sched().block();
            case SchedOp.SHUTDOWN -> shutdown(v, arg);
            case SchedOp.POLL -> poll(v, arg);
            case SchedOp.REMOTE_SHUTDOWN -> remoteShutdown(v, arg);
            case SchedOp.SHUTDOWN_CODE -> shutdownCode(v, arg);
            case SchedOp.WATCHDOG -> watchdog(v, arg);
            default -> -ENOSYS;
        };
    }

    private static long shutdown(Vcpu v, long arg) {
        if (!GuestArgs.in(v, arg, 0, 4)) {
            return -EFAULT;
        }
        int reason = GuestArgs.u32(v, 0);
        if (reason < 0 || reason > Shutdown.MAX) {
            return -EINVAL;
        }
        v.domain().shutdown(reason, reason == Shutdown.CRASH ? "the guest reported a crash" : null);
        v.returnToGuest(); // the domain no longer runs: this unwinds the caller
        return 0;
    }

    private static long shutdownCode(Vcpu v, long arg) {
        if (!GuestArgs.in(v, arg, 0, 4)) {
            return -EFAULT;
        }
        int reason = GuestArgs.u32(v, 0);
        if (reason < 0 || reason > Shutdown.MAX) {
            return -EINVAL;
        }
        v.domain().setShutdownCode(reason);
        return 0;
    }

    private static long remoteShutdown(Vcpu v, long arg) {
        if (!v.domain().privileged()) {
            return -EPERM;
        }
        if (!GuestArgs.in(v, arg, 0, 8)) {
            return -EFAULT;
        }
        int domid = GuestArgs.u16(v, 0);
        int reason = GuestArgs.u32(v, 4);
        if (reason < 0 || reason > Shutdown.MAX) {
            return -EINVAL;
        }
        Domain target = v.domain().host().lookup(domid);
        if (target == null) {
            return -ESRCH;
        }
        target.shutdown(reason, reason == Shutdown.CRASH ? "crashed by domain " + v.domain().domid() : null);
        return 0;
    }

    private static long poll(Vcpu v, long arg) {
        if (!GuestArgs.in(v, arg, 0, 24)) {
            return -EFAULT;
        }
        long ports = GuestArgs.u64(v, 0);
        long nr = GuestArgs.u32(v, 8) & 0xFFFF_FFFFL;
        long timeout = GuestArgs.u64(v, 16);
        if (nr > SchedOp.POLL_MAX_PORTS) {
            return -EINVAL;
        }
        if (nr > 0 && !GuestArgs.in(v, ports, 1024, nr * 4)) {
            return -EFAULT;
        }
        int[] list = v.pollScratch();
        for (int i = 0; i < nr; i++) {
            int p = GuestArgs.u32(v, 1024 + 4L * i);
            if (p < 0 || p >= EventChannels.NR_PORTS) {
                return -EINVAL;
            }
            list[i] = p;
        }
        return v.sched().poll(list, (int) nr, timeout);
    }

    private static long watchdog(Vcpu v, long arg) {
        if (!GuestArgs.in(v, arg, 0, 8)) {
            return -EFAULT;
        }
        int id = GuestArgs.u32(v, 0);
        long timeout = GuestArgs.u32(v, 4) & 0xFFFF_FFFFL;
        return v.domain().watchdog(id, timeout);
    }
}
