package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.parasol.hypercall.x86.Registers.RAX;
import static org.parasol.hypercall.x86.Registers.RDI;
import static org.parasol.hypercall.x86.Registers.RSI;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parasol.hypercall.GuestAbort;
import org.parasol.hypercall.TrapHandler;
import org.parasol.hypercall.x86.Encoder;
import org.parasol.hypercall.x86.Instruction;
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
 * {@code lidt} and {@code sidt} in the three native configurations, and the delivery of page
 * faults and 8259 interrupts through the gates of an IDT in guest memory, with every refusal a
 * CPU makes: beyond the limit, a bad type, not present, a null selector, a non-canonical
 * target; double and triple faults.
 */
class IdtTest {
    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    /** An unmapped, canonical address: a store there is the guest's own #PF. */
    static final long UNMAPPED = 0x0000_4000_0000_0000L;

    private Hypervisor hv;
    private final byte[] buf = new byte[64];

    /** One event a handler saw: vector, error code, address, and whether IF was set inside it. */
    record Seen(int vector, long errorCode, long address, boolean interruptsOn) {
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

    static BareGuest guest(Hypervisor hv, String name, Virtualization virt) throws Exception {
        return BareGuest.create(hv, new DomainConfig(name, 8192, 8192, 1, null, "", false, DomainConfig.Action.PRESERVE,
                DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE, virt));
    }

    /** The IDT lives at the second scratch page; code at the first, the pseudo-descriptor at +0x800. */
    static long idt(BareGuest g) {
        return g.scratch2;
    }

    static long descriptor(BareGuest g) {
        return g.scratch + 0x800;
    }

    /** Writes a 64-bit gate for {@code vector}: target offset, selector, attributes (P, DPL, type). */
    static void gate(BareGuest g, int vector, long target, int selector, int attributes) {
        long at = idt(g) + 16L * vector;
        g.mem.putLong(at, target & 0xFFFFL | (long) (selector & 0xFFFF) << 16 | (long) (attributes & 0xFF) << 40
                | (target >>> 16 & 0xFFFFL) << 48);
        g.mem.putLong(at + 8, target >>> 32);
    }

    /** A present DPL-0 interrupt gate (0x8E) through the kernel's selector to {@code handler}. */
    static void interruptGate(BareGuest g, int vector, TrapHandler handler) {
        gate(g, vector, g.cpu.registerCode(handler), 0x10, 0x8E);
    }

    // Where each snippet is put: a translated kernel's text does not change under its translations.
    static final int AT_LIDT = 0;
    static final int AT_STORE = 0x40;
    static final int AT_WINDOW = 0x80;
    static final int AT_CR2 = 0xC0;
    static final int AT_SIDT = 0x100;

    /** Runs the bytes in {@link #buf} at {@code off} in the scratch page. */
    private void run(BareGuest g, int n, int count, int off) {
        for (int i = 0; i < n; i++) {
            g.mem.putByte(g.scratch + off + i, buf[i]);
        }
        g.cpu.registers().rip(g.scratch + off);
        if (g.domain.config().virt() == Virtualization.BT) {
            g.cpu.executeTranslated(count);
        } else {
            g.cpu.execute(count);
        }
    }

    /** {@code lidt [rdi]} of {@code base} and {@code limit}. */
    private void lidt(BareGuest g, long base, int limit) {
        g.mem.putShort(descriptor(g), (short) limit);
        g.mem.putLong(descriptor(g) + 2, base);
        g.cpu.registers().set(RDI, descriptor(g));
        run(g, Encoder.lidt(buf, 0, RDI, Instruction.NONE, 1, 0), 1, AT_LIDT);
    }

    /** {@code sti}, then a store to {@link #UNMAPPED}: the store's #PF is delivered with IF set before it. */
    private void faultingStore(BareGuest g) {
        int n = Encoder.sti(buf, 0);
        n += Encoder.movStore(buf, n, 8, RDI, Instruction.NONE, 1, 0, RSI);
        g.cpu.registers().set(RDI, UNMAPPED);
        g.cpu.registers().set(RSI, 0x1234);
        run(g, n, 2, AT_STORE);
    }

    private static TrapHandler recorder(BareGuest g, List<Seen> seen) {
        return (cpu, vector, errorCode, address) -> seen.add(new Seen(vector, errorCode, address,
                (cpu.registers().rflags() & RegisterFile.RFLAGS_IF) != 0));
    }

