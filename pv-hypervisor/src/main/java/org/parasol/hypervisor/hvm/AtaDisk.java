package org.parasol.hypervisor.hvm;

import static org.parasol.hypercall.x86.Platform.ATA_ABRT;
import static org.parasol.hypercall.x86.Platform.ATA_BSY;
import static org.parasol.hypercall.x86.Platform.ATA_DEV1;
import static org.parasol.hypercall.x86.Platform.ATA_DRDY;
import static org.parasol.hypercall.x86.Platform.ATA_DRQ;
import static org.parasol.hypercall.x86.Platform.ATA_DSC;
import static org.parasol.hypercall.x86.Platform.ATA_ERR;
import static org.parasol.hypercall.x86.Platform.ATA_HOB;
import static org.parasol.hypercall.x86.Platform.ATA_IDNF;
import static org.parasol.hypercall.x86.Platform.ATA_NIEN;
import static org.parasol.hypercall.x86.Platform.ATA_SECTOR;
import static org.parasol.hypercall.x86.Platform.ATA_SRST;
import static org.parasol.hypercall.x86.Platform.ATA_UNC;
import static org.parasol.hypercall.x86.Platform.BM_CMD_START;
import static org.parasol.hypercall.x86.Platform.BM_CMD_WRITE;
import static org.parasol.hypercall.x86.Platform.BM_STAT_ACTIVE;
import static org.parasol.hypercall.x86.Platform.BM_STAT_DRV0_DMA;
import static org.parasol.hypercall.x86.Platform.BM_STAT_DRV1_DMA;
import static org.parasol.hypercall.x86.Platform.BM_STAT_ERROR;
import static org.parasol.hypercall.x86.Platform.BM_STAT_INTR;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Objects;

import org.parasol.hypercall.x86.Platform;

/**
 * An ATA disk on the primary channel's legacy ports, device 0, with PIO and bus-master DMA:
 * what a native kernel finds at {@code 0x1F0..0x1F7} and {@code 0x3F6} on a PC, and behind
 * the PIIX3 IDE function's bus-master block ({@link PciHostBridge}), serving a raw image file
 * (the same files blkback serves), as QEMU's IDE model serves a drive.
 *
 * <pre>
 *  port    read                    write
 *  0x1F0   data (16 bits)          data (16 bits)
 *  0x1F1   error                   features
 *  0x1F2   sector count            sector count        \  each a two-deep FIFO for LBA48:
 *  0x1F3   LBA 0-7   (24-31)       LBA 0-7   (24-31)    | a write pushes the old value to the
 *  0x1F4   LBA 8-15  (32-39)       LBA 8-15  (32-39)    | "previous" byte, which reads back
 *  0x1F5   LBA 16-23 (40-47)       LBA 16-23 (40-47)   /  with device control's HOB bit
 *  0x1F6   device                  device (LBA, DEV, LBA 24-27)
 *  0x1F7   status                  command
 *  0x3F6   alternate status        device control (nIEN, SRST, HOB)
 * </pre>
 *
 * <p>Commands: IDENTIFY DEVICE (the image's sector count in words 60-61 and 100-103), READ
 * SECTORS and WRITE SECTORS and their EXT forms (LBA48), READ DMA and WRITE DMA and their EXT
 * forms, FLUSH CACHE (EXT) — {@code force(true)} on the image —, SET FEATURES' transfer mode,
 * EXECUTE DEVICE DIAGNOSTIC; anything else is aborted (ERR, ABRT). A data
 * command moves one sector at a time through a 512-byte buffer: DRQ says the buffer waits to be
 * read or filled with 256 words; the next sector is read from the image when the last word of
 * the one before is taken, a written sector goes to the image when its last word arrives. The
 * file I/O happens inside the port access, so BSY is never seen set (a real drive's seek time
 * is not modelled). An address outside the image is IDNF, an I/O error UNC (read) or ABRT.
 *
 * <p>Bus-master DMA (SFF-8038i, the primary channel's half of the block at BAR4):
 *
 * <pre>
 *  +0  command   bit 0 start/stop, bit 3 direction (1: the bus master writes memory, READ DMA)
 *  +2  status    bit 0 active (read only), bit 1 error and bit 2 interrupt (write 1 to clear),
 *                bits 5/6 drive 0/1 DMA capable (kept for software)
 *  +4  PRDT      the PRD table's physical address, bits 31:2
 *
 *  a PRD entry, 8 bytes:  ┌──────────── base (bit 0 zero) ──────────┐┌─ count ─┐┌ EOT ┐
 *                         0                                         4          6    bit 15 of 6
 * </pre>
 *
 * <p>A DMA command (READ/WRITE DMA (EXT)) sets DRQ and waits for the engine; the transfer runs,
 * whole, when both the command has been given and the start bit is set (in either order, as
 * QEMU's model), inside that port access and only if the IDE function may master the bus (PCI
 * command bit 2; without it nothing moves and active stays set until stopped). The engine walks
 * the PRD table from the PRDT address, at most {@link #MAX_PRD} entries (one 4 KiB page, QEMU's
 * bound), a byte count of 0 meaning 64 KiB, to the entry with EOT; every table read and every
 * data byte goes through {@link DmaMemory}, the domain's IOMMU. How it ends, in SFF-8038i's
 * table: the transfer done with the table exactly used — interrupt set, active clear; done with
 * table left — interrupt set, active still set; the table exhausted first — active clear, no
 * interrupt, the command ended without one (QEMU's behaviour: the sectors moved stay moved); an
 * entry refused by the IOMMU, crossing a 64 KiB boundary, or a direction bit that does not
 * match the command — error and interrupt set, active clear, and the command aborted (ERR,
 * ABRT), with what moved before the bad entry left in place. The data is staged through a
 * 64 KiB buffer ({@link #STAGING}); no other buffer exists and nothing on the path allocates.
 *
 * <p>Interrupts: INTRQ is kept as ATA says (set when a sector is ready or a command completes,
 * cleared by a read of status or a new command, masked by nIEN), readable with
 * {@link #interruptPending()}; the emulation passes it on to the 8259 pair as IRQ 14
 * ({@link Pic8259}) after each access to the disk's ports.
 *
 * <p>The guest is hostile: any byte may be written to any port in any order, and nothing
 * throws: a command with the wrong arguments is aborted, a word beyond DRQ is dropped (reads
 * give zero), an access of a size the register does not have reads all ones and is ignored.
 * The only buffer is the sector's. Used on a domain's vCPU threads, serialized by a private
 * lock (held across the file access, which only the domain's own vCPUs wait for); nothing on
 * the I/O path allocates. {@link #close} may be called from any thread; I/O after it fails
 * as an I/O error does.
 */
