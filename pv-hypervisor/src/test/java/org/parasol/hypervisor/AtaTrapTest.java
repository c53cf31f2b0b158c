package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parasol.hypercall.x86.Registers.RAX;
import static org.parasol.hypercall.x86.Registers.RCX;
import static org.parasol.hypercall.x86.Registers.RDI;
import static org.parasol.hypercall.x86.Registers.RDX;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.TrapHandler;
import org.parasol.hypercall.x86.Encoder;
import org.parasol.hypercall.x86.Instruction;
import org.parasol.hypercall.x86.Platform;
import org.parasol.hypercall.x86.RegisterFile;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.domain.Virtualization;
import org.parasol.hypervisor.domain.VmExits;
import org.parasol.hypervisor.hvm.AtaDisk;
import org.parasol.hypervisor.hvm.ExitReason;
import org.parasol.hypervisor.hvm.Qualification;
import org.parasol.hypervisor.testing.LeakCheck;
import org.parasol.hypervisor.time.ManualClock;

/**
 * The ATA disk and the 8259 pair behind VM exits: real {@code in}/{@code out}/{@code rep insw}
 * bytes at {@code rip}, the I/O exits they take, the sector that lands in guest memory, and
 * IRQ 14 delivered through the trap table at the next instruction boundary (and COM1's IRQ 4,
 * the other device line wired to the 8259 pair).
 */
class AtaTrapTest {
    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    private Hypervisor hv;
    private BareGuest g;
    private RegisterFile regs;
    private VmExits exits;
    private FileChannel image;
    private GuestCode code;
    private long outAt;
    private long inAt;
    private long insAt;
    private long stiAt;

