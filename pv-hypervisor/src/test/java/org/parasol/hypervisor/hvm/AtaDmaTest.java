package org.parasol.hypervisor.hvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parasol.hypercall.x86.Platform.ATA0;
import static org.parasol.hypercall.x86.Platform.BM_CMD_START;
import static org.parasol.hypercall.x86.Platform.BM_CMD_WRITE;
import static org.parasol.hypercall.x86.Platform.BM_STAT_ACTIVE;
import static org.parasol.hypercall.x86.Platform.BM_STAT_ERROR;
import static org.parasol.hypercall.x86.Platform.BM_STAT_INTR;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.BitSet;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.x86.Platform;

/**
 * The bus-master engine of {@link AtaDisk} (SFF-8038i) against a small memory with an IOMMU of
 * its own: pages it refuses altogether (another domain's), and pages it refuses to write (a
 * page table's). The real IOMMU, over frames, is {@code AtaTrapTest}'s.
 */
class AtaDmaTest {
    private static final int SECTORS = 256;
    private static final int PAGE = 4096;
    /** 512 KiB of "machine memory" at address 0. */
    private final byte[] memory = new byte[128 * PAGE];
    private final BitSet foreign = new BitSet();
    private final BitSet readOnly = new BitSet();
    private Path file;
    private FileChannel channel;
    private AtaDisk disk;
    private PciHostBridge pci;
    private byte[] image;

    private final DmaMemory iommu = new DmaMemory() {
        @Override
        public boolean read(long address, byte[] array, int offset, int length) {
            if (!allowed(address, length, false)) {
                return false;
            }
            System.arraycopy(memory, (int) address, array, offset, length);
            return true;
        }

        @Override
        public boolean write(long address, byte[] array, int offset, int length) {
            if (!allowed(address, length, true)) {
                return false;
            }
            System.arraycopy(array, offset, memory, (int) address, length);
            return true;
        }
    };

    private boolean allowed(long address, int length, boolean write) {
        if (address < 0 || address + length > memory.length) {
            return false;
        }
        for (long p = address / PAGE; p <= (address + length - 1) / PAGE; p++) {
            if (foreign.get((int) p) || write && readOnly.get((int) p)) {
                return false;
            }
        }
        return true;
    }

    @BeforeEach
    void open() throws IOException {
        file = Files.createTempFile("atadma", ".img");
        image = new byte[SECTORS * 512];
        for (int i = 0; i < image.length; i++) {
            image[i] = (byte) (i * 11 + i / 512);
        }
        Files.write(file, image);
        channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        disk = new AtaDisk(channel, SECTORS, false);
        pci = new PciHostBridge();
        disk.connect(pci, iommu);
        enableMastering(true);
    }

    @AfterEach
    void close() throws IOException {
        disk.close();
        Files.deleteIfExists(file);
    }

    private void enableMastering(boolean on) {
        pci.write(Platform.PCI_CONFIG_ADDRESS, 4, Platform.PCI_CONFIG_ENABLE | Platform.PIIX3_IDE_DEVFN << 8
                | Platform.PCI_COMMAND);
        pci.write(Platform.PCI_CONFIG_DATA, 2, Platform.PCI_COMMAND_IO | (on ? Platform.PCI_COMMAND_MASTER : 0));
    }

    private void out(int reg, int v) {
        disk.write(ATA0 + reg, 1, v);
    }

    private int status() {
        return (int) disk.read(ATA0 + Platform.ATA_STATUS, 1);
    }

    private int bmStatus() {
        return (int) disk.busMasterRead(Platform.BM_STATUS, 1);
    }

    private void command(int cmd, long lba, int count) {
        out(Platform.ATA_DEVICE, Platform.ATA_DEV_LBA | (int) (lba >>> 24 & 0x0F));
        out(Platform.ATA_NSECT, count & 0xFF);
        out(Platform.ATA_LBAL, (int) lba & 0xFF);
        out(Platform.ATA_LBAM, (int) (lba >>> 8) & 0xFF);
        out(Platform.ATA_LBAH, (int) (lba >>> 16) & 0xFF);
        out(Platform.ATA_STATUS, cmd);
    }