public final class AtaDisk implements AutoCloseable {
    /** Largest image served: LBA48's 2^48 sectors. */
    public static final long MAX_SECTORS = 1L << 48;

    private static final int NONE = 0;
    private static final int PIO_IN = 1;
    private static final int PIO_OUT = 2;
    private static final int DMA_IN = 3; // device to memory: READ DMA
    private static final int DMA_OUT = 4; // memory to device: WRITE DMA

    /** PRD entries the engine reads per transfer: one 4 KiB page of them, as QEMU's {@code BMDMA_PAGE_SIZE} bounds it. */
    public static final int MAX_PRD = 512;
    /** The staging buffer between the image and guest memory: one largest PRD entry. */
    public static final int STAGING = 64 * 1024;
    /** Offset of the bus-master block's secondary-channel half (not modelled: reads 0). */
    private static final int BM_SECONDARY = 8;

    private final Object lock = new Object();
    private final FileChannel image;
    private final long sectors;
    private final boolean readOnly;
    private final byte[] buffer = new byte[ATA_SECTOR];
    private final ByteBuffer bufferView = ByteBuffer.wrap(buffer);
    private final byte[] staging = new byte[STAGING];
    private final ByteBuffer stagingView = ByteBuffer.wrap(staging);
    private final byte[] prd = new byte[Platform.PRD_BYTES];

    // The bus master: registers, what it may reach, its PRD cursor during a transfer.
    private PciHostBridge pci;
    private DmaMemory dma = DmaMemory.NONE;
    private int bmCommand;
    private int bmStatus = BM_STAT_DRV0_DMA; // as the BIOS leaves it
    private int bmPrdt;
    private int prdIndex;
    private long prdAddress;
    private int prdLeft;
    private boolean prdEot;
    /** Features: the transfer mode SET FEATURES selected (ATA's encoding), or 0 for the default PIO. */
    private int transferMode;

