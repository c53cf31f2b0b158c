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
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GuestAbort;
import org.parasol.hypercall.Port;
import org.parasol.hypercall.TrapHandler;
import org.parasol.hypercall.Virq;
import org.parasol.hypercall.abi.HvmOp;
import org.parasol.hypercall.guest.ArgumentPage;
import org.parasol.hypercall.guest.EventChannelCalls;
import org.parasol.hypercall.guest.HvmOpCalls;
import org.parasol.hypercall.struct.VcpuInfo;
import org.parasol.hypercall.x86.Encoder;
import org.parasol.hypercall.x86.Instruction;
import org.parasol.hypercall.x86.Platform;
import org.parasol.hypercall.x86.RegisterFile;
import org.parasol.hypervisor.domain.DomainState;
import org.parasol.hypervisor.domain.Virtualization;
import org.parasol.hypervisor.domain.VmExits;
import org.parasol.hypervisor.testing.LeakCheck;
import org.parasol.hypervisor.time.ManualClock;

/**
 * Native event delivery through the IDT, in trap, bt and bare: event-channel upcalls at the
 * vector {@code HVM_PARAM_CALLBACK_IRQ} names (as Xen's {@code HVMIRQ_callback_vector}), and
 * the local APIC timer's expiry at its LVT vector, ended by the x2APIC EOI.
 */
class NativeEventDeliveryTest {
    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    private static final Virtualization[] NATIVE = {Virtualization.TRAP, Virtualization.BT, Virtualization.BARE};
    // Where each snippet is put: a translated kernel's text does not change under its translations.
    private static final int AT_CLI = 0x200;
    private static final int AT_CPUID = 0x240;
    private static final int AT_WINDOW = 0x280;
    private static final int AT_WRMSR = 0x2C0;
    private static final int AT_RDMSR = 0x300;

    private ManualClock clock;
    private Hypervisor hv;
    private final byte[] buf = new byte[64];

    /** One delivery a gate's handler saw: its vector, where the interrupted code was, and IF inside it. */
    record Seen(int vector, long rip, boolean interruptsOn) {
    }

