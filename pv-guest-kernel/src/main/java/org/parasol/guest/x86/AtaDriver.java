package org.parasol.guest.x86;

import static org.parasol.hypercall.x86.Platform.ATA0;
import static org.parasol.hypercall.x86.Platform.ATA0_CTL;
import static org.parasol.hypercall.x86.Platform.ATA_BSY;
import static org.parasol.hypercall.x86.Platform.ATA_DRQ;
import static org.parasol.hypercall.x86.Platform.ATA_ERR;
import static org.parasol.hypercall.x86.Platform.ATA_SECTOR;

import org.parasol.guest.blk.BlockDevice;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.mm.PageRun;
import org.parasol.guest.sched.Promise;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.x86.Platform;

/**
 * The native kernel's disk driver: an ATA disk on the primary channel's legacy ports, device
 * 0, driven by polled PIO — what Linux's old {@code ide-disk} on {@code ide-io} or
 * {@code pata_legacy} with {@code ata_sff} does, reduced to one drive. It gives applications
 * the same {@link BlockDevice} blkfront gives them.
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
 * </pre>
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
            AtaDriver d = new AtaDriver(k, ops, n, lba48, name.toString().strip());
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
        return "ATA \"" + model + "\" on the primary channel, PIO" + (lba48 ? ", LBA48" : ", LBA28") + ", IRQ "
                + Platform.ATA0_IRQ;
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
            irqStatus = ops.inb(ATA0 + Platform.ATA_STATUS);
            irqArrived = true;
            interrupts++;
            ops.endOfInterrupt(Platform.ATA0_IRQ);
        }
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
            k.println("ata: hda closed after " + requests + " commands, " + interrupts + " IRQ " + Platform.ATA0_IRQ
                    + " interrupts, " + polls + " status polls");
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
