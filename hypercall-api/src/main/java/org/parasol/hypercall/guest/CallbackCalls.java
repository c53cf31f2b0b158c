package org.parasol.hypercall.guest;

import java.util.Objects;
import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.abi.CallbackOp;
import org.parasol.hypercall.struct.CallbackRegister;
import org.parasol.hypercall.struct.CallbackUnregister;

/**
 * Registering the guest's entry points: {@code set_callbacks} (hypercall 4) and
 * {@code callback_op} (hypercall 30). Addresses are synthetic code addresses from
 * {@link Cpu#registerCode}.
 */
public final class CallbackCalls {
    private final Cpu cpu;
    private final ArgumentPage page;
    private final CallbackRegister register = new CallbackRegister();
    private final CallbackUnregister unregister = new CallbackUnregister();

    /** Wrappers for {@code cpu}, marshalling through {@code page} (the same vCPU's). */
    public CallbackCalls(Cpu cpu, ArgumentPage page) {
        this.cpu = Objects.requireNonNull(cpu, "cpu");
        this.page = Objects.requireNonNull(page, "page");
    }

    /**
     * {@code set_callbacks(event, failsafe, syscall)}: the x86-64 form taking the three
     * addresses in registers.
     *
     * @return 0, or {@code -EINVAL} for an address that names no code of the right kind
     */
    public long setCallbacks(long eventAddress, long failsafeAddress, long syscallAddress) {
        return cpu.hypercall(Hypercall.SET_CALLBACKS, eventAddress, failsafeAddress, syscallAddress);
    }

    /**
     * {@code CALLBACKOP_register}: registers {@code address} as callback {@code type}
     * ({@code CALLBACKTYPE_*}), with {@code flags} ({@code CALLBACKF_mask_events}).
     *
     * @return 0, or {@code -EINVAL} for an unknown type or an address that names no code of
     *     the right kind
     */
    public long register(int type, int flags, long address) {
        long off = page.push(CallbackRegister.SIZE);
        try {
            register.wrap(page.buffer(), off).type(type).flags(flags).address(address);
            page.copyIn(cpu.memory(), off, CallbackRegister.SIZE);
            return cpu.hypercall(Hypercall.CALLBACK_OP, CallbackOp.REGISTER, page.address(off));
        } finally {
            page.pop(off);
        }
    }

    /**
     * {@code CALLBACKOP_unregister}: forgets callback {@code type}.
     *
     * @return 0, or {@code -EINVAL} for the event callback (which cannot be unregistered) or
     *     an unknown type
     */
    public long unregister(int type) {
        long off = page.push(CallbackUnregister.SIZE);
        try {
            unregister.wrap(page.buffer(), off).type(type);
            page.copyIn(cpu.memory(), off, CallbackUnregister.SIZE);
            return cpu.hypercall(Hypercall.CALLBACK_OP, CallbackOp.UNREGISTER, page.address(off));
        } finally {
            page.pop(off);
        }
    }
}