    // The taskfile: current and previous ("HOB") bytes.
    private int features;
    private int nsect;
    private int lbal;
    private int lbam;
    private int lbah;
    private int hobNsect;
    private int hobLbal;
    private int hobLbam;
    private int hobLbah;
    private int device;
    private int control;
    private int status = ATA_DRDY | ATA_DSC;
    private int error = 1; // power-on diagnostic: no error
    private boolean intrq;

    // The data phase.
    private int phase = NONE;
    private int position;
    private long lba;
    private long sectorsLeft;

    // Counters.
    private long commands;
    private long sectorsRead;
    private long sectorsWritten;
    private long flushes;
    private long dmaTransfers;
    private long dmaRefused;

    /**
     * A disk over {@code image}, {@code sectors} sectors of 512 bytes long (the image's size
     * rounded down, at most {@link #MAX_SECTORS}).
     *
     * @throws IllegalArgumentException for a negative or oversized sector count
     */
    public AtaDisk(FileChannel image, long sectors, boolean readOnly) {
        this.image = Objects.requireNonNull(image, "image");
        if (sectors < 0 || sectors > MAX_SECTORS) {
            throw new IllegalArgumentException("an ATA disk has 0.." + MAX_SECTORS + " sectors: " + sectors);
        }
        this.sectors = sectors;
        this.readOnly = readOnly;
        signature();
    }

    /** Whether {@code port} is one of the disk's ({@code 0x1F0..0x1F7}, {@code 0x3F6}). */
    public static boolean claims(int port) {
        return port >= Platform.ATA0 && port < Platform.ATA0 + 8 || port == Platform.ATA0_CTL;
    }

    /**
     * Connects the bus master: its function's configuration ({@code pci}, whose command register
     * says whether it may master the bus) and the memory its transfers may reach ({@code dma}).
     * Until then a DMA command waits for an engine that never starts.
     */
    public void connect(PciHostBridge pci, DmaMemory dma) {
        synchronized (lock) {
            this.pci = Objects.requireNonNull(pci, "pci");
            this.dma = Objects.requireNonNull(dma, "dma");
        }
    }

    // ---------------------------------------------------------------- the bus

    /** A read of {@code size} (1, 2 or 4) bytes at {@code port}; a port it does not claim reads all ones. */
    public long read(int port, int size) {
        synchronized (lock) {
            if (port == Platform.ATA0 + Platform.ATA_DATA) {
                if (size == 2) {
                    return dataIn();
                }
                if (size == 4) {
                    long low = dataIn();
                    return low | (long) dataIn() << 16;
                }
                return 0xFF;
            }
            if (size != 1 || !claims(port)) {
                return size == 4 ? 0xFFFF_FFFFL : (1L << (8 * size)) - 1;
            }
            if (port == Platform.ATA0_CTL) {
                return selected() ? status : 0; // alternate status: INTRQ stays
            }
            boolean hob = (control & ATA_HOB) != 0;
            return switch (port - Platform.ATA0) {
                case Platform.ATA_ERROR -> error;
                case Platform.ATA_NSECT -> hob ? hobNsect : nsect;
                case Platform.ATA_LBAL -> hob ? hobLbal : lbal;
                case Platform.ATA_LBAM -> hob ? hobLbam : lbam;
                case Platform.ATA_LBAH -> hob ? hobLbah : lbah;
                case Platform.ATA_DEVICE -> device | 0xA0; // bits 7 and 5 are obsolete and read as one
                default -> {
                    if (!selected()) {
                        yield 0; // device 0 answers for an absent device 1 with status 0
                    }
                    intrq = false;
                    yield status;
                }
            };
        }
    }

    /** A write of the low {@code size} bytes of {@code value} to {@code port}; others are ignored. */
    public void write(int port, int size, long value) {
        synchronized (lock) {
            if (port == Platform.ATA0 + Platform.ATA_DATA) {
                if (size == 2) {
                    dataOut((int) value & 0xFFFF);
                } else if (size == 4) {
                    dataOut((int) value & 0xFFFF);
                    dataOut((int) (value >>> 16) & 0xFFFF);
                }
                return;
            }
            if (size != 1 || !claims(port)) {
                return;
            }
            int v = (int) value & 0xFF;
            if (port == Platform.ATA0_CTL) {
                deviceControl(v);
                return;
            }
            if ((status & ATA_BSY) != 0) {
                return; // in reset: the taskfile does not take writes
            }
            control &= ~ATA_HOB; // any command-block write clears HOB
            switch (port - Platform.ATA0) {
                case Platform.ATA_ERROR -> features = v;
                case Platform.ATA_NSECT -> {
                    hobNsect = nsect;
                    nsect = v;
                }
                case Platform.ATA_LBAL -> {
                    hobLbal = lbal;
                    lbal = v;
                }
                case Platform.ATA_LBAM -> {
                    hobLbam = lbam;
                    lbam = v;
                }
                case Platform.ATA_LBAH -> {
                    hobLbah = lbah;
                    lbah = v;
                }
                case Platform.ATA_DEVICE -> device = v & 0x5F;
                default -> command(v);
            }
        }
    }

