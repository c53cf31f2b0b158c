package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.abi.HvmOp;
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypercall.x86.Platform;
import org.parasol.hypervisor.HostConfig;
import org.parasol.hypervisor.Hypervisor;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.domain.Virtualization;
import org.parasol.hypervisor.domain.VmExits;
import org.parasol.hypervisor.image.ImageLoader;
import org.parasol.hypervisor.image.ImageRepository;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * The native kernel's events on a real hypervisor, in trap, bt and bare: it sets
 * {@code HVM_PARAM_CALLBACK_IRQ} to vector 0xf3 at boot and registers no PV event callback, so
 * every event-channel upcall of the self-test's event storm is an interrupt through its IDT; its
 * timers fire through the local APIC timer's gate at 0xec, with no {@code VIRQ_TIMER}; a
 * secondary vCPU does the same with its own IDT.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NativeEventDeliveryRunTest {
    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();
    private Hypervisor hv;
    private int runs;

    @BeforeEach
    void boot() {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(96L << 20)));
        hv.setKernelSource(Hypervisor.images(new ImageLoader(ImageRepository.standard())));
    }

    @AfterEach
    void close() {
        hv.close();
    }

    private Domain run(String image, Virtualization virt, int vcpus, String cmdline) throws Exception {
        CountDownLatch ended = new CountDownLatch(1);
        String name = image + "-" + virt.key() + "-" + runs++;
        hv.onShutdown(d -> {
            if (d.name().equals(name)) {
                ended.countDown();
            }
        });
        Domain d = hv.createDomain(DomainConfig.of(name, image, 8).withVcpus(vcpus).withCmdline(cmdline).withVirt(virt));
        assertThat(ended.await(90, TimeUnit.SECONDS)).as(image + " under " + virt + " ends").isTrue();
        hv.drainConsole();
        assertThat(d.shutdownReason()).as(String.join("\n", d.console().lines())).isEqualTo(Shutdown.POWEROFF);
        return d;
    }

    @Test
    @DisplayName("the self-test's event storm runs through gate 0xf3: no PV upcall, no callback_op, "
            + "HVM_PARAM_CALLBACK_IRQ = 2 << 56 | 0xf3")
    void shouldTakeEventsAndTimersThroughTheIdt() throws Exception {
        for (Virtualization virt : List.of(Virtualization.TRAP, Virtualization.BT, Virtualization.BARE)) {
            Domain d = run("selftest", virt, 1, "events=2000");
            List<String> console = d.console().lines();
            assertThat(console).as(virt.key()).anyMatch(l -> l.startsWith("selftest: events ok: 2000 sent, 2000 seen"));
            assertThat(console).anyMatch(l -> l.startsWith("selftest: timers ok: 200 fired in deadline order"));
            assertThat(console).contains("selftest: all passed");
            VmExits x = d.vcpu(0).vmExits();
            assertThat(d.hvmParam(HvmOp.PARAM_CALLBACK_IRQ)).isEqualTo(2L << 56 | Platform.HYPERVISOR_CALLBACK_VECTOR);
            assertThat(x.callbackInterrupts()).as(virt + ": upcalls through gate 0xf3").isPositive();
            assertThat(d.vcpu(0).upcalls()).as(virt + ": no PV event callback").isZero();
            assertThat(d.vcpu(0).hypercallCounts()[Hypercall.CALLBACK_OP]).isZero();
            assertThat(d.vcpu(0).hypercallCounts()[Hypercall.HVM_OP]).isEqualTo(1);
        }
    }

    @Test
    @DisplayName("ticker's ticks are the local APIC timer's interrupts through gate 0xec in trap, bt and bare; with "
            + "clock=pit they are IRQ 0's instead")
    void shouldTickThroughTheLvtVector() throws Exception {
        for (Virtualization virt : List.of(Virtualization.TRAP, Virtualization.BT, Virtualization.BARE)) {
            Domain apic = run("ticker", virt, 1, "ticks=3 period=20");
            assertThat(apic.console().lines()).as(virt.key()).contains("ticker: done");
            assertThat(apic.vcpu(0).vmExits().timerInterrupts()).as(virt + ": the halts between ticks end on them").isPositive();
        }
        Domain pit = run("ticker", Virtualization.TRAP, 1, "ticks=3 period=20 clock=pit");
        assertThat(pit.vcpu(0).vmExits().timerInterrupts()).isZero();
    }

    @Test
    @DisplayName("a native domain's secondary vCPU runs the native operations too: its own IDT, its events through its "
            + "gate 0xf3, no PV upcall on any vCPU, in trap, bt and bare")
    void shouldRunSecondaryVcpusNatively() throws Exception {
        for (Virtualization virt : List.of(Virtualization.TRAP, Virtualization.BT, Virtualization.BARE)) {
            Domain d = run("selftest", virt, 2, "only=idle vcpus=2 idle=300");
            assertThat(d.console().lines()).as(virt.key()).contains("selftest: idle done");
            for (int v = 0; v < 2; v++) {
                VmExits x = d.vcpu(v).vmExits();
                assertThat(x.idtLoaded()).as(virt + ": vCPU " + v + " loaded its IDT").isTrue();
                assertThat(d.vcpu(v).upcalls()).as(virt + ": vCPU " + v + " took no PV upcall").isZero();
                assertThat(d.vcpu(v).hypercallCounts()[Hypercall.CALLBACK_OP]).isZero();
            }
            assertThat(d.vcpu(0).vmExits().idtBase()).isNotEqualTo(d.vcpu(1).vmExits().idtBase());
            assertThat(d.vcpu(1).vmExits().callbackInterrupts()).as(virt + ": vCPU 1's IPIs through its gate")
                    .isPositive();
            assertThat(d.vcpu(1).vmExits().lvtTimer()).as(virt + ": vCPU 1 programmed its own LVT timer")
                    .isEqualTo(Platform.LVT_TSC_DEADLINE | Platform.LOCAL_TIMER_VECTOR);
        }
    }
}
