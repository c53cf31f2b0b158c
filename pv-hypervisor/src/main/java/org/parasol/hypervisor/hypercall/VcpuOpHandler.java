package org.parasol.hypervisor.hypercall;

import static org.parasol.hypercall.Errno.EEXIST;
import static org.parasol.hypercall.Errno.EFAULT;
import static org.parasol.hypercall.Errno.EINVAL;
import static org.parasol.hypercall.Errno.ENOENT;
import static org.parasol.hypercall.Errno.ENOSYS;

import org.parasol.hypercall.VcpuEntry;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.abi.Runstate;
import org.parasol.hypercall.abi.VcpuOp;
import org.parasol.hypercall.struct.VcpuGuestContext;
import org.parasol.hypercall.struct.VcpuRunstateInfo;
import org.parasol.hypercall.struct.VcpuSetPeriodicTimer;
import org.parasol.hypercall.struct.VcpuSetSingleshotTimer;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.Vcpu;
import org.parasol.hypervisor.mm.PageTables;

/**
 * vcpu_op (hypercall 24): {@code (cmd, vcpuid, arg)}, on a vCPU of the caller's domain.
 *
 * <p>In Xen's order: the vCPU id first (a {@code uint}; beyond the domain's vCPUs -ENOENT),
 * then each command copies its structure in (-EFAULT) before checking it, and decodes it with
 * the ABI's flyweight.
 *
 * <ul>
 *   <li>VCPUOP_initialise (0): {@code vcpu_guest_context} (5168 bytes). A vCPU without a
 *       vcpu_info slot is -EINVAL first; then the context is copied in; a vCPU already
 *       initialised is -EEXIST (vCPU 0, which the builder initialised, included); then Parasol
 *       checks the fields it models:
 *       {@code flags}, {@code user_regs.rip} (a {@link VcpuEntry} code address),
 *       {@code user_regs.rsp}, {@code user_regs.rsi} (the argument), {@code ctrlreg[3]}
 *       (the L4 as {@code mfn << 12}: it must validate as an L4 of the domain, -EINVAL
 *       otherwise, and the vCPU's CR3 takes its base reference as {@code MMUEXT_NEW_BASEPTR}
 *       does), and the event and failsafe callback addresses; every other byte must be zero
 *       (-EINVAL).</li>
 *   <li>VCPUOP_up (1): -EINVAL before initialise; a vCPU that was taken down goes on where it
 *       stopped. VCPUOP_down (2): the vCPU sleeps at its next safe point, holding no pCPU (the
 *       last vCPU up powers the domain off). VCPUOP_is_up (3).</li>
 *   <li>VCPUOP_get_runstate_info (4): {@code vcpu_runstate_info} (48 bytes) out.</li>
 *   <li>VCPUOP_set_periodic_timer (6) {@code {u64 period_ns}}: below 1 ms or above
 *       {@code STIME_DELTA_MAX} (2<sup>62</sup> - 1 ns) is -EINVAL; VCPUOP_stop_periodic_timer (7).</li>
 *   <li>VCPUOP_set_singleshot_timer (8) {@code {u64 timeout_abs_ns; u32 flags}}, only on the
 *       calling vCPU (-EINVAL); VCPUOP_stop_singleshot_timer (9), same rule.</li>
 * </ul>
 * Other commands are -ENOSYS.
 */
final class VcpuOpHandler implements HypercallHandler {
    /** VGCF_in_kernel and VGCF_online: accepted in {@code flags} and ignored. */
    static final long MODELLED_FLAGS = VcpuGuestContext.VGCF_IN_KERNEL | VcpuGuestContext.VGCF_ONLINE;
    /** Xen's {@code STIME_DELTA_MAX}: the longest period a timer takes. */
    static final long STIME_DELTA_MAX = -1L >>> 2;

    @Override
    public long call(Vcpu v, long cmd, long vcpuid, long arg, long a4, long a5) {
        var d = v.domain();
        long id = vcpuid & 0xFFFF_FFFFL; // unsigned int vcpuid
        if (id >= d.vcpuCount()) {
            return -ENOENT;
        }
        vcpuid = id;
        Vcpu target = d.vcpu((int) vcpuid);
        return switch ((int) cmd) {
            case VcpuOp.INITIALISE -> initialise(v, target, arg);
            case VcpuOp.UP -> up(target);
            case VcpuOp.DOWN -> down(target);
            case VcpuOp.IS_UP -> target.isUp() ? 1 : 0;
            case VcpuOp.GET_RUNSTATE_INFO -> runstate(v, target, arg);
            case VcpuOp.SET_PERIODIC_TIMER -> setPeriodic(v, target, arg);
            case VcpuOp.STOP_PERIODIC_TIMER -> {
                target.timers().stopPeriodic();
                yield 0;
            }
            case VcpuOp.SET_SINGLESHOT_TIMER -> setSingleshot(v, target, arg);
            case VcpuOp.STOP_SINGLESHOT_TIMER -> {
                if (target != v) {
                    yield -EINVAL;
                }
                target.timers().stopSingleshot();
                yield 0;
            }
            default -> -ENOSYS;
        };
    }

    private long initialise(Vcpu v, Vcpu target, long arg) {
        if (target.vcpuInfo() == null) {
            return -EINVAL; // no vcpu_info for it (Xen: the dummy vcpu_info)
        }
        GuestArgs a = GuestArgs.of(v);
        if (!a.in(v, arg, VcpuGuestContext.SIZE)) {
            return -EFAULT;
        }
        if (target.initialised() || target.id() == 0) {
            return -EEXIST;
        }
        return setContext(v, v.domain(), target, a.context);
    }

