package org.parasol.guest.x86;

import static org.parasol.hypercall.x86.Platform.ATA0;
import static org.parasol.hypercall.x86.Platform.ATA0_CTL;
import static org.parasol.hypercall.x86.Platform.ATA_BSY;
import static org.parasol.hypercall.x86.Platform.ATA_DRQ;
import static org.parasol.hypercall.x86.Platform.ATA_ERR;
import static org.parasol.hypercall.x86.Platform.ATA_SECTOR;
import static org.parasol.hypercall.x86.Platform.BM_CMD_START;
import static org.parasol.hypercall.x86.Platform.BM_CMD_WRITE;
import static org.parasol.hypercall.x86.Platform.BM_STAT_ACTIVE;
import static org.parasol.hypercall.x86.Platform.BM_STAT_ERROR;
import static org.parasol.hypercall.x86.Platform.BM_STAT_INTR;

import org.parasol.guest.blk.BlockDevice;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.mm.PageRun;
import org.parasol.guest.sched.Promise;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.x86.Platform;

/**
 * The native kernel's disk driver: an ATA disk on the primary channel's legacy ports, device
 * 0, driven by bus-master DMA through the PIIX3's IDE function when PCI bus 0 has it, else by
 * PIO — what Linux's {@code ata_piix} on {@code ata_bmdma}/{@code ata_sff} does, reduced to
 * one drive. It gives applications the same {@link BlockDevice} blkfront gives them.
 *
 * <pre>
 *  probe:  status 0xFF? no drive (a floating bus) ─► nIEN ─► device 0 ─► IDENTIFY DEVICE ─►
 *          status 0? none ─► BSY clear ─► LBA mid/high not 0? a packet device, not ours ─►
 *          DRQ ─► rep insw 256 words ─► sectors from words 100-103 (LBA48) or 60-61
 *  read:   taskfile (LBA, count; EXT with LBA48) ─► READ SECTORS (EXT) ─► per sector:
 *          wait !BSY, DRQ ─► rep insw 256 words into the caller's memory
 *  write:  ─► WRITE SECTORS (EXT) ─► per sector: wait DRQ ─► rep outsw 256 words ─► at the
 *          end wait !BSY and check ERR
 *  flush:  FLUSH CACHE (EXT) ─► wait !BSY, check ERR
 *
 *  DMA:    probe: IDENTIFY word 49 says DMA ─► scan bus 0 through 0xCF8/0xCFC for class 01:01
 *          with prog-if bit 7 ─► BAR4 (I/O) ─► command |= I/O, bus master ─► SET FEATURES
 *          (the best UDMA/MWDMA mode of words 88/63) ─► a page for the PRD table
 *          request: PRD table from the buffer's machine addresses (its page tables) ─► PRDT,
 *          direction, clear INTR/ERR ─► taskfile ─► READ/WRITE DMA (EXT) ─► start
 *          IRQ 14: BM status INTR? ─► stop ─► ATA status ─► clear INTR ─► EOI
 * </pre>
 *
 * <p>The PRD entries carry machine addresses: a native kernel's "physical" addresses are
 * machine addresses here (there is no guest-physical layer, deviation 34), read from the
 * kernel's own page tables. A buffer with a page above 4 GiB (PRD bases are 32 bits) or not
 * mapped, or needing more than {@link #MAX_PRD} entries, goes by PIO instead, as does every
 * request when no bus master was found.
 *
 * <p>Every register access is an {@code in}/{@code out} instruction ({@link NativeOps}), and
 * each sector's data one {@code rep insw}/{@code rep outsw} straight between the data register
 * and the caller's buffer, so under trap-and-emulate a sector costs a handful of exits. The
 * drive's interrupt, IRQ 14, is taken natively: the 8259 pair programmed and the handler in
 * an IDT gate at vector 0x2E ({@link NativeOps#installIrqHandler}); the handler reads
 * status and ends the interrupt, and the driver goes by the status it read. Where no
 * interrupt is due (the last sector of a PIO read raises none, as ATA says) or interrupts are
 * off, the driver reads status itself, at most {@link #POLLS} times. One command of at most {@link #MAX_COUNT}
 * sectors at a time; I/O is serialized in the order it is asked for, each one a task of the
 * run loop, so completion always comes from a later task than the request.
 *
 * <p>Not thread-safe: the run loop of the vCPU that probed it owns it.
 */
