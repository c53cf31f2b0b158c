package org.parasol.hypercall.x86;

import java.util.Random;

/**
 * Random instructions of the subset, written with {@link Encoder}: every form, every register
 * (byte registers with and without REX, the high bytes), every kind of memory operand (base
 * alone, base and index, index alone, absolute, RIP-relative, each displacement width), for
 * the round-trip property and the check against objdump.
 */
final class RandomInstructions {
    private static final int[] SIZES = {1, 2, 4, 8};
    private static final int[] PORT_SIZES = {1, 2, 4};
    private static final int[] CRS = {0, 2, 3, 4, 8};
    private static final int[] HIGH = {Encoder.AH, Encoder.CH, Encoder.DH, Encoder.BH};

    private RandomInstructions() {
    }

    /** Writes one random instruction at {@code buf[off]}; returns its length. */
    static int write(Random r, byte[] buf, int off) {
        int kind = r.nextInt(17);
        return switch (kind) {
            case 0 -> Encoder.cli(buf, off);
            case 1 -> Encoder.sti(buf, off);
            case 2 -> r.nextBoolean() ? Encoder.pushf(buf, off) : Encoder.popf(buf, off);
            case 3 -> Encoder.hlt(buf, off);
            case 4 -> switch (r.nextInt(4)) {
                case 0 -> Encoder.rdtsc(buf, off);
                case 1 -> Encoder.cpuid(buf, off);
                case 2 -> Encoder.rdmsr(buf, off);
                default -> Encoder.wrmsr(buf, off);
            };
            case 5 -> Encoder.movToCr(buf, off, CRS[r.nextInt(CRS.length)], r.nextInt(16));
            case 6 -> Encoder.movFromCr(buf, off, r.nextInt(16), CRS[r.nextInt(CRS.length)]);
            case 7 -> Encoder.in(buf, off, PORT_SIZES[r.nextInt(3)], r.nextBoolean() ? Instruction.NONE : r.nextInt(256));
            case 8 -> Encoder.out(buf, off, PORT_SIZES[r.nextInt(3)], r.nextBoolean() ? Instruction.NONE : r.nextInt(256));
            case 9 -> Encoder.ins(buf, off, PORT_SIZES[r.nextInt(3)], r.nextBoolean());
            case 10 -> Encoder.outs(buf, off, PORT_SIZES[r.nextInt(3)], r.nextBoolean());
            case 11 -> {
                Mem m = Mem.random(r);
                yield switch (r.nextInt(3)) {
                    case 0 -> Encoder.invlpg(buf, off, m.base, m.index, m.scale, m.disp);
                    case 1 -> Encoder.lidt(buf, off, m.base, m.index, m.scale, m.disp);
                    default -> Encoder.sidt(buf, off, m.base, m.index, m.scale, m.disp);
                };
            }
            case 12, 13 -> {
                int size = SIZES[r.nextInt(4)];
                Mem m = Mem.random(r);
                int reg = register(r, size, m);
                yield kind == 12 ? Encoder.movStore(buf, off, size, m.base, m.index, m.scale, m.disp, reg)
                        : Encoder.movLoad(buf, off, size, reg, m.base, m.index, m.scale, m.disp);
            }
            case 14 -> {
                int size = SIZES[r.nextInt(4)];
                Mem m = Mem.random(r);
                long imm = switch (size) {
                    case 1 -> (byte) r.nextInt();
                    case 2 -> (short) r.nextInt();
                    default -> r.nextInt();
                };
                yield Encoder.movStoreImm(buf, off, size, m.base, m.index, m.scale, m.disp, imm);
            }
            default -> {
                int size = SIZES[r.nextInt(4)];
                Mem m = Mem.random(r);
                yield Encoder.cmpxchg(buf, off, r.nextBoolean(), size, m.base, m.index, m.scale, m.disp,
                        register(r, size, m));
            }
        };
    }

    /** A register for {@code size}: a high byte only where no REX prefix is needed. */
    private static int register(Random r, int size, Mem m) {
        if (size == 1 && !m.needsRex() && r.nextInt(4) == 0) {
            return HIGH[r.nextInt(4)];
        }
        return r.nextInt(16);
    }

    /** A memory operand. */
    record Mem(int base, int index, int scale, int disp) {
        static Mem random(Random r) {
            int shape = r.nextInt(5);
            int disp = switch (r.nextInt(3)) {
                case 0 -> 0;
                case 1 -> (byte) r.nextInt();
                default -> r.nextInt();
            };
            return switch (shape) {
                // objdump writes a negative RIP displacement and a negative absolute address as
                // unsigned 64-bit numbers; both are covered by the golden tests, not here.
                case 0 -> new Mem(Encoder.RIP, Instruction.NONE, 1, Math.abs(disp) & 0x7FFF_FFFF);
                case 1 -> new Mem(Instruction.NONE, Instruction.NONE, 1, Math.abs(disp) & 0x7FFF_FFFF);
                case 2 -> new Mem(Instruction.NONE, index(r), 1 << r.nextInt(4), disp);
                case 3 -> new Mem(r.nextInt(16), Instruction.NONE, 1, disp);
                default -> new Mem(r.nextInt(16), index(r), 1 << r.nextInt(4), disp);
            };
        }

        private static int index(Random r) {
            int i;
            do {
                i = r.nextInt(16);
            } while (i == Registers.RSP);
            return i;
        }

        boolean needsRex() {
            return base >= 8 || (index != Instruction.NONE && index >= 8);
        }
    }
}