    private boolean selected() {
        return (device & ATA_DEV1) == 0;
    }

    private void deviceControl(int v) {
        int was = control;
        control = v & (ATA_HOB | ATA_SRST | ATA_NIEN);
        if ((v & ATA_SRST) != 0) {
            // Reset asserted: the transfer ends, the device stays busy until it is released.
            phase = NONE;
            status = ATA_BSY;
        } else if ((was & ATA_SRST) != 0) {
            signature();
            device = 0;
            status = ATA_DRDY | ATA_DSC;
            error = 1;
        }
    }

    /** The ATA device signature: count 1, LBA 1, 0, 0 (a PATA disk, not a packet device). */
    private void signature() {
        nsect = 1;
        lbal = 1;
        lbam = 0;
        lbah = 0;
    }

    // ---------------------------------------------------------------- commands

    private void command(int cmd) {
        if (!selected() && cmd != Platform.ATA_CMD_DIAGNOSE) {
            return; // no device 1 to take it
        }
        commands++;
        intrq = false;
        phase = NONE;
        error = 0;
        switch (cmd) {
            case Platform.ATA_CMD_IDENTIFY -> {
                identify();
                position = 0;
                sectorsLeft = 1;
                lba = -1;
                phase = PIO_IN;
                ready(ATA_DRQ);
            }
            case Platform.ATA_CMD_READ, Platform.ATA_CMD_READ_EXT -> {
                if (address(cmd == Platform.ATA_CMD_READ_EXT) && load()) {
                    phase = PIO_IN;
                    ready(ATA_DRQ);
                }
            }
            case Platform.ATA_CMD_WRITE, Platform.ATA_CMD_WRITE_EXT -> {
                if (readOnly) {
                    abort(ATA_ABRT);
                } else if (address(cmd == Platform.ATA_CMD_WRITE_EXT)) {
                    position = 0;
                    phase = PIO_OUT;
                    status = ATA_DRDY | ATA_DSC | ATA_DRQ; // the first sector is asked for without INTRQ
                }
            }
            case Platform.ATA_CMD_READ_DMA, Platform.ATA_CMD_READ_DMA_EXT -> {
                if (address(cmd == Platform.ATA_CMD_READ_DMA_EXT)) {
                    phase = DMA_IN;
                    status = ATA_DRDY | ATA_DSC | ATA_DRQ;
                    runDma();
                }
            }
            case Platform.ATA_CMD_WRITE_DMA, Platform.ATA_CMD_WRITE_DMA_EXT -> {
                if (readOnly) {
                    abort(ATA_ABRT);
                } else if (address(cmd == Platform.ATA_CMD_WRITE_DMA_EXT)) {
                    phase = DMA_OUT;
                    status = ATA_DRDY | ATA_DSC | ATA_DRQ;
                    runDma();
                }
            }
            case Platform.ATA_CMD_SET_FEATURES -> setFeatures();
            case Platform.ATA_CMD_FLUSH, Platform.ATA_CMD_FLUSH_EXT -> {
                try {
                    image.force(true);
                    flushes++;
                    ready(0);
                } catch (IOException | RuntimeException e) {
                    abort(ATA_ABRT);
                }
            }
            case Platform.ATA_CMD_DIAGNOSE -> {
                signature();
                error = 1;
                ready(0);
            }
            default -> abort(ATA_ABRT);
        }
    }

