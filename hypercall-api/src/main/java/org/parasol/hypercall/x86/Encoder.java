package org.parasol.hypercall.x86;

/**
 * Writes the instructions {@link Decoder} knows as x86-64 machine code, in the encodings an
 * assembler picks (the shortest displacement, a SIB byte only where one is needed, prefixes in
 * {@code lock}/{@code rep}, {@code 66}, REX order): what a native kernel's privileged
 * operations and drivers put at their instruction pointer.
 *
 * <p>Each method writes at {@code buf[off]} and returns the number of bytes written;
 * nothing is allocated. A memory operand is a base register (or {@link #RIP}, or
 * {@link Instruction#NONE} for none), an index register (or {@link Instruction#NONE}), a
 * scale (1, 2, 4, 8) and a signed 32-bit displacement. Byte registers 4 to 7 are SPL, BPL,
 * SIL, DIL (a REX prefix is emitted); AH, CH, DH and BH are {@link #AH} to {@link #BH}.
 * An operand no encoding can express (RSP as an index, AH beside a REX prefix, an immediate
 * wider than the form takes) is an {@link IllegalArgumentException}: the caller's bug.
 */
public final class Encoder {
    /** A memory operand's base: the next instruction's address. */
    public static final int RIP = -2;
    /** The high byte registers, for byte-sized operands. */
    public static final int AH = 0x104;
    public static final int CH = 0x105;
    public static final int DH = 0x106;
    public static final int BH = 0x107;
    private static final int HIGH = 0x100;
    private static final int NONE = Instruction.NONE;

    private Encoder() {
    }

    private static int one(byte[] buf, int off, int b) {
        buf[off] = (byte) b;
        return 1;
    }

    private static int two(byte[] buf, int off, int b1) {
        buf[off] = 0x0F;
        buf[off + 1] = (byte) b1;
        return 2;
    }

    public static int cli(byte[] buf, int off) {
        return one(buf, off, 0xFA);
    }

    public static int sti(byte[] buf, int off) {
        return one(buf, off, 0xFB);
    }

    public static int hlt(byte[] buf, int off) {
        return one(buf, off, 0xF4);
    }

    /** {@code pushfq}. */
    public static int pushf(byte[] buf, int off) {
        return one(buf, off, 0x9C);
    }

    /** {@code popfq}. */
    public static int popf(byte[] buf, int off) {
        return one(buf, off, 0x9D);
    }

    public static int rdtsc(byte[] buf, int off) {
        return two(buf, off, 0x31);
    }

    public static int cpuid(byte[] buf, int off) {
        return two(buf, off, 0xA2);
    }

    public static int rdmsr(byte[] buf, int off) {
        return two(buf, off, 0x32);
    }

    public static int wrmsr(byte[] buf, int off) {
        return two(buf, off, 0x30);
    }

    /** {@code ud2}: the instruction defined to be undefined, always {@code #UD} (Linux's {@code BUG()}). */
    public static int ud2(byte[] buf, int off) {
        return two(buf, off, 0x0B);
    }

    /** {@code mov crN, gpr}. */
    public static int movToCr(byte[] buf, int off, int cr, int gpr) {
        return movCr(buf, off, 0x22, cr, gpr);
    }

    /** {@code mov gpr, crN}. */
    public static int movFromCr(byte[] buf, int off, int gpr, int cr) {
        return movCr(buf, off, 0x20, cr, gpr);
    }

    private static int movCr(byte[] buf, int off, int op, int cr, int gpr) {
        if (!Registers.isControlRegister(cr)) {
            throw new IllegalArgumentException("no control register cr" + cr + " in 64-bit mode");
        }
        checkGpr(gpr);
        int p = off;
        int rex = (cr >= 8 ? 4 : 0) | (gpr >= 8 ? 1 : 0);
        if (rex != 0) {
            buf[p++] = (byte) (0x40 | rex);
        }
        buf[p++] = 0x0F;
        buf[p++] = (byte) op;
        buf[p++] = (byte) (0xC0 | (cr & 7) << 3 | (gpr & 7));
        return p - off;
    }

    /** {@code in al/ax/eax, port} ({@code port} 0-255), or {@code in ..., dx} with {@link Instruction#NONE}. */
    public static int in(byte[] buf, int off, int opBytes, int port) {
        return portIo(buf, off, opBytes, port, port == NONE ? 0xEC : 0xE4);
    }

    /** {@code out port, al/ax/eax}, or {@code out dx, ...} with {@link Instruction#NONE}. */
    public static int out(byte[] buf, int off, int opBytes, int port) {
        return portIo(buf, off, opBytes, port, port == NONE ? 0xEE : 0xE6);
    }