    /** Writes PRD entry {@code i} of the table at {@code table}. */
    private void prd(int table, int i, long base, int count, boolean eot) {
        int at = table + 8 * i;
        for (int k = 0; k < 4; k++) {
            memory[at + k] = (byte) (base >>> (8 * k));
        }
        memory[at + 4] = (byte) count;
        memory[at + 5] = (byte) (count >>> 8);
        memory[at + 6] = 0;
        memory[at + 7] = (byte) (eot ? 0x80 : 0);
    }

    /** The driver's sequence (Linux's ata_bmdma_setup, exec, start): PRDT, direction, clear, command, start. */
    private void dma(boolean read, int table, long lba, int count) {
        disk.busMasterWrite(Platform.BM_PRDT, 4, table);
        disk.busMasterWrite(Platform.BM_COMMAND, 1, read ? BM_CMD_WRITE : 0);
        disk.busMasterWrite(Platform.BM_STATUS, 1, BM_STAT_INTR | BM_STAT_ERROR);
        command(read ? Platform.ATA_CMD_READ_DMA : Platform.ATA_CMD_WRITE_DMA, lba, count);
        disk.busMasterWrite(Platform.BM_COMMAND, 1, (read ? BM_CMD_WRITE : 0) | BM_CMD_START);
    }

    private void assertImage(long lba, int sectors, int at) {
        for (int i = 0; i < sectors * 512; i++) {
            assertThat(memory[at + i]).as("byte %d", i).isEqualTo(image[(int) (lba * 512) + i]);
        }
    }

    @Test
    @DisplayName("READ DMA through one EOT entry: the sectors land at the entry's base; SFF-8038i's normal completion: "
            + "interrupt set, active clear; ATA status DRDY with INTRQ, DRQ and ERR clear")
    void shouldReadThroughOneEntry() {
        prd(0, 0, 0x10000, 8 * 512, true);
        dma(true, 0, 5, 8);
        assertImage(5, 8, 0x10000);
        assertThat(bmStatus() & (BM_STAT_INTR | BM_STAT_ACTIVE | BM_STAT_ERROR)).isEqualTo(BM_STAT_INTR);
        assertThat(disk.interruptPending()).isTrue();
        assertThat(status() & (Platform.ATA_DRQ | Platform.ATA_ERR | Platform.ATA_BSY)).isZero();
        assertThat(disk.interruptPending()).as("status read lowers INTRQ").isFalse();
        assertThat(disk.dmaTransfers()).isEqualTo(1);
        assertThat(disk.sectorsRead()).isEqualTo(8);
    }

    @Test
    @DisplayName("a byte count of 0 is 64 KiB: READ DMA of 128 sectors through one such entry")
    void shouldTakeCountZeroAs64KiB() {
        prd(0, 0, 0x20000, 0, true);
        dma(true, 0, 0, 128);
        assertImage(0, 128, 0x20000);
        assertThat(bmStatus() & (BM_STAT_INTR | BM_STAT_ACTIVE)).isEqualTo(BM_STAT_INTR);
    }

    @Test
    @DisplayName("entries may be any even size and cross 4 KiB pages (not 64 KiB): three entries scatter one transfer")
    void shouldScatterAcrossEntriesAndPages() {
        prd(0, 0, 0x3000 + 4000, 1000, false); // crosses 0x3000 -> 0x4000
        prd(0, 1, 0x9000, 24, false);
        prd(0, 2, 0x20000 - 2048, 4 * 512 - 1024, true); // up to a 64 KiB boundary, not over it
        dma(true, 0, 7, 4);
        byte[] want = java.util.Arrays.copyOfRange(image, 7 * 512, 11 * 512);
        assertThat(java.util.Arrays.copyOfRange(memory, 0x3000 + 4000, 0x3000 + 5000))
                .isEqualTo(java.util.Arrays.copyOfRange(want, 0, 1000));
        assertThat(java.util.Arrays.copyOfRange(memory, 0x9000, 0x9000 + 24))
                .isEqualTo(java.util.Arrays.copyOfRange(want, 1000, 1024));
        assertThat(java.util.Arrays.copyOfRange(memory, 0x20000 - 2048, 0x20000 - 2048 + 1024))
                .isEqualTo(java.util.Arrays.copyOfRange(want, 1024, 2048));
        assertThat(bmStatus() & (BM_STAT_INTR | BM_STAT_ACTIVE | BM_STAT_ERROR)).isEqualTo(BM_STAT_INTR);
    }