    /**
     * The taskfile's address and count for a data command: LBA28 (count 0 is 256) or LBA48
     * (count 0 is 65536). False, with the command aborted, for CHS addressing or a range
     * outside the image.
     */
    private boolean address(boolean ext) {
        if ((device & Platform.ATA_DEV_LBA) == 0) {
            abort(ATA_ABRT); // CHS addressing is not served
            return false;
        }
        long count;
        long start;
        if (ext) {
            count = hobNsect << 8 | nsect;
            count = count == 0 ? 65536 : count;
            start = (long) hobLbah << 40 | (long) hobLbam << 32 | (long) hobLbal << 24 | lbah << 16 | lbam << 8 | lbal;
        } else {
            count = nsect == 0 ? 256 : nsect;
            start = (long) (device & 0x0F) << 24 | lbah << 16 | lbam << 8 | lbal;
        }
        if (start >= sectors || count > sectors - start) {
            abort(ATA_IDNF | ATA_ABRT);
            return false;
        }
        lba = start;
        sectorsLeft = count;
        return true;
    }

    /** Reads sector {@link #lba} into the buffer; false, with the command aborted, on an I/O error. */
    private boolean load() {
        try {
            bufferView.clear();
            long at = lba * ATA_SECTOR;
            while (bufferView.hasRemaining()) {
                int n = image.read(bufferView, at + bufferView.position());
                if (n < 0) {
                    break; // the image shrank under us: the rest reads as zeroes
                }
            }
            java.util.Arrays.fill(buffer, bufferView.position(), ATA_SECTOR, (byte) 0);
        } catch (IOException | RuntimeException e) {
            abort(ATA_UNC | ATA_ABRT);
            return false;
        }
        sectorsRead++;
        position = 0;
        return true;
    }

    /** Writes the buffer to sector {@link #lba}; false, with the command aborted, on an I/O error. */
    private boolean store() {
        try {
            bufferView.clear();
            long at = lba * ATA_SECTOR;
            while (bufferView.hasRemaining()) {
                image.write(bufferView, at + bufferView.position());
            }
        } catch (IOException | RuntimeException e) {
            abort(ATA_ABRT);
            return false;
        }
        sectorsWritten++;
        return true;
    }

    private int dataIn() {
        if (phase != PIO_IN) {
            return 0;
        }
        int w = buffer[position] & 0xFF | (buffer[position + 1] & 0xFF) << 8;
        position += 2;
        if (position == ATA_SECTOR) {
            if (--sectorsLeft == 0) {
                phase = NONE;
                status = ATA_DRDY | ATA_DSC;
            } else {
                lba++;
                if (load()) {
                    ready(ATA_DRQ);
                } else {
                    phase = NONE;
                }
            }
        }
        return w;
    }

    private void dataOut(int w) {
        if (phase != PIO_OUT) {
            return;
        }
        buffer[position] = (byte) w;
        buffer[position + 1] = (byte) (w >>> 8);
        position += 2;
        if (position == ATA_SECTOR) {
            position = 0;
            if (!store()) {
                phase = NONE;
            } else if (--sectorsLeft == 0) {
                phase = NONE;
                ready(0);
            } else {
                lba++;
                ready(ATA_DRQ);
            }
        }
    }

    /** Status DRDY | DSC plus {@code bits}, and INTRQ. */
    private void ready(int bits) {
        status = ATA_DRDY | ATA_DSC | bits;
        interrupt();
    }

    /** The command ends in error: {@code why} in the error register, ERR in status, INTRQ. */
    private void abort(int why) {
        phase = NONE;
        error = why;
        status = ATA_DRDY | ATA_ERR;
        interrupt();
    }

    /**
     * INTRQ asserted. The bus master's interrupt bit latches its rising edge on the channel's
     * line, so it is set only when nIEN lets the line be driven (as QEMU's {@code ide_set_irq}).
     */
    private void interrupt() {
        intrq = true;
        if ((control & ATA_NIEN) == 0) {
            bmStatus |= BM_STAT_INTR;
        }
    }

    /** SET FEATURES: only "set transfer mode" (PIO default or 0-4, multiword DMA 0-2, UDMA 0-5). */
    private void setFeatures() {
        if (features != Platform.ATA_SETFEATURES_XFER) {
            abort(ATA_ABRT);
            return;
        }
        int m = nsect;
        boolean ok = m <= 0x01 || m >= 0x08 && m <= 0x0C || m >= 0x20 && m <= 0x22 || m >= 0x40 && m <= 0x45;
        if (!ok) {
            abort(ATA_ABRT);
            return;
        }
        transferMode = m;
        ready(0);
    }

    // ---------------------------------------------------------------- the bus master

