package org.parasol.hypercall.abi;

/**
 * {@code callback_op(cmd, arg)} commands ({@code CALLBACKOP_*}), callback types
 * ({@code CALLBACKTYPE_*}) and flags ({@code CALLBACKF_*}), mirrors {@code public/callback.h}.
 * Type 6 is not defined on x86-64.
 */
public final class CallbackOp {
    private CallbackOp() {
    }

    /** {@code CALLBACKOP_register}: {@code callback_register {u16 type; u16 flags; u64 address}}. */
    public static final int REGISTER = 0;
    /** {@code CALLBACKOP_unregister}: {@code callback_unregister {u16 type}}. */
    public static final int UNREGISTER = 1;

    /** {@code CALLBACKTYPE_event}: the event-channel upcall. */
    public static final int CALLBACKTYPE_EVENT = 0;
    /** {@code CALLBACKTYPE_failsafe}: entered when Xen cannot return to the guest frame. */
    public static final int CALLBACKTYPE_FAILSAFE = 1;
    /** {@code CALLBACKTYPE_syscall}: 64-bit {@code syscall} from user mode. */
    public static final int CALLBACKTYPE_SYSCALL = 2;
    /** {@code CALLBACKTYPE_sysenter_deprecated}: old sysenter number. */
    public static final int CALLBACKTYPE_SYSENTER_DEPRECATED = 3;
    /** {@code CALLBACKTYPE_nmi}: NMI delivery. */
    public static final int CALLBACKTYPE_NMI = 4;
    /** {@code CALLBACKTYPE_sysenter}: {@code sysenter} from user mode. */
    public static final int CALLBACKTYPE_SYSENTER = 5;
    /** {@code CALLBACKTYPE_syscall32}: 32-bit {@code syscall} from compat user mode. */
    public static final int CALLBACKTYPE_SYSCALL32 = 7;

    /** {@code _CALLBACKF_mask_events}: bit number of {@link #CALLBACKF_MASK_EVENTS}. */
    public static final int CALLBACKF_MASK_EVENTS_BIT = 0;
    /** {@code CALLBACKF_mask_events}: mask event upcalls on entry to the callback. */
    public static final int CALLBACKF_MASK_EVENTS = 1 << CALLBACKF_MASK_EVENTS_BIT;
}
