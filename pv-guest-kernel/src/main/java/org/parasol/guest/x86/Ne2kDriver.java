package org.parasol.guest.x86;

import java.lang.foreign.MemorySegment;

import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.mm.PageRun;
import org.parasol.guest.sched.Promise;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.x86.Platform;

/**
 * The native kernel's network driver: an NE2000 (a DP8390 with 16 KiB of card memory) at
 * {@code 0x300}, IRQ 10, driven by port I/O as Linux's {@code ne} and {@code 8390} drivers
 * drive it, reduced to what one Ethernet interface needs. Applications reach it through the
 * same net-device API netfront gives (split-drivers' {@code Nics}).
 *
 * <pre>
 *  probe:   CR reads 0xFF? no card ─► read the reset port, write it back, ISR.RST ─► word mode,
 *           remote read of the PROM's 32 bytes (rep insw) ─► the MAC (every other byte), "WW"
 *  init:    stopped; DCR word-wide; ring pages 0x46-0x7F (PSTART, PSTOP, BNRY = 0x46), transmit
 *           page 0x40; page 1: PAR = the MAC, MAR = 0, CURR = 0x47; started; IMR = PRX|PTX|RXE|TXE|OVW
 *  send:    remote write to 0x4000 (RBCR, RSAR, CR.RD=write, rep outsw, ISR.RDC) ─► TPSR, TBCR ─►
 *           CR.TXP ─► ISR.PTX
 *  IRQ 10:  the handler only queues the service task and ends the interrupt (it never touches
 *           the card, so it cannot break a remote DMA the interrupted code was in the middle of)
 *  service: while ISR has an enabled cause: write it back (acknowledged first), then while
 *           BNRY + 1 != CURR: remote read of the 4-byte header, then of the frame (rep insw; the
 *           card wraps PSTOP to PSTART), BNRY = next - 1 ─► the receiver; it ends on an ISR read
 *           of 0, so the line is low and the next cause is an edge the 8259 sees
 * </pre>
 *
 * <p>Under trap-and-emulate each register access is an {@code in}/{@code out} VM exit and each
 * block of the frame one {@code rep insw}/{@code outsw} exit; the lab counts them per frame. A
 * header that makes no sense (a next page outside the ring, a count too small or too large)
 * is what Linux calls a bogus packet: the ring is reset to empty (BNRY = CURR - 1), counted.
 *
 * <p>Not thread-safe: the run loop of vCPU 0 (where IRQ 10 is delivered) owns it.
 */
public final class Ne2kDriver {
    /** The device id {@code Nics} gives the card: its I/O base, beside the vifs' small numbers. */
    public static final int DEVID = Platform.NE2K;
    /** The transmit buffer's first page, the receive ring's first and end page (16 KiB of card memory). */
    public static final int TX_PAGE = 0x40;
    public static final int RX_START = 0x46;
    public static final int RX_STOP = 0x80;
    /** The largest frame without FCS. */
    public static final int MAX_FRAME = 1514;
    /** Frames taken from the ring per service task before the other tasks run. */
    public static final int BUDGET = 64;
    /** How long {@link #close} waits for the card to put its last frames on the wire. */
    public static final long DRAIN_NS = 1_000_000_000L;
    /** Status reads waiting for a remote DMA's RDC before it is given up. */
    private static final int POLLS = 1 << 16;

    private static final int CR = 0x00;
    private static final int PSTART = 0x01;
    private static final int PSTOP = 0x02;
    private static final int BNRY = 0x03;
    private static final int TPSR = 0x04;
    private static final int TBCR0 = 0x05;
    private static final int TBCR1 = 0x06;
    private static final int ISR = 0x07;
    private static final int RSAR0 = 0x08;
    private static final int RSAR1 = 0x09;
    private static final int RBCR0 = 0x0A;
    private static final int RBCR1 = 0x0B;
    private static final int RCR = 0x0C;
    private static final int TCR = 0x0D;
    private static final int DCR = 0x0E;
    private static final int IMR = 0x0F;
    private static final int CURR = 0x07; // page 1
    private static final int DATA = 0x10;
    private static final int RESET = 0x1F;

    private static final int CR_STP = 0x01;
    private static final int CR_STA = 0x02;
    private static final int CR_TXP = 0x04;
    private static final int CR_RREAD = 0x08;
    private static final int CR_RWRITE = 0x10;
    private static final int CR_NODMA = 0x20;
    private static final int CR_PAGE1 = 0x40;
    private static final int ISR_PRX = 0x01;
    private static final int ISR_PTX = 0x02;
    private static final int ISR_RXE = 0x04;
    private static final int ISR_TXE = 0x08;
    private static final int ISR_OVW = 0x10;
    private static final int ISR_RDC = 0x40;
    private static final int ISR_RST = 0x80;
    /** The causes the driver enables in IMR (Linux's ENISR_ALL less the counters). */
    private static final int ENABLED = ISR_PRX | ISR_PTX | ISR_RXE | ISR_TXE | ISR_OVW;
    private static final int RCR_AB = 0x04;
    private static final int DCR_WTS = 0x01;
    /** DCR as Linux's ne.c writes it for a word-wide card: FIFO threshold 8 bytes, normal mode, word transfers. */
    private static final int DCR_VALUE = 0x48 | DCR_WTS;