    @Test
    @DisplayName("a PRD table longer than the transfer: the transfer completes, interrupt set and active still set")
    void shouldLeaveActiveWhenTheTableIsLonger() {
        prd(0, 0, 0x10000, 4096, false);
        prd(0, 1, 0x11000, 4096, true);
        dma(true, 0, 0, 4);
        assertImage(0, 4, 0x10000);
        assertThat(memory[0x11000]).as("nothing beyond the transfer").isZero();
        assertThat(bmStatus() & (BM_STAT_INTR | BM_STAT_ACTIVE | BM_STAT_ERROR)).isEqualTo(BM_STAT_INTR | BM_STAT_ACTIVE);
        assertThat(disk.interruptPending()).isTrue();
        disk.busMasterWrite(Platform.BM_COMMAND, 1, BM_CMD_WRITE); // the driver stops the engine
        assertThat(bmStatus() & BM_STAT_ACTIVE).isZero();
    }

    @Test
    @DisplayName("a PRD table shorter than the transfer: what it covers moves, then active clears with no interrupt and "
            + "the command ends without one (QEMU's \"PRDs were too short\")")
    void shouldEndQuietlyWhenTheTableIsShorter() {
        prd(0, 0, 0x10000, 1024, true);
        dma(true, 0, 9, 4);
        assertImage(9, 2, 0x10000);
        assertThat(bmStatus() & (BM_STAT_INTR | BM_STAT_ACTIVE | BM_STAT_ERROR)).isZero();
        assertThat(disk.interruptPending()).isFalse();
        assertThat(status() & (Platform.ATA_DRQ | Platform.ATA_BSY)).isZero();
    }

    @Test
    @DisplayName("WRITE DMA gathers from the entries into the image; a read-only (page-table) page is readable to the "
            + "device, so memory-to-device from it is allowed")
    void shouldWriteThroughEntries() throws IOException {
        for (int i = 0; i < 3 * 512; i++) {
            memory[0x30000 + i] = (byte) (255 - i);
        }
        readOnly.set(0x30000 / PAGE);
        prd(0, 0, 0x30000, 3 * 512, true);
        dma(false, 0, 20, 3);
        assertThat(bmStatus() & (BM_STAT_INTR | BM_STAT_ACTIVE | BM_STAT_ERROR)).isEqualTo(BM_STAT_INTR);
        ByteBuffer got = ByteBuffer.allocate(3 * 512);
        channel.read(got, 20 * 512);
        assertThat(got.array()).isEqualTo(java.util.Arrays.copyOfRange(memory, 0x30000, 0x30000 + 3 * 512));
        assertThat(disk.sectorsWritten()).isEqualTo(3);
    }

    @Test
    @DisplayName("an entry the IOMMU refuses (another domain's page) ends the transfer: error and interrupt set, active "
            + "clear, ATA ERR with ABRT; what came before it stays, nothing reaches the refused page")
    void shouldRefuseAForeignPage() {
        foreign.set(0x12);
        prd(0, 0, 0x10000, 1024, false);
        prd(0, 1, 0x12000, 1024, true);
        dma(true, 0, 0, 4);
        assertImage(0, 2, 0x10000);
        assertThat(bmStatus() & (BM_STAT_INTR | BM_STAT_ACTIVE | BM_STAT_ERROR)).isEqualTo(BM_STAT_INTR | BM_STAT_ERROR);
        int st = status();
        assertThat(st & Platform.ATA_ERR).isNotZero();
        assertThat(disk.read(ATA0 + Platform.ATA_ERROR, 1) & Platform.ATA_ABRT).isNotZero();
        assertThat(disk.dmaRefused()).isEqualTo(1);
        disk.busMasterWrite(Platform.BM_STATUS, 1, BM_STAT_INTR | BM_STAT_ERROR);
        assertThat(bmStatus() & (BM_STAT_INTR | BM_STAT_ERROR)).as("write 1 to clear").isZero();
    }

