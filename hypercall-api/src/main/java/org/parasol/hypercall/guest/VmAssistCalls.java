package org.parasol.hypercall.guest;

import java.util.Objects;
import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.abi.VmAssist;

/**
 * {@code vm_assist(cmd, type)} (hypercall 21): turns hypervisor assists on or off, such as
 * {@code VMASST_TYPE_writable_pagetables} (trap-and-emulate of direct L1 writes) and
 * {@code VMASST_TYPE_runstate_update_flag}.
 */
public final class VmAssistCalls {
    private final Cpu cpu;

    /** Wrappers for {@code cpu}. {@code vm_assist} passes everything in registers. */
    public VmAssistCalls(Cpu cpu) {
        this.cpu = Objects.requireNonNull(cpu, "cpu");
    }

    /**
     * {@code VMASST_CMD_enable} of {@code type} ({@code VMASST_TYPE_*}).
     *
     * @return 0, or {@code -EINVAL} for a type the hypervisor does not offer
     */
    public long enable(int type) {
        return cpu.hypercall(Hypercall.VM_ASSIST, VmAssist.CMD_ENABLE, type);
    }

    /** {@code VMASST_CMD_disable} of {@code type}: 0, or {@code -EINVAL}. */
    public long disable(int type) {
        return cpu.hypercall(Hypercall.VM_ASSIST, VmAssist.CMD_DISABLE, type);
    }
}