    @BeforeEach
    void boot() throws Exception {
        clock = new ManualClock();
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(128L << 20).withClock(clock).withPcpus(1)));
    }

    @AfterEach
    void close() {
        assertThat(hv.unhandledExceptions()).isZero();
        hv.close();
    }

    /** The argument page: the one after the IDT's. */
    private static ArgumentPage args(BareGuest g) {
        return new ArgumentPage(g.scratch2 + 4096);
    }

    private void run(BareGuest g, int n, int count, int at) {
        for (int i = 0; i < n; i++) {
            g.mem.putByte(g.scratch + at + i, buf[i]);
        }
        g.cpu.registers().rip(g.scratch + at);
        if (g.domain.config().virt() == Virtualization.BT) {
            g.cpu.executeTranslated(count);
        } else {
            g.cpu.execute(count);
        }
    }

    /** A kernel's IDT of 256 gates at the second scratch page, loaded with lidt. */
    private void lidt(BareGuest g) {
        long d = IdtTest.descriptor(g);
        g.mem.putShort(d, (short) 0xFFF);
        g.mem.putLong(d + 2, IdtTest.idt(g));
        g.cpu.registers().set(RDI, d);
        int n = Encoder.lidt(buf, 0, RDI, Instruction.NONE, 1, 0);
        for (int i = 0; i < n; i++) {
            g.mem.putByte(g.scratch + i, buf[i]);
        }
        g.cpu.registers().rip(g.scratch);
        if (g.domain.config().virt() == Virtualization.BT) {
            g.cpu.executeTranslated(1);
        } else {
            g.cpu.execute(1);
        }
    }

    private void cli(BareGuest g) {
        run(g, Encoder.cli(buf, 0), 1, AT_CLI);
    }

    /** {@code sti; cpuid}: anything pending is taken after cpuid, not in sti's shadow. */
    private void openWindow(BareGuest g) {
        int n = Encoder.sti(buf, 0);
        n += Encoder.cpuid(buf, n);
        g.cpu.registers().set(RAX, 0);
        run(g, n, 2, AT_WINDOW);
    }

    private long windowEnd() {
        return AT_WINDOW + Encoder.sti(buf, 0) + Encoder.cpuid(buf, 0);
    }

    private void wrmsr(BareGuest g, int msr, long value) {
        RegisterFile r = g.cpu.registers();
        r.set(RCX, msr);
        r.set(RAX, value & 0xFFFF_FFFFL);
        r.set(RDX, value >>> 32);
        run(g, Encoder.wrmsr(buf, 0), 1, AT_WRMSR);
    }

    private long rdmsr(BareGuest g, int msr) {
        RegisterFile r = g.cpu.registers();
        r.set(RCX, msr);
        run(g, Encoder.rdmsr(buf, 0), 1, AT_RDMSR);
        return (r.get(RDX) & 0xFFFF_FFFFL) << 32 | r.get(RAX) & 0xFFFF_FFFFL;
    }

    private static TrapHandler recorder(List<Seen> seen) {
        return (cpu, vector, errorCode, address) -> seen.add(new Seen(vector, cpu.registers().rip(),
                (cpu.registers().rflags() & RegisterFile.RFLAGS_IF) != 0));
    }

    /** The event upcall as a kernel's: records, then clears evtchn_upcall_pending as EventDispatcher does. */
    private static TrapHandler upcall(BareGuest g, List<Seen> seen) {
        TrapHandler rec = recorder(seen);
        return (cpu, vector, errorCode, address) -> {
            rec.trap(cpu, vector, errorCode, address);
            g.mem.putByte(BareGuest.vcpuInfo() + VcpuInfo.EVTCHN_UPCALL_PENDING_OFFSET, (byte) 0);
        };
    }

    private static int pendingFlag(BareGuest g) {
        return g.mem.getByte(BareGuest.vcpuInfo() + VcpuInfo.EVTCHN_UPCALL_PENDING_OFFSET);
    }

    // ---------------------------------------------------------------- the callback vector

    @Test
    @DisplayName("HVM_PARAM_CALLBACK_IRQ = 2 << 56 | 0xf3: an event another domain sends is an external interrupt "
            + "through gate 0xf3; with IF clear it stays pending until sti, and is taken after sti's shadow; no ISR bit, "
            + "no PV upcall")
    void shouldDeliverEventsAtTheCallbackVector() throws Exception {
        for (Virtualization virt : NATIVE) {
            BareGuest g = IdtTest.guest(hv, "cb-" + virt.key(), virt);
            BareGuest peer = BareGuest.create(hv, "peer-" + virt.key(), 8192);
            List<Seen> seen = new ArrayList<>();
            IdtTest.interruptGate(g, Platform.HYPERVISOR_CALLBACK_VECTOR, upcall(g, seen));
            lidt(g);
            assertThat(new HvmOpCalls(g.cpu, args(g)).setParam(HvmOp.PARAM_CALLBACK_IRQ,
                    HvmOp.callbackVia(Platform.HYPERVISOR_CALLBACK_VECTOR))).isZero();
            assertThat(g.domain.callbackVector()).isEqualTo(0xF3);

            EventChannelCalls ge = new EventChannelCalls(g.cpu, args(g));
            long port = ge.allocUnbound(DomId.SELF, DomId.of(peer.domain.domid()));
            assertThat(port).isPositive();
            EventChannelCalls pe = new EventChannelCalls(peer.cpu, new ArgumentPage(peer.scratch));
            long peerPort = pe.bindInterdomain(DomId.of(g.domain.domid()), Port.of((int) port));
            assertThat(peerPort).isPositive();

            cli(g);
            assertThat(pe.send(Port.of((int) peerPort))).isZero();
            assertThat(pendingFlag(g)).as(virt + ": evtchn_upcall_pending").isEqualTo(1);
            run(g, Encoder.cpuid(buf, 0), 1, AT_CPUID);
            assertThat(seen).as(virt + ": IF clear holds it").isEmpty();

            openWindow(g);
            assertThat(seen).as(virt.key()).containsExactly(
                    new Seen(Platform.HYPERVISOR_CALLBACK_VECTOR, g.scratch + windowEnd(), false));
            VmExits x = g.domain.vcpu(0).vmExits();
            assertThat(x.callbackInterrupts()).isEqualTo(1);
            assertThat(x.inService(Platform.HYPERVISOR_CALLBACK_VECTOR)).as("Xen sets no ISR bit for it").isFalse();
            assertThat(g.domain.vcpu(0).upcalls()).as("no PV event callback").isZero();
            assertThat(g.domain.vcpu(0).traps().interrupts()).as("an external interrupt").isEqualTo(1);
            assertThat(g.shared().isPending((int) port)).as("the port stays the kernel's to clear").isTrue();

            // A second send while the port is still pending raises no new upcall (2-level semantics).
            seen.clear();
            assertThat(pe.send(Port.of((int) peerPort))).isZero();
            openWindow(g);
            assertThat(seen).isEmpty();
        }
    }

    @Test
    @DisplayName("a hypercall's return is a delivery point too (VM entry after vmcall): the event is taken there with IF set")
    void shouldDeliverAtTheCallbackVectorOnHypercallReturn() throws Exception {
        BareGuest g = IdtTest.guest(hv, "cb-hc", Virtualization.TRAP);
        List<Seen> seen = new ArrayList<>();
        IdtTest.interruptGate(g, 0xF3, upcall(g, seen));
        lidt(g);
        openWindow(g); // IF on
        HvmOpCalls hvm = new HvmOpCalls(g.cpu, args(g));
        assertThat(hvm.setParam(HvmOp.PARAM_CALLBACK_IRQ, HvmOp.callbackVia(0xF3))).isZero();
        EventChannelCalls ge = new EventChannelCalls(g.cpu, args(g));
        long ipi = ge.bindIpi(0);
        assertThat(ipi).isPositive();
        assertThat(ge.send(Port.of((int) ipi))).isZero();
        assertThat(seen).hasSize(1);
        assertThat(seen.get(0).vector()).isEqualTo(0xF3);
        assertThat(g.domain.vcpu(0).upcalls()).isZero();
    }

    @Test
    @DisplayName("a callback vector below 16 is illegal to the local APIC: nothing is delivered; 0 goes back to the PV "
            + "event callback")
    void shouldNotDeliverAnIllegalVector() throws Exception {
        BareGuest g = IdtTest.guest(hv, "cb-illegal", Virtualization.TRAP);
        List<Seen> seen = new ArrayList<>();
        for (int v = 0; v < 16; v++) {
            IdtTest.interruptGate(g, v, recorder(seen));
        }
        lidt(g);
        openWindow(g);
        HvmOpCalls hvm = new HvmOpCalls(g.cpu, args(g));
        assertThat(hvm.setParam(HvmOp.PARAM_CALLBACK_IRQ, HvmOp.callbackVia(14))).as("Xen takes any value").isZero();
        EventChannelCalls ge = new EventChannelCalls(g.cpu, args(g));
        long ipi = ge.bindIpi(0);
        assertThat(ge.send(Port.of((int) ipi))).isZero();
        openWindow(g);
        assertThat(seen).isEmpty();
        assertThat(pendingFlag(g)).isEqualTo(1);
        assertThat(hvm.setParam(HvmOp.PARAM_CALLBACK_IRQ, 0)).isZero();
        assertThat(g.domain.callbackVector()).isEqualTo(-1);
        assertThat(hvm.getParam(HvmOp.PARAM_CALLBACK_IRQ)).isZero();
    }

    // ---------------------------------------------------------------- the local APIC timer

    @Test
    @DisplayName("the LVT timer in TSC-deadline mode at 0xec: expiry is an interrupt through gate 0xec, in service until "
            + "a wrmsr of 0 to EOI (0x80b); a second expiry waits for the EOI; the deadline reads 0 once fired; no "
            + "VIRQ_TIMER")
    void shouldDeliverTheTimerAtItsLvtVector() throws Exception {
        for (Virtualization virt : NATIVE) {
            BareGuest g = IdtTest.guest(hv, "lapic-" + virt.key(), virt);
            List<Seen> seen = new ArrayList<>();
            IdtTest.interruptGate(g, Platform.LOCAL_TIMER_VECTOR, recorder(seen));
            lidt(g);
            EventChannelCalls ge = new EventChannelCalls(g.cpu, args(g));
            long virqPort = ge.bindVirq(Virq.TIMER, 0);
            assertThat(virqPort).isPositive();
            VmExits x = g.domain.vcpu(0).vmExits();

            wrmsr(g, Platform.MSR_X2APIC_LVT_TIMER, Platform.LVT_TSC_DEADLINE | Platform.LOCAL_TIMER_VECTOR);
            long deadline = hv.timeScale().tscAt(hv.systemTime() + 1_000_000);
            wrmsr(g, Platform.MSR_TSC_DEADLINE, deadline);
            assertThat(g.domain.vcpu(0).timers().localApicArmed()).isTrue();
            assertThat(g.domain.vcpu(0).timers().singleshotArmed()).as("not the PV single-shot timer").isFalse();
            openWindow(g);
            assertThat(seen).as(virt + ": not yet").isEmpty();

            clock.advance(2_000_000);
            openWindow(g);
            assertThat(seen).as(virt.key()).containsExactly(
                    new Seen(Platform.LOCAL_TIMER_VECTOR, g.scratch + windowEnd(), false));
            assertThat(x.inService(Platform.LOCAL_TIMER_VECTOR)).isTrue();
            assertThat(x.timerInterrupts()).isEqualTo(1);
            assertThat(rdmsr(g, Platform.MSR_TSC_DEADLINE)).as("cleared when it fired").isZero();
            assertThat(g.pending((int) virqPort)).as(virt + ": no VIRQ_TIMER").isFalse();

            // Fires again while 0xec is in service: held (same priority class) until the EOI.
            wrmsr(g, Platform.MSR_TSC_DEADLINE, hv.timeScale().tscAt(hv.systemTime() + 1_000_000));
            clock.advance(2_000_000);
            openWindow(g);
            assertThat(seen).as(virt + ": held by ISR").hasSize(1);
            wrmsr(g, Platform.MSR_X2APIC_EOI, 0); // ends the first; the second is taken at this boundary
            assertThat(seen).as(virt + ": after the EOI").hasSize(2);
            assertThat(x.inService(Platform.LOCAL_TIMER_VECTOR)).isTrue();
            wrmsr(g, Platform.MSR_X2APIC_EOI, 0);
            assertThat(x.inService(Platform.LOCAL_TIMER_VECTOR)).isFalse();
            assertThat(g.pending((int) virqPort)).isFalse();
        }
    }

    @Test
    @DisplayName("a masked LVT timer delivers nothing: it still counts, and an expiry while masked is lost (unmasking "
            + "later delivers nothing, the deadline reads 0); a change of mode disarms it")
    void shouldDeliverNothingMasked() throws Exception {
        for (Virtualization virt : NATIVE) {
            BareGuest g = IdtTest.guest(hv, "masked-" + virt.key(), virt);
            List<Seen> seen = new ArrayList<>();
            IdtTest.interruptGate(g, Platform.LOCAL_TIMER_VECTOR, recorder(seen));
            lidt(g);
            wrmsr(g, Platform.MSR_X2APIC_LVT_TIMER, Platform.LVT_TSC_DEADLINE | Platform.LVT_MASKED
                    | Platform.LOCAL_TIMER_VECTOR);
            long deadline = hv.timeScale().tscAt(hv.systemTime() + 1_000_000);
            wrmsr(g, Platform.MSR_TSC_DEADLINE, deadline);
            assertThat(rdmsr(g, Platform.MSR_TSC_DEADLINE)).isEqualTo(deadline);
            clock.advance(2_000_000);
            openWindow(g);
            assertThat(seen).as(virt.key()).isEmpty();
            wrmsr(g, Platform.MSR_X2APIC_LVT_TIMER, Platform.LVT_TSC_DEADLINE | Platform.LOCAL_TIMER_VECTOR);
            openWindow(g);
            assertThat(seen).as(virt + ": lost while masked").isEmpty();
            assertThat(rdmsr(g, Platform.MSR_TSC_DEADLINE)).as("it fired").isZero();

            wrmsr(g, Platform.MSR_TSC_DEADLINE, hv.timeScale().tscAt(hv.systemTime() + 1_000_000));
            assertThat(g.domain.vcpu(0).timers().localApicArmed()).isTrue();
            wrmsr(g, Platform.MSR_X2APIC_LVT_TIMER, Platform.LOCAL_TIMER_VECTOR); // one-shot mode
            assertThat(g.domain.vcpu(0).timers().localApicArmed()).as("a change of mode disarms").isFalse();
            clock.advance(2_000_000);
            openWindow(g);
            assertThat(seen).as(virt.key()).isEmpty();
            assertThat(g.domain.vcpu(0).vmExits().timerInterrupts()).isZero();
        }
    }

    @Test
    @DisplayName("under trap the LVT, deadline and EOI writes are MSR_WRITE exits (32); a non-zero EOI is #GP(0) through "
            + "the IDT, with rip at the wrmsr, as a refused MSR's; with no IDT it crashes only that domain")
    void shouldExitOnTheApicMsrsAndRefuseABadEoi() throws Exception {
        BareGuest bystander = IdtTest.guest(hv, "bystander", Virtualization.TRAP);
        BareGuest g = IdtTest.guest(hv, "eoi", Virtualization.TRAP);
        VmExits x = g.domain.vcpu(0).vmExits();
        List<Seen> gp = new ArrayList<>();
        IdtTest.interruptGate(g, 13, recorder(gp));
        lidt(g);
        long before = x.exits(org.parasol.hypervisor.hvm.ExitReason.MSR_WRITE);
        wrmsr(g, Platform.MSR_X2APIC_LVT_TIMER, Platform.LVT_TSC_DEADLINE | Platform.LOCAL_TIMER_VECTOR);
        wrmsr(g, Platform.MSR_TSC_DEADLINE, 0);
        wrmsr(g, Platform.MSR_X2APIC_EOI, 0);
        assertThat(x.exits(org.parasol.hypervisor.hvm.ExitReason.MSR_WRITE) - before).isEqualTo(3);
        assertThat(gp).isEmpty();
        wrmsr(g, Platform.MSR_X2APIC_EOI, 1);
        assertThat(gp).containsExactly(new Seen(13, g.scratch + AT_WRMSR, false));
        assertThat(g.domain.state()).isEqualTo(DomainState.RUNNING);

        BareGuest early = IdtTest.guest(hv, "eoi-early", Virtualization.TRAP);
        assertThatThrownBy(() -> wrmsr(early, Platform.MSR_X2APIC_EOI, 1)).isInstanceOf(GuestAbort.class);
        assertThat(early.domain.state()).isNotEqualTo(DomainState.RUNNING);
        assertThat(early.domain.crashCause()).contains("EOI");
        assertThat(bystander.domain.state()).isEqualTo(DomainState.RUNNING);
    }
}
