package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.parasol.hypercall.x86.Registers.RAX;
import static org.parasol.hypercall.x86.Registers.RCX;
import static org.parasol.hypercall.x86.Registers.RDI;
import static org.parasol.hypercall.x86.Registers.RDX;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.parasol.hypercall.GuestAbort;
import org.parasol.hypercall.TrapHandler;
import org.parasol.hypercall.x86.Encoder;
import org.parasol.hypercall.x86.Instruction;
import org.parasol.hypercall.x86.RegisterFile;
import org.parasol.hypercall.x86.Registers;
import org.parasol.hypervisor.domain.DomainState;
import org.parasol.hypervisor.domain.Virtualization;
import org.parasol.hypervisor.domain.VmExits;
import org.parasol.hypervisor.hvm.ExitReason;
import org.parasol.hypervisor.testing.LeakCheck;
import org.parasol.hypervisor.time.ManualClock;

/**
 * The exceptions an instruction raises — {@code #UD}, {@code #GP(0)} from an unknown MSR, a CR3
 * that is no L4 of the domain, a CR0 leaving paging, an instruction longer than 15 bytes —
 * delivered through the IDT in each native configuration with the registers as the CPU leaves
 * them for a fault, a handler's fixup moving its frame's {@code rip}, and the outcomes that stay
 * as they were: no IDT, no usable gate.
 */
class ExceptionDeliveryTest {
    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    /** An MSR the machine model does not have. */
    static final int NO_SUCH_MSR = 0x1F5;

    private Hypervisor hv;

    /** One exception a handler saw: vector, error code, and the faulting rip its frame holds. */
    record Seen(int vector, long errorCode, long frameRip) {
    }

