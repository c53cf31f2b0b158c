package org.parasol.hypervisor.hvm;

import org.parasol.hypercall.x86.Platform;

/**
 * A 16550A UART as a native kernel sees it on eight consecutive ports: the console of the
 * native configurations, both ways.
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
 *
 *   host: receive(bytes) ─► the line (≤ 1 KiB; full: the rest is refused, the caller keeps it)
 *            ─► while RTS is set and not in loopback: the receive FIFO (16 bytes; 1 with FIFOs off)
 *            ─► RBR, LSR.DR ─► IIR: RDA at the trigger level, CTI below it once the line is idle
 *   guest: THR ─► a line at a time to the {@link Output} (the domain's console log), or in
 *            loopback (MCR bit 4) into the receive FIFO (full: the byte is lost, LSR.OE)
 * </pre>
 *
 * <p><b>Transmit.</b> LSR always says the transmitter is empty, since the "wire" takes a byte the
 * moment it is written; a driver may poll it, or enable the THR-empty interrupt (IER bit 1):
 * it is raised when the bit is set and again after every byte written, cleared by a read of
 * IIR that reports it or by a write to THR.
 *
 * <p><b>Receive.</b> What the host sends for the domain waits on the <i>line</i>, a bounded
 * queue in front of the 16-byte receive FIFO, and enters the FIFO as the guest empties it, the
 * way a sender paced by RTS/CTS hardware flow control waits for the receiver: a byte enters
 * only while the driver holds RTS (MCR bit 1) and the UART is not in loopback, so host input
 * never overruns the FIFO and the line, not the FIFO, is what fills when the guest does not
 * read ({@link #receive} then takes fewer bytes than offered, and the caller keeps or refuses
 * the rest). Overrun (LSR.OE, counted in {@link #overruns}) is what a byte meets at a full
 * FIFO from the one source that is not flow-controlled: the transmitter in loopback. The line
 * has no baud rate: bytes arrive as fast as the FIFO empties, so the character timeout (four
 * character times with no byte in or out) has always passed once the line is idle.
 *
 * <p><b>Interrupts</b> (IIR, highest priority first, as the datasheet orders them): receiver
 * line status ({@code 0x06}: LSR.OE with IER bit 2; cleared by reading LSR), received data
 * available ({@code 0x04}: the FIFO at or above its trigger level, FCR bits 6-7: 1, 4, 8 or
 * 14 bytes; any byte with FIFOs off; IER bit 0; cleared by reading RBR below the level),
 * character timeout ({@code 0x0C}: FIFOs on, bytes below the trigger level and the line idle;
 * IER bit 0; cleared by reading RBR), THR empty ({@code 0x02}, IER bit 1; cleared by reading
 * IIR when it reports it, or by writing THR), modem status ({@code 0x00}: a delta bit in MSR,
 * which only loopback can make; IER bit 3; cleared by reading MSR). The line to the 8259 pair
 * (IRQ 4 for COM1) is raised while one is pending and OUT2 (MCR bit 3) is set, and not in
 * loopback (which forces OUT2's pin inactive), as on a PC; it goes to {@link Line} under this
 * UART's lock whenever it changes.
 *
 * <p>The guest is hostile: any offset and value is accepted and bounded (a line longer than
 * {@link #LINE} bytes is cut into pieces; an unprivileged guest's non-printing bytes are
 * dropped, as {@code console_io} drops them); a guest that never reads holds at most
 * {@link #LINE_QUEUE} + 16 bytes here. The registers are reached from the domain's vCPU
 * threads and {@link #receive} from a host thread; a private lock keeps each for a bounded copy
 * and nobody waits on the guest. Allocates nothing.
 */
public final class Uart16550 {
    /** Bytes buffered before a transmitted line is passed on unfinished. */
    public static final int LINE = 256;
    /** The 16550A's receive FIFO. */
    public static final int RX_FIFO = 16;
    /** Bytes the host's side of the line holds for a guest that has not emptied its FIFO. */
    public static final int LINE_QUEUE = 1024;

    private static final int IER_MSI = 0x08;
    private static final int MCR_DTR = 0x01;
    private static final int MCR_RTS = 0x02;
    private static final int MCR_OUT1 = 0x04;
    private static final int FCR_ENABLE = 0x01;
    private static final int FCR_CLEAR_RX = 0x02;
    private static final int[] TRIGGER = {1, 4, 8, 14};

    /** Where transmitted lines go. */
    @FunctionalInterface
    public interface Output {
        /** Takes {@code len} bytes of {@code b} from {@code off}; must not keep {@code b}. */
        void write(byte[] b, int off, int len);
    }

    /** The UART's interrupt output as the bus sees it: set to the new level whenever it changes, under the UART's lock. */
    @FunctionalInterface
    public interface Line {
        void set(boolean level);
    }