    /**
     * A read of {@code size} (1, 2 or 4) bytes at {@code offset} in the bus-master block (the
     * primary channel's registers at 0-7; the secondary's, 8-15, read 0). Other sizes read all ones.
     */
    public long busMasterRead(int offset, int size) {
        synchronized (lock) {
            if (size != 1 && size != 2 && size != 4 || offset < 0 || offset > PciHostBridge.BMIDE_SIZE - size) {
                return size == 4 ? 0xFFFF_FFFFL : (1L << (8 * size)) - 1;
            }
            long v = 0;
            for (int i = 0; i < size; i++) {
                v |= (long) busMasterByte(offset + i) << (8 * i);
            }
            return v;
        }
    }

    /** A write of the low {@code size} bytes of {@code value} at {@code offset} in the bus-master block. */
    public void busMasterWrite(int offset, int size, long value) {
        synchronized (lock) {
            if (size != 1 && size != 2 && size != 4 || offset < 0 || offset > PciHostBridge.BMIDE_SIZE - size) {
                return;
            }
            for (int i = 0; i < size; i++) {
                writeBusMasterByte(offset + i, (int) (value >>> (8 * i)) & 0xFF);
            }
        }
    }

    private int busMasterByte(int offset) {
        return switch (offset) {
            case Platform.BM_COMMAND -> bmCommand;
            case Platform.BM_STATUS -> bmStatus;
            case Platform.BM_PRDT, Platform.BM_PRDT + 1, Platform.BM_PRDT + 2, Platform.BM_PRDT + 3 ->
                bmPrdt >>> (8 * (offset - Platform.BM_PRDT)) & 0xFF;
            default -> 0; // device-specific bytes, and the secondary channel (no drive there)
        };
    }

    private void writeBusMasterByte(int offset, int v) {
        switch (offset) {
            case Platform.BM_COMMAND -> {
                boolean running = (bmCommand & BM_CMD_START) != 0;
                if ((v & BM_CMD_START) != 0 && !running) {
                    bmCommand = v & (BM_CMD_START | BM_CMD_WRITE);
                    bmStatus |= BM_STAT_ACTIVE;
                    runDma();
                } else if ((v & BM_CMD_START) == 0) {
                    // Stop: the engine lets go of the bus (a transfer in flight would be cut here;
                    // transfers run whole inside one access, so only a waiting one is left).
                    bmCommand = v & BM_CMD_WRITE;
                    bmStatus &= ~BM_STAT_ACTIVE;
                }
                // start written again while running: the direction may not change mid-transfer
            }
            case Platform.BM_STATUS -> bmStatus = bmStatus & BM_STAT_ACTIVE
                    | bmStatus & ~v & (BM_STAT_ERROR | BM_STAT_INTR)
                    | v & (BM_STAT_DRV0_DMA | BM_STAT_DRV1_DMA);
            case Platform.BM_PRDT -> bmPrdt = bmPrdt & ~0xFF | v & 0xFC; // dword aligned
            case Platform.BM_PRDT + 1, Platform.BM_PRDT + 2, Platform.BM_PRDT + 3 -> {
                int shift = 8 * (offset - Platform.BM_PRDT);
                bmPrdt = bmPrdt & ~(0xFF << shift) | v << shift;
            }
            default -> {
                // read-only or unmodelled bytes
            }
        }
    }

