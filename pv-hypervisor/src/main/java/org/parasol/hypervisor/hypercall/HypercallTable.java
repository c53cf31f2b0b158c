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
    // The handlers by their own (final) classes, so that dispatch's switch calls each directly.
    private final TrapTableHandler trapTable = new TrapTableHandler();
    private final MemoryOpHandler memoryOp = new MemoryOpHandler();
    private final MulticallHandler multicall = new MulticallHandler(this);
    private final TimerOpHandler timerOp = new TimerOpHandler();
    private final XenVersionHandler xenVersion = new XenVersionHandler();
    private final ConsoleIoHandler consoleIo = new ConsoleIoHandler();
    private final VmAssistHandler vmAssist = new VmAssistHandler();
    private final VcpuOpHandler vcpuOp = new VcpuOpHandler();
    private final SchedOpHandler schedOp = new SchedOpHandler();
    private final EventChannelHandler eventChannelOp = new EventChannelHandler();
    private final MmuUpdateHandler mmuUpdate = new MmuUpdateHandler();
    private final MmuextOpHandler mmuextOp = new MmuextOpHandler();
    private final UpdateVaMappingHandler updateVaMapping = new UpdateVaMappingHandler();
    private final GrantTableHandler grantTableOp = new GrantTableHandler();
    private final DomctlHandler domctl = new DomctlHandler();
    private final HostRelayHandler hostRelay = new HostRelayHandler();
    /** Set once {@link #register} replaced or added a handler: dispatch then reads the table. */
    private volatile boolean registered;

    /** The table with every handler Parasol implements. */
    public HypercallTable() {
        table[Hypercall.SET_TRAP_TABLE] = trapTable;
        table[Hypercall.SET_CALLBACKS] = CallbackHandler::setCallbacks;
        table[Hypercall.MEMORY_OP] = memoryOp;
        table[Hypercall.MULTICALL] = multicall;
        table[Hypercall.SET_TIMER_OP] = timerOp;
        table[Hypercall.XEN_VERSION] = xenVersion;
        table[Hypercall.CONSOLE_IO] = consoleIo;
        table[Hypercall.VM_ASSIST] = vmAssist;
        table[Hypercall.VCPU_OP] = vcpuOp;
        table[Hypercall.SCHED_OP] = schedOp;
        table[Hypercall.CALLBACK_OP] = CallbackHandler::callbackOp;
        table[Hypercall.EVENT_CHANNEL_OP] = eventChannelOp;
        table[Hypercall.MMU_UPDATE] = mmuUpdate;
        table[Hypercall.MMUEXT_OP] = mmuextOp;
        table[Hypercall.UPDATE_VA_MAPPING] = updateVaMapping;
        table[Hypercall.GRANT_TABLE_OP] = grantTableOp;
        table[Hypercall.DOMCTL] = domctl;
        table[org.parasol.hypercall.abi.HostRelayOp.HYPERCALL] = hostRelay;
    }

    /**
     * Dispatches hypercall {@code nr} (0 &lt;= nr &lt; 128) for {@code v}: a switch of direct
     * calls, one per family, as Xen (since 4.17) calls its handlers directly rather than through
     * its table of function pointers. One call site through the array would see every handler
     * class and stay megamorphic (a type-check stub before each call); each case here sees one,
     * so the JIT binds it statically and can inline a small handler. The table answers only for
     * what {@link #register} installed.
     */
    @Override
    public long dispatch(Vcpu v, int nr, long a1, long a2, long a3, long a4, long a5) {
        if (registered) {
            return dispatchTable(v, nr, a1, a2, a3, a4, a5);
        }
        return switch (nr) {
            case Hypercall.SET_TRAP_TABLE -> trapTable.call(v, a1, a2, a3, a4, a5);
            case Hypercall.MMU_UPDATE -> mmuUpdate.call(v, a1, a2, a3, a4, a5);
            case Hypercall.SET_CALLBACKS -> CallbackHandler.setCallbacks(v, a1, a2, a3, a4, a5);
            case Hypercall.MEMORY_OP -> memoryOp.call(v, a1, a2, a3, a4, a5);
            case Hypercall.MULTICALL -> multicall.call(v, a1, a2, a3, a4, a5);
            case Hypercall.UPDATE_VA_MAPPING -> updateVaMapping.call(v, a1, a2, a3, a4, a5);
            case Hypercall.SET_TIMER_OP -> timerOp.call(v, a1, a2, a3, a4, a5);
            case Hypercall.XEN_VERSION -> xenVersion.call(v, a1, a2, a3, a4, a5);
            case Hypercall.CONSOLE_IO -> consoleIo.call(v, a1, a2, a3, a4, a5);
            case Hypercall.GRANT_TABLE_OP -> grantTableOp.call(v, a1, a2, a3, a4, a5);
            case Hypercall.VM_ASSIST -> vmAssist.call(v, a1, a2, a3, a4, a5);
            case Hypercall.VCPU_OP -> vcpuOp.call(v, a1, a2, a3, a4, a5);
            case Hypercall.MMUEXT_OP -> mmuextOp.call(v, a1, a2, a3, a4, a5);
            case Hypercall.SCHED_OP -> schedOp.call(v, a1, a2, a3, a4, a5);
            case Hypercall.CALLBACK_OP -> CallbackHandler.callbackOp(v, a1, a2, a3, a4, a5);
            case Hypercall.EVENT_CHANNEL_OP -> eventChannelOp.call(v, a1, a2, a3, a4, a5);
            case Hypercall.DOMCTL -> domctl.call(v, a1, a2, a3, a4, a5);
            case org.parasol.hypercall.abi.HostRelayOp.HYPERCALL -> hostRelay.call(v, a1, a2, a3, a4, a5);
            default -> -ENOSYS;
        };
    }

    private long dispatchTable(Vcpu v, int nr, long a1, long a2, long a3, long a4, long a5) {
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
        registered = true;
    }

    /** Whether {@code nr} has a handler. */
    public boolean implemented(int nr) {
        return nr >= 0 && nr < table.length && table[nr] != null;
    }
}
