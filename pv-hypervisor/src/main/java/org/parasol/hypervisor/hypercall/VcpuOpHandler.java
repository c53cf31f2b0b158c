package org.parasol.hypervisor.hypercall;

import static org.parasol.hypercall.Errno.EEXIST;
import static org.parasol.hypercall.Errno.EFAULT;
import static org.parasol.hypercall.Errno.EINVAL;
import static org.parasol.hypercall.Errno.ENOENT;
import static org.parasol.hypercall.Errno.ENOSYS;

import org.parasol.hypercall.VcpuEntry;
import org.parasol.hypercall.struct.VcpuGuestContext;
import org.parasol.hypercall.abi.VcpuOp;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.Vcpu;
import org.parasol.hypervisor.mm.PageTables;

/**
 * vcpu_op (hypercall 24): {@code (cmd, vcpuid, arg)}, on a vCPU of the caller's domain.
 *
 * <ul>
 *   <li>VCPUOP_initialise (0): {@code vcpu_guest_context} (5168 bytes). Parasol models
 *       {@code flags}, {@code user_regs.rip} (a {@link VcpuEntry} code address),
 *       {@code user_regs.rsp}, {@code user_regs.rsi} (the argument), {@code ctrlreg[3]}
 *       (the L4 as {@code mfn << 12}: it must validate as an L4 of the domain, -EINVAL
 *       otherwise, and the vCPU's CR3 takes its base reference as {@code MMUEXT_NEW_BASEPTR}
 *       does), and the event and failsafe callback addresses; every other byte must be zero
 *       (-EINVAL). Once per vCPU (-EEXIST), never on vCPU 0 which the builder initialised.</li>
 *   <li>VCPUOP_up (1): -EINVAL before initialise. VCPUOP_down (2), VCPUOP_is_up (3).</li>
 *   <li>VCPUOP_get_runstate_info (4): {@code vcpu_runstate_info} (48 bytes) out.</li>
 *   <li>VCPUOP_set_periodic_timer (6) {@code {u64 period_ns}}, &lt; 1 ms is -EINVAL;
 *       VCPUOP_stop_periodic_timer (7).</li>
 *   <li>VCPUOP_set_singleshot_timer (8) {@code {u64 timeout_abs_ns; u32 flags}}, only on the
 *       calling vCPU (-EINVAL); VCPUOP_stop_singleshot_timer (9), same rule.</li>
 * </ul>
 * A vcpuid beyond the domain's vCPUs is -ENOENT; other commands are -ENOSYS.
 */
final class VcpuOpHandler implements HypercallHandler {
    static final long MIN_PERIOD_NS = VcpuOp.MIN_PERIODIC_TIMER_NS;
    /** VGCF_in_kernel and VGCF_online: accepted in {@code flags} and ignored. */
    static final long MODELLED_FLAGS = (1L << 2) | (1L << 5);

    @Override
    public long call(Vcpu v, long cmd, long vcpuid, long arg, long a4, long a5) {
        var d = v.domain();
        if (vcpuid < 0 || vcpuid >= d.vcpuCount()) {
            return -ENOENT;
        }
        Vcpu target = d.vcpu((int) vcpuid);
        return switch ((int) cmd) {
            case VcpuOp.INITIALISE -> initialise(v, target, arg);
            case VcpuOp.UP -> up(target);
            case VcpuOp.DOWN -> down(v, target);
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
        if (target.initialised() || target.id() == 0) {
            return -EEXIST;
        }
        if (!GuestArgs.in(v, arg, 0, VcpuGuestContext.SIZE)) {
            return -EFAULT;
        }
        VcpuGuestContext ctx = new VcpuGuestContext().wrap(new org.parasol.hypercall.SegmentBuffer(GuestArgs.s(v)), 0);
        long rip = ctx.rip();
        long rsp = ctx.rsp();
        long rsi = ctx.rsi();
        long cr3 = ctx.ctrlreg3();
        long eventCb = ctx.eventCallbackEip();
        long failsafeCb = ctx.failsafeCallbackEip();
        if (!ctx.otherBytesZero() || (ctx.flags() & ~MODELLED_FLAGS) != 0) {
            return -EINVAL;
        }
        VcpuEntry entry = v.domain().codeTable().resolve(rip, VcpuEntry.class);
        if (entry == null) {
            return -EINVAL;
        }
        var ev = eventCb == 0 ? null : v.domain().codeTable().resolve(eventCb, org.parasol.hypercall.EventCallback.class);
        if (eventCb != 0 && ev == null) {
            return -EINVAL;
        }
        var fs = failsafeCb == 0 ? null : v.domain().codeTable().resolve(failsafeCb);
        if (failsafeCb != 0 && fs == null) {
            return -EINVAL;
        }
        if ((cr3 & 0xFFF) != 0) {
            return -EINVAL;
        }
        // arch_set_info_guest: the new CR3 must validate as an L4 of the domain, and the vCPU's
        // CR3 holds a general and an L4 type reference on it from now on, as after
        // MMUEXT_NEW_BASEPTR. Taken (and validated, under the page-table lock) before the
        // once-only check under the target's monitor, so the two locks are never nested; a
        // caller that loses the race to initialise gives its reference back.
        Domain d = v.domain();
        PageTables pt = d.host().pageTables();
        long l4 = cr3 >>> 12;
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
            v.releaseDeferredPuts();
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

    private static long down(Vcpu caller, Vcpu target) {
        target.takeDown();
        if (target == caller) {
            caller.returnToGuest(); // going down on itself: unwind now
        }
        return 0;
    }

    private static long runstate(Vcpu v, Vcpu target, long arg) {
        long[] t = target.sched().runstateTimes();
        GuestArgs.zero(v, 0, 48);
        GuestArgs.put32(v, 0, target.sched().runstate());
        GuestArgs.put64(v, 8, target.sched().stateEntryTime());
        for (int i = 0; i < 4; i++) {
            GuestArgs.put64(v, 16 + 8L * i, t[i]);
        }
        return GuestArgs.out(v, 0, arg, 48) ? 0 : -EFAULT;
    }

    private static long setPeriodic(Vcpu v, Vcpu target, long arg) {
        if (!GuestArgs.in(v, arg, 0, 8)) {
            return -EFAULT;
        }
        long period = GuestArgs.u64(v, 0);
        if (period < MIN_PERIOD_NS) {
            return -EINVAL;
        }
        target.timers().setPeriodic(period);
        return 0;
    }

    private static long setSingleshot(Vcpu v, Vcpu target, long arg) {
        if (target != v) {
            return -EINVAL;
        }
        if (!GuestArgs.in(v, arg, 0, 16)) {
            return -EFAULT;
        }
        long timeout = GuestArgs.u64(v, 0);
        v.timers().setSingleshot(timeout == 0 ? 1 : timeout);
        return 0;
    }
}