    /** Where received frames go: the bytes are lent for the call. */
    @FunctionalInterface
    public interface Receiver {
        void frame(byte[] frame, int offset, int length);
    }

    private final Kernel k;
    private final NativeOps ops;
    private final int base;
    private final byte[] mac;
    /** One page of the kernel's: the frame on its way to and from the data port. */
    private final PageRun dma;
    private final GuestMemory mem;
    private final byte[] rx = new byte[MAX_FRAME + 4];
    private final MemorySegment rxSegment = MemorySegment.ofArray(rx);
    private final MemorySegment txSegment = MemorySegment.ofArray(new byte[MAX_FRAME + 1]);
    private Receiver receiver;
    private boolean serviceQueued;
    /** The last send was aborted for a full queue; {@link #txSpace} waits for a PTX. */
    private boolean txFull;
    private Runnable txSpace;
    private boolean closed;
    private long interrupts;
    private long received;
    private long transmitted;
    private long txErrors;
    private long overruns;
    private long bogus;

    private Ne2kDriver(Kernel k, NativeOps ops, byte[] mac, PageRun dma) {
        this.k = k;
        this.ops = ops;
        this.base = Platform.NE2K;
        this.mac = mac;
        this.dma = dma;
        this.mem = k.cpu().memory();
    }

    /** Whether a native kernel sees a card at {@code 0x300} (a read of CR; nothing else is touched). */
    public static boolean present(Kernel k) {
        return k.pvOps() instanceof NativeOps ops && ops.inb(Platform.NE2K + CR) != 0xFF;
    }

    /**
     * Finds the card, resets it, reads its address and brings it up with its IRQ 10 handler.
     * Null in a paravirtual kernel or when there is no NE2000 (no card, no reset, no "WW").
     */
    public static Ne2kDriver probe(Kernel k) {
        if (!(k.pvOps() instanceof NativeOps ops)) {
            return null;
        }
        int b = Platform.NE2K;
        if (ops.inb(b + CR) == 0xFF) {
            return null;
        }
        ops.outb(b + RESET, ops.inb(b + RESET)); // Linux's reset: read the port, write it back
        boolean reset = false;
        for (int i = 0; i < POLLS && !reset; i++) {
            reset = (ops.inb(b + ISR) & ISR_RST) != 0;
        }
        if (!reset) {
            return null;
        }
        ops.outb(b + ISR, 0xFF);
        ops.outb(b + CR, CR_STP | CR_NODMA);
        ops.outb(b + DCR, DCR_VALUE);
        PageRun page = k.memory().allocatePages(1);
        boolean kept = false;
        try {
            GuestMemory mem = k.cpu().memory();
            remoteRead(ops, b, 0, 32, page.va());
            byte[] mac = new byte[6];
            for (int i = 0; i < 6; i++) {
                mac[i] = mem.getByte(page.va() + 2L * i);
            }
            if (mem.getByte(page.va() + 14) != 0x57 || mem.getByte(page.va() + 15) != 0x57) {
                return null; // no "WW": not a word-wide NE2000
            }
            Ne2kDriver d = new Ne2kDriver(k, ops, mac, page);
            d.init();
            kept = true;
            return d;
        } finally {
            if (!kept) {
                k.memory().freePages(page);
            }
        }
    }

    /** Linux's NS8390_init, then the handler on IRQ 10 and the card started. */
    private void init() {
        outb(CR, CR_STP | CR_NODMA);
        outb(DCR, DCR_VALUE);
        outb(RBCR0, 0);
        outb(RBCR1, 0);
        outb(RCR, RCR_AB);
        outb(TCR, 0x02); // internal loopback while setting up
        outb(TPSR, TX_PAGE);
        outb(PSTART, RX_START);
        outb(BNRY, RX_START);
        outb(PSTOP, RX_STOP);
        outb(ISR, 0xFF);
        outb(IMR, 0);
        outb(CR, CR_STP | CR_NODMA | CR_PAGE1);
        for (int i = 0; i < 6; i++) {
            outb(1 + i, mac[i] & 0xFF);
        }
        for (int i = 0; i < 8; i++) {
            outb(8 + i, 0);
        }
        outb(CURR, RX_START + 1);
        outb(CR, CR_STP | CR_NODMA);
        ops.installIrqHandler(Platform.NE2K_IRQ, new Irq10());
        outb(ISR, 0xFF);
        outb(IMR, ENABLED);
        outb(CR, CR_STA | CR_NODMA);
        outb(TCR, 0); // normal operation
    }

