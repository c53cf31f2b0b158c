package org.parasol.guest.x86;

import java.util.Arrays;

/**
 * The native kernel's exception table: for each instruction that may fault on purpose, where
 * the kernel goes on instead of dying (Linux's {@code __ex_table}, written by
 * {@code _ASM_EXTABLE_TYPE} beside {@code rdmsr_safe} and friends, and searched by
 * {@code fixup_exception}). An entry is the faulting instruction's address, its fixup's
 * address and a type saying what the fixup stands for.
 *
 * <pre>
 *   insn  ──►  fixup   type
 *   0x...a     0x...c  RDMSR_SAFE   (the accessor sees the fault and answers -EIO)
 *   0x...c     0x...e  WRMSR_SAFE
 * </pre>
 *
 * <p>Entries are added while the kernel assembles its text, then kept sorted by instruction
 * address; {@link #search} is a binary search that allocates nothing. One vCPU's thread.
 */
public final class ExceptionTable {
    /** A fixup that only moves {@code rip} (Linux's {@code EX_TYPE_DEFAULT}). */
    public static final int TYPE_DEFAULT = 0;
    /** {@code rdmsr} of an MSR that may not exist ({@code EX_TYPE_RDMSR_SAFE}). */
    public static final int TYPE_RDMSR_SAFE = 1;
    /** {@code wrmsr} of an MSR that may not exist ({@code EX_TYPE_WRMSR_SAFE}). */
    public static final int TYPE_WRMSR_SAFE = 2;

    private long[] insn = new long[0];
    private long[] fixup = new long[0];
    private int[] type = new int[0];

    /**
     * Adds the entry for the instruction at {@code insnVa}: a fault there resumes at
     * {@code fixupVa}. At most one entry per instruction.
     */
    public void add(long insnVa, long fixupVa, int entryType) {
        int at = Arrays.binarySearch(insn, insnVa);
        if (at >= 0) {
            throw new IllegalArgumentException("an exception-table entry for 0x" + Long.toHexString(insnVa) + " exists");
        }
        int i = -at - 1;
        int n = insn.length;
        long[] ni = Arrays.copyOf(insn, n + 1);
        long[] nf = Arrays.copyOf(fixup, n + 1);
        int[] nt = Arrays.copyOf(type, n + 1);
        System.arraycopy(insn, i, ni, i + 1, n - i);
        System.arraycopy(fixup, i, nf, i + 1, n - i);
        System.arraycopy(type, i, nt, i + 1, n - i);
        ni[i] = insnVa;
        nf[i] = fixupVa;
        nt[i] = entryType;
        insn = ni;
        fixup = nf;
        type = nt;
    }

    /** The entry of the instruction at {@code rip}, or -1 when a fault there has no fixup. */
    public int search(long rip) {
        int at = Arrays.binarySearch(insn, rip);
        return at >= 0 ? at : -1;
    }

    /** Where entry {@code entry}'s fault resumes. */
    public long fixup(int entry) {
        return fixup[entry];
    }

    /** What entry {@code entry}'s fixup stands for ({@link #TYPE_DEFAULT}, ...). */
    public int type(int entry) {
        return type[entry];
    }

    /** How many entries the table holds. */
    public int size() {
        return insn.length;
    }
}
