package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parasol.hypercall.x86.Registers.RAX;
import static org.parasol.hypercall.x86.Registers.RDX;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parasol.hypercall.x86.Encoder;
import org.parasol.hypercall.x86.Instruction;
import org.parasol.hypercall.x86.RegisterFile;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.domain.Virtualization;
import org.parasol.hypervisor.domain.VmExits;
import org.parasol.hypervisor.hvm.ExitReason;
import org.parasol.hypervisor.hvm.Qualification;
import org.parasol.hypervisor.testing.LeakCheck;
import org.parasol.hypervisor.time.ManualClock;

/**
 * The 8254 PIT behind the trap path: the guest's {@code out}s to {@code 0x43} and {@code 0x40}
 * are I/O exits that reach the model, and channel 0's period ends as an edge on IRQ 0 of the
 * 8259 pair at the next instruction boundary.
 */
class PitTrapTest {
    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    private final ManualClock clock = new ManualClock();
    private Hypervisor hv;
    private BareGuest g;
    private RegisterFile regs;
    private VmExits exits;
    private GuestCode code;
    private long outAt;
    private long inAt;

    @BeforeEach
    void boot() throws Exception {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(64L << 20).withClock(clock).withPcpus(1)));
        g = BareGuest.create(hv, new DomainConfig("pit", 8192, 8192, 1, null, "", false, DomainConfig.Action.PRESERVE,
                DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE, Virtualization.TRAP));
        regs = g.cpu.registers();
        exits = g.domain.vcpu(0).vmExits();
        code = new GuestCode(g);
        outAt = code.put(Encoder.out(code.buf(), 0, 1, Instruction.NONE));
        inAt = code.put(Encoder.in(code.buf(), 0, 1, Instruction.NONE));
    }

    @AfterEach
    void close() {
        assertThat(hv.unhandledExceptions()).isZero();
        hv.close();
    }

    private void out(int port, int value) {
        regs.set(RDX, port);
        regs.set(RAX, value);
        code.run(outAt);
    }

    private int in(int port) {
        regs.set(RDX, port);
        code.run(inAt);
        return (int) regs.get(RAX) & 0xFF;
    }

    @Test
    @DisplayName("out to 0x43 and 0x40 are I/O exits to the PIT; when channel 0's period ends, IRQ 0 is in the "
            + "8259's IRR at the next instruction boundary (interrupts off: it waits there)")
    void shouldRaiseIrq0AtTheEndOfAPeriod() {
        // The 8259 pair: ICW1-4 on the master, every line masked but IRQ 0; IF stays clear.
        out(0x20, 0x11);
        out(0x21, 0x20);
        out(0x21, 0x04);
        out(0x21, 0x01);
        out(0x21, 0xFE);
        g.domain.vcpu(0).vcpuInfo().upcallMaskRelease(1);
        long before = exits.exits(ExitReason.IO_INSTRUCTION);
        out(0x43, 0x34); // channel 0, low then high byte, mode 2
        assertThat(Qualification.ioPort(exits.lastQualification())).isEqualTo(0x43);
        out(0x40, 1193 & 0xFF);
        out(0x40, 1193 >>> 8);
        assertThat(exits.exits(ExitReason.IO_INSTRUCTION) - before).isEqualTo(3);
        out(0x20, 0x0A); // OCW3: read IRR
        assertThat(in(0x20) & 1).as("no edge before the period ends").isZero();
        clock.advance(2_000_000); // 2 ms: at least one period of 1193 ticks
        out(0x20, 0x0A);
        assertThat(in(0x20) & 1).as("IRQ 0 requested").isEqualTo(1);
        assertThat(g.domain.pic().pending()).isTrue();
    }

    @Test
    @DisplayName("the running count reads back through in al, 0x40 after a latch command")
    void shouldReadTheCountThroughPortIo() {
        out(0x43, 0x34);
        out(0x40, 0x00);
        out(0x40, 0x10); // 4096
        clock.advance(1_000_000); // 1 ms: 1193 ticks
        out(0x43, 0x00); // latch channel 0
        int count = in(0x40) | in(0x40) << 8;
        assertThat(count).isBetween(4096 - 1194, 4096 - 1190);
    }

    @Test
    @DisplayName("port 0x61 is an I/O exit to port B: channel 2 gated on there counts a mode 0 one-shot, and OUT "
            + "(bit 5) rises at its terminal count; the gate and speaker bits read back")
    void shouldGateChannel2ThroughPort0x61() {
        out(0x43, 0xB0); // channel 2, low then high byte, mode 0
        out(0x42, 100);
        out(0x42, 0);
        clock.advance(1_000_000);
        assertThat(in(0x61) & 0x23).as("GATE low: standing still, OUT low").isZero();
        out(0x61, 0x03);
        assertThat(Qualification.ioPort(exits.lastQualification())).isEqualTo(0x61);
        assertThat(in(0x61) & 0x23).isEqualTo(0x03);
        clock.advance(200_000); // 238 ticks: past the count of 100
        assertThat(in(0x61) & 0x20).as("terminal count: OUT high").isEqualTo(0x20);
    }
}
