package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parasol.hypercall.x86.Registers.RAX;
import static org.parasol.hypercall.x86.Registers.RDX;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;
import org.parasol.hypercall.GuestAbort;
import org.parasol.hypercall.GuestMemoryBuffer;
import org.parasol.hypercall.StartOfDay;
import org.parasol.hypercall.struct.StartInfo;
import org.parasol.hypercall.x86.Encoder;
import org.parasol.hypercall.x86.Instruction;
import org.parasol.hypercall.x86.Platform;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.domain.DomainState;
import org.parasol.hypervisor.domain.Virtualization;
import org.parasol.hypervisor.hvm.AtaDisk;
import org.parasol.hypervisor.testing.LeakCheck;
import org.parasol.hypervisor.time.ManualClock;

/**
 * A hostile native kernel with a disk: random PRD tables (its own pages, its own page table,
 * another domain's pages, the hypervisor's shared_info, random and edge addresses, any count,
 * EOT or not) and random register sequences on the bus-master block, the ATA ports and PCI
 * configuration, all through real {@code in}/{@code out} instructions under trap, with whole
 * DMA commands mixed in. The hypervisor throws nothing, the bystander's memory and the guest's
 * own L4 table stay as they were, and nothing but (at most) the hostile domain is harmed.
 */
class AtaDmaHostileProperty {
    private static final LeakCheck LEAKS = new LeakCheck();
    private static final long PATTERN = 0x5A5A_5A5A_5A5A_5A5AL;
    private static Hypervisor hv;
    private static BareGuest bystander;
    private static Path image;
    private static int created;

    @BeforeContainer
    static void boot() throws Exception {
        hv = LEAKS.track(Hypervisor.boot(HostConfig.defaults(64L << 20).withClock(new ManualClock()).withPcpus(1)));
        bystander = BareGuest.create(hv, "bystander", 8192);
        for (long va = bystander.scratch; va < bystander.scratch2 + 4096; va += 8) {
            bystander.mem.putLong(va, PATTERN);
        }
        image = Files.createTempFile("atadma-hostile", ".img");
        Files.write(image, new byte[256 * 512]);
    }

    @AfterContainer
    static void close() throws Exception {
        hv.close();
        LEAKS.verify();
        Files.deleteIfExists(image);
    }

    /** One PRD entry: where its base points (0-7), an offset or random bits, its count, EOT. */
    record Prd(int index, int target, long bits, int count, boolean eot) {
    }

