package org.parasol.hypervisor.hypercall;

import org.parasol.hypervisor.domain.Vcpu;

/**
 * {@code parasol_host_relay_op} (hypercall 55, {@code __HYPERVISOR_arch_7}):
 * {@code (cmd, slot, mfn)}, the control domain's end of the host relay
 * ({@link org.parasol.hypervisor.domain.HostRelay}, {@link org.parasol.hypercall.abi.HostRelayOp}).
 * Every refusal is an errno: -EPERM for any caller but the privileged control domain, -EINVAL for an
 * unknown command, a slot out of range or in the wrong state, or a page the caller may not
 * share; -ENOSPC when no port is free.
 */
final class HostRelayHandler implements HypercallHandler {
    @Override
    public long call(Vcpu v, long cmd, long slot, long mfn, long a4, long a5) {
        if (cmd < 0 || cmd > Integer.MAX_VALUE) {
            return -org.parasol.hypercall.Errno.EINVAL;
        }
        return v.domain().host().relay().op(v.domain(), (int) cmd, slot, mfn);
    }
}