    private static int portIo(byte[] buf, int off, int opBytes, int port, int byteOp) {
        checkPortSize(opBytes);
        if (port != NONE && (port < 0 || port > 0xFF)) {
            throw new IllegalArgumentException("an immediate port is 0-255: " + port);
        }
        int p = off;
        if (opBytes == 2) {
            buf[p++] = 0x66;
        }
        buf[p++] = (byte) (opBytes == 1 ? byteOp : byteOp + 1);
        if (port != NONE) {
            buf[p++] = (byte) port;
        }
        return p - off;
    }

    /** {@code [rep] ins} of {@code opBytes} from port DX to ES:[RDI]. */
    public static int ins(byte[] buf, int off, int opBytes, boolean rep) {
        return string(buf, off, opBytes, rep, 0x6C);
    }

    /** {@code [rep] outs} of {@code opBytes} from DS:[RSI] to port DX. */
    public static int outs(byte[] buf, int off, int opBytes, boolean rep) {
        return string(buf, off, opBytes, rep, 0x6E);
    }

    private static int string(byte[] buf, int off, int opBytes, boolean rep, int byteOp) {
        checkPortSize(opBytes);
        int p = off;
        if (opBytes == 2) {
            buf[p++] = 0x66;
        }
        if (rep) {
            buf[p++] = (byte) 0xF3;
        }
        buf[p++] = (byte) (opBytes == 1 ? byteOp : byteOp + 1);
        return p - off;
    }

    /** {@code invlpg [mem]}. */
    public static int invlpg(byte[] buf, int off, int base, int index, int scale, int disp) {
        int p = off;
        int rex = memRex(base, index);
        if (rex != 0) {
            buf[p++] = (byte) (0x40 | rex);
        }
        buf[p++] = 0x0F;
        buf[p++] = 0x01;
        return p - off + memory(buf, p, 7, base, index, scale, disp);
    }

    /** {@code lidt [mem]}: IDTR from the 10-byte pseudo-descriptor at the operand. */
    public static int lidt(byte[] buf, int off, int base, int index, int scale, int disp) {
        return group7(buf, off, 3, base, index, scale, disp);
    }

    /** {@code sidt [mem]}: IDTR into the 10 bytes at the operand. */
    public static int sidt(byte[] buf, int off, int base, int index, int scale, int disp) {
        return group7(buf, off, 1, base, index, scale, disp);
    }

    /** {@code 0F 01 /ext} with a memory operand. */
    private static int group7(byte[] buf, int off, int ext, int base, int index, int scale, int disp) {
        int p = off;
        int rex = memRex(base, index);
        if (rex != 0) {
            buf[p++] = (byte) (0x40 | rex);
        }
        buf[p++] = 0x0F;
        buf[p++] = 0x01;
        return p - off + memory(buf, p, ext, base, index, scale, disp);
    }

    /** {@code mov [mem], src} of {@code opBytes}. */
    public static int movStore(byte[] buf, int off, int opBytes, int base, int index, int scale, int disp, int src) {
        return withRegister(buf, off, false, opBytes, opBytes == 1 ? 0x88 : 0x89, false, src, base, index, scale, disp);
    }

    /** {@code mov dst, [mem]} of {@code opBytes}. */
    public static int movLoad(byte[] buf, int off, int opBytes, int dst, int base, int index, int scale, int disp) {
        return withRegister(buf, off, false, opBytes, opBytes == 1 ? 0x8A : 0x8B, false, dst, base, index, scale, disp);
    }

    /** {@code [lock] cmpxchg [mem], src} of {@code opBytes}. */
    public static int cmpxchg(byte[] buf, int off, boolean lock, int opBytes, int base, int index, int scale, int disp,
            int src) {
        return withRegister(buf, off, lock, opBytes, opBytes == 1 ? 0xB0 : 0xB1, true, src, base, index, scale, disp);
    }

    /**
     * {@code mov [mem], imm} of {@code opBytes}: an 8-, 16- or 32-bit immediate, sign-extended
     * to 64 bits for a quadword store.
     */
    public static int movStoreImm(byte[] buf, int off, int opBytes, int base, int index, int scale, int disp, long imm) {
        checkOpBytes(opBytes);
        int immBytes = Math.min(opBytes, 4);
        long lo = -(1L << (immBytes * 8 - 1));
        long hi = opBytes == 8 ? (1L << 31) - 1 : (1L << (immBytes * 8)) - 1;
        if (imm < lo || imm > hi) {
            throw new IllegalArgumentException("immediate " + imm + " does not fit a " + opBytes + "-byte mov");
        }
        int p = off;
        if (opBytes == 2) {
            buf[p++] = 0x66;
        }
        int rex = (opBytes == 8 ? 8 : 0) | memRex(base, index);
        if (rex != 0) {
            buf[p++] = (byte) (0x40 | rex);
        }
        buf[p++] = (byte) (opBytes == 1 ? 0xC6 : 0xC7);
        p += memory(buf, p, 0, base, index, scale, disp);
        for (int i = 0; i < immBytes; i++) {
            buf[p++] = (byte) (imm >> (8 * i));
        }
        return p - off;
    }

