package org.parasol.hypercall.x86;

import java.util.List;

/**
 * One decoded instruction: what {@link Decoder} fills and an emulator reads, in the words of
 * Xen's {@code x86_emulate} state ({@code op_bytes}, {@code ad_bytes}, {@code modrm_reg}, the
 * effective address's segment, base, index, scale and displacement).
 *
 * <pre>
 *  [prefixes][REX] opcode [ModR/M [SIB] [disp8|disp32]] [imm8|imm16|imm32]     at most 15 bytes
 *
 *  ModR/M   7 6 | 5 4 3 | 2 1 0        SIB   7 6   | 5 4 3 | 2 1 0
 *           mod |  reg  |  rm                scale | index | base
 *  REX      0100 W R X B: W 64-bit operand, R extends reg, X extends index, B extends rm/base
 * </pre>
 *
 * <p>Mutable and reused: a vCPU keeps one and decodes into it at every exit, allocating
 * nothing. Fields that an instruction does not have read as {@link #NONE}.
 */
public final class Instruction {
    /** A register, port or segment the instruction does not have. */
    public static final int NONE = -1;

    /** Segment registers as the override prefixes name them. */
    public static final int ES = 0;
    public static final int CS = 1;
    public static final int SS = 2;
    public static final int DS = 3;
    public static final int FS = 4;
    public static final int GS = 5;
    private static final List<String> SEGMENTS = List.of("es", "cs", "ss", "ds", "fs", "gs");

    Opcode opcode;
    int length;
    int opBytes;
    int adBytes;
    boolean rep;
    boolean repne;
    boolean lock;
    int segment;
    int rex;
    int modrmReg;
    boolean regHighByte;
    boolean hasMemory;
    int rmRegister;
    boolean rmHighByte;
    int base;
    int index;
    int scale;
    long disp;
    int dispBytes;
    boolean ripRelative;
    boolean hasImmediate;
    long immediate;
    int port;

    void reset() {
        opcode = null;
        length = 0;
        opBytes = 4;
        adBytes = 8;
        rep = false;
        repne = false;
        lock = false;
        segment = NONE;
        rex = 0;
        modrmReg = NONE;
        regHighByte = false;
        hasMemory = false;
        rmRegister = NONE;
        rmHighByte = false;
        base = NONE;
        index = NONE;
        scale = 1;
        disp = 0;
        dispBytes = 0;
        ripRelative = false;
        hasImmediate = false;
        immediate = 0;
        port = NONE;
    }

    /** What the instruction does; null before a successful decode. */
    public Opcode opcode() {
        return opcode;
    }

    /** Its length in bytes, prefixes included (1 to 15): the instruction pointer's advance. */
    public int length() {
        return length;
    }

    /** Operand size in bytes (1, 2, 4 or 8): of the data moved, the port access, the flags pushed. */
    public int opBytes() {
        return opBytes;
    }

    /** Address size in bytes: 8, or 4 with the {@code 67} prefix. */
    public int adBytes() {
        return adBytes;
    }

    /** {@code F3}: a string instruction repeated RCX times. */
    public boolean rep() {
        return rep;
    }

    /** {@code F2} on a string instruction (repeated as {@code rep} is, for INS and OUTS). */
    public boolean repne() {
        return repne;
    }

    /** {@code F0}: a locked read-modify-write. */
    public boolean lock() {
        return lock;
    }

    /** The segment override prefix ({@link #ES} to {@link #GS}), or {@link #NONE}. */
    public int segment() {
        return segment;
    }

    /**
     * ModR/M's {@code reg} with REX.R: the general register stored, loaded or compared, or the
     * control register of a {@code mov} to or from CR; {@link #NONE} without ModR/M.
     */
    public int modrmReg() {
        return modrmReg;
    }

    /** Whether {@link #modrmReg} is AH, CH, DH or BH (a byte register without REX). */
    public boolean regHighByte() {
        return regHighByte;
    }

    /** Whether the instruction addresses memory through ModR/M (see {@link #base} and the rest). */
    public boolean hasMemory() {
        return hasMemory;
    }

    /**
     * ModR/M's {@code rm} when it names a register ({@code mod = 11}): the general register of
     * a {@code mov} to or from CR, or a register destination; {@link #NONE} for memory.
     */
    public int rmRegister() {
        return rmRegister;
    }

    /** Whether {@link #rmRegister} is AH, CH, DH or BH. */
    public boolean rmHighByte() {
        return rmHighByte;
    }

    /** The effective address's base register, or {@link #NONE} (absolute, or RIP-relative). */
    public int base() {
        return base;
    }

    /** The effective address's index register, or {@link #NONE}. */
    public int index() {
        return index;
    }

    /** The index's scale: 1, 2, 4 or 8. */
    public int scale() {
        return scale;
    }

    /** The displacement, sign-extended. */
    public long disp() {
        return disp;
    }

    /** Whether the address is relative to the next instruction's RIP. */
    public boolean ripRelative() {
        return ripRelative;
    }

    /** Whether there is an immediate (a store's value, a port number is in {@link #port}). */
    public boolean hasImmediate() {
        return hasImmediate;
    }

    /** The immediate, sign-extended to the operand size and then to 64 bits as the CPU does. */
    public long immediate() {
        return immediate;
    }

    /** The port of {@code in}/{@code out} with an 8-bit immediate, or {@link #NONE} for DX. */
    public int port() {
        return port;
    }

