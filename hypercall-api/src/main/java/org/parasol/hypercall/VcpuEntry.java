package org.parasol.hypercall;

/**
 * The entry point of a secondary vCPU: {@code vcpu_guest_context.user_regs.rip}.
 *
 * <p>{@code VCPUOP_initialise} names it by code address together with a stack pointer, the
 * argument register ({@code rsi}) and {@code ctrlreg[3]}; {@code VCPUOP_up} starts the vCPU
 * here. Returning from it takes the vCPU down.
 */
@FunctionalInterface
public non-sealed interface VcpuEntry extends GuestCode {
    /** Runs on the new vCPU's thread; {@code argument} is the saved {@code rsi}. */
    void start(Cpu cpu, long argument);
}