    @BeforeEach
    void boot(@TempDir Path dir) throws Exception {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(64L << 20).withClock(new ManualClock()).withPcpus(1)));
        g = BareGuest.create(hv, new DomainConfig("ata", 8192, 8192, 1, null, "", false, DomainConfig.Action.PRESERVE,
                DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE, Virtualization.TRAP));
        regs = g.cpu.registers();
        exits = g.domain.vcpu(0).vmExits();
        Path file = dir.resolve("disk.img");
        ByteBuffer b = ByteBuffer.allocate(16 * 512);
        for (int i = 0; i < b.capacity(); i++) {
            b.put(i, (byte) (i * 13 + 1));
        }
        Files.write(file, b.array());
        image = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        assertThat(g.domain.attachAta(new AtaDisk(image, 16, false))).isZero();
        code = new GuestCode(g);
        outAt = code.put(Encoder.out(code.buf(), 0, 1, Instruction.NONE));
        inAt = code.put(Encoder.in(code.buf(), 0, 1, Instruction.NONE));
        insAt = code.put(Encoder.ins(code.buf(), 0, 2, true));
        stiAt = code.put(Encoder.sti(code.buf(), 0));
    }

    @AfterEach
    void close() {
        assertThat(hv.unhandledExceptions()).isZero();
        hv.close();
        assertThat(image.isOpen()).as("the domain's death closes its image").isFalse();
    }

    private void out(int port, int value) {
        regs.set(RDX, port);
        regs.set(RAX, value);
        regs.rip(outAt);
        g.cpu.execute(1);
    }

    private int in(int port) {
        regs.set(RDX, port);
        regs.rip(inAt);
        g.cpu.execute(1);
        return (int) regs.get(RAX) & 0xFF;
    }

    private void readSector(int lba) {
        out(Platform.ATA0 + Platform.ATA_DEVICE, Platform.ATA_DEV_LBA);
        out(Platform.ATA0 + Platform.ATA_NSECT, 1);
        out(Platform.ATA0 + Platform.ATA_LBAL, lba);
        out(Platform.ATA0 + Platform.ATA_LBAM, 0);
        out(Platform.ATA0 + Platform.ATA_LBAH, 0);
        out(Platform.ATA0 + Platform.ATA_STATUS, Platform.ATA_CMD_READ);
    }

    @Test
    @DisplayName("READ SECTORS through VM exits: each taskfile out is an I/O exit; rep insw is one exit with port 0x1F0, "
            + "size 2, in, string and rep in its qualification, and the sector lands in guest memory")
    void shouldReadASectorThroughExits() throws Exception {
        out(Platform.ATA0_CTL, Platform.ATA_NIEN);
        long before = exits.exits(ExitReason.IO_INSTRUCTION);
        readSector(3);
        assertThat(in(Platform.ATA0 + Platform.ATA_STATUS) & Platform.ATA_DRQ).isNotZero();
        regs.set(RDX, Platform.ATA0);
        regs.set(RDI, g.scratch2);
        regs.set(RCX, 256);
        regs.rip(insAt);
        g.cpu.execute(1);
        long q = exits.lastQualification();
        assertThat(exits.lastReason()).isEqualTo(ExitReason.IO_INSTRUCTION);
        assertThat(Qualification.ioPort(q)).isEqualTo(Platform.ATA0);
        assertThat(Qualification.ioSize(q)).isEqualTo(2);
        assertThat(Qualification.ioIn(q)).isTrue();
        assertThat(Qualification.ioString(q)).isTrue();
        assertThat(Qualification.ioRep(q)).isTrue();
        assertThat(exits.exits(ExitReason.IO_INSTRUCTION) - before).isEqualTo(6 + 1 + 1);
        assertThat(regs.get(RCX)).isZero();
        ByteBuffer want = ByteBuffer.allocate(512);
        image.read(want, 3 * 512);
        for (int i = 0; i < 512; i++) {
            assertThat(g.mem.getByte(g.scratch2 + i)).as("byte %d", i).isEqualTo(want.get(i));
        }
        assertThat(in(Platform.ATA0 + Platform.ATA_STATUS) & (Platform.ATA_DRQ | Platform.ATA_ERR)).isZero();
    }

    @Test
    @DisplayName("with the 8259 pair programmed and IRQ 14 unmasked, READ SECTORS raises INTRQ and the next instruction "
            + "boundary with IF set delivers vector 0x2E to the trap table's handler, IF clear inside it")
    void shouldDeliverIrq14ThroughTheTrapTable() {
        int[] seen = new int[3];
        g.domain.vcpu(0).traps().setTrap(0x2E, new TrapHandler() {
            @Override
            public void trap(Cpu cpu, int vector, long errorCode, long address) {
                seen[0]++;
                seen[1] = vector;
                seen[2] = (int) (regs.rflags() & RegisterFile.RFLAGS_IF);
            }
        });
        // Linux's init_8259A: ICW1-4 on both chips, vectors 0x20 and 0x28; then unmask IR2 and IR14.
        int[][] icw = {{0x20, 0x11}, {0x21, 0x20}, {0x21, 0x04}, {0x21, 0x01}, {0xA0, 0x11}, {0xA1, 0x28},
            {0xA1, 0x02}, {0xA1, 0x01}, {0x21, 0xFB}, {0xA1, 0xBF}};
        for (int[] w : icw) {
            out(w[0], w[1]);
        }
        out(Platform.ATA0_CTL, 0); // nIEN clear
        regs.rip(stiAt);
        g.cpu.execute(1);
        readSector(0);
        assertThat(seen[0]).as("delivered once, right after the command's out").isEqualTo(1);
        assertThat(seen[1]).isEqualTo(0x2E);
        assertThat(seen[2]).as("IF inside the handler").isZero();
        assertThat(regs.rflags() & RegisterFile.RFLAGS_IF).as("IF after its return").isNotZero();
        assertThat(g.domain.pic().isr()).isEqualTo(1 << 14 | 1 << 2);
        assertThat(g.domain.vcpu(0).traps().interrupts()).isEqualTo(1);
        // The driver's part: read status (INTRQ falls), EOI to the slave, then the master.
        in(Platform.ATA0 + Platform.ATA_STATUS);
        out(0xA0, 0x20);
        out(0x20, 0x20);
        assertThat(g.domain.pic().isr()).isZero();
        assertThat(seen[0]).isEqualTo(1);
    }

    @Test
    @DisplayName("with nIEN set, or IRQ 14 masked, nothing is delivered")
    void shouldNotDeliverWhenMasked() {
        g.domain.vcpu(0).traps().setTrap(0x2E, new TrapHandler() {
            @Override
            public void trap(Cpu cpu, int vector, long errorCode, long address) {
                throw new AssertionError("delivered");
            }
        });
        int[][] icw = {{0x20, 0x11}, {0x21, 0x20}, {0x21, 0x04}, {0x21, 0x01}, {0xA0, 0x11}, {0xA1, 0x28},
            {0xA1, 0x02}, {0xA1, 0x01}, {0x21, 0xFB}, {0xA1, 0xBF}};
        for (int[] w : icw) {
            out(w[0], w[1]);
        }
        out(Platform.ATA0_CTL, Platform.ATA_NIEN);
        regs.rip(stiAt);
        g.cpu.execute(1);
        readSector(1); // nIEN holds INTRQ down
        out(0xA1, 0xFF); // IRQ 14 masked on the slave
        out(Platform.ATA0_CTL, 0);
        readSector(2);
        assertThat(g.domain.pic().irr() & 1 << 14).as("latched, as an 8259 latches a masked edge").isNotZero();
        assertThat(g.domain.vcpu(0).traps().interrupts()).isZero();
        assertThat(g.domain.state()).isEqualTo(org.parasol.hypervisor.domain.DomainState.RUNNING);
    }

    @Test
    @DisplayName("attachEmulatedDisk: -EPERM from an unprivileged domain, -EINVAL for a paravirtual target or a channel "
            + "of no whole sector, -ESRCH for no such domain, -EEXIST for a second disk; the caller keeps a refused image")
    void shouldRefuseBadAttachments(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("other.img");
        Files.write(file, new byte[4096]);
        Path tiny = dir.resolve("tiny.img");
        Files.write(tiny, new byte[100]);
        BareGuest privileged = BareGuest.create(hv, new DomainConfig("dom0ish", 8192, 8192, 1, null, "", true,
                DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE));
        BareGuest pv = BareGuest.create(hv, "pv", 8192);
        try (FileChannel other = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
                FileChannel small = FileChannel.open(tiny, StandardOpenOption.READ)) {
            assertThat(pv.cpu.attachEmulatedDisk(g.domain.domid(), other, false)).isEqualTo(-org.parasol.hypercall.Errno.EPERM);
            assertThat(privileged.cpu.attachEmulatedDisk(pv.domain.domid(), other, false))
                    .isEqualTo(-org.parasol.hypercall.Errno.EINVAL);
            assertThat(privileged.cpu.attachEmulatedDisk(g.domain.domid(), small, false))
                    .isEqualTo(-org.parasol.hypercall.Errno.EINVAL);
            assertThat(privileged.cpu.attachEmulatedDisk(g.domain.domid(), null, false))
                    .isEqualTo(-org.parasol.hypercall.Errno.EINVAL);
            assertThat(privileged.cpu.attachEmulatedDisk(4000, other, false)).isEqualTo(-org.parasol.hypercall.Errno.ESRCH);
            assertThat(privileged.cpu.attachEmulatedDisk(g.domain.domid(), other, false))
                    .isEqualTo(-org.parasol.hypercall.Errno.EEXIST);
            assertThat(other.isOpen()).isTrue();
            assertThat(g.domain.ata().sectors()).isEqualTo(16);
        }
    }

    @Test
    @DisplayName("COM1's THR-empty interrupt, enabled with IER bit 1 and OUT2, arrives as IRQ 4 at vector 0x24")
    void shouldDeliverTheUartInterrupt() {
        int[] seen = new int[2];
        g.domain.vcpu(0).traps().setTrap(0x24, new TrapHandler() {
            @Override
            public void trap(Cpu cpu, int vector, long errorCode, long address) {
                seen[0]++;
                seen[1] = vector;
                // The driver's part: IIR says THRE (and reading it lowers the line), then EOI.
                regs.set(RDX, Platform.COM1 + Platform.UART_IIR_FCR);
                regs.rip(inAt);
                g.cpu.execute(1);
                out(0x20, 0x20);
            }
        });
        int[][] icw = {{0x20, 0x11}, {0x21, 0x20}, {0x21, 0x04}, {0x21, 0x01}, {0xA0, 0x11}, {0xA1, 0x28},
            {0xA1, 0x02}, {0xA1, 0x01}, {0x21, 0xEF}, {0xA1, 0xFF}};
        for (int[] w : icw) {
            out(w[0], w[1]);
        }
        regs.rip(stiAt);
        g.cpu.execute(1);
        out(Platform.COM1 + Platform.UART_MCR, 0x08);
        out(Platform.COM1 + Platform.UART_IER, 0x02);
        assertThat(seen[0]).isEqualTo(1);
        assertThat(seen[1]).isEqualTo(0x24);
        out(Platform.COM1 + Platform.UART_THR, 'x');
        assertThat(seen[0]).as("the byte left, THR is empty again").isEqualTo(2);
        assertThat(g.domain.pic().isr()).isZero();
    }
}
