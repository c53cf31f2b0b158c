package org.parasol.hypercall.guest;

import java.util.Objects;
import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.Port;
import org.parasol.hypercall.abi.SchedOp;
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypercall.struct.Layouts;
import org.parasol.hypercall.struct.SchedPoll;
import org.parasol.hypercall.struct.SchedRemoteShutdown;
import org.parasol.hypercall.struct.SchedShutdown;
import org.parasol.hypercall.struct.SchedWatchdog;

/**
 * {@code HYPERVISOR_sched_op(cmd, arg)} (hypercall 29): yield, block, shutdown, poll and
 * the domain watchdog, as Mini-OS's {@code sched.c} and {@code kernel.c} call them.
 *
 * <p>Results are {@code >= 0} or {@code -errno}; a bad argument pointer answers
 * {@code -EFAULT}, an unknown command {@code -ENOSYS}.
 */
public final class SchedOpCalls {
    private final Cpu cpu;
    private final ArgumentPage page;
    private final SchedShutdown shutdown = new SchedShutdown();
    private final SchedPoll poll = new SchedPoll();
    private final SchedRemoteShutdown remoteShutdown = new SchedRemoteShutdown();
    private final SchedWatchdog watchdog = new SchedWatchdog();

    /** Wrappers for {@code cpu}, marshalling through {@code page} (the same vCPU's). */
    public SchedOpCalls(Cpu cpu, ArgumentPage page) {
        this.cpu = Objects.requireNonNull(cpu, "cpu");
        this.page = Objects.requireNonNull(page, "page");
    }

    /** {@code SCHEDOP_yield}: gives up the pCPU to another runnable vCPU. Always 0. */
    public long yield() {
        return cpu.hypercall(Hypercall.SCHED_OP, SchedOp.YIELD, 0);
    }

    /**
     * {@code SCHEDOP_block}: clears {@code evtchn_upcall_mask} and sleeps until an event is
     * pending (returning at once if one already is). Pending events are delivered as the
     * call returns. Always 0.
     */
    public long block() {
        return cpu.hypercall(Hypercall.SCHED_OP, SchedOp.BLOCK, 0);
    }

    /**
     * {@code SCHEDOP_shutdown}: shuts the whole domain down with {@code reason}
     * ({@code SHUTDOWN_*}). For any reason but suspend the call does not return to running
     * guest code.
     *
     * @return {@code -EINVAL} for an unknown reason
     */
    public long shutdown(int reason) {
        return withShutdown(SchedOp.SHUTDOWN, reason, 0);
    }

    /**
     * {@code SCHEDOP_shutdown} with {@code SHUTDOWN_suspend}, passing the MFN of
     * {@code start_info} in the third register as x86 PV guests do.
     *
     * @return 0 when resumed in a new domain, 1 if the suspend was cancelled (or this was a
     *     checkpoint), {@code -errno} on refusal
     */
    public long suspend(long startInfoMfn) {
        return withShutdown(SchedOp.SHUTDOWN, Shutdown.SUSPEND, startInfoMfn);
    }

    /**
     * {@code SCHEDOP_shutdown_code}: records {@code reason} to be reported when the domain
     * later shuts down, without shutting it down now.
     *
     * @return 0, or {@code -EINVAL} for an unknown reason
     */
    public long shutdownCode(int reason) {
        return withShutdown(SchedOp.SHUTDOWN_CODE, reason, 0);
    }

    /**
     * {@code SCHEDOP_poll}: blocks until one of the {@code nrPorts} ports in the {@code u32}
     * array at {@code portsVa} is pending (mask bits are ignored) or system time reaches
     * {@code timeoutNs} (0 = no timeout).
     *
     * @return 0, or {@code -EINVAL} for more than 128 ports or a port out of range,
     *     {@code -EFAULT} for a bad array
     */
    public long poll(long portsVa, int nrPorts, long timeoutNs) {
        long off = page.push(SchedPoll.SIZE);
        try {
            poll.wrap(page.buffer(), off).ports(portsVa).nrPorts(nrPorts).timeout(timeoutNs);
            page.copyIn(cpu.memory(), off, SchedPoll.SIZE);
            return cpu.hypercall(Hypercall.SCHED_OP, SchedOp.POLL, page.address(off));
        } finally {
            page.pop(off);
        }
    }

    /** {@link #poll(long, int, long)} on one port, with the port array on the argument page. */
    public long poll(Port port, long timeoutNs) {
        long list = page.push(Integer.BYTES);
        try {
            page.scratch().set(Layouts.U32, list, port.value());
            page.copyIn(cpu.memory(), list, Integer.BYTES);
            return poll(page.address(list), 1, timeoutNs);
        } finally {
            page.pop(list);
        }
    }

    /**
     * {@link #poll(long, int, long)} on the first {@code count} entries of {@code ports},
     * with the port array on the argument page.
     */
    public long poll(Port[] ports, int count, long timeoutNs) {
        Objects.checkFromIndexSize(0, count, ports.length);
        long bytes = (long) count * Integer.BYTES;
        long list = page.push(bytes);
        try {
            for (int i = 0; i < count; i++) {
                page.scratch().set(Layouts.U32, list + (long) i * Integer.BYTES, ports[i].value());
            }
            GuestMemory memory = cpu.memory();
            page.copyIn(memory, list, bytes);
            return poll(page.address(list), count, timeoutNs);
        } finally {
            page.pop(list);
        }
    }

    /**
     * {@code SCHEDOP_remote_shutdown}: shuts down domain {@code domain} with {@code reason}
     * (privileged callers only).
     *
     * @return 0, or {@code -EPERM} without privilege, {@code -ESRCH} for an unknown domain,
     *     {@code -EINVAL} for an unknown reason
     */
    public long remoteShutdown(DomId domain, int reason) {
        long off = page.push(SchedRemoteShutdown.SIZE);
        try {
            remoteShutdown.wrap(page.buffer(), off).domainId(domain.value()).reason(reason);
            page.copyIn(cpu.memory(), off, SchedRemoteShutdown.SIZE);
            return cpu.hypercall(Hypercall.SCHED_OP, SchedOp.REMOTE_SHUTDOWN, page.address(off));
        } finally {
            page.pop(off);
        }
    }

    /**
     * {@code SCHEDOP_watchdog}: with {@code id} 0 creates a watchdog that shuts the domain
     * down (reason watchdog) unless re-armed within {@code timeoutSeconds}; with a non-zero
     * {@code id}, re-arms it, or destroys it when {@code timeoutSeconds} is 0.
     *
     * @return the new watchdog's id (1 or 2) on creation, 0 otherwise, or {@code -ENOSPC}
     *     when both watchdogs exist, {@code -EINVAL} for an unknown id
     */
    public long watchdog(int id, int timeoutSeconds) {
        long off = page.push(SchedWatchdog.SIZE);
        try {
            watchdog.wrap(page.buffer(), off).id(id).timeout(timeoutSeconds);
            page.copyIn(cpu.memory(), off, SchedWatchdog.SIZE);
            return cpu.hypercall(Hypercall.SCHED_OP, SchedOp.WATCHDOG, page.address(off));
        } finally {
            page.pop(off);
        }
    }

    private long withShutdown(int cmd, int reason, long thirdArgument) {
        long off = page.push(SchedShutdown.SIZE);
        try {
            shutdown.wrap(page.buffer(), off).reason(reason);
            page.copyIn(cpu.memory(), off, SchedShutdown.SIZE);
            return cpu.hypercall(Hypercall.SCHED_OP, cmd, page.address(off), thirdArgument);
        } finally {
            page.pop(off);
        }
    }
}