    @Test
    @DisplayName("device-to-memory into a page the guest may not write (a page table's) is refused; so is a PRD table "
            + "in a foreign page, and an entry crossing a 64 KiB boundary")
    void shouldRefuseReadOnlyForeignTablesAndCrossings() {
        readOnly.set(0x10);
        prd(0, 0, 0x10000, 512, true);
        dma(true, 0, 0, 1);
        assertThat(bmStatus() & BM_STAT_ERROR).isNotZero();
        assertThat(memory[0x10000]).isZero();

        foreign.set(0x7);
        dma(true, 0x7000, 0, 1);
        assertThat(bmStatus() & (BM_STAT_ERROR | BM_STAT_ACTIVE)).isEqualTo(BM_STAT_ERROR);

        prd(0x8000, 0, 0x1FF00, 512, true); // 0x1FF00 + 512 crosses 0x20000
        dma(true, 0x8000, 0, 1);
        assertThat(bmStatus() & BM_STAT_ERROR).isNotZero();
        assertThat(memory[0x1FF00]).isZero();
        assertThat(disk.dmaRefused()).isEqualTo(3);
    }

    @Test
    @DisplayName("with bus mastering off in the PCI command register nothing moves: active set, no interrupt, the "
            + "command waits with DRQ; enabling it and starting again runs the transfer")
    void shouldNotMasterTheBusWhenDisabled() {
        enableMastering(false);
        prd(0, 0, 0x10000, 512, true);
        dma(true, 0, 3, 1);
        assertThat(memory[0x10000 + 1]).isZero();
        assertThat(bmStatus() & (BM_STAT_INTR | BM_STAT_ACTIVE)).isEqualTo(BM_STAT_ACTIVE);
        assertThat(status() & Platform.ATA_DRQ).isNotZero();
        assertThat(disk.dmaTransfers()).isZero();
        enableMastering(true);
        disk.busMasterWrite(Platform.BM_COMMAND, 1, BM_CMD_WRITE);
        disk.busMasterWrite(Platform.BM_COMMAND, 1, BM_CMD_WRITE | BM_CMD_START);
        assertImage(3, 1, 0x10000);
        assertThat(bmStatus() & (BM_STAT_INTR | BM_STAT_ACTIVE)).isEqualTo(BM_STAT_INTR);
    }

    @Test
    @DisplayName("a direction bit that does not match the command (write-to-memory for WRITE DMA, and the reverse) is "
            + "refused with error and ABRT, and the image and memory are untouched")
    void shouldRefuseADirectionMismatch() throws IOException {
        prd(0, 0, 0x10000, 512, true);
        disk.busMasterWrite(Platform.BM_PRDT, 4, 0);
        command(Platform.ATA_CMD_WRITE_DMA, 0, 1);
        disk.busMasterWrite(Platform.BM_COMMAND, 1, BM_CMD_WRITE | BM_CMD_START);
        assertThat(bmStatus() & (BM_STAT_ERROR | BM_STAT_INTR | BM_STAT_ACTIVE)).isEqualTo(BM_STAT_ERROR | BM_STAT_INTR);
        assertThat(status() & Platform.ATA_ERR).isNotZero();
        ByteBuffer got = ByteBuffer.allocate(512);
        channel.read(got, 0);
        assertThat(got.array()).isEqualTo(java.util.Arrays.copyOfRange(image, 0, 512));

        disk.busMasterWrite(Platform.BM_COMMAND, 1, 0);
        disk.busMasterWrite(Platform.BM_STATUS, 1, BM_STAT_ERROR | BM_STAT_INTR);
        command(Platform.ATA_CMD_READ_DMA, 0, 1);
        disk.busMasterWrite(Platform.BM_COMMAND, 1, BM_CMD_START);
        assertThat(bmStatus() & BM_STAT_ERROR).isNotZero();
        assertThat(memory[0x10001]).isZero();
    }