    /**
     * The effective address for register values {@code regs} (indexed by register number)
     * and the address of the next instruction {@code nextRip}, truncated to the address size;
     * the segment base is the caller's to add.
     */
    public long effectiveAddress(long[] regs, long nextRip) {
        long ea = disp;
        if (ripRelative) {
            ea += nextRip;
        } else if (base != NONE) {
            ea += regs[base];
        }
        if (index != NONE) {
            ea += regs[index] * scale;
        }
        return adBytes == 4 ? ea & 0xFFFF_FFFFL : ea;
    }

    /**
     * The instruction in Intel syntax as {@code objdump -M intel} prints it (prefix words,
     * mnemonic, operands joined by commas, hexadecimal numbers): for logs, traces and the
     * test that checks the decoder against binutils.
     */
    public String toIntelSyntax() {
        if (opcode == null) {
            return "(bad)";
        }
        StringBuilder sb = new StringBuilder();
        if (lock) {
            sb.append("lock ");
        }
        if (rep) {
            sb.append("rep ");
        } else if (repne) {
            sb.append("repnz ");
        }
        switch (opcode) {
            case PUSHF, POPF -> sb.append(opcode.mnemonic()).append(opBytes == 2 ? "w" : "");
            case CLI, STI, HLT, RDTSC, CPUID, RDMSR, WRMSR -> sb.append(opcode.mnemonic());
            case INVLPG -> sb.append("invlpg ").append(memory(1));
            case LIDT, SIDT -> sb.append(opcode.mnemonic()).append(' ').append(memory(0));
            case MOV_TO_CR -> sb.append("mov cr").append(modrmReg).append(',').append(Registers.name(rmRegister, 8, false));
            case MOV_FROM_CR -> sb.append("mov ").append(Registers.name(rmRegister, 8, false)).append(",cr").append(modrmReg);
            case IN -> sb.append("in ").append(Registers.name(Registers.RAX, opBytes, false)).append(',').append(portText());
            case OUT -> sb.append("out ").append(portText()).append(',').append(Registers.name(Registers.RAX, opBytes, false));
            case INS -> sb.append("ins ").append(size(opBytes)).append(" PTR es:[").append(adBytes == 8 ? "rdi" : "edi")
                    .append("],dx");
            case OUTS -> sb.append("outs dx,").append(size(opBytes)).append(" PTR ")
                    .append(SEGMENTS.get(segment == NONE ? DS : segment)).append(":[").append(adBytes == 8 ? "rsi" : "esi")
                    .append(']');
            case MOV_STORE -> sb.append("mov ").append(rmOperand()).append(',').append(hasImmediate ? hex(immediate, opBytes)
                    : Registers.name(modrmReg, opBytes, regHighByte));
            case MOV_LOAD -> sb.append("mov ").append(Registers.name(modrmReg, opBytes, regHighByte)).append(',')
                    .append(rmOperand());
            case CMPXCHG -> sb.append("cmpxchg ").append(rmOperand()).append(',')
                    .append(Registers.name(modrmReg, opBytes, regHighByte));
        }
        return sb.toString();
    }

    private String portText() {
        return port == NONE ? "dx" : "0x" + Integer.toHexString(port);
    }

    private String rmOperand() {
        return hasMemory ? memory(opBytes) : Registers.name(rmRegister, opBytes, rmHighByte);
    }

    private static String size(int bytes) {
        return switch (bytes) {
            case 1 -> "BYTE";
            case 2 -> "WORD";
            case 4 -> "DWORD";
            default -> "QWORD";
        };
    }

    /** A memory operand, with its size word ({@code bytes} 0: none, as objdump prints a pseudo-descriptor). */
    private String memory(int bytes) {
        StringBuilder sb = new StringBuilder();
        if (bytes != 0) {
            sb.append(size(bytes)).append(" PTR ");
        }
        if (segment != NONE) {
            sb.append(SEGMENTS.get(segment)).append(':');
        }
        if (!ripRelative && base == NONE && index == NONE) {
            // An absolute address: objdump writes it bare, with ds: when no override is given.
            if (segment == NONE) {
                sb.append("ds:");
            }
            return sb.append(hex(disp, adBytes)).toString();
        }
        sb.append('[');
        boolean first = true;
        if (ripRelative) {
            sb.append(adBytes == 8 ? "rip" : "eip");
            first = false;
        } else if (base != NONE) {
            sb.append(Registers.name(base, adBytes, false));
            first = false;
        }
        if (index != NONE) {
            sb.append(first ? "" : "+").append(Registers.name(index, adBytes, false)).append('*').append(scale);
            first = false;
        }
        if (displacementWritten()) {
            if (ripRelative || disp >= 0) {
                sb.append('+').append(hex(disp, ripRelative ? adBytes : 8));
            } else {
                sb.append('-').append("0x").append(Long.toHexString(-disp));
            }
        }
        return sb.append(']').toString();
    }

    /** Whether the encoding carried a displacement (a zero disp8 is written too, as objdump does). */
    private boolean displacementWritten() {
        return dispBytes != 0;
    }

    private static String hex(long v, int bytes) {
        long masked = bytes == 8 ? v : v & ((1L << (bytes * 8)) - 1);
        return "0x" + Long.toHexString(masked);
    }

    @Override
    public String toString() {
        return toIntelSyntax() + " (" + length + " bytes)";
    }
}
