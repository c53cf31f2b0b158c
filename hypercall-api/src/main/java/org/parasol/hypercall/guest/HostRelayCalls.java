package org.parasol.hypercall.guest;

import java.util.Objects;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.Mfn;
import org.parasol.hypercall.abi.HostRelayOp;

/**
 * {@code parasol_host_relay_op(cmd, slot, mfn)} ({@link HostRelayOp}): the control domain's
 * end of the host relay. Everything goes in registers.
 */
public final class HostRelayCalls {
    private final Cpu cpu;

    /** Wrappers for {@code cpu}. */
    public HostRelayCalls(Cpu cpu) {
        this.cpu = Objects.requireNonNull(cpu, "cpu");
    }

    /** {@link HostRelayOp#SLOTS}: the host's slot count, {@code -EPERM} or {@code -ENOSYS}. */
    public long slots() {
        return cpu.hypercall(HostRelayOp.HYPERCALL, HostRelayOp.SLOTS, 0, 0);
    }

    /** {@link HostRelayOp#STATUS}: the slot's state ({@code HostRelayOp.FREE ..}) or -errno. */
    public long status(int slot) {
        return cpu.hypercall(HostRelayOp.HYPERCALL, HostRelayOp.STATUS, slot, 0);
    }

    /** {@link HostRelayOp#ATTACH}: shares page {@code mfn} for an offered slot; the new port or -errno. */
    public long attach(int slot, Mfn mfn) {
        return cpu.hypercall(HostRelayOp.HYPERCALL, HostRelayOp.ATTACH, slot, mfn.value());
    }

    /** {@link HostRelayOp#KIND}: the slot's kind ({@code HostRelayOp.KIND_XENSTORED ..}) or -errno. */
    public long kind(int slot) {
        return cpu.hypercall(HostRelayOp.HYPERCALL, HostRelayOp.KIND, slot, 0);
    }

    /** {@link HostRelayOp#DETACH}: 0 or -errno. */
    public long detach(int slot) {
        return cpu.hypercall(HostRelayOp.HYPERCALL, HostRelayOp.DETACH, slot, 0);
    }
}