    @Test
    @DisplayName("start before the command (QEMU's order-independence): the transfer runs when the command arrives; "
            + "READ DMA EXT with LBA48 works the same")
    void shouldStartEitherWay() {
        prd(0, 0, 0x40000, 2 * 512, true);
        disk.busMasterWrite(Platform.BM_PRDT, 4, 0);
        disk.busMasterWrite(Platform.BM_COMMAND, 1, BM_CMD_WRITE | BM_CMD_START);
        out(Platform.ATA_DEVICE, Platform.ATA_DEV_LBA);
        out(Platform.ATA_NSECT, 0);
        out(Platform.ATA_LBAL, 0);
        out(Platform.ATA_LBAM, 0);
        out(Platform.ATA_LBAH, 0);
        out(Platform.ATA_NSECT, 2);
        out(Platform.ATA_LBAL, 100);
        out(Platform.ATA_LBAM, 0);
        out(Platform.ATA_LBAH, 0);
        out(Platform.ATA_STATUS, Platform.ATA_CMD_READ_DMA_EXT);
        assertImage(100, 2, 0x40000);
        assertThat(bmStatus() & (BM_STAT_INTR | BM_STAT_ACTIVE)).isEqualTo(BM_STAT_INTR);
    }

    @Test
    @DisplayName("a table of 512 entries without EOT ends there: the 513th is never read")
    void shouldBoundTheTable() {
        for (int i = 0; i < AtaDisk.MAX_PRD; i++) {
            prd(0, i, 0x10000, 2, false);
        }
        prd(0, AtaDisk.MAX_PRD, 0x20000, 0, true); // would cover the rest, if read
        dma(true, 0, 0, 4);
        assertThat(memory[0x20000 + 1]).isZero();
        assertThat(bmStatus() & (BM_STAT_INTR | BM_STAT_ACTIVE)).as("table exhausted before the transfer").isZero();
    }

    @Test
    @DisplayName("IDENTIFY says DMA (word 49 bit 8), multiword DMA 0-2 (63) and UDMA 0-5 (88); SET FEATURES selects a "
            + "mode, which IDENTIFY then shows")
    void shouldIdentifyDmaModes() {
        out(Platform.ATA_ERROR, Platform.ATA_SETFEATURES_XFER);
        out(Platform.ATA_NSECT, 0x45);
        out(Platform.ATA_STATUS, Platform.ATA_CMD_SET_FEATURES);
        assertThat(status() & Platform.ATA_ERR).isZero();
        out(Platform.ATA_STATUS, Platform.ATA_CMD_IDENTIFY);
        int[] w = new int[256];
        for (int i = 0; i < 256; i++) {
            w[i] = (int) disk.read(ATA0, 2);
        }
        assertThat(w[Platform.ATA_ID_CAPABILITY] & Platform.ATA_ID_DMA).isNotZero();
        assertThat(w[Platform.ATA_ID_MWDMA_MODES]).isEqualTo(0x0007);
        assertThat(w[Platform.ATA_ID_UDMA_MODES]).isEqualTo(0x203F);
        assertThat(w[53] & 0x4).as("word 88 valid").isNotZero();
        out(Platform.ATA_ERROR, Platform.ATA_SETFEATURES_XFER);
        out(Platform.ATA_NSECT, 0x50);
        out(Platform.ATA_STATUS, Platform.ATA_CMD_SET_FEATURES);
        assertThat(status() & Platform.ATA_ERR).as("no such mode").isNotZero();
    }

