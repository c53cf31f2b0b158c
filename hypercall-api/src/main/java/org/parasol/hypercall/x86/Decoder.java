package org.parasol.hypercall.x86;

/**
 * Decodes one instruction of 64-bit code into an {@link Instruction}, as a trap-and-emulate
 * hypervisor does at an exit whose qualification does not tell it everything (Xen's
 * {@code x86_decode}): legacy prefixes, REX, the opcode, ModR/M, SIB, displacement and
 * immediate, with the Intel SDM's rules for 64-bit mode.
 *
 * <p>The bytes are the guest's: we can't trust them. Any byte sequence decodes to one of
 * three answers and nothing is thrown: the instruction's length (1 to 15), {@link #UD} for an
 * instruction outside the subset or an invalid form (a lock prefix where none is allowed,
 * {@code mov} to a control register that does not exist, {@code invlpg} of a register), or
 * {@link #TRUNCATED} when the bytes given end before the instruction does (the caller fetches
 * more, or the fetch itself faults). An instruction longer than 15 bytes is {@link #GP}, as
 * the CPU raises {@code #GP(0)}.
 *
 * <p>Not thread-safe; one per vCPU, reused: decoding allocates nothing.
 */
public final class Decoder {
    /** An instruction outside the subset, or an invalid encoding: {@code #UD}. */
    public static final int UD = -1;
    /** The bytes end inside the instruction. */
    public static final int TRUNCATED = -2;
    /** More than 15 bytes: {@code #GP(0)}. */
    public static final int GP = -3;
    /** The architectural limit on an instruction's length. */
    public static final int MAX_LENGTH = 15;

    private static final int REX_W = 8;
    private static final int REX_R = 4;
    private static final int REX_X = 2;
    private static final int REX_B = 1;

    private byte[] code;
    private int start;
    private int pos;
    private int end;
    /** Set when a read ran out: past the bytes given ({@link #TRUNCATED}) or past 15 ({@link #GP}). */
    private int failure;

    /**
     * Decodes the instruction at {@code code[offset]}, of which {@code available} bytes are
     * valid, into {@code out}.
     *
     * @return the length, or {@link #UD}, {@link #TRUNCATED} or {@link #GP}
     */
    public int decode(byte[] code, int offset, int available, Instruction out) {
        this.code = code;
        this.start = offset;
        this.pos = offset;
        this.end = offset + Math.max(0, Math.min(available, code.length - offset));
        this.failure = 0;
        out.reset();
        int r = decode(out);
        this.code = null;
        if (failure != 0) {
            out.opcode = null;
            return failure;
        }
        if (r < 0) {
            out.opcode = null;
            return r;
        }
        out.length = pos - start;
        return out.length;
    }

    /** The next byte, or 0 with {@link #failure} set. */
    private int next() {
        if (pos - start >= MAX_LENGTH) {
            if (failure == 0) {
                failure = GP;
            }
            return 0;
        }
        if (pos >= end) {
            if (failure == 0) {
                failure = TRUNCATED;
            }
            return 0;
        }
        return code[pos++] & 0xFF;
    }

    private long s8() {
        return (byte) next();
    }

    private long s16() {
        int lo = next();
        return (short) (lo | next() << 8);
    }

    private long s32() {
        int b0 = next();
        int b1 = next();
        int b2 = next();
        return b0 | b1 << 8 | b2 << 16 | next() << 24;
    }

