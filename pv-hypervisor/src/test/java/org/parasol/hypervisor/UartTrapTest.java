package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parasol.hypercall.x86.Registers.RAX;
import static org.parasol.hypercall.x86.Registers.RCX;
import static org.parasol.hypercall.x86.Registers.RDX;
import static org.parasol.hypercall.x86.Registers.RSI;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.Errno;
import org.parasol.hypercall.TrapHandler;
import org.parasol.hypercall.x86.Encoder;
import org.parasol.hypercall.x86.Instruction;
import org.parasol.hypercall.x86.Platform;
import org.parasol.hypercall.x86.RegisterFile;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.domain.Virtualization;
import org.parasol.hypervisor.domain.VmExits;
import org.parasol.hypervisor.hvm.Uart16550;
import org.parasol.hypervisor.testing.LeakCheck;
import org.parasol.hypervisor.time.ManualClock;

/**
 * COM1's receive path behind VM exits: host input ({@link Hypervisor#consoleInput}) raising IRQ
 * 4 through the 8259 pair, taken at vector {@code 0x24} through the trap table, a guest that
 * never reads holding a bounded amount, and the exits a console line costs written by polling
 * LSR against written on THR-empty interrupts. (A halted vCPU woken by input needs a vCPU with a
 * thread of its own: HostNativeConsoleInputTest's native shells idle in {@code hlt} until it comes.)
 */
class UartTrapTest {
    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    private Hypervisor hv;
    private BareGuest g;
    private RegisterFile regs;
    private VmExits exits;
    private GuestCode code;
    private long outAt;
    private long inAt;
    private long outsbAt;
    private long stiAt;
    private long text;
    private final byte[] line = "a console line of forty-eight bytes and its end\n".getBytes(StandardCharsets.US_ASCII);