    /**
     * The transfer, if it can run now: a DMA command waiting, the start bit set, bus mastering
     * enabled. Moves the command's sectors between the image and the PRD table's buffers, a
     * staging buffer's worth at a time, and ends as SFF-8038i's status table says.
     */
    private void runDma() {
        if (phase != DMA_IN && phase != DMA_OUT || (bmCommand & BM_CMD_START) == 0 || pci == null
                || !pci.busMasterEnabled()) {
            return;
        }
        dmaTransfers++;
        boolean toMemory = phase == DMA_IN;
        if (((bmCommand & BM_CMD_WRITE) != 0) != toMemory) {
            dmaFault(); // the engine would move data the wrong way: refused, not guessed
            return;
        }
        prdIndex = 0;
        prdLeft = 0;
        prdEot = false;
        while (sectorsLeft > 0) {
            int chunk = (int) Math.min(sectorsLeft * ATA_SECTOR, STAGING);
            int moved;
            if (toMemory) {
                if (!readImage(lba * ATA_SECTOR, chunk)) {
                    dmaDeviceError(ATA_UNC | ATA_ABRT);
                    return;
                }
                moved = scatterGather(chunk, true);
                if (moved < 0) {
                    dmaFault();
                    return;
                }
                long whole = moved / ATA_SECTOR;
                sectorsRead += whole;
                lba += whole;
                sectorsLeft -= whole;
            } else {
                moved = scatterGather(chunk, false);
                if (moved < 0) {
                    dmaFault();
                    return;
                }
                int whole = moved / ATA_SECTOR * ATA_SECTOR;
                if (whole > 0 && !writeImage(lba * ATA_SECTOR, whole)) {
                    dmaDeviceError(ATA_ABRT);
                    return;
                }
                sectorsWritten += whole / ATA_SECTOR;
                lba += whole / ATA_SECTOR;
                sectorsLeft -= whole / ATA_SECTOR;
            }
            if (moved < chunk) {
                // The PRD table ran out before the transfer: active clear, no interrupt; the
                // command ends with what moved (QEMU's "PRDs were too short").
                phase = NONE;
                status = ATA_DRDY | ATA_DSC;
                bmStatus &= ~BM_STAT_ACTIVE;
                return;
            }
        }
        phase = NONE;
        ready(0);
        if (prdLeft == 0 && (prdEot || prdIndex == MAX_PRD)) {
            bmStatus &= ~BM_STAT_ACTIVE; // the table and the transfer were the same size
        } // else the table was longer: active stays set beside the interrupt
    }

    /**
     * Moves up to {@code length} bytes between the staging buffer and the PRD table's buffers,
     * entry by entry from the cursor. The bytes moved (fewer when the table ends first), or
     * -1 when an entry or a page is refused.
     */
    private int scatterGather(int length, boolean toMemory) {
        int done = 0;
        while (done < length) {
            if (prdLeft == 0) {
                if (prdEot || prdIndex == MAX_PRD) {
                    return done;
                }
                if (!dma.read((bmPrdt & 0xFFFF_FFFCL) + (long) prdIndex * Platform.PRD_BYTES, prd, 0, prd.length)) {
                    return -1; // the table itself is not the domain's memory
                }
                prdIndex++;
                prdAddress = (prd[0] & 0xFFL | (prd[1] & 0xFFL) << 8 | (prd[2] & 0xFFL) << 16 | (prd[3] & 0xFFL) << 24)
                        & ~1L;
                int count = (prd[4] & 0xFF | (prd[5] & 0xFF) << 8) & 0xFFFE;
                prdLeft = count == 0 ? 0x10000 : count;
                prdEot = (prd[7] & 0x80) != 0;
                if ((prdAddress & 0xFFFF) + prdLeft > 0x10000) {
                    return -1; // an entry may not cross a 64 KiB boundary
                }
            }
            int n = Math.min(prdLeft, length - done);
            boolean ok = toMemory ? dma.write(prdAddress, staging, done, n) : dma.read(prdAddress, staging, done, n);
            if (!ok) {
                return -1;
            }
            prdAddress += n;
            prdLeft -= n;
            done += n;
        }
        return done;
    }

    /** A refused PRD entry or direction: error and interrupt, active clear, the command aborted. */
    private void dmaFault() {
        dmaRefused++;
        bmStatus = bmStatus & ~BM_STAT_ACTIVE | BM_STAT_ERROR;
        abort(ATA_ABRT);
    }

    /** The image failed under the transfer: the device ends the command in error; the bus master saw no fault. */
    private void dmaDeviceError(int why) {
        bmStatus &= ~BM_STAT_ACTIVE;
        abort(why);
    }