    /** Private: a hostile guest's vCPUs and the host reach the UART from several threads. */
    private final Object lock = new Object();
    private final Output output;
    private final Line irq;
    private final boolean filter;
    private final byte[] txLine = new byte[LINE];
    private int txLength;
    private int ier;
    private int lcr;
    private int mcr;
    private int scr;
    private boolean fifos;
    private int trigger = 1;
    private int divisor;
    /** The THR-empty interrupt is pending (reported by IIR while IER bit 1 is set). */
    private boolean threPending;
    /** LSR.OE, until LSR is read. */
    private boolean overrun;
    /** MSR's delta bits (0-3), until MSR is read. */
    private int msrDelta;
    private final byte[] rxFifo = new byte[RX_FIFO];
    private int rxHead;
    private int rxCount;
    private final byte[] line = new byte[LINE_QUEUE];
    private int lineHead;
    private int lineCount;
    private boolean raised;
    private long transmitted;
    private long received;
    private long overruns;

    /**
     * A UART writing to {@code output}, its interrupt output going to {@code irq}; {@code filter}
     * keeps only printable ASCII, newline and tab (an unprivileged domain's console).
     */
    public Uart16550(Output output, boolean filter, Line irq) {
        this.output = output;
        this.filter = filter;
        this.irq = irq;
    }

    /** A UART whose interrupt output is not wired (read it with {@link #interruptPending}). */
    public Uart16550(Output output, boolean filter) {
        this(output, filter, level -> {
        });
    }

    /** A read of register {@code offset} (0-7). */
    public int read(int offset) {
        synchronized (lock) {
            int v = readLocked(offset);
            updateLine();
            return v;
        }
    }

    private int readLocked(int offset) {
        boolean dlab = (lcr & 0x80) != 0;
        return switch (offset & 7) {
            case 0 -> dlab ? divisor & 0xFF : readRbr();
            case 1 -> dlab ? divisor >>> 8 & 0xFF : ier;
            case 2 -> {
                int id = interruptId();
                if (id == Platform.IIR_THRI) {
                    threPending = false; // reading IIR that reports THRE clears it
                }
                yield (fifos ? 0xC0 : 0x00) | id;
            }
            case 3 -> lcr;
            case 4 -> mcr;
            case 5 -> {
                int v = (rxCount > 0 ? Platform.LSR_DR : 0) | (overrun ? Platform.LSR_OE : 0)
                        | Platform.LSR_THRE | Platform.LSR_TEMT; // the transmitter is always empty
                overrun = false;
                yield v;
            }
            case 6 -> {
                int v = modemStatus() | msrDelta;
                msrDelta = 0;
                yield v;
            }
            default -> scr;
        };
    }

    private int readRbr() {
        if (rxCount == 0) {
            return 0; // nothing received: the register holds nothing new
        }
        int b = rxFifo[rxHead] & 0xFF;
        rxHead = (rxHead + 1) % RX_FIFO;
        rxCount--;
        received++;
        refill();
        return b;
    }

    /** MSR's status bits: in loopback the modem outputs (CTS←RTS, DSR←DTR, RI←OUT1, DCD←OUT2), else DCD|DSR|CTS. */
    private int modemStatus() {
        if ((mcr & Platform.MCR_LOOP) == 0) {
            return 0xB0;
        }
        return ((mcr & MCR_RTS) != 0 ? 0x10 : 0) | ((mcr & MCR_DTR) != 0 ? 0x20 : 0)
                | ((mcr & MCR_OUT1) != 0 ? 0x40 : 0) | ((mcr & Platform.MCR_OUT2) != 0 ? 0x80 : 0);
    }

    /** IIR's identification bits for the highest-priority interrupt pending and enabled. */
    private int interruptId() {
        if (overrun && (ier & Platform.IER_RLSI) != 0) {
            return Platform.IIR_RLSI;
        }
        if ((ier & Platform.IER_RDI) != 0 && rxCount > 0) {
            if (!fifos || rxCount >= trigger) {
                return Platform.IIR_RDI;
            }
            if (!lineBusy()) {
                return Platform.IIR_CTI;
            }
        }
        if (threPending && (ier & Platform.IER_THRI) != 0) {
            return Platform.IIR_THRI;
        }
        if (msrDelta != 0 && (ier & IER_MSI) != 0) {
            return 0x00;
        }
        return Platform.IIR_NO_INT;
    }

    /** Whether more bytes are on their way into the FIFO: the line holds some and may deliver them. */
    private boolean lineBusy() {
        return lineCount > 0 && receiving();
    }

    private boolean receiving() {
        return (mcr & Platform.MCR_LOOP) == 0 && (mcr & MCR_RTS) != 0;
    }

    private int capacity() {
        return fifos ? RX_FIFO : 1;
    }

    /** Moves bytes from the line into the FIFO while it has room and the driver lets them come. */
    private void refill() {
        if (!receiving()) {
            return;
        }
        int cap = capacity();
        while (lineCount > 0 && rxCount < cap) {
            rxFifo[(rxHead + rxCount) % RX_FIFO] = line[lineHead];
            rxCount++;
            lineHead = (lineHead + 1) % LINE_QUEUE;
            lineCount--;
        }
    }