    @Test
    @DisplayName("lidt under trap is a GDTR/IDTR exit (46): the qualification is the displacement, the instruction "
            + "information names lidt, its base register and no index; no decode after the exit; sidt reads it back")
    void shouldExitOnLidtAndSidt() throws Exception {
        BareGuest g = guest(hv, "trap", Virtualization.TRAP);
        VmExits x = g.domain.vcpu(0).vmExits();
        RegisterFile r = g.cpu.registers();
        g.mem.putShort(descriptor(g), (short) 0x2FF);
        g.mem.putLong(descriptor(g) + 2, idt(g));
        r.set(Registers.R12, descriptor(g) - 0x10);
        long decodes = x.decodes();
        int n = Encoder.lidt(buf, 0, Registers.R12, Instruction.NONE, 1, 0x10);
        run(g, n, 1, AT_LIDT);
        assertThat(x.lastReason()).isEqualTo(ExitReason.GDTR_IDTR);
        assertThat(ExitReason.GDTR_IDTR.number()).isEqualTo(46);
        assertThat(x.lastQualification()).as("the displacement").isEqualTo(0x10);
        assertThat(x.exits(ExitReason.GDTR_IDTR)).isEqualTo(1);
        assertThat(x.decodes()).as("the exit says all: no decode").isEqualTo(decodes);
        assertThat(x.idtLoaded()).isTrue();
        assertThat(x.idtBase()).isEqualTo(idt(g));
        assertThat(x.idtLimit()).isEqualTo(0x2FF);
        assertThat(r.rip()).isEqualTo(g.scratch + n);

        // sidt, RIP-relative: the qualification is the address itself.
        int m = Encoder.sidt(buf, 0, Encoder.RIP, Instruction.NONE, 1, 0x400);
        run(g, m, 1, AT_SIDT);
        long at = g.scratch + AT_SIDT + m + 0x400;
        assertThat(x.lastQualification()).isEqualTo(at);
        assertThat(g.mem.getShort(at) & 0xFFFF).isEqualTo(0x2FF);
        assertThat(g.mem.getLong(at + 2)).isEqualTo(idt(g));
    }

    @Test
    @DisplayName("the instruction information field packs scaling, address size, segment, index and base as the SDM lays "
            + "it out")
    void shouldPackTheInstructionInformation() {
        long info = Qualification.descriptorTable(Qualification.DT_LIDT, 4, 4, Instruction.FS, Registers.RDX, -1);
        assertThat(info).isEqualTo(2L | 1L << 7 | 4L << 15 | 2L << 18 | 1L << 27 | 3L << 28);
        assertThat(Qualification.dtIdentity(info)).isEqualTo(Qualification.DT_LIDT);
        assertThat(Qualification.dtScaling(info)).isEqualTo(2);
        assertThat(Qualification.dtAddressBytes(info)).isEqualTo(4);
        assertThat(Qualification.dtSegment(info)).isEqualTo(Instruction.FS);
        assertThat(Qualification.dtIndex(info)).isEqualTo(Registers.RDX);
        assertThat(Qualification.dtBase(info)).isEqualTo(-1);
    }

    @Test
    @DisplayName("under bt lidt is emulated inline (decoded once, no exit) and under bare it takes effect directly")
    void shouldLoadTheIdtTranslatedAndBare() throws Exception {
        for (Virtualization virt : new Virtualization[] {Virtualization.BT, Virtualization.BARE}) {
            BareGuest g = guest(hv, virt.key(), virt);
            VmExits x = g.domain.vcpu(0).vmExits();
            lidt(g, idt(g), 0xFFF);
            lidt(g, idt(g), 0x2FF);
            assertThat(x.idtLoaded()).isTrue();
            assertThat(x.idtLimit()).isEqualTo(0x2FF);
            assertThat(x.exits()).as(virt + ": no exit").isZero();
            assertThat(x.translations()).as(virt + ": translations").isEqualTo(virt == Virtualization.BT ? 1 : 0);
        }
    }

