package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.parasol.hypercall.x86.Registers.RAX;
import static org.parasol.hypercall.x86.Registers.RBX;
import static org.parasol.hypercall.x86.Registers.RCX;
import static org.parasol.hypercall.x86.Registers.RDI;
import static org.parasol.hypercall.x86.Registers.RDX;
import static org.parasol.hypercall.x86.Registers.RSI;
import static org.parasol.hypercall.x86.Registers.RSP;

import java.util.Random;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parasol.hypercall.GuestAbort;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypercall.x86.Encoder;
import org.parasol.hypercall.x86.Instruction;
import org.parasol.hypercall.x86.Platform;
import org.parasol.hypercall.x86.RegisterFile;
import org.parasol.hypercall.x86.Registers;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.domain.DomainState;
import org.parasol.hypervisor.domain.Virtualization;
import org.parasol.hypervisor.domain.VmExits;
import org.parasol.hypervisor.hvm.ExitReason;
import org.parasol.hypervisor.hvm.Qualification;
import org.parasol.hypervisor.testing.LeakCheck;
import org.parasol.hypervisor.time.ManualClock;

/**
 * The trap-and-emulate path driven instruction by instruction from a bare vCPU: real bytes at
 * {@code rip}, the exit each one takes with its qualification, and what the emulation did.
 */
class TrapAndEmulateTest {
    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    private Hypervisor hv;
    private BareGuest g;
    private RegisterFile regs;
    private VmExits exits;
    private final byte[] buf = new byte[64];