    private boolean readImage(long at, int length) {
        try {
            stagingView.clear().limit(length);
            while (stagingView.hasRemaining()) {
                int n = image.read(stagingView, at + stagingView.position());
                if (n < 0) {
                    break; // the image shrank under us: the rest reads as zeroes
                }
            }
            java.util.Arrays.fill(staging, stagingView.position(), length, (byte) 0);
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private boolean writeImage(long at, int length) {
        try {
            stagingView.clear().limit(length);
            while (stagingView.hasRemaining()) {
                image.write(stagingView, at + stagingView.position());
            }
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    // ---------------------------------------------------------------- for the host

    /** Whether INTRQ is asserted toward the interrupt controller (not masked by nIEN). */
    public boolean interruptPending() {
        synchronized (lock) {
            return intrq && (control & ATA_NIEN) == 0;
        }
    }

    /** The image's size in sectors. */
    public long sectors() {
        return sectors;
    }

    public boolean readOnly() {
        return readOnly;
    }

    /** Commands accepted so far. */
    public long commands() {
        return commands;
    }

    /** Sectors read from the image so far. */
    public long sectorsRead() {
        return sectorsRead;
    }

    /** Sectors written to the image so far. */
    public long sectorsWritten() {
        return sectorsWritten;
    }

    /** FLUSH CACHE commands done. */
    public long flushes() {
        return flushes;
    }

    /** Bus-master transfers started (a DMA command and the start bit met, bus mastering on). */
    public long dmaTransfers() {
        return dmaTransfers;
    }

    /** Bus-master transfers refused: an entry or page the IOMMU refused, a 64 KiB crossing, a wrong direction. */
    public long dmaRefused() {
        return dmaRefused;
    }

    /** Closes the image (the domain is gone); never throws. */
    @Override
    public void close() {
        try {
            image.close();
        } catch (IOException e) {
            // nothing more to do: the image is no longer ours
        }
    }

    // ---------------------------------------------------------------- IDENTIFY DEVICE

    private void identify() {
        java.util.Arrays.fill(buffer, (byte) 0);
        long lba28 = Math.min(sectors, 0x0FFF_FFFFL);
        long cylinders = Math.min(16383, sectors / (16 * 63));
        word(0, 0x0040); // a fixed, non-removable ATA device
        word(1, (int) cylinders);
        word(3, 16); // heads
        word(6, 63); // sectors per track
        text(10, 20, "PARASOL-ATA-0");
        text(23, 8, "1.0");
        text(27, 40, "Parasol ATA disk");
        word(47, 0x8000); // READ/WRITE MULTIPLE: not supported
        word(Platform.ATA_ID_CAPABILITY, 1 << 9 | Platform.ATA_ID_DMA); // LBA and DMA supported
        word(53, 0x0007); // words 54-58, 64-70 and 88 valid
        word(54, (int) cylinders);
        word(55, 16);
        word(56, 63);
        long chs = cylinders * 16 * 63;
        word(57, (int) chs & 0xFFFF);
        word(58, (int) (chs >>> 16) & 0xFFFF);
        word(Platform.ATA_ID_LBA_CAPACITY, (int) lba28 & 0xFFFF);
        word(Platform.ATA_ID_LBA_CAPACITY + 1, (int) (lba28 >>> 16) & 0xFFFF);
        int tm = transferMode;
        word(Platform.ATA_ID_MWDMA_MODES, 0x0007 | (tm >= 0x20 && tm <= 0x22 ? 1 << (8 + tm - 0x20) : 0));
        word(64, 0x0003); // PIO modes 3 and 4
        word(65, 120); // multiword DMA cycle times (ns): mode 2's
        word(66, 120);
        word(67, 120); // PIO cycle times without and with IORDY
        word(68, 120);
        word(Platform.ATA_ID_UDMA_MODES, 0x003F | (tm >= 0x40 && tm <= 0x45 ? 1 << (8 + tm - 0x40) : 0));
        word(80, 0x00F0); // ATA/ATAPI-4 to -7
        word(82, 0x4000);
        word(Platform.ATA_ID_COMMAND_SET_2, 0x4000 | 1 << 13 | 1 << 12 | Platform.ATA_ID_LBA48);
        word(84, 0x4000);
        word(85, 0x0000);
        word(86, 1 << 13 | 1 << 12 | Platform.ATA_ID_LBA48);
        word(87, 0x4000);
        for (int i = 0; i < 4; i++) {
            word(Platform.ATA_ID_LBA_CAPACITY_2 + i, (int) (sectors >>> (16 * i)) & 0xFFFF);
        }
        // Word 255: the integrity word, signature 0xA5 and a checksum making the bytes sum to 0.
        buffer[510] = (byte) 0xA5;
        int sum = 0;
        for (int i = 0; i < 511; i++) {
            sum += buffer[i] & 0xFF;
        }
        buffer[511] = (byte) -sum;
    }

    private void word(int index, int value) {
        buffer[2 * index] = (byte) value;
        buffer[2 * index + 1] = (byte) (value >>> 8);
    }

    /** An ATA string: space-padded, two characters a word, the first in the high byte. */
    private void text(int index, int length, String s) {
        for (int i = 0; i < length; i++) {
            byte c = (byte) (i < s.length() ? s.charAt(i) : ' ');
            buffer[2 * index + (i ^ 1)] = c;
        }
    }
}
