package org.parasol.hypervisor.hypercall;

import static org.parasol.hypercall.Errno.EFAULT;
import static org.parasol.hypercall.Errno.EINVAL;
import static org.parasol.hypercall.Errno.ENOSYS;

import org.parasol.hypercall.EventCallback;
import org.parasol.hypercall.GuestCode;
import org.parasol.hypercall.abi.CallbackOp;
import org.parasol.hypercall.struct.CallbackRegister;
import org.parasol.hypercall.struct.CallbackUnregister;
import org.parasol.hypervisor.domain.Vcpu;

/**
 * set_callbacks (hypercall 4) and callback_op (hypercall 30): where the hypervisor enters the
 * guest for events (and, in Xen, failsafe returns and system calls).
 *
 * <p>Addresses are code addresses from the domain's code table. The event address must name
 * an {@link EventCallback}; 0 unregisters. The failsafe address may name any guest code or 0.
 * The syscall address must be 0: Parasol guests have no user mode (-EINVAL otherwise).
 * callback_op: CALLBACKOP_register {@code {u16 type; u16 flags; u64 address}}, types event
 * (0) and failsafe (1), -EINVAL for other types; CALLBACKOP_unregister {@code {u16 type}}.
 */
final class CallbackHandler {

    private CallbackHandler() {
    }

    /** set_callbacks(event_address, failsafe_address, syscall_address). */
    static long setCallbacks(Vcpu v, long event, long failsafe, long syscall, long a4, long a5) {
        EventCallback ev = null;
        if (event != 0) {
            ev = v.domain().codeTable().resolve(event, EventCallback.class);
            if (ev == null) {
                return -EINVAL;
            }
        }
        GuestCode fs = null;
        if (failsafe != 0) {
            fs = v.domain().codeTable().resolve(failsafe);
            if (fs == null) {
                return -EINVAL;
            }
        }
        if (syscall != 0) {
            return -EINVAL;
        }
        v.traps().setEventCallback(ev);
        v.traps().setFailsafeCallback(fs);
        return 0;
    }

    /** callback_op(cmd, arg). */
    static long callbackOp(Vcpu v, long cmd, long arg, long a3, long a4, long a5) {
        switch ((int) cmd) {
            case CallbackOp.REGISTER -> {
                GuestArgs a = GuestArgs.of(v);
                if (!a.in(v, arg, CallbackRegister.SIZE)) {
                    return -EFAULT;
                }
                int type = a.callbackRegister.type();
                long address = a.callbackRegister.address();
                return switch (type) {
                    case CallbackOp.CALLBACKTYPE_EVENT -> {
                        EventCallback ev = v.domain().codeTable().resolve(address, EventCallback.class);
                        if (ev == null) {
                            yield -EINVAL;
                        }
                        v.traps().setEventCallback(ev);
                        yield 0;
                    }
                    case CallbackOp.CALLBACKTYPE_FAILSAFE -> {
                        GuestCode fs = v.domain().codeTable().resolve(address);
                        if (fs == null) {
                            yield -EINVAL;
                        }
                        v.traps().setFailsafeCallback(fs);
                        yield 0;
                    }
                    default -> -EINVAL;
                };
            }
            case CallbackOp.UNREGISTER -> {
                GuestArgs a = GuestArgs.of(v);
                if (!a.in(v, arg, CallbackUnregister.SIZE)) {
                    return -EFAULT;
                }
                int type = a.callbackUnregister.type();
                switch (type) {
                    case CallbackOp.CALLBACKTYPE_EVENT -> v.traps().setEventCallback(null);
                    case CallbackOp.CALLBACKTYPE_FAILSAFE -> v.traps().setFailsafeCallback(null);
                    default -> {
                        return -EINVAL;
                    }
                }
                return 0;
            }
            default -> {
                return -ENOSYS;
            }
        }
    }
}
