package org.parasol.hypervisor.mm;

/**
 * What the MMU knows about a faulting guest store: the trap frame of x86's {@code #PF} (vector
 * 14, error code, CR2) plus what the instruction decoder would have told Xen's emulator — the
 * width of the store, the value, and for a compare-and-swap the expected value. The writable
 * page-table path ({@link PageTables#emulatePtWrite}) turns it into an emulated update.
 *
 * <p>One instance per vCPU, filled by its {@link VcpuMmu} on its own thread and read by the
 * handler before the access returns; nothing is copied.
 */
public final class TrapRecord {
    /** The store is a plain write of {@link #width} bytes. */
    public static final int STORE = 0;
    /** The store is a locked compare-and-exchange ({@code lock cmpxchg}). */
    public static final int CMPXCHG = 1;

    /** x86 vector: always 14 ({@code #PF}) here. */
    int vector;
    /** The {@code #PF} error code ({@link VcpuMmu#PF_PRESENT}, {@link VcpuMmu#PF_WRITE}...). */
    int errorCode;
    /** The faulting virtual address (CR2). */
    long address;
    /** Bytes stored: 1, 2, 4 or 8. */
    int width;
    /** The value stored, in the low {@code width} bytes. */
    long value;
    /** {@link #STORE} or {@link #CMPXCHG}. */
    int kind;
    /** For {@link #CMPXCHG}: the value expected in memory. */
    long expected;
    /** For {@link #CMPXCHG}, after emulation: the value found (equal to expected on success). */
    long witness;

    void set(int errorCode, long address, int width, long value, int kind, long expected) {
        this.vector = 14;
        this.errorCode = errorCode;
        this.address = address;
        this.width = width;
        this.value = value;
        this.kind = kind;
        this.expected = expected;
        this.witness = expected;
    }

    /** x86 vector of the trap. */
    public int vector() {
        return vector;
    }

    /** The {@code #PF} error code. */
    public int errorCode() {
        return errorCode;
    }

    /** The faulting address. */
    public long address() {
        return address;
    }

    /** Bytes stored. */
    public int width() {
        return width;
    }

    /** The value stored. */
    public long value() {
        return value;
    }

    /** {@link #STORE} or {@link #CMPXCHG}. */
    public int kind() {
        return kind;
    }

    /** The expected value of a {@link #CMPXCHG}. */
    public long expected() {
        return expected;
    }

    /** The value a {@link #CMPXCHG} found. */
    public long witness() {
        return witness;
    }
}