    @Test
    @DisplayName("a #PF goes through the IDT's gate 14: vector, error code, address, IF clear in an interrupt gate, the "
            + "registers, rip and IF given back by its return; mov from cr2 reads the address")
    void shouldDeliverAPageFaultThroughTheIdt() throws Exception {
        for (Virtualization virt : new Virtualization[] {Virtualization.TRAP, Virtualization.BT, Virtualization.BARE}) {
            BareGuest g = guest(hv, "pf-" + virt.key(), virt);
            List<Seen> seen = new ArrayList<>();
            TrapHandler record = recorder(g, seen);
            interruptGate(g, 14, (cpu, vector, errorCode, address) -> {
                record.trap(cpu, vector, errorCode, address);
                cpu.registers().set(RSI, 0xBAD); // the handler's own use of the registers
                if (seen.size() > 1) {
                    throw new IllegalStateException("one store, one fault: the store is retried only by the next execute");
                }
            });
            lidt(g, idt(g), 0x2FF);
            faultingStore(g);
            assertThat(seen).as(virt.key()).containsExactly(new Seen(14, 2, UNMAPPED, false));
            RegisterFile r = g.cpu.registers();
            assertThat(r.get(RSI)).as("restored by the handler's return").isEqualTo(0x1234);
            assertThat(r.rip()).as("the store is retried").isEqualTo(g.scratch + AT_STORE + 1);
            assertThat(r.rflags() & RegisterFile.RFLAGS_IF).as("IF back on").isNotZero();
            assertThat(g.domain.vcpu(0).vmExits().idtDeliveries()).isEqualTo(1);
            run(g, Encoder.movFromCr(buf, 0, RAX, Registers.CR2), 1, AT_CR2);
            assertThat(r.get(RAX)).isEqualTo(UNMAPPED);
        }
    }

    @Test
    @DisplayName("a trap gate (type 0xF) leaves IF set in its handler")
    void shouldLeaveInterruptsOnInATrapGate() throws Exception {
        BareGuest g = guest(hv, "trapgate", Virtualization.TRAP);
        List<Seen> seen = new ArrayList<>();
        gate(g, 14, g.cpu.registerCode(recorder(g, seen)), 0x10, 0x8F);
        lidt(g, idt(g), 0x2FF);
        faultingStore(g);
        assertThat(seen).containsExactly(new Seen(14, 2, UNMAPPED, true));
    }

    /** Programs the 8259 pair as a native kernel does (vectors 0x20 and 0x28) with only {@code irq} unmasked. */
    private static void programPic(BareGuest g, int irq) {
        var pic = g.domain.pic();
        pic.write(0x20, 0x11);
        pic.write(0x21, 0x20);
        pic.write(0x21, 4);
        pic.write(0x21, 1);
        pic.write(0xA0, 0x11);
        pic.write(0xA1, 0x28);
        pic.write(0xA1, 2);
        pic.write(0xA1, 1);
        pic.write(0x21, 0xFF & ~(1 << irq));
        pic.write(0xA1, 0xFF);
    }

    /** {@code sti; cpuid}: the interrupt waiting is taken after cpuid, outside sti's shadow. */
    private void openWindow(BareGuest g) {
        int n = Encoder.sti(buf, 0);
        n += Encoder.cpuid(buf, n);
        g.cpu.registers().set(RAX, 0);
        run(g, n, 2, AT_WINDOW);
    }

    @Test
    @DisplayName("IRQ 4 from the 8259 pair goes through the IDT's gate 0x24 with IF clear; the domain's interrupt count "
            + "moves")
    void shouldDeliverAnInterruptThroughTheIdt() throws Exception {
        BareGuest g = guest(hv, "irq", Virtualization.TRAP);
        List<Seen> seen = new ArrayList<>();
        interruptGate(g, 0x24, recorder(g, seen));
        lidt(g, idt(g), 0x2FF);
        programPic(g, 4);
        g.domain.pic().setIrq(4, true);
        openWindow(g);
        assertThat(seen).containsExactly(new Seen(0x24, 0, 0, false));
        assertThat(g.domain.vcpu(0).traps().interrupts()).isEqualTo(1);
    }

    @Test
    @DisplayName("an interrupt whose gate is not present is #NP, whose gate has no valid type is #GP (the type is checked "
            + "first), each with the vector's selector error code and EXT, delivered to its own gate")
    void shouldRaiseNotPresentForAnInterrupt() throws Exception {
        BareGuest z = guest(hv, "gp", Virtualization.TRAP);
        List<Seen> gp = new ArrayList<>();
        interruptGate(z, 13, recorder(z, gp));
        lidt(z, idt(z), 0x2FF);
        programPic(z, 4);
        z.domain.pic().setIrq(4, true);
        openWindow(z);
        assertThat(gp).containsExactly(new Seen(13, 0x24 << 3 | 2 | 1, 0, false));

        BareGuest g = guest(hv, "np", Virtualization.TRAP);
        List<Seen> seen = new ArrayList<>();
        interruptGate(g, 11, recorder(g, seen));
        gate(g, 0x24, g.cpu.registerCode(recorder(g, seen)), 0x10, 0x0E); // an interrupt gate, P clear
        lidt(g, idt(g), 0x2FF);
        programPic(g, 4);
        g.domain.pic().setIrq(4, true);
        openWindow(g);
        assertThat(seen).containsExactly(new Seen(11, 0x24 << 3 | 2 | 1, 0, false));
    }