    /**
     * Xen's {@code arch_set_info_guest} as Parasol models it, for VCPUOP_initialise (the
     * caller's own vCPU) and XEN_DOMCTL_setvcpucontext (a vCPU {@code target} of domain
     * {@code d}, which a control domain builds): checks every field of {@code ctx} (the
     * caller's private copy), resolves the code addresses in {@code d}'s code table and
     * validates the CR3 as an L4 of {@code d}, then records the context once. Returns 0,
     * {@code -EINVAL} for a field Parasol refuses, {@code -EEXIST} when another call
     * initialised the vCPU first.
     */
    static long setContext(Vcpu v, Domain d, Vcpu target, VcpuGuestContext ctx) {
        long rip = ctx.rip();
        long rsp = ctx.rsp();
        long rsi = ctx.rsi();
        long cr3 = ctx.ctrlreg3();
        long eventCb = ctx.eventCallbackEip();
        long failsafeCb = ctx.failsafeCallbackEip();
        if (!ctx.otherBytesZero() || (ctx.flags() & ~MODELLED_FLAGS) != 0) {
            return -EINVAL;
        }
        VcpuEntry entry = d.codeTable().resolve(rip, VcpuEntry.class);
        if (entry == null) {
            return -EINVAL;
        }
        var ev = eventCb == 0 ? null : d.codeTable().resolve(eventCb, org.parasol.hypercall.EventCallback.class);
        if (eventCb != 0 && ev == null) {
            return -EINVAL;
        }
        var fs = failsafeCb == 0 ? null : d.codeTable().resolve(failsafeCb);
        if (failsafeCb != 0 && fs == null) {
            return -EINVAL;
        }
        if ((cr3 & (Mmu.PAGE_SIZE - 1)) != 0) {
            return -EINVAL;
        }
        // arch_set_info_guest: the new CR3 must validate as an L4 of the domain, and the vCPU's
        // CR3 holds a general and an L4 type reference on it from now on, as after
        // MMUEXT_NEW_BASEPTR. Taken (and validated, under the page-table lock) before the
        // once-only check under the target's monitor, so the two locks are never nested; a
        // caller that loses the race to initialise gives its reference back.
        PageTables pt = d.host().pageTables();
        long l4 = cr3 >>> Mmu.PAGE_SHIFT; // xen_cr3_to_pfn
        if (pt.getBaseRef(d.pages(), l4) != 0) {
            return -EINVAL;
        }
        boolean lost;
        long old;
        synchronized (target) {
            lost = target.initialised();
            if (lost) {
                old = l4; // another VCPUOP_initialise came first: give our reference back
            } else {
                old = target.mmu().baseRef();
                target.mmu().setBaseRef(l4);
                target.initialise(entry, rsi, rsp, l4);
                target.traps().setEventCallback(ev);
                target.traps().setFailsafeCallback(fs);
            }
        }
        if (old >= 0) {
            pt.putBaseRef(d.pages(), old, v.mmu().deferred());
            v.releaseDeferredPuts(d);
        }
        return lost ? -EEXIST : 0;
    }

    private static long up(Vcpu target) {
        if (!target.initialised()) {
            return -EINVAL;
        }
        target.bringUp();
        return 0;
    }

    /**
     * Marks {@code target} down ({@link Vcpu#takeDown}): it stops at its next safe point, the
     * caller itself at this hypercall's return, and goes on from there once brought up, this
     * call then returning 0 (or the domain powers off when it was the last vCPU up).
     */
    private static long down(Vcpu target) {
        target.takeDown();
        return 0;
    }

    private static long runstate(Vcpu v, Vcpu target, long arg) {
        GuestArgs a = GuestArgs.of(v);
        long[] t = target.sched().runstateTimes();
        VcpuRunstateInfo info = a.runstate;
        info.clear().state(target.sched().runstate()).stateEntryTime(target.sched().stateEntryTime());
        for (int state = 0; state < Runstate.NR_STATES; state++) {
            info.time(state, t[state]);
        }
        return a.out(v, arg, VcpuRunstateInfo.SIZE) ? 0 : -EFAULT;
    }

    private static long setPeriodic(Vcpu v, Vcpu target, long arg) {
        GuestArgs a = GuestArgs.of(v);
        if (!a.in(v, arg, VcpuSetPeriodicTimer.SIZE)) {
            return -EFAULT;
        }
        long period = a.periodicTimer.periodNs();
        if (Long.compareUnsigned(period, VcpuOp.MIN_PERIODIC_TIMER_NS) < 0
                || Long.compareUnsigned(period, STIME_DELTA_MAX) > 0) {
            return -EINVAL;
        }
        target.timers().setPeriodic(period);
        return 0;
    }

    private static long setSingleshot(Vcpu v, Vcpu target, long arg) {
        if (target != v) {
            return -EINVAL;
        }
        GuestArgs a = GuestArgs.of(v);
        if (!a.in(v, arg, VcpuSetSingleshotTimer.SIZE)) {
            return -EFAULT;
        }
        long timeout = a.singleshotTimer.timeoutAbsNs();
        v.timers().setSingleshot(timeout == 0 ? 1 : timeout);
        return 0;
    }
}
