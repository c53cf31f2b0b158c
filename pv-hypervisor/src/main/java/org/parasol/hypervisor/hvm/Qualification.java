package org.parasol.hypervisor.hvm;

/**
 * Exit qualifications as VMX lays them out (SDM Vol. 3C, "Exit Qualification for ..."), built
 * and taken apart in one place.
 *
 * <pre>
 *   I/O instruction            control-register access
 *   bits  2:0  size - 1        bits  3:0  control register
 *   bit     3  1 = in          bits  5:4  0 = mov to CR, 1 = mov from CR
 *   bit     4  string          bits 11:8  general-purpose register
 *   bit     5  rep
 *   bit     6  1 = port in an immediate
 *   bits 31:16 port
 *
 *   GDTR/IDTR access: the qualification is the displacement (RIP-relative: the address itself);
 *   the instruction-information field is
 *   bits  1:0  scaling (index times 1, 2, 4, 8)    bits 21:18 index register, bit 22 invalid
 *   bits  9:7  address size (1: 32, 2: 64 bits)    bits 26:23 base register, bit 27 invalid
 *   bits 17:15 segment register (ES..GS)           bits 29:28 0 sgdt, 1 sidt, 2 lgdt, 3 lidt
 * </pre>
 */
public final class Qualification {
    private Qualification() {
    }

    /** CR access type: {@code mov} to the control register. */
    public static final int MOV_TO_CR = 0;
    /** CR access type: {@code mov} from the control register. */
    public static final int MOV_FROM_CR = 1;

    /** Descriptor-table instruction identity: {@code sgdt}. */
    public static final int DT_SGDT = 0;
    /** Descriptor-table instruction identity: {@code sidt}. */
    public static final int DT_SIDT = 1;
    /** Descriptor-table instruction identity: {@code lgdt}. */
    public static final int DT_LGDT = 2;
    /** Descriptor-table instruction identity: {@code lidt}. */
    public static final int DT_LIDT = 3;

    /**
     * The VM-exit instruction-information field of a GDTR/IDTR exit: {@code identity}
     * ({@link #DT_LIDT}...), {@code scale} 1/2/4/8, {@code adBytes} 4 or 8, {@code segment}
     * 0-5, {@code index} and {@code base} general registers or negative for none.
     */
    public static long descriptorTable(int identity, int scale, int adBytes, int segment, int index, int base) {
        int scaling = Integer.numberOfTrailingZeros(Math.max(scale, 1)) & 3;
        return scaling | (adBytes == 4 ? 1L : 2L) << 7 | (long) (segment & 7) << 15
                | (index < 0 ? 1L << 22 : (long) (index & 15) << 18)
                | (base < 0 ? 1L << 27 : (long) (base & 15) << 23) | (long) (identity & 3) << 28;
    }

    /** The instruction of a GDTR/IDTR exit ({@link #DT_SGDT} to {@link #DT_LIDT}). */
    public static int dtIdentity(long info) {
        return (int) (info >>> 28) & 3;
    }

    /** The index register's shift (log2 of its scale). */
    public static int dtScaling(long info) {
        return (int) info & 3;
    }

    /** The address size in bytes (4 or 8). */
    public static int dtAddressBytes(long info) {
        return (info >>> 7 & 7) == 1 ? 4 : 8;
    }

    /** The segment register (0 ES .. 5 GS). */
    public static int dtSegment(long info) {
        return (int) (info >>> 15) & 7;
    }

    /** The index register, or -1 when invalid. */
    public static int dtIndex(long info) {
        return (info & 1L << 22) != 0 ? -1 : (int) (info >>> 18) & 15;
    }

    /** The base register, or -1 when invalid. */
    public static int dtBase(long info) {
        return (info & 1L << 27) != 0 ? -1 : (int) (info >>> 23) & 15;
    }

    /** The qualification of an I/O exit. */
    public static long io(int size, boolean in, boolean string, boolean rep, boolean immediate, int port) {
        return (size - 1) | (in ? 8 : 0) | (string ? 16 : 0) | (rep ? 32 : 0) | (immediate ? 64 : 0)
                | ((long) (port & 0xFFFF) << 16);
    }

    /** Access size in bytes (1, 2 or 4) of an I/O exit. */
    public static int ioSize(long q) {
        return (int) (q & 7) + 1;
    }

    /** Whether an I/O exit is an input. */
    public static boolean ioIn(long q) {
        return (q & 8) != 0;
    }

    /** Whether an I/O exit is a string instruction. */
    public static boolean ioString(long q) {
        return (q & 16) != 0;
    }

    /** Whether an I/O exit has a {@code rep} prefix. */
    public static boolean ioRep(long q) {
        return (q & 32) != 0;
    }

    /** The port of an I/O exit. */
    public static int ioPort(long q) {
        return (int) (q >>> 16) & 0xFFFF;
    }

    /** The qualification of a control-register exit. */
    public static long crAccess(int cr, int type, int gpr) {
        return (cr & 15) | (type & 3) << 4 | (gpr & 15) << 8;
    }

    /** The control register of a CR exit. */
    public static int crNumber(long q) {
        return (int) (q & 15);
    }

    /** The access type of a CR exit ({@link #MOV_TO_CR}, {@link #MOV_FROM_CR}). */
    public static int crType(long q) {
        return (int) (q >>> 4) & 3;
    }

    /** The general-purpose register of a CR exit. */
    public static int crGpr(long q) {
        return (int) (q >>> 8) & 15;
    }
}