    private int decode(Instruction in) {
        boolean opsize = false;
        int rex = 0;
        int b;
        // Legacy prefixes in any order; a REX prefix counts only right before the opcode.
        for (;;) {
            b = next();
            if (failure != 0) {
                return failure;
            }
            switch (b) {
                case 0x66 -> opsize = true;
                case 0x67 -> in.adBytes = 4;
                case 0xF0 -> in.lock = true;
                case 0xF2 -> {
                    in.repne = true;
                    in.rep = false;
                }
                case 0xF3 -> {
                    in.rep = true;
                    in.repne = false;
                }
                case 0x26 -> in.segment = Instruction.ES;
                case 0x2E -> in.segment = Instruction.CS;
                case 0x36 -> in.segment = Instruction.SS;
                case 0x3E -> in.segment = Instruction.DS;
                case 0x64 -> in.segment = Instruction.FS;
                case 0x65 -> in.segment = Instruction.GS;
                default -> {
                    if ((b & 0xF0) == 0x40) {
                        rex = b;
                        b = next();
                        if (failure != 0) {
                            return failure;
                        }
                        if (isLegacyPrefix(b) || (b & 0xF0) == 0x40) {
                            // A REX followed by another prefix is ignored; go on with that prefix.
                            pos--;
                            rex = 0;
                            continue;
                        }
                    }
                    return opcode(in, b, opsize, rex);
                }
            }
        }
    }

    private static boolean isLegacyPrefix(int b) {
        return switch (b) {
            case 0x66, 0x67, 0xF0, 0xF2, 0xF3, 0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65 -> true;
            default -> false;
        };
    }

    private int opcode(Instruction in, int b, boolean opsize, int rex) {
        in.rex = rex;
        int wide = (rex & REX_W) != 0 ? 8 : opsize ? 2 : 4;
        Opcode op;
        switch (b) {
            case 0xFA -> op = Opcode.CLI;
            case 0xFB -> op = Opcode.STI;
            case 0xF4 -> op = Opcode.HLT;
            case 0x9C, 0x9D -> {
                op = b == 0x9C ? Opcode.PUSHF : Opcode.POPF;
                // 64-bit mode: 8 bytes, or 2 with 66; a 32-bit push does not exist.
                in.opBytes = opsize && (rex & REX_W) == 0 ? 2 : 8;
            }
            case 0xE4, 0xE5, 0xE6, 0xE7 -> {
                op = b < 0xE6 ? Opcode.IN : Opcode.OUT;
                in.opBytes = (b & 1) == 0 ? 1 : opsize ? 2 : 4;
                in.port = next();
            }
            case 0xEC, 0xED, 0xEE, 0xEF -> {
                op = b < 0xEE ? Opcode.IN : Opcode.OUT;
                in.opBytes = (b & 1) == 0 ? 1 : opsize ? 2 : 4;
            }
            case 0x6C, 0x6D, 0x6E, 0x6F -> {
                op = b < 0x6E ? Opcode.INS : Opcode.OUTS;
                in.opBytes = (b & 1) == 0 ? 1 : opsize ? 2 : 4;
            }
            case 0x88, 0x89 -> {
                op = Opcode.MOV_STORE;
                in.opBytes = b == 0x88 ? 1 : wide;
                modrm(in, rex);
            }
            case 0x8A, 0x8B -> {
                op = Opcode.MOV_LOAD;
                in.opBytes = b == 0x8A ? 1 : wide;
                modrm(in, rex);
            }
            case 0xC6, 0xC7 -> {
                op = Opcode.MOV_STORE;
                in.opBytes = b == 0xC6 ? 1 : wide;
                modrm(in, rex);
                if (in.modrmReg != Instruction.NONE && (in.modrmReg & 7) != 0) {
                    return UD; // C6/C7 /1-/7 are not mov (and /7 is xabort/xbegin, outside the subset)
                }
                in.modrmReg = Instruction.NONE;
                in.regHighByte = false;
                in.hasImmediate = true;
                in.immediate = switch (in.opBytes) {
                    case 1 -> s8();
                    case 2 -> s16();
                    default -> s32();
                };
            }
            case 0x0F -> {
                return twoByte(in, next(), opsize, rex);
            }
            default -> {
                return UD;
            }
        }
        if (in.lock) {
            return UD; // lock is allowed only on a read-modify-write of memory
        }
        // in/out/ins/outs move at most 32 bits: REX.W does not widen them.
        in.opcode = op;
        return 0;
    }