    @Test
    @DisplayName("PCI configuration mechanism #1: 00:01.1 is 8086:7010, class 01:01:80; BAR4 sizes as a 16-byte I/O "
            + "BAR and moves the bus-master block; 00:00.0 and 00:01.0 answer; other functions and a clear enable bit read "
            + "all ones")
    void shouldAnswerPciConfiguration() {
        int ide = Platform.PCI_CONFIG_ENABLE | Platform.PIIX3_IDE_DEVFN << 8;
        pci.write(Platform.PCI_CONFIG_ADDRESS, 4, ide);
        assertThat(pci.read(Platform.PCI_CONFIG_DATA, 4)).isEqualTo(0x7010_8086L);
        pci.write(Platform.PCI_CONFIG_ADDRESS, 4, ide | Platform.PCI_CLASS_REVISION);
        assertThat(pci.read(Platform.PCI_CONFIG_DATA, 4) >>> 8).isEqualTo(0x01_01_80L);
        assertThat(pci.read(Platform.PCI_CONFIG_DATA + 3, 1)).isEqualTo(0x01);
        pci.write(Platform.PCI_CONFIG_ADDRESS, 4, ide | Platform.PCI_BAR4);
        assertThat(pci.read(Platform.PCI_CONFIG_DATA, 4)).isEqualTo(Platform.BMIDE_BASE | 1L);
        assertThat(pci.busMasterOffset(Platform.BMIDE_BASE + 2)).isEqualTo(2);
        pci.write(Platform.PCI_CONFIG_DATA, 4, 0xFFFF_FFFFL);
        assertThat(pci.read(Platform.PCI_CONFIG_DATA, 4)).isEqualTo(0x0000_FFF1L);
        pci.write(Platform.PCI_CONFIG_DATA, 4, 0xD000);
        assertThat(pci.busMasterOffset(0xD004)).isEqualTo(4);
        assertThat(pci.busMasterOffset(Platform.BMIDE_BASE)).isEqualTo(-1);
        pci.write(Platform.PCI_CONFIG_ADDRESS, 4, Platform.PCI_CONFIG_ENABLE | 1 << 11); // 00:01.0
        assertThat(pci.read(Platform.PCI_CONFIG_DATA, 4)).isEqualTo(0x7000_8086L);
        pci.write(Platform.PCI_CONFIG_ADDRESS, 4, Platform.PCI_CONFIG_ENABLE | 1 << 11 | 0xC);
        assertThat(pci.read(Platform.PCI_CONFIG_DATA + 2, 1) & 0x80).as("multi-function").isEqualTo(0x80);
        pci.write(Platform.PCI_CONFIG_ADDRESS, 4, Platform.PCI_CONFIG_ENABLE | 2 << 11);
        assertThat(pci.read(Platform.PCI_CONFIG_DATA, 4)).isEqualTo(0xFFFF_FFFFL);
        pci.write(Platform.PCI_CONFIG_ADDRESS, 4, Platform.PCI_CONFIG_ENABLE | 1 << 16 | 1 << 11 | 1 << 8);
        assertThat(pci.read(Platform.PCI_CONFIG_DATA, 2)).as("bus 1").isEqualTo(0xFFFFL);
        pci.write(Platform.PCI_CONFIG_ADDRESS, 4, Platform.PIIX3_IDE_DEVFN << 8);
        assertThat(pci.read(Platform.PCI_CONFIG_DATA, 4)).as("enable bit clear").isEqualTo(0xFFFF_FFFFL);
        pci.write(Platform.PCI_CONFIG_ADDRESS, 4, ide | Platform.PCI_COMMAND);
        pci.write(Platform.PCI_CONFIG_DATA, 2, 0);
        assertThat(pci.busMasterOffset(0xD000)).as("I/O decoding off").isEqualTo(-1);
        assertThat(PciHostBridge.claims(Platform.RESET_CONTROL, 1)).as("0xCF9 stays the reset register").isFalse();
    }
}
