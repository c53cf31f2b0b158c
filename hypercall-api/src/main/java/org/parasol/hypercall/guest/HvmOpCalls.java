package org.parasol.hypercall.guest;

import java.util.Objects;
import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.abi.HvmOp;
import org.parasol.hypercall.struct.XenHvmParam;

/**
 * {@code hvm_op} (hypercall 34): {@code HVMOP_set_param} and {@code HVMOP_get_param}, as an
 * HVM guest's kernel sets its event callback ({@code HVM_PARAM_CALLBACK_IRQ}).
 */
public final class HvmOpCalls {
    private final Cpu cpu;
    private final ArgumentPage page;
    private final XenHvmParam param = new XenHvmParam();

    /** Wrappers for {@code cpu}, marshalling through {@code page} (the same vCPU's). */
    public HvmOpCalls(Cpu cpu, ArgumentPage page) {
        this.cpu = Objects.requireNonNull(cpu, "cpu");
        this.page = Objects.requireNonNull(page, "page");
    }

    /**
     * {@code HVMOP_set_param} of the caller's parameter {@code index} to {@code value}.
     *
     * @return 0, or {@code -EINVAL} (a PV domain, an index at or above {@code HVM_NR_PARAMS}, a
     *     deprecated one), {@code -EPERM} (one a guest may not set), {@code -EEXIST}
     */
    public long setParam(int index, long value) {
        long off = page.push(XenHvmParam.SIZE);
        try {
            param.wrap(page.buffer(), off).clear().domid(DomId.DOMID_SELF).index(index).value(value);
            page.copyIn(cpu.memory(), off, XenHvmParam.SIZE);
            return cpu.hypercall(Hypercall.HVM_OP, HvmOp.SET_PARAM, page.address(off));
        } finally {
            page.pop(off);
        }
    }

    /**
     * {@code HVMOP_get_param} of the caller's parameter {@code index}.
     *
     * @return the value (0 or more), or a negative errno as {@link #setParam}'s; a value with
     *     bit 63 set cannot be told from an errno here (none the kernel reads has it)
     */
    public long getParam(int index) {
        long off = page.push(XenHvmParam.SIZE);
        try {
            param.wrap(page.buffer(), off).clear().domid(DomId.DOMID_SELF).index(index);
            page.copyIn(cpu.memory(), off, XenHvmParam.SIZE);
            long rc = cpu.hypercall(Hypercall.HVM_OP, HvmOp.GET_PARAM, page.address(off));
            if (rc != 0) {
                return rc;
            }
            page.copyOut(cpu.memory(), off, XenHvmParam.SIZE);
            return param.value();
        } finally {
            page.pop(off);
        }
    }
}
