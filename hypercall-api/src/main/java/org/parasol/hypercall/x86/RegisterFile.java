package org.parasol.hypercall.x86;

/**
 * The register state of one vCPU in the native configurations: the sixteen general-purpose
 * registers, the instruction pointer and RFLAGS, as {@code struct kvm_regs} holds them.
 *
 * <p>A kernel running natively sets the registers an instruction reads, points {@link #rip()}
 * at the instruction's bytes in its own memory and asks its {@link org.parasol.hypercall.Cpu}
 * to execute it; whatever runs the instruction (the machine model, or a hypervisor after a VM
 * exit) reads its operands here and leaves its results here, with {@code rip} past it.
 *
 * <p>Every value is the guest's and may be anything: whoever reads it validates it. Owned by
 * one vCPU and used only on its thread; nothing here allocates.
 */
public final class RegisterFile {
    /** RFLAGS.IF: maskable interrupts (for Parasol: event upcalls) enabled. */
    public static final long RFLAGS_IF = 1L << 9;
    /** RFLAGS bit 1, which always reads as 1. */
    public static final long RFLAGS_FIXED = 1L << 1;

    private final long[] gpr = new long[16];
    private long rip;
    private long rflags = RFLAGS_FIXED;

    /** General-purpose register {@code r} ({@link Registers#RAX} .. {@code R15}). */
    public long get(int r) {
        return gpr[r];
    }

    /** Sets general-purpose register {@code r} to {@code value}. */
    public void set(int r, long value) {
        gpr[r] = value;
    }

    /**
     * The general-purpose registers indexed by number, live (not a copy): what
     * {@link Instruction#effectiveAddress} takes.
     */
    public long[] gprs() {
        return gpr;
    }

    /** The instruction pointer: the virtual address of the next instruction. */
    public long rip() {
        return rip;
    }

    /** Sets the instruction pointer. */
    public void rip(long value) {
        rip = value;
    }

    /** RFLAGS. */
    public long rflags() {
        return rflags;
    }

    /** Sets RFLAGS (bit 1 stays set, as the CPU keeps it). */
    public void rflags(long value) {
        rflags = value | RFLAGS_FIXED;
    }
}