    private int twoByte(Instruction in, int b, boolean opsize, int rex) {
        if (failure != 0) {
            return failure;
        }
        Opcode op;
        switch (b) {
            case 0x31 -> op = Opcode.RDTSC;
            case 0xA2 -> op = Opcode.CPUID;
            case 0x32 -> op = Opcode.RDMSR;
            case 0x30 -> op = Opcode.WRMSR;
            case 0x01 -> {
                modrm(in, rex);
                if (failure != 0) {
                    return failure;
                }
                int ext = in.modrmReg & 7;
                if (!in.hasMemory || ext != 7 && ext != 3 && ext != 1) {
                    return UD; // 0F 01 holds sgdt, lgdt, swapgs, rdtscp ...: invlpg, lidt and sidt are ours
                }
                in.modrmReg = Instruction.NONE;
                in.opBytes = ext == 7 ? 1 : 10;
                op = ext == 7 ? Opcode.INVLPG : ext == 3 ? Opcode.LIDT : Opcode.SIDT;
            }
            case 0x20, 0x22 -> {
                // mod is ignored: the operand is always a register. REX.R reaches CR8.
                int m = next();
                in.modrmReg = ((m >> 3) & 7) | ((rex & REX_R) != 0 ? 8 : 0);
                in.rmRegister = (m & 7) | ((rex & REX_B) != 0 ? 8 : 0);
                in.opBytes = 8;
                if (failure == 0 && !Registers.isControlRegister(in.modrmReg)) {
                    return UD;
                }
                op = b == 0x22 ? Opcode.MOV_TO_CR : Opcode.MOV_FROM_CR;
            }
            case 0xB0, 0xB1 -> {
                in.opBytes = b == 0xB0 ? 1 : (rex & REX_W) != 0 ? 8 : opsize ? 2 : 4;
                modrm(in, rex);
                op = Opcode.CMPXCHG;
                if (in.lock && !in.hasMemory && failure == 0) {
                    return UD;
                }
                in.opcode = op;
                return 0;
            }
            default -> {
                return UD;
            }
        }
        if (in.lock) {
            return UD;
        }
        in.opcode = op;
        return 0;
    }

    /** ModR/M, then SIB and displacement for a memory operand (64-bit mode's rules). */
    private void modrm(Instruction in, int rex) {
        int m = next();
        int mod = m >> 6;
        int rm = m & 7;
        boolean byteRegs = in.opBytes == 1;
        int reg = ((m >> 3) & 7) | ((rex & REX_R) != 0 ? 8 : 0);
        in.modrmReg = reg;
        // Without any REX prefix, byte registers 4-7 are AH, CH, DH, BH; with one, SPL..DIL.
        in.regHighByte = byteRegs && rex == 0 && reg >= 4 && reg <= 7;
        if (mod == 3) {
            in.rmRegister = rm | ((rex & REX_B) != 0 ? 8 : 0);
            in.rmHighByte = byteRegs && rex == 0 && in.rmRegister >= 4 && in.rmRegister <= 7;
            return;
        }
        in.hasMemory = true;
        if (rm == 4) {
            int sib = next();
            in.scale = 1 << (sib >> 6);
            int idx = ((sib >> 3) & 7) | ((rex & REX_X) != 0 ? 8 : 0);
            in.index = idx == 4 ? Instruction.NONE : idx;
            int b = sib & 7;
            if (b == 5 && mod == 0) {
                in.base = Instruction.NONE;
                in.disp = s32();
                in.dispBytes = 4;
            } else {
                in.base = b | ((rex & REX_B) != 0 ? 8 : 0);
            }
        } else if (rm == 5 && mod == 0) {
            in.ripRelative = true;
            in.disp = s32();
            in.dispBytes = 4;
        } else {
            in.base = rm | ((rex & REX_B) != 0 ? 8 : 0);
        }
        if (mod == 1) {
            in.disp = s8();
            in.dispBytes = 1;
        } else if (mod == 2) {
            in.disp = s32();
            in.dispBytes = 4;
        }
    }
}