    private void outb(int reg, int v) {
        ops.outb(base + reg, v);
    }

    private int inb(int reg) {
        return ops.inb(base + reg);
    }

    /** A remote read of {@code count} bytes (even) of card memory at {@code addr} into {@code va}. */
    private static void remoteRead(NativeOps ops, int b, int addr, int count, long va) {
        ops.outb(b + RBCR0, count & 0xFF);
        ops.outb(b + RBCR1, count >>> 8);
        ops.outb(b + RSAR0, addr & 0xFF);
        ops.outb(b + RSAR1, addr >>> 8);
        ops.outb(b + CR, CR_RREAD | CR_STA);
        ops.insw(b + DATA, va, (count + 1) / 2);
        ops.outb(b + ISR, ISR_RDC);
    }

    /** The card's address, from its PROM. */
    public byte[] mac() {
        return mac.clone();
    }

    /** Installs where received frames go (null: dropped). */
    public void setReceiver(Receiver r) {
        this.receiver = r;
    }

    /**
     * Sends {@code frame[offset, offset + length)} (14 to 1514 bytes; shorter than 60 is padded
     * by the driver, as Linux's {@code ei_start_xmit} pads): into the transmit page by remote
     * write, then CR.TXP. False when the card aborted it (ISR.TXE) or is closed.
     */
    public boolean transmit(byte[] frame, int offset, int length) {
        if (offset < 0 || length < 14 || length > MAX_FRAME || offset > frame.length - length) {
            throw new IllegalArgumentException("frame [" + offset + ", +" + length + ") of " + frame.length + " bytes");
        }
        return transmit(MemorySegment.ofArray(frame), offset, length);
    }

    /** {@link #transmit(byte[], int, int)} from a segment: {@code length} bytes at {@code offset}. */
    public boolean transmit(MemorySegment frame, long offset, int length) {
        if (offset < 0 || length < 14 || length > MAX_FRAME || offset > frame.byteSize() - length) {
            throw new IllegalArgumentException("frame [" + offset + ", +" + length + ") of " + frame.byteSize() + " bytes");
        }
        if (closed) {
            return false;
        }
        int n = Math.max(length, 60);
        MemorySegment.copy(frame, offset, txSegment, 0, length);
        if (n > length) {
            txSegment.asSlice(length, n - length).fill((byte) 0);
        }
        int words = (n + 1) / 2;
        mem.copyFromSegment(txSegment, 0, dma.va(), 2L * words);
        outb(RBCR0, 2 * words & 0xFF);
        outb(RBCR1, 2 * words >>> 8);
        outb(RSAR0, 0);
        outb(RSAR1, TX_PAGE);
        outb(CR, CR_RWRITE | CR_STA);
        ops.outsw(base + DATA, dma.va(), words);
        outb(ISR, ISR_RDC);
        outb(TPSR, TX_PAGE);
        outb(TBCR0, n & 0xFF);
        outb(TBCR1, n >>> 8);
        outb(CR, CR_TXP | CR_STA | CR_NODMA);
        // The card sends at once; its PTX or TXE is taken (and acknowledged) by the service task.
        if ((inb(ISR) & ISR_TXE) != 0) {
            outb(ISR, ISR_TXE);
            txErrors++;
            txFull = true; // the card's queue to the wire is full: wait for a PTX
            return false;
        }
        transmitted++;
        return true;
    }

    /**
     * Calls {@code r} once the card may take a frame again: at once (as a later task) unless the
     * last send was aborted for a full queue, else when the next transmission completes (ISR.PTX),
     * as Linux's 8390 driver wakes its stopped queue in its TX interrupt.
     */
    public void whenTxSpace(Runnable r) {
        if (!txFull || closed) {
            k.loop().execute(r);
            return;
        }
        txSpace = r;
    }

    /** IRQ 10 (Linux's {@code ei_interrupt}, reduced): the work is a task of the run loop. */
    private final class Irq10 implements org.parasol.hypercall.TrapHandler {
        @Override
        public void trap(org.parasol.hypercall.Cpu cpu, int vector, long errorCode, long address) {
            interrupts++;
            if (!serviceQueued) {
                serviceQueued = true;
                k.loop().execute(Ne2kDriver.this::service);
            }
            ops.endOfInterrupt(Platform.NE2K_IRQ);
        }
    }

