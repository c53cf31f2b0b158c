package org.parasol.hypervisor.hypercall;

import static org.parasol.hypercall.Errno.ENOSYS;

import org.parasol.hypercall.Hypercall;
import org.parasol.hypervisor.domain.HypercallDispatch;
import org.parasol.hypervisor.domain.HypercallScratch;
import org.parasol.hypervisor.domain.Vcpu;

/**
 * The hypercall table: an array of {@link HypercallHandler}s indexed by hypercall number, as
 * Xen's {@code hypercall_table}. Unknown or unimplemented numbers answer -ENOSYS.
 *
 * <p>Implemented now: set_trap_table, mmu_update, set_callbacks, memory_op, multicall,
 * update_va_mapping, set_timer_op, xen_version, console_io, vm_assist, vcpu_op, mmuext_op,
 * sched_op, callback_op, event_channel_op, grant_table_op (v1 tables: setup, query, map,
 * unmap, unmap_and_replace, copy; see {@code GrantTableHandler} for what answers -ENOSYS),
 * domctl (createdomain, destroydomain, pause/unpause, getdomaininfo, max_mem, max_vcpus,
 * setvcpucontext, and Parasol's load-image; see {@code DomctlHandler}).
 *
 * <p>Every handler decodes its arguments the same way: {@link GuestArgs} copies a structure's
 * {@code SIZE} bytes into the vCPU's scratch once ({@code access_ok} first), the handler reads
 * each field through the ABI's flyweight wrapped over that copy, exactly once, and writes its
 * results into the flyweight before one copy-out. No handler names an offset.
 *
 * <p>A handler preempted part-way returns {@link Vcpu#CONTINUATION} after saving its
 * progress in the vCPU's continuation frame; the vCPU's hypercall entry re-enters it.
 * {@link #dispatchToCompletion} does the same inline, for multicall.
 *
 * <p>Stack headroom: every call but two starts only with the headroom the vCPU's entry
 * checks for (a downcall that reads the stack pointer, and a call that spills every register
 * around it). xen_version and {@code EVTCHNOP_status} do not need it
 * ({@link #runsWithoutHeadroom}): each takes no lock (status reads the port table
 * optimistically, retrying while a writer holds it, and never enters the event lock), calls no
 * guest code and changes nothing but the caller's own memory (and the Accessed and Dirty bits,
 * and the TLB, of the copy out), so a {@link StackOverflowError} anywhere inside it leaves
 * nothing half-done, and the entry turns it into the domain's crash. xen_version is what a
 * guest calls most often for nothing (a null hypercall); status is the cheapest question about
 * another domain's state.
 */
public final class HypercallTable implements HypercallDispatch {
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
        table[Hypercall.MMU_UPDATE] = new MmuUpdateHandler();
        table[Hypercall.MMUEXT_OP] = new MmuextOpHandler();
        table[Hypercall.UPDATE_VA_MAPPING] = new UpdateVaMappingHandler();
        table[Hypercall.GRANT_TABLE_OP] = new GrantTableHandler();
        table[Hypercall.DOMCTL] = new DomctlHandler();
        table[Hypercall.HVM_OP] = new HvmOpHandler();
        table[org.parasol.hypercall.abi.HostRelayOp.HYPERCALL] = new HostRelayHandler();
    }

    /** Dispatches hypercall {@code nr} (0 &lt;= nr &lt; 128) for {@code v}. */
    @Override
    public long dispatch(Vcpu v, int nr, long a1, long a2, long a3, long a4, long a5) {
        HypercallHandler h = table[nr];
        if (h == null) {
            return -ENOSYS;
        }
        return h.call(v, a1, a2, a3, a4, a5);
    }

    /**
     * Dispatches and, while the handler asks to be continued, enters it again at once with the
     * saved arguments: a sub-call of multicall runs to completion before the next entry.
     */
    public long dispatchToCompletion(Vcpu v, int nr, long a1, long a2, long a3, long a4, long a5) {
        long r = dispatch(v, nr, a1, a2, a3, a4, a5);
        while (r == Vcpu.CONTINUATION) {
            r = dispatch(v, nr, v.continuationArg(1), v.continuationArg(2), v.continuationArg(3),
                    v.continuationArg(4), v.continuationArg(5));
        }
        return r;
    }

    /** Argument areas the pool keeps: enough for the vCPUs that are awake at once on a busy host. */
    static final int SCRATCH_POOL = 64;
    /** The pool of argument areas blocked vCPUs gave back, a stack. Guarded by itself. */
    private final GuestArgs[] scratchPool = new GuestArgs[SCRATCH_POOL];
    private int scratchPooled;

    @Override
    public HypercallScratch takeScratch(int domid) {
        GuestArgs a = null;
        synchronized (scratchPool) {
            int n = scratchPooled;
            if (n > 0) {
                // The most recently given back, unless one of the last few was this domain's own.
                int pick = n - 1;
                for (int i = n - 1; i >= Math.max(0, n - 8); i--) {
                    if (scratchPool[i].lastDomid == domid) {
                        pick = i;
                        break;
                    }
                }
                a = scratchPool[pick];
                scratchPool[pick] = scratchPool[n - 1];
                scratchPool[n - 1] = null;
                scratchPooled = n - 1;
            }
        }
        if (a == null) {
            a = new GuestArgs();
        } else if (a.lastDomid != domid) {
            a.wipe(); // another domain's arguments are not this one's to see, even by a handler's mistake
        }
        a.lastDomid = domid;
        return a;
    }

    @Override
    public void giveScratch(HypercallScratch scratch) {
        GuestArgs a = (GuestArgs) scratch;
        synchronized (scratchPool) {
            if (scratchPooled < SCRATCH_POOL) {
                scratchPool[scratchPooled++] = a;
            }
        }
    }

    @Override
    public boolean runsWithoutHeadroom(int nr, long cmd) {
        return nr == Hypercall.XEN_VERSION
                || nr == Hypercall.EVENT_CHANNEL_OP && cmd == org.parasol.hypercall.abi.EvtchnOp.STATUS;
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