    /** A write of {@code value} (low byte) to register {@code offset} (0-7). */
    public void write(int offset, int value) {
        synchronized (lock) {
            writeLocked(offset, value);
            updateLine();
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
                    if ((v & Platform.IER_THRI) != 0 && (ier & Platform.IER_THRI) == 0) {
                        threPending = true; // enabled while THR is empty: raised at once
                    }
                    ier = v & 0x0F;
                }
            }
            case 2 -> fifoControl(v);
            case 3 -> lcr = v;
            case 4 -> {
                int before = modemStatus();
                boolean loopBefore = (mcr & Platform.MCR_LOOP) != 0;
                mcr = v & 0x1F;
                if (loopBefore && (mcr & Platform.MCR_LOOP) != 0) {
                    msrDelta |= modemDeltas(before, modemStatus());
                }
                refill(); // RTS raised or loopback left: the line may deliver again
            }
            case 7 -> scr = v;
            default -> {
                // LSR and MSR are read-only
            }
        }
    }

    /** MSR's delta bits for a change of the status bits from {@code before} to {@code after}. */
    private static int modemDeltas(int before, int after) {
        int changed = before ^ after;
        int d = (changed & 0x10) != 0 ? 0x01 : 0; // DCTS
        d |= (changed & 0x20) != 0 ? 0x02 : 0; // DDSR
        d |= (before & 0x40) != 0 && (after & 0x40) == 0 ? 0x04 : 0; // TERI: RI's trailing edge
        d |= (changed & 0x80) != 0 ? 0x08 : 0; // DDCD
        return d;
    }

    /** FCR: bit 0 enables the FIFOs (a change clears them); with it, bit 1 clears the receive FIFO, bits 6-7 the trigger. */
    private void fifoControl(int v) {
        boolean enable = (v & FCR_ENABLE) != 0;
        if (enable != fifos) {
            fifos = enable;
            clearRx();
        }
        if (!enable) {
            return; // the other bits are programmed only with bit 0 set
        }
        if ((v & FCR_CLEAR_RX) != 0) {
            clearRx();
        }
        trigger = TRIGGER[v >>> 6 & 3];
        // Bit 2 clears the transmit FIFO, which is always empty here; bit 3 (DMA mode) selects
        // the RXRDY/TXRDY pin behaviour, which nothing on this bus reads.
    }

    private void clearRx() {
        rxHead = 0;
        rxCount = 0;
        refill();
    }

    private void transmit(byte b) {
        transmitted++;
        threPending = true; // the wire took it: THR is empty again
        if ((mcr & Platform.MCR_LOOP) != 0) {
            // Loopback: the serial output is the receiver's input, and nothing goes out.
            if (rxCount < capacity()) {
                rxFifo[(rxHead + rxCount) % RX_FIFO] = b;
                rxCount++;
            } else {
                overrun = true; // the FIFO keeps its bytes; this one is lost
                overruns++;
            }
            return;
        }
        if (filter && !((b >= 0x20 && b < 0x7F) || b == '\n' || b == '\t')) {
            return;
        }
        txLine[txLength++] = b;
        if (b == '\n' || txLength == LINE) {
            flushLocked();
        }
    }

    /**
     * The host sends {@code len} bytes of {@code b} from {@code off} down the line: returns how
     * many the line took (0 when it is full: the guest has not read what waits). Never waits.
     */
    public int receive(byte[] b, int off, int len) {
        synchronized (lock) {
            int n = Math.min(len, LINE_QUEUE - lineCount);
            for (int i = 0; i < n; i++) {
                line[(lineHead + lineCount) % LINE_QUEUE] = b[off + i];
                lineCount++;
            }
            refill();
            updateLine();
            return n;
        }
    }

    /** Passes on whatever is buffered (the domain is ending, or a test looks). */
    public void flush() {
        synchronized (lock) {
            flushLocked();
        }
    }

    private void flushLocked() {
        if (txLength > 0) {
            int n = txLength;
            txLength = 0;
            output.write(txLine, 0, n);
        }
    }

    private void updateLine() {
        boolean level = interruptId() != Platform.IIR_NO_INT && (mcr & Platform.MCR_OUT2) != 0
                && (mcr & Platform.MCR_LOOP) == 0;
        if (level != raised) {
            raised = level;
            irq.set(level);
        }
    }

    /** Whether the UART's interrupt line is raised: an enabled interrupt pending, gated by OUT2, not in loopback. */
    public boolean interruptPending() {
        synchronized (lock) {
            return raised;
        }
    }

    /** Bytes written to THR so far. */
    public long transmitted() {
        synchronized (lock) {
            return transmitted;
        }
    }

    /** Bytes the guest read from RBR so far. */
    public long received() {
        synchronized (lock) {
            return received;
        }
    }

    /** Bytes lost at a full receive FIFO (LSR.OE) so far. */
    public long overruns() {
        synchronized (lock) {
            return overruns;
        }
    }

    /** Bytes the host sent that the guest has not read: on the line and in the FIFO. */
    public int waiting() {
        synchronized (lock) {
            return lineCount + rxCount;
        }
    }

    /** The divisor latch (the baud rate is 115200 / divisor). */
    public int divisor() {
        synchronized (lock) {
            return divisor;
        }
    }
}
