package org.parasol.hypervisor.hypercall;

import static org.parasol.hypercall.Errno.EINVAL;
import static org.parasol.hypercall.Errno.ENOSYS;

import org.parasol.hypercall.abi.VmAssist;
import org.parasol.hypervisor.domain.Vcpu;

/**
 * vm_assist (hypercall 21): {@code (cmd, type)}, cmd 0 = enable, 1 = disable.
 *
 * <p>Parasol knows VMASST_TYPE_writable_pagetables (2) and runstate_update_flag (5); the
 * 32-bit segment assists and pae_extended_cr3 make no sense for a 64-bit PV guest and are
 * -EINVAL, as in Xen for x86-64; an unknown command is -ENOSYS.
 */
final class VmAssistHandler implements HypercallHandler {

    @Override
    public long call(Vcpu v, long cmd, long type, long a3, long a4, long a5) {
        if (cmd != VmAssist.CMD_ENABLE && cmd != VmAssist.CMD_DISABLE) {
            return -ENOSYS;
        }
        boolean on = cmd == VmAssist.CMD_ENABLE;
        if (type == VmAssist.TYPE_WRITABLE_PAGETABLES) {
            v.domain().setWritablePageTables(on);
            return 0;
        }
        if (type == VmAssist.TYPE_RUNSTATE_UPDATE_FLAG) {
            return 0;
        }
        return -EINVAL;
    }
}
