package org.parasol.hypercall.x86;

/**
 * The instructions {@link Decoder} knows, by what they do (one constant may cover several
 * encodings and operand sizes: {@link #IN} is {@code E4}, {@code E5}, {@code EC} and
 * {@code ED}).
 */
public enum Opcode {
    /** {@code FA}: clear the interrupt flag. */
    CLI("cli"),
    /** {@code FB}: set the interrupt flag. */
    STI("sti"),
    /** {@code 9C}: push RFLAGS ({@code pushfw} with {@code 66}). */
    PUSHF("pushf"),
    /** {@code 9D}: pop RFLAGS. */
    POPF("popf"),
    /** {@code F4}: halt until an interrupt. */
    HLT("hlt"),
    /** {@code 0F 31}: read the time-stamp counter into EDX:EAX. */
    RDTSC("rdtsc"),
    /** {@code 0F A2}: CPU identification, leaf EAX, subleaf ECX. */
    CPUID("cpuid"),
    /** {@code 0F 32}: read MSR ECX into EDX:EAX. */
    RDMSR("rdmsr"),
    /** {@code 0F 30}: write EDX:EAX to MSR ECX. */
    WRMSR("wrmsr"),
    /** {@code 0F 01 /7} with a memory operand: invalidate the TLB entry of one address. */
    INVLPG("invlpg"),
    /**
     * {@code 0F 01 /3} with a memory operand: load IDTR from the 10-byte pseudo-descriptor
     * there (a 16-bit limit, then a 64-bit base).
     */
    LIDT("lidt"),
    /** {@code 0F 01 /1} with a memory operand: store IDTR as a 10-byte pseudo-descriptor. */
    SIDT("sidt"),
    /** {@code 0F 22 /r}: move a general register to a control register. */
    MOV_TO_CR("mov"),
    /** {@code 0F 20 /r}: move a control register to a general register. */
    MOV_FROM_CR("mov"),
    /** {@code E4 ib}, {@code E5 ib}, {@code EC}, {@code ED}: read a port into AL/AX/EAX. */
    IN("in"),
    /** {@code E6 ib}, {@code E7 ib}, {@code EE}, {@code EF}: write AL/AX/EAX to a port. */
    OUT("out"),
    /** {@code 6C}, {@code 6D}: read a port into memory at ES:RDI, string form. */
    INS("ins"),
    /** {@code 6E}, {@code 6F}: write memory at DS:RSI (or an override) to a port, string form. */
    OUTS("outs"),
    /** {@code 88}, {@code 89} (register source), {@code C6 /0}, {@code C7 /0} (immediate): a store. */
    MOV_STORE("mov"),
    /** {@code 8A}, {@code 8B}: a load into a general register. */
    MOV_LOAD("mov"),
    /** {@code 0F B0}, {@code 0F B1}: compare RAX/EAX/AX/AL with the destination and exchange. */
    CMPXCHG("cmpxchg");

    private final String mnemonic;

    Opcode(String mnemonic) {
        this.mnemonic = mnemonic;
    }

    /** The Intel-syntax mnemonic. */
    public String mnemonic() {
        return mnemonic;
    }
}
