package org.parasol.hypervisor.hvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parasol.hypercall.x86.Platform.ATA0;
import static org.parasol.hypercall.x86.Platform.ATA0_CTL;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.x86.Platform;

class AtaDiskTest {
    private static final int SECTORS = 64;
    private Path file;
    private FileChannel channel;
    private AtaDisk disk;

    @BeforeEach
    void open() throws IOException {
        file = Files.createTempFile("ata", ".img");
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(SECTORS * 512);
            for (int i = 0; i < SECTORS * 512; i++) {
                b.put((byte) (i * 7 + i / 512));
            }
            c.write(b.flip(), 0);
        }
        channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        disk = new AtaDisk(channel, SECTORS, false);
    }

    @AfterEach
    void close() throws IOException {
        disk.close();
        Files.deleteIfExists(file);
    }

    private int status() {
        return (int) disk.read(ATA0 + Platform.ATA_STATUS, 1);
    }

    private void out(int reg, int v) {
        disk.write(ATA0 + reg, 1, v);
    }

    private void lba28(int cmd, long lba, int count) {
        out(Platform.ATA_DEVICE, Platform.ATA_DEV_LBA | (int) (lba >>> 24 & 0x0F));
        out(Platform.ATA_NSECT, count);
        out(Platform.ATA_LBAL, (int) lba & 0xFF);
        out(Platform.ATA_LBAM, (int) (lba >>> 8) & 0xFF);
        out(Platform.ATA_LBAH, (int) (lba >>> 16) & 0xFF);
        out(Platform.ATA_STATUS, cmd);
    }

    private void lba48(int cmd, long lba, int count) {
        out(Platform.ATA_DEVICE, Platform.ATA_DEV_LBA);
        out(Platform.ATA_NSECT, count >>> 8 & 0xFF);
        out(Platform.ATA_LBAL, (int) (lba >>> 24) & 0xFF);
        out(Platform.ATA_LBAM, (int) (lba >>> 32) & 0xFF);
        out(Platform.ATA_LBAH, (int) (lba >>> 40) & 0xFF);
        out(Platform.ATA_NSECT, count & 0xFF);
        out(Platform.ATA_LBAL, (int) lba & 0xFF);
        out(Platform.ATA_LBAM, (int) (lba >>> 8) & 0xFF);
        out(Platform.ATA_LBAH, (int) (lba >>> 16) & 0xFF);
        out(Platform.ATA_STATUS, cmd);
    }

    private byte[] readWords(int sectors) {
        byte[] b = new byte[sectors * 512];
        for (int i = 0; i < b.length; i += 2) {
            int w = (int) disk.read(ATA0, 2);
            b[i] = (byte) w;
            b[i + 1] = (byte) (w >>> 8);
        }
        return b;
    }

    private byte[] fileBytes(long sector, int sectors) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(sectors * 512);
        channel.read(b, sector * 512);
        return b.array();
    }

    @Test
    @DisplayName("after power-on the device shows the ATA signature (count 1, LBA 1/0/0) and is ready, not busy")
    void shouldShowTheSignature() {
        assertThat(disk.read(ATA0 + Platform.ATA_NSECT, 1)).isEqualTo(1);
        assertThat(disk.read(ATA0 + Platform.ATA_LBAL, 1)).isEqualTo(1);
        assertThat(disk.read(ATA0 + Platform.ATA_LBAM, 1)).isZero();
        assertThat(disk.read(ATA0 + Platform.ATA_LBAH, 1)).isZero();
        assertThat(status()).isEqualTo(Platform.ATA_DRDY | Platform.ATA_DSC);
    }

    @Test
    @DisplayName("IDENTIFY DEVICE: 256 words with the sector count in words 60-61 and 100-103, LBA48 and FLUSH CACHE "
            + "in word 83, and a word 255 whose bytes sum to zero")
    void shouldIdentify() {
        out(Platform.ATA_DEVICE, 0);
        out(Platform.ATA_STATUS, Platform.ATA_CMD_IDENTIFY);
        assertThat(status() & (Platform.ATA_DRQ | Platform.ATA_BSY | Platform.ATA_ERR)).isEqualTo(Platform.ATA_DRQ);
        byte[] id = readWords(1);
        assertThat(status() & Platform.ATA_DRQ).isZero();
        ByteBuffer w = ByteBuffer.wrap(id).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        assertThat(w.getShort(0) & 0x8000).as("an ATA device").isZero();
        assertThat(w.getInt(2 * Platform.ATA_ID_LBA_CAPACITY)).isEqualTo(SECTORS);
        assertThat(w.getLong(2 * Platform.ATA_ID_LBA_CAPACITY_2)).isEqualTo(SECTORS);
        assertThat(w.getShort(2 * Platform.ATA_ID_COMMAND_SET_2) & (Platform.ATA_ID_LBA48 | 1 << 12 | 1 << 13))
                .isEqualTo(Platform.ATA_ID_LBA48 | 1 << 12 | 1 << 13);
        assertThat(new String(id, 54, 8, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("aParos l");
        int sum = 0;
        for (byte b : id) {
            sum += b & 0xFF;
        }
        assertThat(id[510] & 0xFF).isEqualTo(0xA5);
        assertThat(sum & 0xFF).isZero();
    }

    @Test
    @DisplayName("READ SECTORS moves each sector through DRQ, 256 words, and ends with DRQ clear")
    void shouldReadSectors() throws IOException {
        lba28(Platform.ATA_CMD_READ, 5, 3);
        assertThat(status() & Platform.ATA_DRQ).isNotZero();
        assertThat(readWords(3)).isEqualTo(fileBytes(5, 3));
        assertThat(status()).isEqualTo(Platform.ATA_DRDY | Platform.ATA_DSC);
        assertThat(disk.read(ATA0, 2)).as("no word beyond DRQ").isZero();
        assertThat(disk.sectorsRead()).isEqualTo(3);
    }

    @Test
    @DisplayName("WRITE SECTORS EXT takes its 48-bit address and count from the registers' previous and current bytes")
    void shouldWriteWithLba48() throws IOException {
        lba48(Platform.ATA_CMD_WRITE_EXT, 62, 2);
        byte[] data = new byte[1024];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i ^ 0x5A);
        }
        for (int i = 0; i < data.length; i += 4) {
            assertThat(status() & Platform.ATA_DRQ).isNotZero();
            long v = data[i] & 0xFFL | (data[i + 1] & 0xFFL) << 8 | (data[i + 2] & 0xFFL) << 16 | (data[i + 3] & 0xFFL) << 24;
            disk.write(ATA0, 4, v); // a 32-bit access moves two words
        }
        assertThat(status()).isEqualTo(Platform.ATA_DRDY | Platform.ATA_DSC);
        assertThat(fileBytes(62, 2)).isEqualTo(data);
        lba48(Platform.ATA_CMD_READ_EXT, 62, 2);
        assertThat(readWords(2)).isEqualTo(data);
    }

    @Test
    @DisplayName("with HOB set in device control the LBA registers read back their previous (high-order) bytes")
    void shouldReadPreviousBytesWithHob() {
        out(Platform.ATA_LBAL, 0x11);
        out(Platform.ATA_LBAL, 0x22);
        disk.write(ATA0_CTL, 1, Platform.ATA_HOB | Platform.ATA_NIEN);
        assertThat(disk.read(ATA0 + Platform.ATA_LBAL, 1)).isEqualTo(0x11);
        disk.write(ATA0_CTL, 1, Platform.ATA_NIEN);
        assertThat(disk.read(ATA0 + Platform.ATA_LBAL, 1)).isEqualTo(0x22);
    }

    @Test
    @DisplayName("a range past the end of the image is aborted with IDNF; nothing is read or written")
    void shouldRefuseAnAddressOutsideTheImage() {
        lba28(Platform.ATA_CMD_READ, SECTORS - 1, 2);
        assertThat(status() & (Platform.ATA_ERR | Platform.ATA_DRQ)).isEqualTo(Platform.ATA_ERR);
        assertThat(disk.read(ATA0 + Platform.ATA_ERROR, 1) & Platform.ATA_IDNF).isNotZero();
        lba48(Platform.ATA_CMD_WRITE_EXT, 1L << 40, 1);
        assertThat(status() & Platform.ATA_ERR).isNotZero();
        assertThat(disk.sectorsRead() + disk.sectorsWritten()).isZero();
    }

    @Test
    @DisplayName("FLUSH CACHE completes without error; an unknown command is aborted (ERR, ABRT)")
    void shouldFlushAndAbortTheUnknown() {
        out(Platform.ATA_DEVICE, Platform.ATA_DEV_LBA);
        out(Platform.ATA_STATUS, Platform.ATA_CMD_FLUSH_EXT);
        assertThat(status() & Platform.ATA_ERR).isZero();
        assertThat(disk.flushes()).isEqualTo(1);
        out(Platform.ATA_STATUS, 0xC4); // READ MULTIPLE: word 47 says it is not supported
        assertThat(status() & Platform.ATA_ERR).isNotZero();
        assertThat(disk.read(ATA0 + Platform.ATA_ERROR, 1)).isEqualTo(Platform.ATA_ABRT);
    }

    @Test
    @DisplayName("a read-only disk aborts WRITE SECTORS")
    void shouldRefuseWritesWhenReadOnly() throws IOException {
        try (AtaDisk ro = new AtaDisk(FileChannel.open(file, StandardOpenOption.READ), SECTORS, true)) {
            ro.write(ATA0 + Platform.ATA_DEVICE, 1, Platform.ATA_DEV_LBA);
            ro.write(ATA0 + Platform.ATA_NSECT, 1, 1);
            ro.write(ATA0 + Platform.ATA_STATUS, 1, Platform.ATA_CMD_WRITE);
            assertThat(ro.read(ATA0 + Platform.ATA_STATUS, 1) & (Platform.ATA_ERR | Platform.ATA_DRQ))
                    .isEqualTo(Platform.ATA_ERR);
        }
    }

    @Test
    @DisplayName("device 1 is absent: its status reads 0 and it takes no command")
    void shouldHaveNoDevice1() {
        out(Platform.ATA_DEVICE, Platform.ATA_DEV1);
        assertThat(status()).isZero();
        out(Platform.ATA_STATUS, Platform.ATA_CMD_IDENTIFY);
        assertThat(disk.commands()).isZero();
    }

    @Test
    @DisplayName("SRST ends a transfer: busy while asserted, the signature and ready once released")
    void shouldResetOnSrst() {
        lba28(Platform.ATA_CMD_READ, 0, 4);
        disk.write(ATA0_CTL, 1, Platform.ATA_SRST);
        assertThat(disk.read(ATA0_CTL, 1) & Platform.ATA_BSY).isNotZero();
        disk.write(ATA0_CTL, 1, 0);
        assertThat(status()).isEqualTo(Platform.ATA_DRDY | Platform.ATA_DSC);
        assertThat(disk.read(ATA0 + Platform.ATA_NSECT, 1)).isEqualTo(1);
        assertThat(disk.read(ATA0, 2)).isZero();
    }

    @Test
    @DisplayName("INTRQ is raised when a sector is ready, cleared by reading status, and masked by nIEN")
    void shouldKeepIntrq() {
        lba28(Platform.ATA_CMD_READ, 0, 1);
        assertThat(disk.interruptPending()).isTrue();
        disk.read(ATA0_CTL, 1);
        assertThat(disk.interruptPending()).as("alternate status leaves it").isTrue();
        status();
        assertThat(disk.interruptPending()).isFalse();
        disk.write(ATA0_CTL, 1, Platform.ATA_NIEN);
        readWords(1);
        assertThat(disk.interruptPending()).isFalse();
    }

    @Test
    @DisplayName("I/O on a closed image is an error the guest sees (ERR), not an exception in the hypervisor")
    void shouldReportIoErrorsAsErr() {
        disk.close();
        lba28(Platform.ATA_CMD_READ, 0, 1);
        assertThat(status() & Platform.ATA_ERR).isNotZero();
        assertThat(disk.read(ATA0 + Platform.ATA_ERROR, 1) & Platform.ATA_UNC).isNotZero();
        out(Platform.ATA_STATUS, Platform.ATA_CMD_FLUSH);
        assertThat(status() & Platform.ATA_ERR).isNotZero();
    }

    @Property(tries = 200)
    @Label("a hostile guest may write any byte to any of the disk's ports at any size, in any order: nothing throws, "
            + "nothing outside the image is touched, and the disk stays answerable")
    void shouldSurviveHostilePortSequences(@ForAll("accesses") java.util.List<Tuple.Tuple4<Integer, Integer, Long, Boolean>> seq)
            throws IOException {
        Path f = Files.createTempFile("ata-hostile", ".img");
        try (FileChannel c = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE);
                AtaDisk d = new AtaDisk(c, 8, false)) {
            c.write(ByteBuffer.allocate(8 * 512), 0);
            for (Tuple.Tuple4<Integer, Integer, Long, Boolean> a : seq) {
                if (a.get4()) {
                    long v = d.read(a.get1(), a.get2());
                    assertThat(v).isBetween(0L, a.get2() == 4 ? 0xFFFF_FFFFL : (1L << (8 * a.get2())) - 1);
                } else {
                    d.write(a.get1(), a.get2(), a.get3());
                }
            }
            assertThat(c.size()).as("the image never grows").isEqualTo(8 * 512);
            d.write(ATA0_CTL, 1, Platform.ATA_SRST);
            d.write(ATA0_CTL, 1, 0);
            assertThat(d.read(ATA0 + Platform.ATA_STATUS, 1) & Platform.ATA_DRDY).isNotZero();
        } finally {
            Files.deleteIfExists(f);
        }
    }

    @Provide
    Arbitrary<java.util.List<Tuple.Tuple4<Integer, Integer, Long, Boolean>>> accesses() {
        Arbitrary<Integer> port = Arbitraries.oneOf(Arbitraries.integers().between(ATA0, ATA0 + 7),
                Arbitraries.just(ATA0_CTL), Arbitraries.integers().between(0, 0xFFFF));
        Arbitrary<Integer> size = Arbitraries.of(1, 2, 4);
        Arbitrary<Long> value = Arbitraries.oneOf(Arbitraries.longs(),
                Arbitraries.of((long) Platform.ATA_CMD_READ, (long) Platform.ATA_CMD_WRITE_EXT,
                        (long) Platform.ATA_CMD_IDENTIFY, (long) Platform.ATA_DEV_LBA, 0L, 0xFFL),
                Arbitraries.longs().between(0, 0xFF));
        return Combinators.combine(port, size, value, Arbitraries.of(true, false)).as(Tuple::of).list().ofMaxSize(600);
    }
}
