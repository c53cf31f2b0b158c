package org.parasol.hypercall.abi;

/**
 * x86 exception vectors a PV guest registers with {@code set_trap_table}, the page-fault
 * error-code bits, and the {@code trap_info.flags} fields, mirrors {@code arch-x86/xen.h}
 * ({@code struct trap_info}) and the x86 architecture's vector numbers.
 *
 * <p>{@code trap_info} is {@code {u8 vector; u8 flags; u16 cs; u64 address}}; a table ends at
 * the first entry whose {@code address} is 0. {@code flags} bits 0..1 are the privilege level
 * allowed to raise the vector with {@code int n}; bit 2 says to mask event upcalls on entry.
 */
public final class TrapVector {
    private TrapVector() {
    }

    /** {@code #DE}: divide error. */
    public static final int DE = 0;
    /** {@code #DB}: debug. */
    public static final int DB = 1;
    /** NMI: non-maskable interrupt. */
    public static final int NMI = 2;
    /** {@code #BP}: breakpoint ({@code int3}). */
    public static final int BP = 3;
    /** {@code #OF}: overflow ({@code into}). */
    public static final int OF = 4;
    /** {@code #BR}: bound range exceeded. */
    public static final int BR = 5;
    /** {@code #UD}: invalid opcode. */
    public static final int UD = 6;
    /** {@code #NM}: device not available. */
    public static final int NM = 7;
    /** {@code #DF}: double fault. */
    public static final int DF = 8;
    /** {@code #TS}: invalid TSS. */
    public static final int TS = 10;
    /** {@code #NP}: segment not present. */
    public static final int NP = 11;
    /** {@code #SS}: stack-segment fault. */
    public static final int SS = 12;
    /** {@code #GP}: general protection. */
    public static final int GP = 13;
    /** {@code #PF}: page fault; the faulting address is in {@code vcpu_info.arch.cr2}. */
    public static final int PF = 14;
    /** {@code #MF}: x87 floating-point error. */
    public static final int MF = 16;
    /** {@code #AC}: alignment check. */
    public static final int AC = 17;
    /** {@code #MC}: machine check. */
    public static final int MC = 18;
    /** {@code #XM}: SIMD floating-point exception. */
    public static final int XM = 19;
    /** Vectors below this are architectural exceptions. */
    public static final int NR_EXCEPTIONS = 32;
    /** Vectors a trap table may name: 0..255. */
    public static final int NR_VECTORS = 256;

    /** {@code PFEC_page_present}: the fault hit a present page (protection violation). */
    public static final int PFEC_PRESENT = 1 << 0;
    /** {@code PFEC_write_access}: the access was a write. */
    public static final int PFEC_WRITE = 1 << 1;
    /** {@code PFEC_user_mode}: the access came from user mode. */
    public static final int PFEC_USER = 1 << 2;
    /** {@code PFEC_reserved_bit}: a reserved bit was set in a page-table entry. */
    public static final int PFEC_RSVD = 1 << 3;
    /** {@code PFEC_insn_fetch}: the access was an instruction fetch. */
    public static final int PFEC_INSN_FETCH = 1 << 4;

    /** {@code TI_GET_DPL}/{@code TI_SET_DPL} mask: lowest ring allowed to {@code int n}. */
    public static final int TI_DPL_MASK = 3;
    /** {@code TI_GET_IF}/{@code TI_SET_IF} bit: mask event upcalls on entry (interrupt gate). */
    public static final int TI_IF = 1 << 2;
    /** Size of {@code struct trap_info} on x86-64. */
    public static final int TRAP_INFO_SIZE = 16;
}
