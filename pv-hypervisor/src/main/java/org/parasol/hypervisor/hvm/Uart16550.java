package org.parasol.hypervisor.hvm;

/**
 * A 16550A UART as a native kernel sees it on eight consecutive ports: the console of the
 * native configurations. Transmitted bytes go, a line at a time, to the {@link Output} it was
 * made with (the domain's console log, where {@code console_io} writes too); nothing is
 * received. LSR always says the transmitter is empty, since the "wire" takes a byte the
 * moment it is written; a driver may poll it, or enable the THR-empty interrupt (IER bit 1):
 * it is raised when the bit is set and again after every byte written, cleared by a read of
 * IIR that reports it or by a write to THR, and reaches the 8259 pair (IRQ 4 for COM1) only
 * with OUT2 set in MCR, as on a PC ({@link #interruptPending()}).
 *
 * <pre>
 *   offset  read            write           (DLAB = LCR bit 7)
 *     0     RBR             THR             DLL when DLAB
 *     1     IER             IER             DLM when DLAB
 *     2     IIR             FCR
 *     3     LCR             LCR
 *     4     MCR             MCR
 *     5     LSR             -
 *     6     MSR             -
 *     7     SCR             SCR
 * </pre>
 *
 * <p>The guest is hostile: any offset and value is accepted and bounded (a line longer than
 * {@link #LINE} bytes is cut into pieces; an unprivileged guest's non-printing bytes are
 * dropped, as {@code console_io} drops them). Used on one vCPU's thread at a time (the
 * domain's console vCPU; a private lock keeps several from corrupting it); allocates nothing.
 */
public final class Uart16550 {
    /** Bytes buffered before a line is passed on unfinished. */
    public static final int LINE = 256;

    /** Where transmitted lines go. */
    @FunctionalInterface
    public interface Output {
        /** Takes {@code len} bytes of {@code b} from {@code off}; must not keep {@code b}. */
        void write(byte[] b, int off, int len);
    }

    /** Private: a hostile guest's vCPUs may reach the registers from several threads. */
    private final Object lock = new Object();
    private final Output output;
    private final boolean filter;
    private final byte[] line = new byte[LINE];
    private int length;
    private int ier;
    private int lcr;
    private int mcr;
    private int scr;
    private int fcr;
    private int divisor;
    /** The THR-empty interrupt is pending (reported by IIR while IER bit 1 is set). */
    private boolean threPending;
    private long transmitted;

    /**
     * A UART writing to {@code output}; {@code filter} keeps only printable ASCII, newline
     * and tab (an unprivileged domain's console).
     */
    public Uart16550(Output output, boolean filter) {
        this.output = output;
        this.filter = filter;
    }

    /** A read of register {@code offset} (0-7). */
    public int read(int offset) {
        synchronized (lock) {
            return readLocked(offset);
        }
    }

    private int readLocked(int offset) {
        boolean dlab = (lcr & 0x80) != 0;
        return switch (offset & 7) {
            case 0 -> dlab ? divisor & 0xFF : 0; // nothing is ever received
            case 1 -> dlab ? divisor >>> 8 & 0xFF : ier;
            case 2 -> {
                int fifos = (fcr & 1) != 0 ? 0xC0 : 0x00;
                if (threPending && (ier & 0x02) != 0) {
                    threPending = false; // reading IIR that reports THRE clears it
                    yield fifos | 0x02;
                }
                yield fifos | 0x01; // no interrupt pending
            }
            case 3 -> lcr;
            case 4 -> mcr;
            case 5 -> 0x60; // THRE | TEMT: the transmitter is always empty
            case 6 -> (mcr & 0x10) != 0 ? (mcr & 0x0F) << 4 : 0xB0; // loopback, else DCD|DSR|CTS
            default -> scr;
        };
    }

    /** A write of {@code value} (low byte) to register {@code offset} (0-7). */
    public void write(int offset, int value) {
        synchronized (lock) {
            writeLocked(offset, value);
        }
    }

    private void writeLocked(int offset, int value) {
        int v = value & 0xFF;
        boolean dlab = (lcr & 0x80) != 0;
        switch (offset & 7) {
            case 0 -> {
                if (dlab) {
                    divisor = divisor & 0xFF00 | v;
                } else {
                    transmit((byte) v);
                }
            }
            case 1 -> {
                if (dlab) {
                    divisor = divisor & 0xFF | v << 8;
                } else {
                    if ((v & 0x02) != 0 && (ier & 0x02) == 0) {
                        threPending = true; // enabled while THR is empty: raised at once
                    }
                    ier = v & 0x0F;
                }
            }
            case 2 -> fcr = v & 0xC9;
            case 3 -> lcr = v;
            case 4 -> mcr = v & 0x1F;
            case 7 -> scr = v;
            default -> {
                // LSR and MSR are read-only
            }
        }
    }

    private void transmit(byte b) {
        transmitted++;
        threPending = true; // the wire took it: THR is empty again
        if (filter && !((b >= 0x20 && b < 0x7F) || b == '\n' || b == '\t')) {
            return;
        }
        line[length++] = b;
        if (b == '\n' || length == LINE) {
            flushLocked();
        }
    }

    /** Passes on whatever is buffered (the domain is ending, or a test looks). */
    public void flush() {
        synchronized (lock) {
            flushLocked();
        }
    }

    private void flushLocked() {
        if (length > 0) {
            int n = length;
            length = 0;
            output.write(line, 0, n);
        }
    }

    /** Whether the UART's interrupt line is raised: THR empty with IER bit 1, gated by OUT2. */
    public boolean interruptPending() {
        synchronized (lock) {
            return threPending && (ier & 0x02) != 0 && (mcr & 0x08) != 0;
        }
    }

    /** Bytes written to THR so far. */
    public long transmitted() {
        return transmitted;
    }

    /** The divisor latch (the baud rate is 115200 / divisor). */
    public int divisor() {
        return divisor;
    }
}