public final class AtaDriver implements BlockDevice {
    /** Xen's (and Linux's) device number of {@code hda}: major 3, minor 0. */
    public static final int DEVID = 3 << 8;
    /** Sectors per command: 256, the most READ SECTORS takes (and Linux's default for EXT). */
    public static final int MAX_COUNT = 256;
    /** Status reads before a command is given up as timed out. */
    public static final int POLLS = 1 << 20;
    /** PRD entries the driver builds at most: a 128 KiB request needs 33, the model reads 512. */
    public static final int MAX_PRD = 64;

    private final Kernel k;
    private final NativeOps ops;
    private final long sectors;
    private final boolean lba48;
    private final String model;
    private long requests;
    private boolean closed;
    /** Set by the IRQ 14 handler, with the status it read (which acknowledged INTRQ). */
    private boolean irqArrived;
    private int irqStatus;
    private long interrupts;
    private long polls;

    // Bus-master DMA: the block's base (-1: none, PIO only), the PRD table's page.
    private int bm = -1;
    private long prdVa;
    private int prdMaddr;
    private PageRun prdPage;
    private String busMaster = "";
    /** A DMA command is waiting for its interrupt; the IRQ handler acknowledges it. */
    private boolean dmaInFlight;
    private int dmaDirection;
    private int irqBmStatus;
    private long dmaCommands;
    private long pioCommands;

    private AtaDriver(Kernel k, NativeOps ops, long sectors, boolean lba48, String model) {
        this.k = k;
        this.ops = ops;
        this.sectors = sectors;
        this.lba48 = lba48;
        this.model = model;
    }

