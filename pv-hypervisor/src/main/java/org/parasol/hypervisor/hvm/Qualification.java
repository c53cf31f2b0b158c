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
 * </pre>
 */
public final class Qualification {
    private Qualification() {
    }

    /** CR access type: {@code mov} to the control register. */
    public static final int MOV_TO_CR = 0;
    /** CR access type: {@code mov} from the control register. */
    public static final int MOV_FROM_CR = 1;

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
