package org.parasol.hypervisor.hypercall;

import static org.parasol.hypercall.Errno.EEXIST;
import static org.parasol.hypercall.Errno.EFAULT;
import static org.parasol.hypercall.Errno.EINVAL;
import static org.parasol.hypercall.Errno.ENOSYS;
import static org.parasol.hypercall.Errno.EPERM;
import static org.parasol.hypercall.Errno.ESRCH;

import org.parasol.hypercall.abi.HvmOp;
import org.parasol.hypercall.struct.XenHvmParam;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.Vcpu;

/**
 * hvm_op (hypercall 34): {@code HVMOP_set_param} and {@code HVMOP_get_param} on
 * {@code xen_hvm_param {domid_t domid; u32 index; u64 value}}, as Xen's {@code hvmop_set_param}
 * and {@code hvmop_get_param} check them, in this order:
 * <ol>
 *   <li>the structure cannot be read: {@code -EFAULT};</li>
 *   <li>{@code index >= HVM_NR_PARAMS}: {@code -EINVAL};</li>
 *   <li>no such domain ({@code rcu_lock_domain_by_any_id}): {@code -ESRCH};</li>
 *   <li>not an HVM domain — a paravirtual one; here {@code CDF_hvm} is a native kernel's
 *       {@code trap}, {@code bare} or {@code bt}: {@code -EINVAL};</li>
 *   <li>another domain, unless the caller is privileged ({@code XSM_TARGET}): {@code -EPERM};</li>
 *   <li>by index: those a guest may set (get) pass; the deprecated ones are {@code -EINVAL};
 *       {@code HVM_PARAM_ALTP2M} is read-only ({@code -EEXIST} on set); the rest
 *       {@code -EPERM} when the domain names itself;</li>
 *   <li>the set-once ones ({@code VIRIDIAN}, the ioreq pages, {@code MCA_CAP}) changed after
 *       being set: {@code -EEXIST}.</li>
 * </ol>
 * A parameter that passes is stored, and {@code get} returns it. Of the values only
 * {@code HVM_PARAM_CALLBACK_IRQ} does anything here: type vector ({@code 2 << 56 | vector})
 * delivers event upcalls through the IDT at the vector ({@link Domain#setHvmParam}). Its
 * value is not refused — Xen's {@code hvm_set_callback_via} takes any, turning an unknown
 * type into none — and neither is any other stored one (Xen checks some, such as
 * {@code TIMER_MODE}, that nothing here reads). Any other command is {@code -ENOSYS}.
 */
final class HvmOpHandler implements HypercallHandler {

    @Override
    public long call(Vcpu v, long cmd, long arg, long a3, long a4, long a5) {
        boolean set = cmd == HvmOp.SET_PARAM;
        if (!set && cmd != HvmOp.GET_PARAM) {
            return -ENOSYS;
        }
        GuestArgs a = GuestArgs.of(v);
        if (!a.in(v, arg, XenHvmParam.SIZE)) {
            return -EFAULT;
        }
        XenHvmParam p = a.hvmParam;
        long index = p.index();
        if (index >= HvmOp.NR_PARAMS) {
            return -EINVAL;
        }
        Domain d = DomainArgs.byAnyId(v, p.domid());
        if (d == null) {
            return -ESRCH;
        }
        if (!d.config().virt().nativeKernel()) {
            return -EINVAL;
        }
        if (!DomainArgs.mayControl(v, d)) {
            return -EPERM;
        }
        int i = (int) index;
        long rc = set ? allowSet(v, d, i, p.value()) : allowGet(v, d, i);
        if (rc != 0) {
            return rc;
        }
        if (set) {
            d.setHvmParam(i, p.value());
            return 0;
        }
        p.value(d.hvmParam(i));
        return a.out(v, arg, XenHvmParam.SIZE) ? 0 : -EFAULT;
    }

    /** Xen's {@code hvm_allow_set_param}. */
    private static long allowSet(Vcpu v, Domain d, int index, long value) {
        long rc = switch (index) {
            case HvmOp.PARAM_CALLBACK_IRQ, HvmOp.PARAM_VM86_TSS, HvmOp.PARAM_VM86_TSS_SIZED,
                    HvmOp.PARAM_ACPI_IOPORTS_LOCATION, HvmOp.PARAM_VM_GENERATION_ID_ADDR, HvmOp.PARAM_STORE_EVTCHN,
                    HvmOp.PARAM_CONSOLE_EVTCHN, HvmOp.PARAM_X87_FIP_WIDTH -> 0;
            case HvmOp.PARAM_ALTP2M -> -EEXIST;
            default -> deprecated(index) ? -EINVAL : d == v.domain() ? -EPERM : 0;
        };
        if (rc != 0) {
            return rc;
        }
        return switch (index) {
            case HvmOp.PARAM_VIRIDIAN, HvmOp.PARAM_IOREQ_PFN, HvmOp.PARAM_BUFIOREQ_PFN, HvmOp.PARAM_IOREQ_SERVER_PFN,
                    HvmOp.PARAM_NR_IOREQ_SERVER_PAGES, HvmOp.PARAM_MCA_CAP -> {
                long old = d.hvmParam(index);
                yield old != 0 && old != value ? -EEXIST : 0;
            }
            default -> 0;
        };
    }

    /** Xen's {@code hvm_allow_get_param}. */
    private static long allowGet(Vcpu v, Domain d, int index) {
        return switch (index) {
            case HvmOp.PARAM_CALLBACK_IRQ, HvmOp.PARAM_VM86_TSS, HvmOp.PARAM_VM86_TSS_SIZED,
                    HvmOp.PARAM_ACPI_IOPORTS_LOCATION, HvmOp.PARAM_VM_GENERATION_ID_ADDR, HvmOp.PARAM_STORE_PFN,
                    HvmOp.PARAM_STORE_EVTCHN, HvmOp.PARAM_CONSOLE_PFN, HvmOp.PARAM_CONSOLE_EVTCHN, HvmOp.PARAM_ALTP2M,
                    HvmOp.PARAM_X87_FIP_WIDTH -> 0;
            default -> deprecated(index) ? -EINVAL : d == v.domain() ? -EPERM : 0;
        };
    }

    private static boolean deprecated(int index) {
        return switch (index) {
            case HvmOp.PARAM_PAE_ENABLED, HvmOp.PARAM_DM_DOMAIN, HvmOp.PARAM_MEMORY_EVENT_CR0,
                    HvmOp.PARAM_MEMORY_EVENT_CR3, HvmOp.PARAM_MEMORY_EVENT_CR4, HvmOp.PARAM_MEMORY_EVENT_INT3,
                    HvmOp.PARAM_NESTEDHVM, HvmOp.PARAM_MEMORY_EVENT_SINGLE_STEP, HvmOp.PARAM_BUFIOREQ_EVTCHN,
                    HvmOp.PARAM_MEMORY_EVENT_MSR -> true;
            default -> false;
        };
    }
}