    @Test
    @DisplayName("a #PF whose gate is refused (not present, beyond the limit, a bad type) is a double fault, delivered "
            + "to gate 8 with error code 0")
    void shouldDoubleFault() throws Exception {
        int[][] cases = {
            {0x0E, 0x2FF}, // not present (P clear)
            {0x8E, 14 * 16 + 14}, // vector 14 beyond the limit, 8 within it
            {0x8C, 0x2FF}, // a call gate
            {0x9E, 0x2FF}, // S set: not a system descriptor
        };
        for (int[] c : cases) {
            BareGuest g = guest(hv, "df" + c[0] + "-" + c[1], Virtualization.TRAP);
            List<Seen> seen = new ArrayList<>();
            TrapHandler h = recorder(g, seen);
            interruptGate(g, 8, h);
            gate(g, 14, g.cpu.registerCode(h), 0x10, c[0]);
            lidt(g, idt(g), c[1]);
            faultingStore(g);
            assertThat(seen).as("gate attributes %#x, limit %#x", c[0], c[1]).containsExactly(new Seen(8, 0, 0, false));
        }
    }

    @Test
    @DisplayName("with no usable gate for the fault, #DF or anything after it, the domain is crashed by a triple fault; "
            + "another domain runs on")
    void shouldTripleFault() throws Exception {
        BareGuest bystander = guest(hv, "bystander", Virtualization.TRAP);
        List<java.util.function.Consumer<BareGuest>> idts = List.of(
                g -> lidt(g, idt(g), 0x2FF), // every gate zero: not present
                g -> lidt(g, idt(g), 7), // nothing within the limit
                g -> lidt(g, 0x0000_5000_0000_0000L, 0xFFF), // the IDT itself is not mapped
                g -> {
                    for (int v : new int[] {8, 11, 13, 14}) {
                        gate(g, v, g.cpu.registerCode(recorder(g, new ArrayList<>())), 0, 0x8E); // null selector
                    }
                    lidt(g, idt(g), 0x2FF);
                },
                g -> {
                    for (int v : new int[] {8, 11, 13, 14}) {
                        gate(g, v, 0x0000_8000_0000_0000L, 0x10, 0x8E); // non-canonical target
                    }
                    lidt(g, idt(g), 0x2FF);
                });
        int i = 0;
        for (var load : idts) {
            BareGuest g = guest(hv, "triple" + i++, Virtualization.TRAP);
            load.accept(g);
            assertThatThrownBy(() -> faultingStore(g)).isInstanceOf(GuestAbort.class);
            assertThat(g.domain.crashCause()).contains("triple fault");
        }
        assertThat(bystander.domain.state()).isNotEqualTo(DomainState.SHUTDOWN);
        openWindow(bystander);
        assertThat(hv.unhandledExceptions()).isZero();
    }

    @Test
    @DisplayName("a gate whose target is no code of the domain, and lidt of a non-canonical base, crash only that domain")
    void shouldCrashOnABadTargetOrBase() throws Exception {
        BareGuest g = guest(hv, "target", Virtualization.TRAP);
        gate(g, 14, 0xFFFF_FFFF_C000_0000L + 0x1230, 0x10, 0x8E);
        lidt(g, idt(g), 0x2FF);
        assertThatThrownBy(() -> faultingStore(g)).isInstanceOf(GuestAbort.class);
        assertThat(g.domain.crashCause()).contains("no code");

        BareGuest b = guest(hv, "base", Virtualization.TRAP);
        assertThatThrownBy(() -> lidt(b, 0x0000_8000_0000_0000L, 0x2FF)).isInstanceOf(GuestAbort.class);
        assertThat(b.domain.crashCause()).contains("non-canonical");
    }

    @Test
    @DisplayName("a kernel that never loaded an IDT keeps the trap table; once it loads one, the trap table is not used")
    void shouldUseTheIdtOnlyOnceLoaded() throws Exception {
        BareGuest g = guest(hv, "both", Virtualization.TRAP);
        List<Seen> fromTable = new ArrayList<>();
        g.domain.vcpu(0).traps().setTrap(14, recorder(g, fromTable));
        faultingStore(g);
        assertThat(fromTable).hasSize(1);
        List<Seen> fromIdt = new ArrayList<>();
        interruptGate(g, 14, recorder(g, fromIdt));
        lidt(g, idt(g), 0x2FF);
        faultingStore(g);
        assertThat(fromTable).hasSize(1);
        assertThat(fromIdt).hasSize(1);
    }
}