    @BeforeEach
    void boot() throws Exception {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(64L << 20).withClock(new ManualClock()).withPcpus(1)));
    }

    @AfterEach
    void close() {
        assertThat(hv.unhandledExceptions()).isZero();
        hv.close();
    }

    /** A guest with an IDT whose gates for #DE, #UD, #DF, #NP and #GP name {@code handler}. */
    static BareGuest withIdt(Hypervisor hv, String name, Virtualization virt, TrapHandler handler) throws Exception {
        BareGuest g = IdtTest.guest(hv, name, virt);
        for (int v : new int[] {0, 6, 8, 11, 13}) {
            IdtTest.interruptGate(g, v, handler);
        }
        lidt(g, 0x2FF);
        return g;
    }

    static TrapHandler recorder(List<Seen> seen) {
        return (cpu, vector, errorCode, address) -> seen.add(new Seen(vector, errorCode, cpu.frameRip()));
    }

    static void lidt(BareGuest g, int limit) {
        g.mem.putShort(IdtTest.descriptor(g), (short) limit);
        g.mem.putLong(IdtTest.descriptor(g) + 2, IdtTest.idt(g));
        g.cpu.registers().set(RDI, IdtTest.descriptor(g));
        byte[] b = new byte[16];
        exec(g, b, Encoder.lidt(b, 0, RDI, Instruction.NONE, 1, 0), 0x300, 1);
    }

    /** Runs {@code n} bytes of {@code b} at {@code off} in the scratch page; returns their address. */
    static long exec(BareGuest g, byte[] b, int n, int off, int count) {
        long at = g.scratch + off;
        for (int i = 0; i < n; i++) {
            g.mem.putByte(at + i, b[i]);
        }
        g.cpu.registers().rip(at);
        if (g.domain.config().virt() == Virtualization.BT) {
            g.cpu.executeTranslated(count);
        } else {
            g.cpu.execute(count);
        }
        return at;
    }

    @ParameterizedTest
    @EnumSource(value = Virtualization.class, names = {"TRAP", "BT", "BARE"})
    @DisplayName("rdmsr of an MSR the machine has not is #GP(0) through gate 13: rip at the rdmsr, RAX and RDX as "
            + "they were; with no fixup the instruction is where the kernel resumes")
    void shouldDeliverGpForAnUnknownMsr(Virtualization virt) throws Exception {
        List<Seen> seen = new ArrayList<>();
        BareGuest g = withIdt(hv, "msr-" + virt.key(), virt, recorder(seen));
        RegisterFile r = g.cpu.registers();
        r.set(RCX, NO_SUCH_MSR);
        r.set(RAX, 0x1111);
        r.set(RDX, 0x2222);
        byte[] b = new byte[16];
        long at = exec(g, b, Encoder.rdmsr(b, 0), 0x40, 1);
        assertThat(seen).containsExactly(new Seen(13, 0, at));
        assertThat(r.rip()).as("a fault: rip at the faulting instruction").isEqualTo(at);
        assertThat(r.get(RAX)).isEqualTo(0x1111);
        assertThat(r.get(RDX)).isEqualTo(0x2222);
        VmExits x = g.domain.vcpu(0).vmExits();
        assertThat(x.exceptionsRaised(13)).isEqualTo(1);
        assertThat(x.exits(ExitReason.MSR_READ)).isEqualTo(virt == Virtualization.TRAP ? 1 : 0);
        assertThat(g.domain.state()).isNotEqualTo(DomainState.SHUTDOWN);
    }

    @ParameterizedTest
    @EnumSource(value = Virtualization.class, names = {"TRAP", "BT", "BARE"})
    @DisplayName("a handler that moves its frame's rip (an exception-table fixup) resumes the kernel there; the "
            + "handler's own register changes are undone by the frame, as iret restores what it saved")
    void shouldResumeAtTheFixup(Virtualization virt) throws Exception {
        List<Seen> seen = new ArrayList<>();
        TrapHandler fixup = (cpu, vector, errorCode, address) -> {
            seen.add(new Seen(vector, errorCode, cpu.frameRip()));
            cpu.registers().set(RAX, 0xDEAD);
            cpu.setFrameRip(cpu.frameRip() + 2);
        };
        BareGuest g = withIdt(hv, "fixup-" + virt.key(), virt, fixup);
        RegisterFile r = g.cpu.registers();
        r.set(RCX, NO_SUCH_MSR);
        r.set(RAX, 7);
        byte[] b = new byte[16];
        int n = Encoder.wrmsr(b, 0);
        n += Encoder.cpuid(b, n);
        long at = exec(g, b, n, 0x80, 1);
        assertThat(seen).containsExactly(new Seen(13, 0, at));
        assertThat(r.rip()).isEqualTo(at + 2);
        assertThat(r.get(RAX)).isEqualTo(7);
        assertThatThrownBy(() -> g.cpu.frameRip()).as("outside a handler").isInstanceOf(IllegalStateException.class);
    }

    @ParameterizedTest
    @EnumSource(value = Virtualization.class, names = {"TRAP", "BT", "BARE"})
    @DisplayName("ud2 and bytes outside the subset are #UD, an instruction of 16 bytes #GP(0), mov to cr3 of a frame "
            + "that is no L4 of the domain and mov to cr0 without PG #GP(0); each with rip at the instruction")
    void shouldDeliverUdAndGp(Virtualization virt) throws Exception {
        List<Seen> seen = new ArrayList<>();
        BareGuest g = withIdt(hv, "ud-" + virt.key(), virt, recorder(seen));
        RegisterFile r = g.cpu.registers();
        byte[] b = new byte[32];
        long ud2 = exec(g, b, Encoder.ud2(b, 0), 0x40, 1);
        b[0] = 0x0F;
        b[1] = 0x05; // syscall: not of the subset
        long syscall = exec(g, b, 2, 0x60, 1);
        for (int i = 0; i < 15; i++) {
            b[i] = 0x66; // 15 prefixes, then nop: 16 bytes
        }
        b[15] = (byte) 0x90;
        long longInsn = exec(g, b, 16, 0x80, 1);
        long base = g.domain.vcpu(0).baseMfn();
        r.set(RAX, g.scratch2 & ~0xFFFL); // an address, not an L4 of the domain
        long cr3 = exec(g, b, Encoder.movToCr(b, 0, Registers.CR3, RAX), 0xC0, 1);
        assertThat(g.domain.vcpu(0).baseMfn()).isEqualTo(base);
        r.set(RAX, 1); // PE alone
        long cr0 = exec(g, b, Encoder.movToCr(b, 0, Registers.CR0, RAX), 0xE0, 1);
        assertThat(seen).containsExactly(new Seen(6, 0, ud2), new Seen(6, 0, syscall), new Seen(13, 0, longInsn),
                new Seen(13, 0, cr3), new Seen(13, 0, cr0));
        assertThat(r.rip()).isEqualTo(cr0);
    }

    @Test
    @DisplayName("before lidt the domain is crashed with the cause, as before; with gate 13 not present #NP, then #DF, "
            + "and with no #DF gate a triple fault; another domain runs on")
    void shouldKeepTodaysOutcomesWithoutAUsableGate() throws Exception {
        BareGuest bystander = IdtTest.guest(hv, "bystander", Virtualization.TRAP);
        BareGuest noIdt = IdtTest.guest(hv, "no-idt", Virtualization.TRAP);
        noIdt.cpu.registers().set(RCX, NO_SUCH_MSR);
        byte[] b = new byte[16];
        assertThatThrownBy(() -> exec(noIdt, b, Encoder.rdmsr(b, 0), 0x40, 1)).isInstanceOf(GuestAbort.class);
        assertThat(noIdt.domain.crashCause()).contains("#GP: rdmsr of unknown MSR 0x1f5");

        List<Seen> seen = new ArrayList<>();
        BareGuest df = IdtTest.guest(hv, "df", Virtualization.BARE);
        IdtTest.interruptGate(df, 8, recorder(seen));
        lidt(df, 0x2FF);
        exec(df, b, Encoder.ud2(b, 0), 0x40, 1);
        assertThat(seen).as("#UD's gate not present: #NP(6*8+2), whose gate is not either: #DF")
                .containsExactly(new Seen(8, 0, df.scratch + 0x40));

        BareGuest triple = IdtTest.guest(hv, "triple", Virtualization.BT);
        lidt(triple, 0x2FF);
        triple.cpu.registers().set(RCX, NO_SUCH_MSR);
        assertThatThrownBy(() -> exec(triple, b, Encoder.rdmsr(b, 0), 0x40, 1)).isInstanceOf(GuestAbort.class);
        assertThat(triple.domain.crashCause()).contains("triple fault delivering exception 0xd");
        assertThat(bystander.domain.state()).isNotEqualTo(DomainState.SHUTDOWN);
    }
}