    private static int withRegister(byte[] buf, int off, boolean lock, int opBytes, int op, boolean twoByte, int reg,
            int base, int index, int scale, int disp) {
        checkOpBytes(opBytes);
        boolean high = (reg & HIGH) != 0;
        int r = reg & ~HIGH;
        if (high ? opBytes != 1 || r < 4 || r > 7 : r < 0 || r > 15) {
            throw new IllegalArgumentException("no register " + reg + " at " + opBytes + " bytes");
        }
        int rex = (opBytes == 8 ? 8 : 0) | (r >= 8 ? 4 : 0) | memRex(base, index);
        boolean needsRex = rex != 0 || (opBytes == 1 && !high && r >= 4);
        if (high && needsRex) {
            throw new IllegalArgumentException("AH, CH, DH and BH cannot be encoded beside a REX prefix");
        }
        int p = off;
        if (lock) {
            buf[p++] = (byte) 0xF0;
        }
        if (opBytes == 2) {
            buf[p++] = 0x66;
        }
        if (needsRex) {
            buf[p++] = (byte) (0x40 | rex);
        }
        if (twoByte) {
            buf[p++] = 0x0F;
        }
        buf[p++] = (byte) op;
        return p - off + memory(buf, p, r & 7, base, index, scale, disp);
    }

    private static int memRex(int base, int index) {
        return (index != NONE && index >= 8 ? 2 : 0) | (base >= 8 ? 1 : 0);
    }

    /** ModR/M (with {@code reg}'s low three bits), SIB and displacement of a memory operand. */
    private static int memory(byte[] buf, int off, int reg, int base, int index, int scale, int disp) {
        int ss = switch (scale) {
            case 1 -> 0;
            case 2 -> 1;
            case 4 -> 2;
            case 8 -> 3;
            default -> throw new IllegalArgumentException("scale must be 1, 2, 4 or 8: " + scale);
        };
        if (index != NONE) {
            checkGpr(index);
            if (index == Registers.RSP) {
                throw new IllegalArgumentException("RSP cannot be an index");
            }
            if (base == RIP) {
                throw new IllegalArgumentException("a RIP-relative operand has no index");
            }
        } else if (ss != 0) {
            throw new IllegalArgumentException("a scale without an index");
        }
        int p = off;
        int r = (reg & 7) << 3;
        if (base == RIP) {
            buf[p++] = (byte) (r | 5);
            return p - off + le32(buf, p, disp);
        }
        if (base == NONE) {
            buf[p++] = (byte) (r | 4);
            buf[p++] = (byte) (ss << 6 | (index == NONE ? 4 : index & 7) << 3 | 5);
            return p - off + le32(buf, p, disp);
        }
        checkGpr(base);
        int mod = disp == 0 && (base & 7) != 5 ? 0 : disp == (byte) disp ? 1 : 2;
        if (index == NONE && (base & 7) != 4) {
            buf[p++] = (byte) (mod << 6 | r | (base & 7));
        } else {
            buf[p++] = (byte) (mod << 6 | r | 4);
            buf[p++] = (byte) (ss << 6 | (index == NONE ? 4 : index & 7) << 3 | (base & 7));
        }
        if (mod == 1) {
            buf[p++] = (byte) disp;
        } else if (mod == 2) {
            p += le32(buf, p, disp);
        }
        return p - off;
    }

    private static int le32(byte[] buf, int off, int v) {
        for (int i = 0; i < 4; i++) {
            buf[off + i] = (byte) (v >> (8 * i));
        }
        return 4;
    }

    private static void checkGpr(int r) {
        if (r < 0 || r > 15) {
            throw new IllegalArgumentException("no general register " + r);
        }
    }

    private static void checkOpBytes(int n) {
        if (n != 1 && n != 2 && n != 4 && n != 8) {
            throw new IllegalArgumentException("operand size must be 1, 2, 4 or 8 bytes: " + n);
        }
    }

    private static void checkPortSize(int n) {
        if (n != 1 && n != 2 && n != 4) {
            throw new IllegalArgumentException("port I/O moves 1, 2 or 4 bytes: " + n);
        }
    }
}
