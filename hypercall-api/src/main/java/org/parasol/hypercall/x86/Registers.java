package org.parasol.hypercall.x86;

import java.util.List;

/**
 * General-purpose register numbers as the encodings give them (ModR/M {@code reg} and
 * {@code rm}, SIB {@code base} and {@code index}, each extended by a REX bit), and their names
 * at each operand size. (Immutable lists, not arrays: hypercall-api is shared by every
 * domain's classes and may hold no mutable static state.)
 */
public final class Registers {
    public static final int RAX = 0;
    public static final int RCX = 1;
    public static final int RDX = 2;
    public static final int RBX = 3;
    public static final int RSP = 4;
    public static final int RBP = 5;
    public static final int RSI = 6;
    public static final int RDI = 7;
    public static final int R8 = 8;
    public static final int R12 = 12;
    public static final int R13 = 13;
    public static final int R15 = 15;

    /** Control registers a 64-bit kernel may move to and from (others are {@code #UD}). */
    public static final int CR0 = 0;
    public static final int CR2 = 2;
    public static final int CR3 = 3;
    public static final int CR4 = 4;
    public static final int CR8 = 8;

    private static final List<String> R64 = List.of("rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
        "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15");
    private static final List<String> R32 = List.of("eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
        "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d");
    private static final List<String> R16 = List.of("ax", "cx", "dx", "bx", "sp", "bp", "si", "di",
        "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w");
    private static final List<String> R8_REX = List.of("al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil",
        "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b");
    private static final List<String> R8_HIGH = List.of("ah", "ch", "dh", "bh");

    private Registers() {
    }

    /** Whether {@code cr} names a control register {@code mov} may reach in 64-bit mode. */
    public static boolean isControlRegister(int cr) {
        return cr == CR0 || cr == CR2 || cr == CR3 || cr == CR4 || cr == CR8;
    }

    /**
     * The name of register {@code n} at {@code bytes} (1, 2, 4, 8); {@code highByte} for
     * AH, CH, DH, BH (numbers 4 to 7 without a REX prefix).
     */
    public static String name(int n, int bytes, boolean highByte) {
        return switch (bytes) {
            case 1 -> highByte ? R8_HIGH.get(n - 4) : R8_REX.get(n);
            case 2 -> R16.get(n);
            case 4 -> R32.get(n);
            default -> R64.get(n);
        };
    }
}
