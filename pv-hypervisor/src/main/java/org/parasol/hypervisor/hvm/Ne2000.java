package org.parasol.hypervisor.hvm;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * An NE2000-class network card on the ISA bus: a National Semiconductor DP8390 core and 32 KiB
 * of card memory behind it, reached by port I/O only, as QEMU's {@code ne2000} model and the
 * Linux {@code ne}/{@code 8390} drivers know it. The emulation puts it at {@code 0x300} on IRQ
 * 10; frames come from and go to dom0's bridge ({@link #receive}, {@link #takeTransmitted}).
 *
 * <pre>
 *  offset  page 0 read   page 0 write   page 1 (r/w)   page 2 read
 *   0x00   CR            CR             CR             CR
 *   0x01   CLDA0         PSTART         PAR0           PSTART
 *   0x02   CLDA1         PSTOP          PAR1           PSTOP
 *   0x03   BNRY          BNRY           PAR2           RNPP
 *   0x04   TSR           TPSR           PAR3           TPSR
 *   0x05   NCR           TBCR0          PAR4           LNPP
 *   0x06   FIFO          TBCR1          PAR5           -
 *   0x07   ISR           ISR (1 clears) CURR           -
 *   0x08   CRDA0         RSAR0          MAR0..MAR7     -
 *   0x09   CRDA1         RSAR1          (0x08-0x0F)    -
 *   0x0A   -             RBCR0                         -
 *   0x0B   -             RBCR1                         -
 *   0x0C   RSR           RCR                           RCR
 *   0x0D   CNTR0         TCR                           TCR
 *   0x0E   CNTR1         DCR                           DCR
 *   0x0F   CNTR2         IMR                           IMR
 *   0x10-0x17  the remote DMA data port (byte, or word with DCR.WTS)
 *   0x18-0x1F  the reset port: a read resets the card (ISR.RST)
 *
 *  card memory: 0x0000-0x001F the PROM (the MAC, each byte twice, "WW" at 14-15: word-wide)
 *               0x4000-0x7FFF the 16 KiB buffer: transmit pages and the receive ring,
 *               256-byte pages 0x40..0x7F; anything else reads 0xFF and ignores writes
 *
 *  receive ring:  PSTART <= BNRY, CURR < PSTOP          a frame in the ring:
 *     CURR: the page the next frame is written to        +------+------+-------+-------+------
 *     BNRY: the last page the driver has given back      | RSR  | next | count | count | frame
 *     full when a frame would reach BNRY: dropped,       |      | page | low   | high  | ...
 *     counted, ISR.OVW                                   +------+------+-------+-------+------
 *                                                         count = 4 + frame bytes
 * </pre>
 *
 * <p>Remote DMA moves bytes between the data port and card memory at RSAR, RBCR of them
 * (CR.RD = remote read or write); ISR.RDC when the count runs out; a read wraps from PSTOP to
 * PSTART as the DP8390 does. Transmit (CR.TXP with the card started) hands TBCR bytes from page
 * TPSR to the wire: they are copied into a bounded queue ({@value #TX_QUEUE} frames) that dom0
 * empties; a full queue aborts the transmission (TSR.ABT, ISR.TXE) and counts it. A frame's
 * transmission completes (TSR.PTX, ISR.PTX) when dom0 takes it off the queue, and CR.TXP reads
 * set while the queue holds frames, so a driver can wait for the wire as it waits for a
 * DP8390's transmitter; unlike the DP8390's one transmit in progress, a new TXP is queued at
 * once while there is room. Loopback
 * (TCR.LB) gives the frame straight back to the receive side. The receive filter follows RCR:
 * the station address (PAR), broadcast (AB), multicast (AM, through the 64-bit hash in MAR), or
 * everything (PRO); frames shorter than 60 bytes are padded, as the wire's minimum is. The card
 * raises its line while ISR &amp; IMR is not zero ({@link Line}, under the card's lock, so the
 * line and ISR cannot disagree).
 *
 * <p>Not modelled: the "send packet" command (CR.RD = 011, which only the NE1000-era drivers
 * use), the error tally counters (always 0), collisions and link state, the 8-bit NE1000.
 *
 * <p>The guest is hostile: any byte may reach any port in any order and nothing throws; every
 * index into card memory is bounded, a ring register out of range makes the receive side drop
 * (counted) instead of writing anywhere, and the only buffers are the card's 32 KiB and the
 * transmit queue, allocated once. Reached from the guest's vCPU thread (its ports) and from
 * dom0's (frames in and out), serialized by a private lock that is never held across anything
 * but the card's own state and the 8259's. Allocates nothing after construction.
 */
public final class Ne2000 {
    /** Ports the card answers at from its base: 16 registers, the data port, the reset port. */
    public static final int PORTS = 0x20;
    /** The data port's offset. */
    public static final int DATA = 0x10;
    /** The first of the reset port's offsets (0x18-0x1F; drivers use 0x1F). */
    public static final int RESET_PORTS = 0x18;
    /** The reset port's offset as drivers use it. */
    public static final int RESET = 0x1F;
    /** The card's memory: 32 KiB, the buffer in its upper half. */
    public static final int MEMORY = 32 * 1024;
    /** Where the 16 KiB buffer starts in card memory. */
    public static final int BUFFER_START = 16 * 1024;
    /** The first and the end page of the buffer (256-byte pages). */
    public static final int FIRST_PAGE = BUFFER_START >>> 8;
    public static final int END_PAGE = MEMORY >>> 8;
    /** Transmitted frames waiting for dom0, at most. */
    public static final int TX_QUEUE = 32;
    /** The largest frame on the wire without FCS. */
    public static final int MAX_FRAME = 1514;
    /** The shortest frame on the wire without FCS: shorter ones are padded. */
    public static final int MIN_FRAME = 60;

    // CR
    public static final int CR_STP = 0x01;
    public static final int CR_STA = 0x02;
    public static final int CR_TXP = 0x04;
    public static final int CR_RD_READ = 0x08;
    public static final int CR_RD_WRITE = 0x10;
    public static final int CR_RD_ABORT = 0x20;
    // ISR and IMR
    public static final int ISR_PRX = 0x01;
    public static final int ISR_PTX = 0x02;
    public static final int ISR_RXE = 0x04;
    public static final int ISR_TXE = 0x08;
    public static final int ISR_OVW = 0x10;
    public static final int ISR_CNT = 0x20;
    public static final int ISR_RDC = 0x40;
    public static final int ISR_RST = 0x80;
    // RCR
    public static final int RCR_AB = 0x04;
    public static final int RCR_AM = 0x08;
    public static final int RCR_PRO = 0x10;
    public static final int RCR_MON = 0x20;
    // RSR, TSR
    public static final int RSR_PRX = 0x01;
    public static final int RSR_PHY = 0x20;
    public static final int TSR_PTX = 0x01;
    public static final int TSR_ABT = 0x08;
    // DCR, TCR
    public static final int DCR_WTS = 0x01;
    public static final int TCR_LB = 0x06;

    /** The card's interrupt line: set to the new level whenever it changes, under the card's lock. */
    @FunctionalInterface
    public interface Line {
        void set(boolean level);
    }

    private final Object lock = new Object();
    private final Line line;
    private final byte[] mac = new byte[6];
    private final byte[] mem = new byte[MEMORY];
    private final byte[] txQueue = new byte[TX_QUEUE * MAX_FRAME];
    private final int[] txLength = new int[TX_QUEUE];
    private final MemorySegment txSegment = MemorySegment.ofArray(txQueue);
    private final MemorySegment memSegment = MemorySegment.ofArray(mem);
    private int txHead;
    private int txTail;
    private boolean raised;

    private int cr = CR_STP | CR_RD_ABORT;
    private int isr = ISR_RST;
    private int imr;
    private int pstart = FIRST_PAGE;
    private int pstop = END_PAGE;
    private int bnry = FIRST_PAGE;
    private int curr = FIRST_PAGE;
    private int tpsr;
    private int tbcr;
    private int rsar;
    private int rbcr;
    private int rcr;
    private int tcr;
    private int dcr;
    private int tsr;
    private int rsr;
    private final byte[] par = new byte[6];
    private final byte[] mar = new byte[8];

    // Counters.
    private long received;
    private long rxDropped;
    private long rxFiltered;
    private long transmitted;
    private long txDropped;

    /** A card with address {@code mac} (6 bytes, kept in its PROM) driving {@code line}. */
    public Ne2000(byte[] mac, Line line) {
        if (mac.length != 6) {
            throw new IllegalArgumentException("a MAC address is 6 bytes");
        }
        System.arraycopy(mac, 0, this.mac, 0, 6);
        this.line = line;
        synchronized (lock) {
            resetLocked();
        }
    }

    /** Whether {@code port} is one of the card's, at {@code base}. */
    public static boolean claims(int base, int port) {
        return port >= base && port < base + PORTS;
    }

    // ---------------------------------------------------------------- the guest's side: ports

    /** A read of {@code size} bytes (1, 2 or 4) at {@code offset} from the card's base. */
    public long read(int offset, int size) {
        synchronized (lock) {
            long v;
            if (offset >= DATA && offset < RESET_PORTS) {
                v = dataRead(size);
            } else if (offset >= RESET_PORTS && offset < PORTS) {
                resetLocked();
                v = 0;
            } else if (size != 1) {
                v = size == 4 ? 0xFFFF_FFFFL : 0xFFFF;
            } else {
                v = registerRead(offset & 0x0F);
            }
            updateLine();
            return size == 4 ? v & 0xFFFF_FFFFL : v & (1L << (8 * size)) - 1;
        }
    }

    /** A write of {@code size} bytes (1, 2 or 4) of {@code value} at {@code offset} from the base. */
    public void write(int offset, int size, long value) {
        synchronized (lock) {
            if (offset >= DATA && offset < RESET_PORTS) {
                dataWrite(size, value);
            } else if (offset >= RESET_PORTS && offset < PORTS) {
                // a write to the reset port ends the reset pulse: nothing to do
            } else if (size == 1) {
                registerWrite(offset & 0x0F, (int) value & 0xFF);
            }
            updateLine();
        }
    }

    private int page() {
        return cr >>> 6 & 3;
    }

    private int registerRead(int r) {
        if (r == 0) {
            // TXP reads set while frames the card took are still on their way to the wire (dom0's queue).
            return txTail != txHead ? cr | CR_TXP : cr;
        }
        switch (page()) {
            case 0 -> {
                return switch (r) {
                    case 0x01 -> rsar & 0xFF; // CLDA: the local DMA address, here the remote one
                    case 0x02 -> rsar >>> 8 & 0xFF;
                    case 0x03 -> bnry;
                    case 0x04 -> tsr;
                    case 0x07 -> isr;
                    case 0x08 -> rsar & 0xFF; // CRDA
                    case 0x09 -> rsar >>> 8 & 0xFF;
                    case 0x0C -> rsr;
                    default -> 0; // NCR, FIFO, the tally counters (cleared on read): 0
                };
            }
            case 1 -> {
                if (r <= 6) {
                    return par[r - 1] & 0xFF;
                }
                return r == 7 ? curr : mar[r - 8] & 0xFF;
            }
            case 2 -> {
                return switch (r) {
                    case 0x01 -> pstart;
                    case 0x02 -> pstop;
                    case 0x03 -> curr; // RNPP: the remote next-packet pointer
                    case 0x04 -> tpsr;
                    case 0x05 -> bnry; // LNPP
                    case 0x0C -> rcr | 0xC0;
                    case 0x0D -> tcr | 0xE0;
                    case 0x0E -> dcr | 0x80;
                    case 0x0F -> imr | 0x80;
                    default -> 0;
                };
            }
            default -> {
                return 0xFF; // page 3: the DP8390 has none
            }
        }
    }

    private void registerWrite(int r, int v) {
        if (r == 0) {
            command(v);
            return;
        }
        switch (page()) {
            case 0 -> {
                switch (r) {
                    case 0x01 -> pstart = v;
                    case 0x02 -> pstop = v;
                    case 0x03 -> bnry = v;
                    case 0x04 -> tpsr = v;
                    case 0x05 -> tbcr = tbcr & 0xFF00 | v;
                    case 0x06 -> tbcr = tbcr & 0x00FF | v << 8;
                    case 0x07 -> isr &= ~(v & 0x7F); // a 1 clears; RST follows the card
                    case 0x08 -> rsar = rsar & 0xFF00 | v;
                    case 0x09 -> rsar = rsar & 0x00FF | v << 8;
                    case 0x0A -> rbcr = rbcr & 0xFF00 | v;
                    case 0x0B -> rbcr = rbcr & 0x00FF | v << 8;
                    case 0x0C -> rcr = v & 0x3F;
                    case 0x0D -> tcr = v & 0x1F;
                    case 0x0E -> dcr = v & 0x7F;
                    case 0x0F -> imr = v & 0x7F;
                    default -> {
                        // no such register
                    }
                }
            }
            case 1 -> {
                if (r <= 6) {
                    par[r - 1] = (byte) v;
                } else if (r == 7) {
                    curr = v;
                } else {
                    mar[r - 8] = (byte) v;
                }
            }
            default -> {
                // pages 2 and 3 are read back only (the DP8390 says writing them is for tests)
            }
        }
    }

    /** CR: stop/start, remote DMA, transmit, page select. */
    private void command(int v) {
        cr = v;
        if ((v & CR_STP) != 0) {
            cr &= ~(CR_STA | CR_TXP);
            return;
        }
        isr &= ~ISR_RST; // started: out of reset
        if ((v & (CR_RD_READ | CR_RD_WRITE)) != 0 && (v & CR_RD_ABORT) == 0 && rbcr == 0) {
            isr |= ISR_RDC; // a remote DMA of nothing is complete at once
        }
        if ((v & CR_TXP) != 0 && (v & CR_STA) != 0) {
            transmit();
            cr &= ~CR_TXP;
        }
    }

    private boolean remoteDma(int direction) {
        return (cr & (CR_RD_READ | CR_RD_WRITE | CR_RD_ABORT)) == direction;
    }

    private long dataRead(int size) {
        if (!remoteDma(CR_RD_READ) || rbcr == 0) {
            return size == 4 ? 0xFFFF_FFFFL : (1L << (8 * size)) - 1; // nothing to read
        }
        int step = (dcr & DCR_WTS) != 0 ? 2 : 1;
        int n = Math.min(size, 4);
        long v = 0;
        for (int i = 0; i < n; i += step) {
            v |= (long) memoryByte(rsar) << (8 * i);
            if (step == 2) {
                v |= (long) memoryByte(rsar + 1) << (8 * i + 8);
            }
            advanceRemote(step);
            if (rbcr == 0) {
                break;
            }
        }
        return v;
    }

    private void dataWrite(int size, long value) {
        if (!remoteDma(CR_RD_WRITE) || rbcr == 0) {
            return;
        }
        int step = (dcr & DCR_WTS) != 0 ? 2 : 1;
        int n = Math.min(size, 4);
        for (int i = 0; i < n; i += step) {
            storeByte(rsar, (int) (value >>> (8 * i)));
            if (step == 2) {
                storeByte(rsar + 1, (int) (value >>> (8 * i + 8)));
            }
            advanceRemote(step);
            if (rbcr == 0) {
                break;
            }
        }
    }

    /** RSAR on by {@code step} (wrapping from PSTOP to PSTART, as a ring read does), RBCR down. */
    private void advanceRemote(int step) {
        rsar = rsar + step & 0xFFFF;
        if (pstop > pstart && rsar == pstop << 8) {
            rsar = pstart << 8;
        }
        rbcr = Math.max(rbcr - step, 0);
        if (rbcr == 0) {
            isr |= ISR_RDC;
        }
    }

    private int memoryByte(int addr) {
        int a = addr & 0xFFFF;
        if (a < 32) {
            return mem[a] & 0xFF; // the PROM
        }
        return a >= BUFFER_START && a < MEMORY ? mem[a] & 0xFF : 0xFF;
    }

    private void storeByte(int addr, int v) {
        int a = addr & 0xFFFF;
        if (a >= BUFFER_START && a < MEMORY) {
            mem[a] = (byte) v;
        }
    }

    /** The reset port (or power-on): stopped, remote DMA aborted, ISR.RST, the PROM loaded. */
    private void resetLocked() {
        cr = CR_STP | CR_RD_ABORT;
        isr = ISR_RST;
        imr = 0;
        for (int i = 0; i < 6; i++) {
            mem[2 * i] = mac[i];
            mem[2 * i + 1] = mac[i];
        }
        for (int i = 12; i < 32; i++) {
            mem[i] = 0;
        }
        mem[14] = 0x57; // 'W' 'W': a word-wide NE2000, as Linux's ne.c reads it
        mem[15] = 0x57;
    }

    // ---------------------------------------------------------------- transmit

    private void transmit() {
        int start = tpsr << 8;
        int n = tbcr;
        if (n < 14 || n > MAX_FRAME || start < BUFFER_START || start + n > MEMORY) {
            tsr = TSR_ABT; // the card would send garbage; here it is refused and counted
            isr |= ISR_TXE;
            txDropped++;
            return;
        }
        if ((tcr & TCR_LB) != 0) {
            deliverLocked(memSegment, start, n);
            tsr = TSR_PTX;
            isr |= ISR_PTX;
            transmitted++;
            return;
        }
        if (txTail - txHead == TX_QUEUE) {
            tsr = TSR_ABT;
            isr |= ISR_TXE;
            txDropped++;
            return;
        }
        int slot = txTail % TX_QUEUE;
        System.arraycopy(mem, start, txQueue, slot * MAX_FRAME, n);
        txLength[slot] = n;
        txTail++;
        transmitted++; // PTX when the wire (dom0) has taken it
    }

    /** Whether transmitted frames wait for dom0. */
    public boolean transmitPending() {
        synchronized (lock) {
            return txTail != txHead;
        }
    }

    /**
     * dom0's side: copies the oldest transmitted frame into {@code into} at {@code offset}
     * ({@value #MAX_FRAME} bytes of room) and returns its length; 0 when none waits.
     */
    public int takeTransmitted(MemorySegment into, long offset) {
        synchronized (lock) {
            if (txTail == txHead) {
                return 0;
            }
            int slot = txHead % TX_QUEUE;
            int n = txLength[slot];
            MemorySegment.copy(txSegment, (long) slot * MAX_FRAME, into, offset, n);
            txHead++;
            tsr = TSR_PTX; // on the wire: the transmission is complete
            isr |= ISR_PTX;
            updateLine();
            return n;
        }
    }

    // ---------------------------------------------------------------- receive

    /**
     * A frame from the wire (dom0's bridge): {@code length} bytes of {@code from} at
     * {@code offset}, into the receive ring if the card is started, the filter takes it and
     * the ring has room. Returns whether it was stored; a full ring drops it and counts it.
     */
    public boolean receive(MemorySegment from, long offset, int length) {
        synchronized (lock) {
            boolean stored = deliverLocked(from, offset, length);
            updateLine();
            return stored;
        }
    }

    private boolean deliverLocked(MemorySegment from, long offset, int length) {
        if ((cr & CR_STP) != 0 || (cr & CR_STA) == 0 || length < 14 || length > MAX_FRAME) {
            rxFiltered++;
            return false;
        }
        int status = accepts(from, offset);
        if (status < 0) {
            rxFiltered++;
            return false;
        }
        if ((rcr & RCR_MON) != 0) {
            rxFiltered++; // monitor mode: checked and counted, never stored
            return false;
        }
        int size = Math.max(length, MIN_FRAME);
        int total = size + 4;
        int pages = (total + 255) >>> 8;
        if (pstart < FIRST_PAGE || pstop > END_PAGE || pstart >= pstop || curr < pstart || curr >= pstop
                || bnry < pstart || bnry >= pstop) {
            rxDropped++; // the ring's registers are nonsense: nowhere to write
            isr |= ISR_OVW;
            return false;
        }
        int ringPages = pstop - pstart;
        int free = curr < bnry ? bnry - curr : ringPages - (curr - bnry);
        if (pages >= free) {
            rxDropped++;
            isr |= ISR_OVW;
            return false;
        }
        int next = curr + pages;
        if (next >= pstop) {
            next -= ringPages;
        }
        int at = curr << 8;
        rsr = RSR_PRX | status;
        ringStore(at, rsr);
        ringStore(at + 1, next);
        ringStore(at + 2, total);
        ringStore(at + 3, total >>> 8);
        int pos = at + 4;
        for (int i = 0; i < size; i++) {
            int b = i < length ? from.get(ValueLayout.JAVA_BYTE, offset + i) : 0;
            pos = ringStore(pos, b);
        }
        curr = next;
        isr |= ISR_PRX;
        received++;
        return true;
    }

    /** Stores a byte of a frame at {@code addr} in the ring; returns the next address, wrapped at PSTOP. */
    private int ringStore(int addr, int v) {
        mem[addr] = (byte) v;
        int a = addr + 1;
        return a == pstop << 8 ? pstart << 8 : a;
    }

    /** RSR's PHY bit for a frame the filter takes, or -1. */
    private int accepts(MemorySegment from, long offset) {
        int d0 = from.get(ValueLayout.JAVA_BYTE, offset) & 0xFF;
        if ((d0 & 1) == 0) {
            if ((rcr & RCR_PRO) != 0) {
                return 0;
            }
            for (int i = 0; i < 6; i++) {
                if (from.get(ValueLayout.JAVA_BYTE, offset + i) != par[i]) {
                    return -1;
                }
            }
            return 0;
        }
        boolean broadcast = true;
        for (int i = 0; i < 6; i++) {
            broadcast &= from.get(ValueLayout.JAVA_BYTE, offset + i) == (byte) 0xFF;
        }
        if (broadcast) {
            return (rcr & (RCR_AB | RCR_PRO)) != 0 ? RSR_PHY : -1;
        }
        if ((rcr & RCR_PRO) != 0) {
            return RSR_PHY;
        }
        if ((rcr & RCR_AM) == 0) {
            return -1;
        }
        int bit = multicastHash(from, offset);
        return (mar[bit >>> 3] >>> (bit & 7) & 1) != 0 ? RSR_PHY : -1;
    }

    /**
     * The DP8390's multicast filter index: the top 6 bits of the Ethernet CRC-32 of the
     * destination address (polynomial 0x04C11DB7, the bits of each byte taken low first, no
     * final inversion), which selects one of MAR's 64 bits.
     */
    static int multicastHash(MemorySegment from, long offset) {
        int crc = 0xFFFF_FFFF;
        for (int i = 0; i < 6; i++) {
            int b = from.get(ValueLayout.JAVA_BYTE, offset + i);
            for (int k = 0; k < 8; k++) {
                int in = (crc >>> 31 ^ b >>> k) & 1;
                crc <<= 1;
                if (in != 0) {
                    crc ^= 0x04C1_1DB7;
                }
            }
        }
        return crc >>> 26;
    }

    // ---------------------------------------------------------------- the line and counters

    private void updateLine() {
        boolean level = (isr & imr & 0x7F) != 0;
        if (level != raised) {
            raised = level;
            line.set(level);
        }
    }

    /** Whether the card's interrupt line is raised: ISR &amp; IMR not zero. */
    public boolean interruptPending() {
        synchronized (lock) {
            return raised;
        }
    }

    /** The card's address (its PROM). */
    public byte[] mac() {
        return mac.clone();
    }

    /** Frames stored in the receive ring. */
    public long received() {
        synchronized (lock) {
            return received;
        }
    }

    /** Frames dropped for a full (or nonsensical) receive ring. */
    public long rxDropped() {
        synchronized (lock) {
            return rxDropped;
        }
    }

    /** Frames the card did not take: stopped, not for its address, the wrong size. */
    public long rxFiltered() {
        synchronized (lock) {
            return rxFiltered;
        }
    }

    /** Frames transmitted (handed to the queue or looped back). */
    public long transmitted() {
        synchronized (lock) {
            return transmitted;
        }
    }

    /** Transmissions aborted: a bad TPSR/TBCR, or the queue to dom0 full. */
    public long txDropped() {
        synchronized (lock) {
            return txDropped;
        }
    }
}