    @BeforeEach
    void boot() throws Exception {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(64L << 20).withClock(new ManualClock()).withPcpus(1)));
        g = BareGuest.create(hv, new DomainConfig("uart", 8192, 8192, 1, null, "", false, DomainConfig.Action.PRESERVE,
                DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE, Virtualization.TRAP));
        regs = g.cpu.registers();
        exits = g.domain.vcpu(0).vmExits();
        code = new GuestCode(g);
        outAt = code.put(Encoder.out(code.buf(), 0, 1, Instruction.NONE));
        inAt = code.put(Encoder.in(code.buf(), 0, 1, Instruction.NONE));
        outsbAt = code.put(Encoder.outs(code.buf(), 0, 1, true));
        stiAt = code.put(Encoder.sti(code.buf(), 0));
        text = g.scratch2;
        for (int i = 0; i < line.length; i++) {
            g.mem.putByte(text + i, line[i]);
        }
    }

    @AfterEach
    void close() {
        assertThat(hv.unhandledExceptions()).isZero();
        hv.close();
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

    private void outsb(long va, int n) {
        regs.set(RDX, Platform.COM1 + Platform.UART_THR);
        regs.set(RSI, va);
        regs.set(RCX, n);
        regs.rip(outsbAt);
        g.cpu.execute(1);
    }

    /** The 8259 pair as NativeOps programs it, IRQ 4 alone unmasked; IF set. */
    private void picWithIrq4() {
        int[][] icw = {{0x20, 0x11}, {0x21, 0x20}, {0x21, 0x04}, {0x21, 0x01}, {0xA0, 0x11}, {0xA1, 0x28},
            {0xA1, 0x02}, {0xA1, 0x01}, {0x21, 0xEF}, {0xA1, 0xFF}};
        for (int[] w : icw) {
            out(w[0], w[1]);
        }
        regs.rip(stiAt);
        g.cpu.execute(1);
    }

    private int type(String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        return hv.consoleInput(g.domain, b, 0, b.length);
    }

    @Test
    @DisplayName("host input raises IRQ 4: the handler at vector 0x24 sees IIR's receive cause, reads RBR while LSR.DR, "
            + "and the line is low once the FIFO is empty")
    void shouldDeliverReceivedBytesOnIrq4() {
        StringBuilder got = new StringBuilder();
        int[] seen = new int[2];
        g.domain.vcpu(0).traps().setTrap(0x24, new TrapHandler() {
            @Override
            public void trap(Cpu cpu, int vector, long errorCode, long address) {
                seen[0]++;
                seen[1] = in(Platform.COM1 + Platform.UART_IIR_FCR);
                while ((in(Platform.COM1 + Platform.UART_LSR) & Platform.LSR_DR) != 0) {
                    got.append((char) in(Platform.COM1 + Platform.UART_THR));
                }
                out(0x20, 0x20);
            }
        });
        picWithIrq4();
        out(Platform.COM1 + Platform.UART_IIR_FCR, 0x07); // FIFOs on, trigger 1
        out(Platform.COM1 + Platform.UART_MCR, 0x0B); // DTR, RTS, OUT2
        out(Platform.COM1 + Platform.UART_IER, Platform.IER_RDI | Platform.IER_RLSI);
        assertThat(seen[0]).isZero();

        assertThat(type("ls -l\r")).isEqualTo(6);
        assertThat(g.domain.pic().irr() & 1 << 4).as("the edge is latched").isNotZero();
        in(Platform.COM1 + Platform.UART_SCR); // any instruction: the interrupt comes at its boundary
        assertThat(seen[0]).isEqualTo(1);
        assertThat(seen[1]).isEqualTo(0xC0 | Platform.IIR_RDI);
        assertThat(got.toString()).isEqualTo("ls -l\r");
        assertThat(g.domain.uart().interruptPending()).isFalse();
        assertThat(g.domain.uart().received()).isEqualTo(6);

        assertThat(type("x")).isEqualTo(1);
        in(Platform.COM1 + Platform.UART_SCR);
        assertThat(seen[0]).as("a new byte after the line fell is a new edge").isEqualTo(2);
        assertThat(got.toString()).isEqualTo("ls -l\rx");
        assertThat(g.domain.pic().isr()).isZero();
    }

    @Test
    @DisplayName("a guest that never reads holds the line's 1 KiB and the FIFO's 16 bytes; then input is refused (0), "
            + "not queued; a dying domain refuses with -ESRCH")
    void shouldBoundAGuestThatNeverReads() {
        out(Platform.COM1 + Platform.UART_MCR, 0x0B);
        out(Platform.COM1 + Platform.UART_IIR_FCR, 0x07);
        byte[] flood = new byte[4096];
        int total = 0;
        for (int i = 0; i < 100; i++) {
            int n = hv.consoleInput(g.domain, flood, 0, flood.length);
            assertThat(n).isNotNegative();
            total += n;
        }
        assertThat(total).isEqualTo(Uart16550.LINE_QUEUE + Uart16550.RX_FIFO);
        assertThat(g.domain.uart().waiting()).isEqualTo(total);
        g.domain.shutdown(org.parasol.hypercall.abi.Shutdown.POWEROFF, null);
        assertThat(hv.consoleInput(g.domain, flood, 0, 1)).isEqualTo(-Errno.ESRCH);
    }

    @Test
    @DisplayName("a console line costs fewer exits polled (LSR, then rep outsb per 16 bytes: Linux's console write) than "
            + "written on THR-empty interrupts (enable, then IIR, rep outsb and EOI per 16 bytes, and turning THRI off)")
    void shouldCostFewerExitsPolled() {
        picWithIrq4();
        out(Platform.COM1 + Platform.UART_IIR_FCR, 0x07);
        out(Platform.COM1 + Platform.UART_MCR, 0x0B);
        int length = line.length;

        long before = exits.exits();
        for (int i = 0; i < length; i += Platform.UART_FIFO) {
            assertThat(in(Platform.COM1 + Platform.UART_LSR) & Platform.LSR_THRE).isNotZero();
            outsb(text + i, Math.min(Platform.UART_FIFO, length - i));
        }
        long polled = exits.exits() - before;

        int[] sent = {0};
        int[] interrupts = {0};
        boolean[] done = {false};
        g.domain.vcpu(0).traps().setTrap(0x24, new TrapHandler() {
            @Override
            public void trap(Cpu cpu, int vector, long errorCode, long address) {
                interrupts[0]++;
                int iir = in(Platform.COM1 + Platform.UART_IIR_FCR);
                if ((iir & Platform.IIR_ID) == Platform.IIR_THRI) {
                    if (sent[0] < length) {
                        int n = Math.min(Platform.UART_FIFO, length - sent[0]);
                        long at = text + sent[0];
                        sent[0] += n;
                        outsb(at, n);
                    } else {
                        out(Platform.COM1 + Platform.UART_IER, 0); // nothing left: THRI off
                        done[0] = true;
                    }
                }
                out(0x20, 0x20);
            }
        });
        before = exits.exits();
        out(Platform.COM1 + Platform.UART_IER, Platform.IER_THRI);
        long outer = 0;
        while (!done[0]) {
            in(Platform.COM1 + Platform.UART_SCR); // the kernel's own next instruction: the next interrupt comes at its boundary
            outer++;
            assertThat(outer).isLessThan(100);
        }
        long interruptDriven = exits.exits() - before - outer;
        g.domain.uart().flush();
        assertThat(g.domain.console().lines()).containsExactly("a console line of forty-eight bytes and its end",
                "a console line of forty-eight bytes and its end");
        assertThat(polled).isEqualTo(6);
        assertThat(interrupts[0]).isEqualTo(4);
        assertThat(interruptDriven).as("polled %d, interrupt-driven %d", polled, interruptDriven).isEqualTo(13);
    }
}