    /**
     * The interrupt's work (Linux's {@code ei_interrupt} loop): while ISR has a cause the driver
     * enabled, acknowledge it, then take frames from the ring (at most {@link #BUDGET} in all).
     * The loop ends only on a read of ISR with none left, so the card's line is low when it ends
     * and the next cause is a rising edge the (edge-triggered) 8259 sees: acknowledging once and
     * stopping would leave a cause that came meanwhile holding the line high, and every later
     * frame would raise no interrupt.
     */
    private void service() {
        serviceQueued = false;
        if (closed) {
            return;
        }
        int taken = 0;
        for (int isr = inb(ISR) & ENABLED; isr != 0; isr = inb(ISR) & ENABLED) {
            outb(ISR, isr); // acknowledged before the ring is read: a frame from now on sets PRX again
            if ((isr & ISR_OVW) != 0) {
                overruns++;
            }
            if ((isr & ISR_PTX) != 0 && txFull) {
                txFull = false;
                Runnable r = txSpace;
                txSpace = null;
                if (r != null) {
                    k.loop().execute(r); // a frame left the card: room for the next
                }
            }
            while (taken < BUDGET && receiveOne()) {
                taken++;
            }
            if (taken == BUDGET) {
                if (!serviceQueued) {
                    serviceQueued = true;
                    k.loop().execute(this::service); // more may wait: after the other tasks
                }
                return;
            }
        }
    }

    /** One frame from the ring to the receiver; false when the ring is empty. */
    private boolean receiveOne() {
        outb(CR, CR_STA | CR_NODMA | CR_PAGE1);
        int curr = inb(CURR);
        outb(CR, CR_STA | CR_NODMA);
        int next = inb(BNRY) + 1;
        if (next >= RX_STOP) {
            next = RX_START;
        }
        if (next == curr) {
            return false;
        }
        remoteRead(ops, base, next << 8, 4, dma.va());
        int nextPage = mem.getByte(dma.va() + 1) & 0xFF;
        int count = (mem.getByte(dma.va() + 2) & 0xFF) | (mem.getByte(dma.va() + 3) & 0xFF) << 8;
        int length = count - 4;
        if (nextPage < RX_START || nextPage >= RX_STOP || length < 14 || length > MAX_FRAME + 4) {
            bogus++;
            outb(BNRY, curr == RX_START ? RX_STOP - 1 : curr - 1); // Linux's bogus packet: the ring emptied
            return false;
        }
        remoteRead(ops, base, (next << 8) + 4, length + (length & 1), dma.va());
        mem.copyToSegment(dma.va(), rxSegment, 0, length);
        outb(BNRY, nextPage == RX_START ? RX_STOP - 1 : nextPage - 1);
        received++;
        Receiver r = receiver;
        if (r != null) {
            r.frame(rx, 0, Math.min(length, MAX_FRAME));
        }
        return true;
    }

    /**
     * Waits (up to {@link #DRAIN_NS}, a task every millisecond) until CR.TXP reads clear — the
     * last frame sent is on the wire, not still in the card — then stops the card (CR.STP, IMR 0)
     * and says what it did. A kernel that powered off at once would lose its last frames.
     */
    public Promise<Void> close() {
        Promise<Void> p = k.loop().promise();
        if (closed) {
            k.loop().execute(() -> p.complete(null));
            return p;
        }
        closed = true;
        long deadline = k.now() + DRAIN_NS;
        k.loop().execute(() -> stopWhenSent(p, deadline));
        return p;
    }

    private void stopWhenSent(Promise<Void> p, long deadline) {
        if ((inb(CR) & CR_TXP) != 0 && k.now() < deadline) {
            k.after(java.time.Duration.ofMillis(1), () -> stopWhenSent(p, deadline));
            return;
        }
        boolean unsent = (inb(CR) & CR_TXP) != 0;
        outb(IMR, 0);
        outb(CR, CR_STP | CR_NODMA);
        k.println("ne2k: eth0 closed after " + received + " frames in, " + transmitted + " out, " + interrupts
                + " IRQ " + Platform.NE2K_IRQ + " interrupts, " + overruns + " overruns, " + bogus
                + " bogus headers, " + txErrors + " transmit errors" + (unsent ? "; frames still unsent" : ""));
        k.memory().freePages(dma);
        p.complete(null);
    }

    /** A line for the boot log. */
    public String describe() {
        return String.format("NE2000 at 0x%x, IRQ %d, %02x:%02x:%02x:%02x:%02x:%02x", base, Platform.NE2K_IRQ,
                mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
    }

    /** Frames received, transmitted, IRQ 10 interrupts taken. */
    public long received() {
        return received;
    }

    public long transmitted() {
        return transmitted;
    }

    public long interrupts() {
        return interrupts;
    }
}
