package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parasol.hypercall.x86.Registers.RAX;
import static org.parasol.hypercall.x86.Registers.RDX;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.parasol.hypercall.StartOfDay;
import org.parasol.hypercall.struct.StartInfo;
import org.parasol.hypercall.x86.Encoder;
import org.parasol.hypercall.x86.Instruction;
import org.parasol.hypercall.x86.Platform;
import org.parasol.hypercall.x86.RegisterFile;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.domain.DomainState;
import org.parasol.hypervisor.domain.Virtualization;
import org.parasol.hypervisor.domain.VmExits;
import org.parasol.hypervisor.hvm.AtaDisk;
import org.parasol.hypervisor.hvm.ExitReason;
import org.parasol.hypervisor.testing.LeakCheck;
import org.parasol.hypervisor.time.ManualClock;

/**
 * Bus-master DMA from a native domain through real {@code in}/{@code out} bytes: PCI
 * configuration mechanism #1 at {@code 0xCF8}/{@code 0xCFC} ({@code out dx, eax}), the
 * bus-master block at BAR4, READ/WRITE DMA into and out of the domain's own frames, and the
 * domain's IOMMU refusing another domain's frame, its own page table and the hypervisor's
 * {@code shared_info} — with a bystander domain's memory checked untouched.
 */
class AtaDmaTrapTest {
    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    private Hypervisor hv;
    private BareGuest g;
    private BareGuest bystander;
    private RegisterFile regs;
    private FileChannel image;
    private GuestCode code;
    private long outAt;
    private long outlAt;
    private long inlAt;
    private long inAt;
    private int bm;

