package org.parasol.hypervisor.hypercall;

import static org.parasol.hypercall.Errno.ENOSYS;

import org.parasol.hypercall.Hypercall;
import org.parasol.hypervisor.domain.Vcpu;

/**
 * The hypercall table: an array of {@link HypercallHandler}s indexed by hypercall number, as
 * Xen's {@code hypercall_table}. Unknown or unimplemented numbers answer -ENOSYS.
 *
 * <p>Implemented now: set_trap_table, set_callbacks, memory_op, multicall, set_timer_op,
 * xen_version, console_io, vm_assist, vcpu_op, sched_op, callback_op, event_channel_op,
 * grant_table_op (without mapping). The PV MMU comes with its issue.
 */
public final class HypercallTable {
    private final HypercallHandler[] table = new HypercallHandler[Hypercall.TABLE_SIZE];

    /** The table with every handler Parasol implements. */
    public HypercallTable() {
        table[Hypercall.SET_TRAP_TABLE] = new TrapTableHandler();
        table[Hypercall.SET_CALLBACKS] = CallbackHandler::setCallbacks;
        table[Hypercall.MEMORY_OP] = new MemoryOpHandler();
        table[Hypercall.MULTICALL] = new MulticallHandler(this);
        table[Hypercall.SET_TIMER_OP] = new TimerOpHandler();
        table[Hypercall.XEN_VERSION] = new XenVersionHandler();
        table[Hypercall.CONSOLE_IO] = new ConsoleIoHandler();
        table[Hypercall.VM_ASSIST] = new VmAssistHandler();
        table[Hypercall.VCPU_OP] = new VcpuOpHandler();
        table[Hypercall.SCHED_OP] = new SchedOpHandler();
        table[Hypercall.CALLBACK_OP] = CallbackHandler::callbackOp;
        table[Hypercall.EVENT_CHANNEL_OP] = new EventChannelHandler();
        table[Hypercall.GRANT_TABLE_OP] = new GrantTableHandler();
    }

    /** Dispatches hypercall {@code nr} (0 &lt;= nr &lt; 128) for {@code v}. */
    public long dispatch(Vcpu v, int nr, long a1, long a2, long a3, long a4, long a5) {
        HypercallHandler h = table[nr];
        if (h == null) {
            return -ENOSYS;
        }
        return h.call(v, a1, a2, a3, a4, a5);
    }

    /** Installs {@code handler} for {@code nr}: for later issues' families. */
    public void register(int nr, HypercallHandler handler) {
        table[nr] = handler;
    }

    /** Whether {@code nr} has a handler. */
    public boolean implemented(int nr) {
        return nr >= 0 && nr < table.length && table[nr] != null;
    }
}