    @BeforeEach
    void boot() throws Exception {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(64L << 20).withClock(new ManualClock()).withPcpus(1)));
        g = trapGuest("trap");
        regs = g.cpu.registers();
        exits = g.domain.vcpu(0).vmExits();
    }

    private BareGuest trapGuest(String name) throws Exception {
        return BareGuest.create(hv, new DomainConfig(name, 8192, 8192, 1, null, "", false, DomainConfig.Action.PRESERVE,
                DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE, Virtualization.TRAP));
    }

    @AfterEach
    void close() {
        assertThat(hv.unhandledExceptions()).isZero();
        hv.close();
    }

    /** Writes {@code n} bytes of {@link #buf} at the scratch page and points rip at them. */
    private void code(int n) {
        for (int i = 0; i < n; i++) {
            g.mem.putByte(g.scratch + i, buf[i]);
        }
        regs.rip(g.scratch);
    }

    @Test
    @DisplayName("out dx, al to COM1's THR is an I/O exit whose qualification says port, size and direction; the UART "
            + "puts the line on the domain's console; rip moves past the instruction")
    void shouldTakeAnIoExitAndWriteThroughTheUart() {
        int n = Encoder.out(buf, 0, 1, Instruction.NONE);
        code(n);
        for (char c : "hi\n".toCharArray()) {
            regs.set(RDX, Platform.COM1);
            regs.set(RAX, c);
            regs.rip(g.scratch);
            g.cpu.execute(1);
        }
        assertThat(exits.lastReason()).isEqualTo(ExitReason.IO_INSTRUCTION);
        long q = exits.lastQualification();
        assertThat(Qualification.ioPort(q)).isEqualTo(Platform.COM1);
        assertThat(Qualification.ioSize(q)).isEqualTo(1);
        assertThat(Qualification.ioIn(q)).isFalse();
        assertThat(Qualification.ioString(q)).isFalse();
        assertThat(regs.rip()).isEqualTo(g.scratch + n);
        assertThat(exits.exits(ExitReason.IO_INSTRUCTION)).isEqualTo(3);
        assertThat(g.domain.console().lines()).containsExactly("hi");
    }

    @Test
    @DisplayName("rep outsb is one exit per execution with string and rep in its qualification; the hypervisor decodes "
            + "it to find RSI and RCX and moves every byte")
    void shouldMoveAStringThroughTheUart() {
        byte[] text = "a string\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        for (int i = 0; i < text.length; i++) {
            g.mem.putByte(g.scratch2 + i, text[i]);
        }
        code(Encoder.outs(buf, 0, 1, true));
        regs.set(RDX, Platform.COM1);
        regs.set(RSI, g.scratch2);
        regs.set(RCX, text.length);
        long shadowExits = exits.shadowExits(); // the text written above: hidden #PF exits of the shadow
        g.cpu.execute(1);
        assertThat(Qualification.ioString(exits.lastQualification())).isTrue();
        assertThat(Qualification.ioRep(exits.lastQualification())).isTrue();
        assertThat(regs.get(RCX)).isZero();
        assertThat(regs.get(RSI)).isEqualTo(g.scratch2 + text.length);
        assertThat(exits.exits() - shadowExits).isEqualTo(1);
        assertThat(exits.shadowExits()).as("the hypervisor reads the string itself: no exit").isEqualTo(shadowExits);
        assertThat(exits.decodes()).as("the exit does not say where the bytes are").isEqualTo(1);
        assertThat(g.domain.console().lines()).containsExactly("a string");
    }

    @Test
    @DisplayName("in al, dx of LSR reads THRE|TEMT; the rest of RAX is kept")
    void shouldReadTheLineStatus() {
        code(Encoder.in(buf, 0, 1, Instruction.NONE));
        regs.set(RDX, Platform.COM1 + Platform.UART_LSR);
        regs.set(RAX, 0x1234_5600L);
        g.cpu.execute(1);
        assertThat(regs.get(RAX)).isEqualTo(0x1234_5660L);
        assertThat(Qualification.ioIn(exits.lastQualification())).isTrue();
    }

    @Test
    @DisplayName("cli, pushf, popf and sti raise #GP in the deprivileged kernel (an exception exit that says nothing "
            + "more); the hypervisor decodes each and keeps IF in vcpu_info's upcall mask")
    void shouldEmulateTheInterruptFlag() {
        int p = Encoder.sti(buf, 0);
        p += Encoder.pushf(buf, p);
        p += Encoder.cli(buf, p);
        p += Encoder.popf(buf, p);
        code(p);
        regs.set(RSP, g.scratch2 + 4096);
        g.cpu.execute(2); // sti; pushf
        assertThat(g.domain.vcpu(0).vcpuInfo().evtchnUpcallMask()).isZero();
        long pushed = g.mem.getLong(g.scratch2 + 4096 - 8);
        assertThat(pushed & RegisterFile.RFLAGS_IF).isNotZero();
        g.cpu.execute(1); // cli
        assertThat(g.domain.vcpu(0).vcpuInfo().evtchnUpcallMask()).isEqualTo(1);
        g.cpu.execute(1); // popf of the flags pushed with IF set
        assertThat(g.domain.vcpu(0).vcpuInfo().evtchnUpcallMask()).isZero();
        assertThat(regs.get(RSP)).isEqualTo(g.scratch2 + 4096);
        assertThat(exits.exits(ExitReason.EXCEPTION_NMI) - exits.shadowExits()).isEqualTo(4);
        assertThat(exits.decodes()).isEqualTo(4);
    }

    @Test
    @DisplayName("cpuid answers with Xen's signature at 0x40000000 and its version; mov rax, cr3 gives the L4")
    void shouldAnswerCpuidAndCr3() {
        code(Encoder.cpuid(buf, 0));
        regs.set(RAX, Platform.CPUID_HYPERVISOR_BASE);
        g.cpu.execute(1);
        assertThat(regs.get(RBX)).isEqualTo(0x566e6558L); // "XenV"
        code(Encoder.movFromCr(buf, 0, RAX, Registers.CR3));
        g.cpu.execute(1);
        assertThat(exits.lastReason()).isEqualTo(ExitReason.CR_ACCESS);
        assertThat(Qualification.crNumber(exits.lastQualification())).isEqualTo(3);
        assertThat(Qualification.crType(exits.lastQualification())).isEqualTo(Qualification.MOV_FROM_CR);
        assertThat(regs.get(RAX) >>> 12).isEqualTo(g.domain.vcpu(0).baseMfn());
    }

    @Test
    @DisplayName("a store into a write-protected page table is a #PF exit with the address; the entry is validated "
            + "and written as mmu_update would write it")
    void shouldTrapAPageTableStore() {
        long va = g.scratch2;
        long l1Maddr = hv.pageTables().l1EntryAddress(g.domain.domid(), g.domain.vcpu(0).baseMfn(), va);
        assertThat(l1Maddr).isPositive();
        long entryVa = tableVa(l1Maddr >>> 12) + (l1Maddr & 0xFFF);
        long old = g.mem.getLong(entryVa);
        long readOnly = old & ~Mmu.PAGE_RW & ~(Mmu.PAGE_ACCESSED | Mmu.PAGE_DIRTY);
        code(Encoder.movStore(buf, 0, 8, RDI, Instruction.NONE, 1, 0, RSI));
        regs.set(RDI, entryVa);
        regs.set(RSI, readOnly);
        g.cpu.execute(1);
        assertThat(exits.lastReason()).isEqualTo(ExitReason.EXCEPTION_NMI);
        assertThat(exits.lastQualification()).isEqualTo(entryVa);
        assertThat(g.mem.getLong(entryVa) & ~(Mmu.PAGE_ACCESSED | Mmu.PAGE_DIRTY)).isEqualTo(readOnly);
        assertThat(g.domain.vcpu(0).ptwrEmulations()).isEqualTo(1);
    }

    @Test
    @DisplayName("a page-table store that maps a frame the domain does not own is refused and becomes the guest's #PF")
    void shouldRefuseAForeignMapping() {
        long l1Maddr = hv.pageTables().l1EntryAddress(g.domain.domid(), g.domain.vcpu(0).baseMfn(), g.scratch2);
        long entryVa = tableVa(l1Maddr >>> 12) + (l1Maddr & 0xFFF);
        long before = g.mem.getLong(entryVa);
        code(Encoder.movStore(buf, 0, 8, RDI, Instruction.NONE, 1, 0, RSI));
        regs.set(RDI, entryVa);
        regs.set(RSI, 1L << 12 | Mmu.PAGE_PRESENT | Mmu.PAGE_RW); // machine frame 1: not this domain's
        assertThatThrownBy(() -> g.cpu.execute(1)).isInstanceOf(GuestAbort.class);
        assertThat(g.domain.state()).isEqualTo(DomainState.SHUTDOWN);
        assertThat(g.domain.crashCause()).contains("page fault");
        assertThat(hv.frames().owner(1)).isNotEqualTo(g.domain.domid());
        assertThat(before).isNotZero();
    }

    @Test
    @DisplayName("out of SLP_EN to PM1a control powers the domain off")
    void shouldPowerOffThroughAcpi() {
        code(Encoder.out(buf, 0, 2, Instruction.NONE));
        regs.set(RDX, Platform.PM1A_CNT);
        regs.set(RAX, Platform.PM1_SLP_EN);
        assertThatThrownBy(() -> g.cpu.execute(1)).isInstanceOf(GuestAbort.class);
        assertThat(g.domain.shutdownReason()).isEqualTo(Shutdown.POWEROFF);
    }

    @Test
    @DisplayName("a paravirtual vCPU that executes an instruction crashes its own domain")
    void shouldCrashAParavirtualDomainThatExecutes() throws Exception {
        BareGuest pv = BareGuest.create(hv, new DomainConfig("pv", 8192, 8192, 1, null, "", false,
                DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE));
        assertThatThrownBy(() -> pv.cpu.execute(1)).isInstanceOf(GuestAbort.class);
        assertThat(pv.domain.crashCause()).contains("paravirtualized");
        assertThat(g.domain.state()).isNotEqualTo(DomainState.SHUTDOWN);
    }

    @Test
    @DisplayName("only a translated kernel enters the translator's emulation, and a translated kernel that reaches an "
            + "untranslated site is crashed: a missed site cannot go unnoticed")
    void shouldKeepTranslatedAndTrappedEntriesApart() throws Exception {
        assertThatThrownBy(() -> g.cpu.executeTranslated(1)).isInstanceOf(GuestAbort.class);
        assertThat(g.domain.crashCause()).contains("not translated");
        BareGuest bt = BareGuest.create(hv, new DomainConfig("bt", 8192, 8192, 1, null, "", false,
                DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE,
                Virtualization.BT));
        int n = Encoder.cpuid(buf, 0);
        for (int i = 0; i < n; i++) {
            bt.mem.putByte(bt.scratch + i, buf[i]);
        }
        RegisterFile r = bt.cpu.registers();
        for (int round = 0; round < 3; round++) {
            r.rip(bt.scratch);
            r.set(RAX, Platform.CPUID_XEN_VERSION);
            bt.cpu.executeTranslated(1);
            assertThat(r.get(RAX)).isEqualTo(4L << 16 | 19);
        }
        VmExits x = bt.domain.vcpu(0).vmExits();
        assertThat(x.exits()).isZero();
        assertThat(x.translations()).as("decoded once, then served from the translation cache").isEqualTo(1);
        assertThat(x.instructions()).isEqualTo(3);
        assertThatThrownBy(() -> bt.cpu.execute(1)).isInstanceOf(GuestAbort.class);
        assertThat(bt.domain.crashCause()).contains("untranslated");
    }

    @Test
    @DisplayName("hostile bytes at rip (random, or undefined) end only the domain that ran them, with #UD or #GP on "
            + "its console; the hypervisor throws nothing of its own")
    void shouldSurviveHostileBytes() throws Exception {
        Random r = new Random(15);
        for (int round = 0; round < 60; round++) {
            BareGuest victim = round == 0 ? g : trapGuest("hostile" + round);
            RegisterFile vr = victim.cpu.registers();
            for (int i = 0; i < 16; i++) {
                victim.mem.putByte(victim.scratch + i, (byte) r.nextInt());
            }
            for (int reg = 0; reg < 16; reg++) {
                vr.set(reg, r.nextBoolean() ? r.nextLong() : victim.scratch2 + r.nextInt(4096));
            }
            vr.rip(victim.scratch);
            try {
                for (int i = 0; i < 4; i++) {
                    victim.cpu.execute(1);
                }
            } catch (GuestAbort expected) {
                // the domain ended, as the machine's fault would end it
            }
            if (round > 0) {
                hv.destroy(victim.domain);
            }
        }
        assertThat(hv.unhandledExceptions()).isZero();
    }

    /** The VA at which the bootstrap tables map page-table frame {@code mfn}. */
    private long tableVa(long mfn) {
        long si = g.domain.startInfoVa();
        long ptBase = g.mem.getLong(si + 88);
        long nrPt = g.mem.getLong(si + 96);
        for (long i = 0; i < nrPt; i++) {
            long va = ptBase + i * 4096;
            if (g.domain.vcpu(0).mmu().translate(va, false) >>> 12 == mfn) {
                return va;
            }
        }
        throw new AssertionError("frame " + mfn + " is not a bootstrap table");
    }
}