    private void boot(Path dir, Virtualization virt) throws Exception {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(64L << 20).withClock(new ManualClock()).withPcpus(1)));
        g = BareGuest.create(hv, new DomainConfig("ata", 8192, 8192, 1, null, "", false, DomainConfig.Action.PRESERVE,
                DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE, virt));
        bystander = BareGuest.create(hv, "bystander", 8192);
        regs = g.cpu.registers();
        Path file = dir.resolve("disk.img");
        ByteBuffer b = ByteBuffer.allocate(64 * 512);
        for (int i = 0; i < b.capacity(); i++) {
            b.put(i, (byte) (i * 13 + 1));
        }
        Files.write(file, b.array());
        image = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        assertThat(g.domain.attachAta(new AtaDisk(image, 64, false))).isZero();
        code = new GuestCode(g);
        outAt = code.put(Encoder.out(code.buf(), 0, 1, Instruction.NONE));
        outlAt = code.put(Encoder.out(code.buf(), 0, 4, Instruction.NONE));
        inlAt = code.put(Encoder.in(code.buf(), 0, 4, Instruction.NONE));
        inAt = code.put(Encoder.in(code.buf(), 0, 1, Instruction.NONE));
        for (long va = bystander.scratch2; va < bystander.scratch2 + 4096; va += 8) {
            bystander.mem.putLong(va, 0x5A5A_5A5A_5A5A_5A5AL);
        }
    }

    @AfterEach
    void close() {
        if (hv == null) {
            return;
        }
        assertThat(hv.unhandledExceptions()).isZero();
        hv.close();
    }

    private void out(int port, long value, long at) {
        regs.set(RDX, port);
        regs.set(RAX, value);
        regs.rip(at);
        g.cpu.execute(1);
    }

    private long in(int port, long at) {
        regs.set(RDX, port);
        regs.rip(at);
        g.cpu.execute(1);
        return regs.get(RAX) & 0xFFFF_FFFFL;
    }

    /** The machine address of {@code va} in {@code guest}'s linear map, from its P2M list. */
    private static long maddr(BareGuest guest, long va) {
        StartInfo si = new StartInfo().wrap(new org.parasol.hypercall.GuestMemoryBuffer(guest.mem,
                guest.domain.startInfoVa(), StartInfo.SIZE), 0);
        long pfn = (va - StartOfDay.VIRT_BASE) >>> 12;
        return guest.mem.getLong(si.mfnList() + 8 * pfn) << 12 | va & 0xFFF;
    }

    private void config(int reg, long value, boolean write) {
        out(Platform.PCI_CONFIG_ADDRESS, Platform.PCI_CONFIG_ENABLE | Platform.PIIX3_IDE_DEVFN << 8 | reg, outlAt);
        if (write) {
            out(Platform.PCI_CONFIG_DATA, value, outlAt);
        }
    }

    /** Finds the IDE function, takes BAR4's base and enables I/O and bus mastering, as the driver does. */
    private void findBusMaster() {
        config(Platform.PCI_VENDOR_ID, 0, false);
        assertThat(in(Platform.PCI_CONFIG_DATA, inlAt)).isEqualTo(0x7010_8086L);
        config(Platform.PCI_BAR4, 0, false);
        bm = (int) in(Platform.PCI_CONFIG_DATA, inlAt) & 0xFFF0;
        assertThat(bm).isEqualTo(Platform.BMIDE_BASE);
        config(Platform.PCI_COMMAND, Platform.PCI_COMMAND_IO | Platform.PCI_COMMAND_MASTER, true);
    }

    private void prd(long va, int i, long base, int count, boolean eot) {
        g.mem.putInt(va + 8L * i, (int) base);
        g.mem.putInt(va + 8L * i + 4, count & 0xFFFF | (eot ? Platform.PRD_EOT : 0));
    }

    private void readDma(long tableVa, int lba, int count) {
        out(bm + Platform.BM_PRDT, maddr(g, tableVa), outlAt);
        out(bm + Platform.BM_COMMAND, Platform.BM_CMD_WRITE, outAt);
        out(bm + Platform.BM_STATUS, Platform.BM_STAT_INTR | Platform.BM_STAT_ERROR, outAt);
        out(Platform.ATA0 + Platform.ATA_DEVICE, Platform.ATA_DEV_LBA, outAt);
        out(Platform.ATA0 + Platform.ATA_NSECT, count, outAt);
        out(Platform.ATA0 + Platform.ATA_LBAL, lba, outAt);
        out(Platform.ATA0 + Platform.ATA_LBAM, 0, outAt);
        out(Platform.ATA0 + Platform.ATA_LBAH, 0, outAt);
        out(Platform.ATA0 + Platform.ATA_STATUS, Platform.ATA_CMD_READ_DMA, outAt);
        out(bm + Platform.BM_COMMAND, Platform.BM_CMD_WRITE | Platform.BM_CMD_START, outAt);
    }

    private int bmStatus() {
        return (int) in(bm + Platform.BM_STATUS, inAt) & 0xFF;
    }

    @ParameterizedTest
    @EnumSource(value = Virtualization.class, names = {"TRAP", "BARE"})
    @DisplayName("READ DMA of 16 sectors through two PRD entries in the domain's own pages: the sectors land, the bus "
            + "master says interrupt; under trap the whole request is 10 I/O exits (PIO takes about 4 a sector)")
    void shouldReadIntoOwnFrames(Virtualization virt, @TempDir Path dir) throws Exception {
        boot(dir, virt);
        findBusMaster();
        long table = g.scratch2;
        long data = g.scratch2 + 4096;
        prd(table, 0, maddr(g, data), 4096, false);
        prd(table, 1, maddr(g, data + 4096), 4096, true);
        VmExits exits = g.domain.vcpu(0).vmExits();
        long before = exits.exits(ExitReason.IO_INSTRUCTION);
        readDma(table, 8, 16);
        long taken = exits.exits(ExitReason.IO_INSTRUCTION) - before;
        if (virt == Virtualization.TRAP) {
            assertThat(taken).as("I/O exits for one 8 KiB request").isEqualTo(10);
        } else {
            assertThat(taken).as("the bare machine takes none").isZero();
        }
        ByteBuffer want = ByteBuffer.allocate(16 * 512);
        image.read(want, 8 * 512);
        for (int i = 0; i < 16 * 512; i++) {
            assertThat(g.mem.getByte(data + i)).as("byte %d", i).isEqualTo(want.get(i));
        }
        assertThat(bmStatus() & 0x07).isEqualTo(Platform.BM_STAT_INTR);
        assertThat(g.domain.ata().dmaTransfers()).isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(value = Virtualization.class, names = {"TRAP"})
    @DisplayName("the IOMMU refuses another domain's frame, the domain's own L4 table and the hypervisor's shared_info "
            + "page: error and interrupt, ATA ABRT; the bystander's page, the table and shared_info are unchanged and "
            + "both domains run on")
    void shouldRefuseWhatIsNotTheDomainsToWrite(Virtualization virt, @TempDir Path dir) throws Exception {
        boot(dir, virt);
        findBusMaster();
        StartInfo si = new StartInfo().wrap(new org.parasol.hypercall.GuestMemoryBuffer(g.mem,
                g.domain.startInfoVa(), StartInfo.SIZE), 0);
        long l4 = si.ptBase();
        long sharedInfo = si.sharedInfo();
        long[] targets = {maddr(bystander, bystander.scratch2), maddr(g, l4), sharedInfo};
        long l4Before = g.mem.getLong(l4);
        long table = g.scratch2;
        for (long target : targets) {
            prd(table, 0, target, 512, true);
            readDma(table, 1, 1);
            assertThat(bmStatus() & 0x07).as("error and interrupt for %x", target)
                    .isEqualTo(Platform.BM_STAT_ERROR | Platform.BM_STAT_INTR);
            assertThat(in(Platform.ATA0 + Platform.ATA_ERROR, inAt) & Platform.ATA_ABRT).isNotZero();
            out(bm + Platform.BM_COMMAND, 0, outAt);
        }
        for (long va = bystander.scratch2; va < bystander.scratch2 + 4096; va += 8) {
            assertThat(bystander.mem.getLong(va)).isEqualTo(0x5A5A_5A5A_5A5A_5A5AL);
        }
        assertThat(g.mem.getLong(l4)).isEqualTo(l4Before);
        assertThat(g.domain.ata().dmaRefused()).isEqualTo(3);
        assertThat(g.domain.state()).isEqualTo(DomainState.RUNNING);
        assertThat(bystander.domain.state()).isEqualTo(DomainState.RUNNING);
    }
}
