package org.parasol.hypervisor.hvm;

/**
 * Why a vCPU left guest mode: the basic exit reasons of Intel's VMX (SDM Vol. 3C, Appendix C)
 * that the privileged subset can cause, with their numbers.
 *
 * <p>{@code cli}, {@code sti}, {@code pushf} and {@code popf} do not exit under VT-x; here the
 * kernel runs deprivileged with IOPL 0, as under classic trap-and-emulate, so they raise
 * {@code #GP}, which exits as {@link #EXCEPTION_NMI} with vector 13 and tells the hypervisor
 * nothing more: it must decode the instruction. (A real deprivileged {@code popf} does not
 * fault, it silently keeps IF: the x86's classic obstacle to trap-and-emulate, and why binary
 * translation existed. The model makes it fault; docs/lab.md says so.)
 */
public enum ExitReason {
    /** An exception or NMI; the qualification is the faulting address for {@code #PF}. */
    EXCEPTION_NMI(0),
    /** {@code cpuid}. */
    CPUID(10),
    /** {@code hlt}. */
    HLT(12),
    /** {@code invlpg}; the qualification is the linear address. */
    INVLPG(14),
    /** {@code rdtsc} (with RDTSC exiting on). */
    RDTSC(16),
    /**
     * {@code lgdt}, {@code lidt}, {@code sgdt}, {@code sidt} (with descriptor-table exiting on):
     * the qualification is the displacement (with RIP added for RIP-relative addressing), the
     * instruction-information field says which instruction and how its address is formed; see
     * {@link Qualification#descriptorTable}.
     */
    GDTR_IDTR(46),
    /** {@code mov} to or from a control register; see {@link Qualification#crAccess}. */
    CR_ACCESS(28),
    /** {@code in}, {@code out}, {@code ins}, {@code outs}; see {@link Qualification#io}. */
    IO_INSTRUCTION(30),
    /** {@code rdmsr}; the MSR is in ECX. */
    MSR_READ(31),
    /** {@code wrmsr}; the MSR is in ECX, the value in EDX:EAX. */
    MSR_WRITE(32);

    private static final ExitReason[] VALUES = values();

    private final int number;

    ExitReason(int number) {
        this.number = number;
    }

    /** The VMX basic exit reason number. */
    public int number() {
        return number;
    }

    /** Every reason, indexed by {@link #ordinal()} (shared, do not modify). */
    static ExitReason[] all() {
        return VALUES;
    }
}