    /** An ATA error: the status and error registers when the command ended. */
    public static final class AtaException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        AtaException(String message) {
            super(message);
        }
    }

    /**
     * Looks for the disk: an ATA device 0 on the primary channel that answers IDENTIFY DEVICE.
     * Null in a paravirtual kernel (no port I/O) or when there is none.
     */
    public static AtaDriver probe(Kernel k) {
        if (!(k.pvOps() instanceof NativeOps ops)) {
            return null;
        }
        if (ops.inb(ATA0 + Platform.ATA_STATUS) == 0xFF) {
            return null; // nothing drives the bus
        }
        ops.outb(ATA0_CTL, Platform.ATA_NIEN);
        ops.outb(ATA0 + Platform.ATA_DEVICE, 0xA0);
        for (int r = Platform.ATA_NSECT; r <= Platform.ATA_LBAH; r++) {
            ops.outb(ATA0 + r, 0);
        }
        ops.outb(ATA0 + Platform.ATA_STATUS, Platform.ATA_CMD_IDENTIFY);
        int st = ops.inb(ATA0 + Platform.ATA_STATUS);
        if (st == 0) {
            return null; // no device 0
        }
        for (int i = 0; (st & ATA_BSY) != 0; i++) {
            if (i == POLLS) {
                return null;
            }
            st = ops.inb(ATA0 + Platform.ATA_STATUS);
        }
        if (ops.inb(ATA0 + Platform.ATA_LBAM) != 0 || ops.inb(ATA0 + Platform.ATA_LBAH) != 0) {
            return null; // ATAPI or SATA signatures: not a disk this driver takes
        }
        for (int i = 0; (st & (ATA_DRQ | ATA_ERR)) == 0; i++) {
            if (i == POLLS) {
                return null;
            }
            st = ops.inb(ATA0 + Platform.ATA_STATUS);
        }
        if ((st & ATA_ERR) != 0) {
            return null;
        }
        PageRun page = k.memory().allocatePages(1);
        try {
            GuestMemory mem = k.cpu().memory();
            ops.insw(ATA0 + Platform.ATA_DATA, page.va(), ATA_SECTOR / 2);
            boolean lba48 = (mem.getShort(page.va() + 2L * Platform.ATA_ID_COMMAND_SET_2)
                    & Platform.ATA_ID_LBA48) != 0;
            long n = lba48 ? mem.getLong(page.va() + 2L * Platform.ATA_ID_LBA_CAPACITY_2) & 0xFFFF_FFFF_FFFFL
                    : mem.getInt(page.va() + 2L * Platform.ATA_ID_LBA_CAPACITY) & 0x0FFF_FFFFL;
            StringBuilder name = new StringBuilder();
            for (int i = 0; i < 40; i++) {
                int c = mem.getByte(page.va() + 54 + (i ^ 1)) & 0xFF;
                name.append(c >= 0x20 && c < 0x7F ? (char) c : ' ');
            }
            if (n == 0) {
                return null;
            }
            int capability = mem.getShort(page.va() + 2L * Platform.ATA_ID_CAPABILITY) & 0xFFFF;
            int mwdma = mem.getShort(page.va() + 2L * Platform.ATA_ID_MWDMA_MODES) & 0x07;
            int udma = mem.getShort(page.va() + 2L * Platform.ATA_ID_UDMA_MODES) & 0x7F;
            AtaDriver d = new AtaDriver(k, ops, n, lba48, name.toString().strip());
            if ((capability & Platform.ATA_ID_DMA) != 0 && (mwdma | udma) != 0) {
                d.findBusMaster(udma != 0 ? 0x40 + 31 - Integer.numberOfLeadingZeros(udma)
                        : 0x20 + 31 - Integer.numberOfLeadingZeros(mwdma));
            }
            ops.installIrqHandler(Platform.ATA0_IRQ, d.new Irq14());
            ops.outb(ATA0_CTL, 0); // nIEN clear: INTRQ on
            return d;
        } finally {
            k.memory().freePages(page);
        }
    }

    // ---------------------------------------------------------------- BlockDevice

    @Override
    public int devid() {
        return DEVID;
    }

    @Override
    public String name() {
        return "hda";
    }

    @Override
    public long sectors() {
        return sectors;
    }

    @Override
    public int sectorSize() {
        return ATA_SECTOR;
    }

    @Override
    public boolean readOnly() {
        return false; // ATA has no write-protect bit to read: a refused write is aborted instead
    }

    @Override
    public boolean canFlush() {
        return true;
    }

    @Override
    public boolean canDiscard() {
        return false; // TRIM (DATA SET MANAGEMENT) needs DMA
    }

    @Override
    public long requests() {
        return requests;
    }

    @Override
    public long notifications() {
        return requests;
    }

    @Override
    public String describe() {
        return "ATA \"" + model + "\" on the primary channel, " + (bm >= 0 ? "bus-master DMA (" + busMaster + ")" : "PIO")
                + (lba48 ? ", LBA48" : ", LBA28") + ", IRQ " + Platform.ATA0_IRQ;
    }

    /** Whether requests go by bus-master DMA (a PIIX IDE function with bus mastering was found). */
    public boolean dma() {
        return bm >= 0;
    }

    /** Data commands done by DMA so far. */
    public long dmaCommands() {
        return dmaCommands;
    }

    /** Data commands done by PIO so far (all of them without a bus master; else the fallbacks). */
    public long pioCommands() {
        return pioCommands;
    }

    // ---------------------------------------------------------------- finding the bus master

    /** CONFIG_ADDRESS of bus 0, {@code dev}, {@code fn}, {@code reg}. */
    private static int configAddress(int dev, int fn, int reg) {
        return Platform.PCI_CONFIG_ENABLE | dev << 11 | fn << 8 | reg & 0xFC;
    }

    private int config(int dev, int fn, int reg) {
        ops.outl(Platform.PCI_CONFIG_ADDRESS, configAddress(dev, fn, reg));
        return ops.inl(Platform.PCI_CONFIG_DATA);
    }

    /**
     * Scans PCI bus 0 (configuration mechanism #1) for an IDE controller with bus mastering
     * (class 01:01, programming interface bit 7), as Linux's {@code pci_scan_slot} walks
     * functions: a function 0 that is absent ends the device, one that is not multi-function
     * ends it after function 0. The first found is enabled (I/O and bus master), the drive is
     * set to {@code mode} with SET FEATURES, and a page is taken for the PRD table. Nothing
     * found, or any step refused: PIO.
     */
    private void findBusMaster(int mode) {
        for (int dev = 0; dev < 32; dev++) {
            for (int fn = 0; fn < 8; fn++) {
                int id = config(dev, fn, Platform.PCI_VENDOR_ID);
                if ((id & 0xFFFF) == 0xFFFF) {
                    if (fn == 0) {
                        break;
                    }
                    continue;
                }
                int cls = config(dev, fn, Platform.PCI_CLASS_REVISION);
                if (cls >>> 16 == 0x0101 && (cls >>> 8 & 0x80) != 0 && useBusMaster(dev, fn, id, mode)) {
                    return;
                }
                if (fn == 0 && (config(dev, 0, Platform.PCI_HEADER_TYPE) >>> 16 & 0x80) == 0) {
                    break; // a single-function device
                }
            }
        }
    }

    private boolean useBusMaster(int dev, int fn, int id, int mode) {
        int bar = config(dev, fn, Platform.PCI_BAR4);
        int base = bar & 0xFFFC;
        if ((bar & 1) == 0 || base == 0) {
            return false; // not an I/O BAR, or never assigned
        }
        int command = config(dev, fn, Platform.PCI_COMMAND) & 0xFFFF;
        ops.outl(Platform.PCI_CONFIG_ADDRESS, configAddress(dev, fn, Platform.PCI_COMMAND));
        ops.outl(Platform.PCI_CONFIG_DATA, command | Platform.PCI_COMMAND_IO | Platform.PCI_COMMAND_MASTER);
        if ((config(dev, fn, Platform.PCI_COMMAND) & Platform.PCI_COMMAND_MASTER) == 0) {
            return false;
        }
        // SET FEATURES: the transfer mode (nIEN is still set: its completion is polled).
        ops.outb(ATA0 + Platform.ATA_ERROR, Platform.ATA_SETFEATURES_XFER);
        ops.outb(ATA0 + Platform.ATA_NSECT, mode);
        ops.outb(ATA0 + Platform.ATA_STATUS, Platform.ATA_CMD_SET_FEATURES);
        int st = ops.inb(ATA0 + Platform.ATA_STATUS);
        for (int i = 0; (st & ATA_BSY) != 0 && i < POLLS; i++) {
            st = ops.inb(ATA0 + Platform.ATA_STATUS);
        }
        if ((st & (ATA_BSY | ATA_ERR)) != 0) {
            return false;
        }
        PageRun page = k.memory().allocatePages(1);
        long maddr = k.memory().mfn(page.pfn()).address();
        if (maddr + Mmu.PAGE_SIZE > 1L << 32) {
            k.memory().freePages(page); // a PRD pointer is 32 bits
            return false;
        }
        prdPage = page;
        prdVa = page.va();
        prdMaddr = (int) maddr;
        bm = base;
        busMaster = String.format("%04x:%04x at 00:%02x.%d, BM 0x%x, %s %d", id & 0xFFFF, id >>> 16, dev, fn, base,
                mode >= 0x40 ? "UDMA" : "MWDMA", mode & 0x07);
        return true;
    }

    /** IRQ 14 interrupts taken so far. */
    public long interrupts() {
        return interrupts;
    }

    /** Status polls that found no interrupt to go by (interrupts off while waiting, or none due). */
    public long polls() {
        return polls;
    }

    /**
     * The IRQ 14 handler (Linux's {@code ata_sff_interrupt}, reduced): reads status, which
     * lowers INTRQ, keeps it for the waiting command, and ends the interrupt at both chips.
     */
    private final class Irq14 implements org.parasol.hypercall.TrapHandler {
        @Override
        public void trap(org.parasol.hypercall.Cpu cpu, int vector, long errorCode, long address) {
            if (dmaInFlight) {
                // Linux's ata_bmdma_interrupt: ours only if the bus master saw the interrupt.
                int bms = ops.inb(bm + Platform.BM_STATUS);
                if ((bms & BM_STAT_INTR) != 0) {
                    irqStatus = acknowledgeDma(bms);
                    irqBmStatus = bms;
                    irqArrived = true;
                }
            } else {
                irqStatus = ops.inb(ATA0 + Platform.ATA_STATUS);
                irqArrived = true;
            }
            interrupts++;
            ops.endOfInterrupt(Platform.ATA0_IRQ);
        }
    }

    /**
     * The end of a DMA command, as {@code ata_bmdma_stop} and {@code ata_bmdma_irq_clear}: stop
     * the engine, read ATA status (which lowers INTRQ), write the interrupt and error bits back
     * to clear them. Returns the ATA status.
     */
    private int acknowledgeDma(int bms) {
        ops.outb(bm + Platform.BM_COMMAND, dmaDirection);
        int st = ops.inb(ATA0 + Platform.ATA_STATUS);
        ops.outb(bm + Platform.BM_STATUS, bms);
        dmaInFlight = false;
        return st;
    }

    @Override
    public Promise<Void> read(long sector, long va, long length) {
        return transfer(sector, va, length, false);
    }

    @Override
    public Promise<Void> write(long sector, long va, long length) {
        return transfer(sector, va, length, true);
    }

    @Override
    public Promise<Void> flush() {
        return task(() -> {
            command(lba48 ? Platform.ATA_CMD_FLUSH_EXT : Platform.ATA_CMD_FLUSH);
            finish("FLUSH CACHE");
        });
    }

    @Override
    public Promise<Void> discard(long sector, long count) {
        Promise<Void> p = k.loop().promise();
        k.loop().execute(() -> p.fail(new UnsupportedOperationException("hda offers no discard")));
        return p;
    }

    @Override
    public Promise<Void> close() {
        if (!closed) {
            k.println("ata: hda closed after " + requests + " commands (" + dmaCommands + " by DMA, " + pioCommands
                    + " by PIO), " + interrupts + " IRQ " + Platform.ATA0_IRQ + " interrupts, " + polls + " status polls");
            if (prdPage != null) {
                k.memory().freePages(prdPage);
                prdPage = null;
            }
        }
        closed = true;
        Promise<Void> p = k.loop().promise();
        k.loop().execute(() -> p.complete(null));
        return p;
    }

    // ---------------------------------------------------------------- PIO

    private Promise<Void> transfer(long sector, long va, long length, boolean out) {
        if (length <= 0 || length % ATA_SECTOR != 0 || sector < 0 || sector > sectors
                || length / ATA_SECTOR > sectors - sector) {
            Promise<Void> p = k.loop().promise();
            k.loop().execute(() -> p.fail(new IllegalArgumentException((out ? "write" : "read") + " of " + length
                    + " bytes at sector " + sector + " is not whole sectors inside hda (" + sectors + " sectors)")));
            return p;
        }
        return task(() -> {
            long lba = sector;
            long at = va;
            long left = length / ATA_SECTOR;
            while (left > 0) {
                int n = (int) Math.min(left, MAX_COUNT);
                if (bm >= 0 && buildPrdTable(at, (long) n * ATA_SECTOR)) {
                    dmaTransfer(out, lba, n);
                    lba += n;
                    left -= n;
                    at += (long) n * ATA_SECTOR;
                    continue;
                }
                pioCommands++;
                taskfile(lba, n);
                command(out ? (lba48 ? Platform.ATA_CMD_WRITE_EXT : Platform.ATA_CMD_WRITE)
                        : (lba48 ? Platform.ATA_CMD_READ_EXT : Platform.ATA_CMD_READ));
                for (int s = 0; s < n; s++) {
                    dataReady(out ? "WRITE SECTORS" : "READ SECTORS", lba + s);
                    if (out) {
                        ops.outsw(ATA0 + Platform.ATA_DATA, at, ATA_SECTOR / 2);
                    } else {
                        ops.insw(ATA0 + Platform.ATA_DATA, at, ATA_SECTOR / 2);
                    }
                    at += ATA_SECTOR;
                }
                finish(out ? "WRITE SECTORS" : "READ SECTORS");
                lba += n;
                left -= n;
            }
        });
    }

    // ---------------------------------------------------------------- DMA

    /**
     * Writes the PRD table for {@code length} bytes at {@code va}: each page's machine address
     * from the kernel's page tables, runs of machine-contiguous pages merged into one entry
     * while it stays inside one 64 KiB window (an entry may not cross a 64 KiB boundary), EOT
     * on the last. False — go by PIO — for a page not mapped or above 4 GiB, or a table longer
     * than {@link #MAX_PRD}.
     */
    private boolean buildPrdTable(long va, long length) {
        org.parasol.guest.mm.PageTables tables = k.memory().pageTables();
        GuestMemory mem = k.cpu().memory();
        int entries = 0;
        long start = -1;
        long end = -1;
        long off = 0;
        while (off < length) {
            long v = va + off;
            long pte = tables.leafEntry(v);
            if ((pte & Mmu.PAGE_PRESENT) == 0) {
                return false;
            }
            long maddr = pte & Mmu.PAGE_FRAME_MASK | v & (Mmu.PAGE_SIZE - 1);
            long n = Math.min(length - off, Mmu.PAGE_SIZE - (v & (Mmu.PAGE_SIZE - 1)));
            if (maddr + n > 1L << 32) {
                return false; // a PRD base is 32 bits
            }
            if (maddr == end && (start >>> 16) == ((maddr + n - 1) >>> 16)) {
                end += n;
            } else {
                if (start >= 0) {
                    writePrd(mem, entries++, start, end, false);
                }
                if (entries == MAX_PRD) {
                    return false;
                }
                start = maddr;
                end = maddr + n;
            }
            off += n;
        }
        writePrd(mem, entries, start, end, true);
        return true;
    }

    private void writePrd(GuestMemory mem, int i, long start, long end, boolean eot) {
        mem.putInt(prdVa + 8L * i, (int) start);
        mem.putInt(prdVa + 8L * i + 4, (int) (end - start) & 0xFFFF | (eot ? Platform.PRD_EOT : 0)); // 64 KiB is 0
    }

    /** One DMA command of {@code n} sectors over the PRD table just built (Linux's bmdma setup, exec, start). */
    private void dmaTransfer(boolean out, long lba, int n) {
        dmaDirection = out ? 0 : BM_CMD_WRITE; // the bus master writes memory for a read
        ops.outl(bm + Platform.BM_PRDT, prdMaddr);
        ops.outb(bm + Platform.BM_COMMAND, dmaDirection);
        ops.outb(bm + Platform.BM_STATUS, BM_STAT_INTR | BM_STAT_ERROR | Platform.BM_STAT_DRV0_DMA);
        taskfile(lba, n);
        dmaCommands++;
        command(out ? (lba48 ? Platform.ATA_CMD_WRITE_DMA_EXT : Platform.ATA_CMD_WRITE_DMA)
                : (lba48 ? Platform.ATA_CMD_READ_DMA_EXT : Platform.ATA_CMD_READ_DMA));
        dmaInFlight = true;
        ops.outb(bm + Platform.BM_COMMAND, dmaDirection | BM_CMD_START);
        for (int i = 0; i < POLLS; i++) {
            int bms;
            int st;
            if (irqArrived) {
                irqArrived = false;
                bms = irqBmStatus;
                st = irqStatus;
            } else {
                polls++;
                bms = ops.inb(bm + Platform.BM_STATUS);
                if ((bms & BM_STAT_INTR) == 0) {
                    if ((bms & BM_STAT_ACTIVE) == 0) {
                        acknowledgeDma(bms);
                        throw new AtaException("hda: " + dmaName(out, lba) + ": the PRD table ended before the transfer");
                    }
                    continue;
                }
                st = acknowledgeDma(bms);
            }
            if ((bms & BM_STAT_ERROR) != 0 || (st & (ATA_ERR | ATA_DRQ | ATA_BSY)) != 0) {
                throw error(dmaName(out, lba) + String.format(" (bus master %02x)", bms), st);
            }
            return;
        }
        acknowledgeDma(ops.inb(bm + Platform.BM_STATUS));
        throw new AtaException("hda: " + dmaName(out, lba) + " timed out");
    }

    /** The command's name for an error message (made only when one is thrown). */
    private static String dmaName(boolean out, long lba) {
        return (out ? "WRITE DMA" : "READ DMA") + " at sector " + lba;
    }

    /** Runs {@code io} as a later task of the loop; its exception fails the promise. */
    private Promise<Void> task(Runnable io) {
        Promise<Void> p = k.loop().promise();
        k.loop().execute(() -> {
            if (closed) {
                p.fail(new AtaException("hda is closed"));
                return;
            }
            try {
                io.run();
            } catch (AtaException e) {
                p.fail(e);
                return;
            }
            p.complete(null);
        });
        return p;
    }

    /** The address and count: LBA48 writes the high-order bytes first, then the low ones. */
    private void taskfile(long lba, int count) {
        int c = count == 65536 ? 0 : count;
        if (lba48) {
            ops.outb(ATA0 + Platform.ATA_DEVICE, Platform.ATA_DEV_LBA);
            ops.outb(ATA0 + Platform.ATA_NSECT, c >>> 8);
            ops.outb(ATA0 + Platform.ATA_LBAL, (int) (lba >>> 24));
            ops.outb(ATA0 + Platform.ATA_LBAM, (int) (lba >>> 32));
            ops.outb(ATA0 + Platform.ATA_LBAH, (int) (lba >>> 40));
        } else {
            ops.outb(ATA0 + Platform.ATA_DEVICE, Platform.ATA_DEV_LBA | (int) (lba >>> 24) & 0x0F);
        }
        ops.outb(ATA0 + Platform.ATA_NSECT, c & 0xFF);
        ops.outb(ATA0 + Platform.ATA_LBAL, (int) lba);
        ops.outb(ATA0 + Platform.ATA_LBAM, (int) (lba >>> 8));
        ops.outb(ATA0 + Platform.ATA_LBAH, (int) (lba >>> 16));
    }

    private void command(int cmd) {
        requests++;
        irqArrived = false;
        ops.outb(ATA0 + Platform.ATA_STATUS, cmd);
    }

    /**
     * The device's status once it has something to say: what the IRQ 14 handler read, when
     * the interrupt came (it comes at the instruction boundary after the access that raised
     * INTRQ, the kernel running with interrupts on); else a read of status — a poll.
     */
    private int nextStatus() {
        if (irqArrived) {
            irqArrived = false;
            if ((irqStatus & ATA_BSY) == 0) {
                return irqStatus;
            }
        }
        polls++;
        return ops.inb(ATA0 + Platform.ATA_STATUS);
    }

    /** Waits for BSY clear and DRQ set; ERR or a timeout fails the command. */
    private void dataReady(String what, long lba) {
        for (int i = 0; i < POLLS; i++) {
            int st = nextStatus();
            if ((st & ATA_BSY) != 0) {
                continue;
            }
            if ((st & ATA_ERR) != 0) {
                throw error(what + " at sector " + lba, st);
            }
            if ((st & ATA_DRQ) != 0) {
                return;
            }
        }
        throw new AtaException("hda: " + what + " at sector " + lba + " timed out waiting for DRQ");
    }

    /** Waits for BSY clear at the end of a command; ERR, DRQ still set or a timeout fails it. */
    private void finish(String what) {
        for (int i = 0; i < POLLS; i++) {
            int st = nextStatus();
            if ((st & ATA_BSY) != 0) {
                continue;
            }
            if ((st & (ATA_ERR | ATA_DRQ)) != 0) {
                throw error(what, st);
            }
            return;
        }
        throw new AtaException("hda: " + what + " timed out");
    }

    private AtaException error(String what, int status) {
        int err = ops.inb(ATA0 + Platform.ATA_ERROR);
        return new AtaException(String.format("hda: %s failed: status %02x, error %02x", what, status, err));
    }
}