    /** One step: 0 a PRD entry, 1 a port write, 2 a port read, 3 a whole DMA command. */
    record Step(int kind, Prd prd, int port, int size, long value, boolean read, int lba, int count) {
    }

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Prd> prd = Combinators.combine(Arbitraries.integers().between(0, 7), Arbitraries.integers().between(0, 7),
                Arbitraries.longs(), Arbitraries.oneOf(Arbitraries.of(0, 1, 2, 512, 4096, 0xFFFE, 0xFFFF),
                        Arbitraries.integers().between(0, 0xFFFF)), Arbitraries.of(true, false)).as(Prd::new);
        Arbitrary<Integer> port = Arbitraries.oneOf(
                Arbitraries.integers().between(Platform.BMIDE_BASE, Platform.BMIDE_BASE + 15),
                Arbitraries.integers().between(Platform.ATA0, Platform.ATA0 + 7),
                Arbitraries.of(Platform.ATA0_CTL, Platform.PCI_CONFIG_ADDRESS, Platform.PCI_CONFIG_DATA,
                        Platform.PCI_CONFIG_DATA + 1, Platform.PCI_CONFIG_DATA + 2, Platform.PCI_CONFIG_DATA + 3));
        Arbitrary<Long> value = Arbitraries.oneOf(Arbitraries.longs().between(0, 0xFFFF_FFFFL),
                Arbitraries.of(0x01L, 0x08L, 0x09L, 0x06L, 0xC8L, 0x25L, 0xCAL, 0x35L, 0x40L, 0x80000000L | 0x0904L,
                        0x80000000L | 0x0920L, 0x80000000L | 0x0900L, 0x5L, 0xFFFF_FFFFL));
        Arbitrary<Step> step = Combinators.combine(Arbitraries.integers().between(0, 3), prd, port,
                Arbitraries.of(1, 2, 4), value, Arbitraries.of(true, false), Arbitraries.integers().between(0, 300),
                Arbitraries.integers().between(0, 256)).as(Step::new);
        return step.list().ofMinSize(1).ofMaxSize(30);
    }

    @Property(tries = 40)
    @Label("random PRD tables and register sequences from a trap guest never throw in the hypervisor, never write a "
            + "frame the domain may not write, and harm no other domain")
    void shouldContainHostileDma(@ForAll("steps") List<Step> steps) throws Exception {
        BareGuest g = BareGuest.create(hv, new DomainConfig("hostile" + created++, 8192, 8192, 1, null, "", false,
                DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE,
                Virtualization.TRAP));
        FileChannel disk = FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            assertThat(g.domain.attachAta(new AtaDisk(disk, 256, false))).isZero();
            StartInfo si = new StartInfo().wrap(new GuestMemoryBuffer(g.mem, g.domain.startInfoVa(), StartInfo.SIZE), 0);
            long l4 = si.ptBase();
            long[] l4Before = new long[512];
            for (int i = 0; i < 512; i++) {
                l4Before[i] = g.mem.getLong(l4 + 8L * i);
            }
            long table = g.scratch2;
            long[] targets = {maddr(g, g.scratch2 + 4096), maddr(g, g.scratch2 + 8192), maddr(g, l4),
                maddr(bystander, bystander.scratch), maddr(bystander, bystander.scratch2), si.sharedInfo(),
                0xFFFF_F000L, 0};
            // Stubs: out dx, al/ax/eax and in al/ax/eax, at the first scratch page.
            byte[] b = new byte[32];
            int[] at = new int[6];
            int p = 0;
            for (int i = 0; i < 3; i++) {
                at[i] = p;
                p += put(g, p, b, Encoder.out(b, 0, 1 << i, Instruction.NONE));
            }
            for (int i = 0; i < 3; i++) {
                at[3 + i] = p;
                p += put(g, p, b, Encoder.in(b, 0, 1 << i, Instruction.NONE));
            }
            config(g, at, Platform.PCI_COMMAND, Platform.PCI_COMMAND_IO | Platform.PCI_COMMAND_MASTER);
            String ended = "no";
            try {
                for (Step s : steps) {
                    switch (s.kind()) {
                        case 0 -> {
                            Prd e = s.prd();
                            long base = e.target() < targets.length - 1 ? targets[e.target()] + (e.bits() & 0xFFE)
                                    : e.bits() & 0xFFFF_FFFFL;
                            g.mem.putInt(table + 8L * e.index(), (int) base);
                            g.mem.putInt(table + 8L * e.index() + 4, e.count() | (e.eot() ? Platform.PRD_EOT : 0));
                        }
                        case 1 -> io(g, at, s.port(), s.size(), s.value(), false);
                        case 2 -> io(g, at, s.port(), s.size(), 0, true);
                        default -> {
                            int sectors = s.count();
                            if (s.lba() % 3 == 0) {
                                // A table that may well be right: one EOT entry in the guest's own page.
                                sectors = 1 + s.count() % 8;
                                g.mem.putInt(table, (int) targets[0]);
                                g.mem.putInt(table + 4, sectors * 512 | Platform.PRD_EOT);
                            }
                            io(g, at, Platform.BMIDE_BASE + Platform.BM_PRDT, 4, maddr(g, table), false);
                            int dir = s.read() ? Platform.BM_CMD_WRITE : 0;
                            io(g, at, Platform.BMIDE_BASE, 1, dir, false);
                            io(g, at, Platform.ATA0 + Platform.ATA_DEVICE, 1, Platform.ATA_DEV_LBA, false);
                            io(g, at, Platform.ATA0 + Platform.ATA_NSECT, 1, sectors & 0xFF, false);
                            io(g, at, Platform.ATA0 + Platform.ATA_LBAL, 1, s.lba() & 0xFF, false);
                            io(g, at, Platform.ATA0 + Platform.ATA_LBAM, 1, s.lba() >>> 8, false);
                            io(g, at, Platform.ATA0 + Platform.ATA_LBAH, 1, 0, false);
                            io(g, at, Platform.ATA0 + Platform.ATA_STATUS, 1,
                                    s.read() ? Platform.ATA_CMD_READ_DMA : Platform.ATA_CMD_WRITE_DMA, false);
                            io(g, at, Platform.BMIDE_BASE, 1, dir | Platform.BM_CMD_START, false);
                        }
                    }
                }
            } catch (GuestAbort e) {
                ended = "crashed";
                assertThat(g.domain.state()).isEqualTo(DomainState.SHUTDOWN);
            }
            Statistics.label("domain").collect(ended);
            Statistics.label("transfers").collect(g.domain.ata().dmaTransfers() == 0 ? "none"
                    : g.domain.ata().dmaRefused() == 0 ? "all allowed" : "some refused");
            assertThat(hv.unhandledExceptions()).isZero();
            for (long va = bystander.scratch; va < bystander.scratch2 + 4096; va += 8) {
                assertThat(bystander.mem.getLong(va)).as("the bystander's page at %x", va).isEqualTo(PATTERN);
            }
            if (ended.equals("no")) {
                for (int i = 0; i < 512; i++) {
                    assertThat(g.mem.getLong(l4 + 8L * i)).as("L4 slot %d", i).isEqualTo(l4Before[i]);
                }
            }
            assertThat(bystander.domain.state()).isEqualTo(DomainState.RUNNING);
        } finally {
            hv.destroy(g.domain);
            if (disk.isOpen()) {
                disk.close();
            }
        }
    }

    private static long maddr(BareGuest guest, long va) {
        StartInfo si = new StartInfo().wrap(new GuestMemoryBuffer(guest.mem, guest.domain.startInfoVa(), StartInfo.SIZE), 0);
        long pfn = (va - StartOfDay.VIRT_BASE) >>> 12;
        return guest.mem.getLong(si.mfnList() + 8 * pfn) << 12 | va & 0xFFF;
    }

    private static int put(BareGuest g, int off, byte[] b, int n) {
        for (int i = 0; i < n; i++) {
            g.mem.putByte(g.scratch + off + i, b[i]);
        }
        return n;
    }

    private static void config(BareGuest g, int[] at, int reg, int value) {
        io(g, at, Platform.PCI_CONFIG_ADDRESS, 4, Platform.PCI_CONFIG_ENABLE | Platform.PIIX3_IDE_DEVFN << 8 | reg, false);
        io(g, at, Platform.PCI_CONFIG_DATA, 4, value, false);
    }

    private static void io(BareGuest g, int[] at, int port, int size, long value, boolean in) {
        int slot = (size == 1 ? 0 : size == 2 ? 1 : 2) + (in ? 3 : 0);
        g.cpu.registers().set(RDX, port & 0xFFFF);
        g.cpu.registers().set(RAX, value);
        g.cpu.registers().rip(g.scratch + at[slot]);
        g.cpu.execute(1);
    }
}
