package org.parasol.hypercall;

/**
 * Guest code that the hypervisor may enter: the Java stand-in for a code address.
 *
 * <p>Java has no function pointers, so a guest registers one of these objects with
 * {@link Cpu#registerCode(GuestCode)} and receives a synthetic code address. That number is
 * what goes into {@code set_callbacks}, {@code callback_op}, {@code set_trap_table} and
 * {@code vcpu_guest_context}, exactly where a C guest would put a function's address. The
 * hypervisor resolves the address when it delivers an upcall or a trap, and checks that the
 * object is of the kind the slot needs.
 */
public sealed interface GuestCode permits EventCallback, TrapHandler, VcpuEntry {
}
