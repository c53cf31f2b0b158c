package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.EventCallback;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.abi.EvtchnOp;
import org.parasol.hypercall.abi.SchedOp;
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypercall.abi.VcpuOp;
import org.parasol.hypercall.abi.Virq;
import org.parasol.hypercall.abi.XenVersion;
import org.parasol.hypervisor.domain.DomainState;
import org.parasol.hypervisor.time.ManualClock;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parasol.hypervisor.testing.LeakCheck;

/** Timers, time and watchdogs on the injectable clock: time is advanced, never slept. */
class TimerTest {
    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();
    private ManualClock clock;
    private Hypervisor hv;
    private BareGuest g;
    private int timerPort;
    private int upcalls;

    @BeforeEach
    void boot() throws Exception {
        clock = new ManualClock();
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(16L << 20).withClock(clock).withPcpus(1)));
        g = BareGuest.create(hv, "timed", 1024);
        g.mem.putInt(g.scratch, Virq.TIMER);
        g.mem.putInt(g.scratch + 4, 0);
        assertThat(g.call(Hypercall.EVENT_CHANNEL_OP, EvtchnOp.BIND_VIRQ, g.scratch)).isZero();
        timerPort = g.mem.getInt(g.scratch + 8);
        g.unmaskLocally(timerPort);
        long cb = g.cpu.registerCode((EventCallback) c -> {
            upcalls++;
            c.memory().putByteRelease(BareGuest.vcpuInfo(), (byte) 0);
            c.memory().getAndSetLong(BareGuest.vcpuInfo() + 8, 0);
            g.mem.getAndBitwiseAndLong(org.parasol.hypercall.StartOfDay.SHARED_INFO_VA + 2048, ~(1L << timerPort));
        });
        assertThat(g.call(Hypercall.SET_CALLBACKS, cb, 0, 0)).isZero();
    }

    @AfterEach
    void close() {
        assertThat(hv.unhandledExceptions()).isZero();
        hv.close();
    }

    private void enableUpcalls() {
        g.mem.putByteRelease(BareGuest.vcpuInfo() + 1, (byte) 0);
    }

    @Test
    @DisplayName("a PV vCPU starts with a 10 ms periodic timer delivering VIRQ_TIMER")
    void shouldFireTheDefaultPeriodicTimer() {
        assertThat(g.domain.vcpu(0).timers().periodNs()).isEqualTo(10_000_000L);
        clock.advance(9_000_000);
        assertThat(g.pending(timerPort)).isFalse();
        clock.advance(1_000_000);
        assertThat(g.pending(timerPort)).isTrue();
    }

    @Test
    void shouldFireSetTimerOpOnceAtItsDeadlineAndDeliverTheUpcallAtHypercallReturn() {
        g.call(Hypercall.VCPU_OP, VcpuOp.STOP_PERIODIC_TIMER, 0, 0);
        enableUpcalls();
        long now = hv.systemTime();
        assertThat(g.call(Hypercall.SET_TIMER_OP, now + 5_000_000)).isZero();
        clock.advance(4_999_999);
        g.call(Hypercall.XEN_VERSION, XenVersion.VERSION, 0);
        assertThat(upcalls).isZero();
        clock.advance(1);
        assertThat(upcalls).as("delivered only at a return-to-guest point").isZero();
        g.call(Hypercall.XEN_VERSION, XenVersion.VERSION, 0);
        assertThat(upcalls).isEqualTo(1);
        clock.advance(100_000_000);
        g.call(Hypercall.XEN_VERSION, XenVersion.VERSION, 0);
        assertThat(upcalls).as("single-shot").isEqualTo(1);
    }

    @Test
    void shouldNotDeliverUpcallsWhileMaskedButKeepThemPending() {
        g.call(Hypercall.VCPU_OP, VcpuOp.STOP_PERIODIC_TIMER, 0, 0);
        g.call(Hypercall.SET_TIMER_OP, hv.systemTime() + 1000);
        clock.advance(1000);
        g.call(Hypercall.XEN_VERSION, XenVersion.VERSION, 0);
        assertThat(upcalls).as("upcall_mask is set at boot").isZero();
        assertThat(g.mem.getByte(BareGuest.vcpuInfo())).as("evtchn_upcall_pending").isEqualTo((byte) 1);
        enableUpcalls();
        g.call(Hypercall.XEN_VERSION, XenVersion.VERSION, 0);
        assertThat(upcalls).isEqualTo(1);
    }

    @Test
    @DisplayName("SCHEDOP_block clears upcall_mask and returns at once when an event is pending")
    void shouldReturnFromBlockWithPendingEvent() {
        g.call(Hypercall.VCPU_OP, VcpuOp.STOP_PERIODIC_TIMER, 0, 0);
        g.call(Hypercall.SET_TIMER_OP, hv.systemTime() + 1000);
        clock.advance(1000);
        assertThat(g.call(Hypercall.SCHED_OP, SchedOp.BLOCK, 0)).isZero();
        assertThat(g.mem.getByte(BareGuest.vcpuInfo() + 1)).as("mask cleared").isZero();
        assertThat(upcalls).isEqualTo(1);
    }

    @Test
    @DisplayName("trap return is a return-to-guest point: a pending event is delivered before the access retries")
    void shouldDeliverPendingUpcallsAtTrapReturn() {
        g.call(Hypercall.VCPU_OP, VcpuOp.STOP_PERIODIC_TIMER, 0, 0);
        clock.advance(1000); // system time 0 would mean "cancel" to set_timer_op
        enableUpcalls();
        int[] upcallsSeenByHandler = new int[2];
        int[] calls = {0};
        long handler = g.cpu.registerCode((org.parasol.hypercall.TrapHandler) (c, vector, error, address) -> {
            upcallsSeenByHandler[calls[0]++] = upcalls;
            if (calls[0] == 1) {
                // The timer fires while the handler runs (no hypercall returns meanwhile):
                // only the trap return can deliver it.
                clock.advance(500);
                return;
            }
            throw new IllegalStateException("second fault: give up");
        });
        // trap_info {u8 vector; u8 flags; u16 cs; u64 address}, terminated by address 0
        g.mem.fill(g.scratch2, 32, (byte) 0);
        g.mem.putByte(g.scratch2, (byte) 14);
        g.mem.putLong(g.scratch2 + 8, handler);
        assertThat(g.call(Hypercall.SET_TRAP_TABLE, g.scratch2)).isZero();
        assertThat(g.call(Hypercall.SET_TIMER_OP, hv.systemTime() + 500)).isZero();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> g.mem.getLong(0x10))
                .isInstanceOf(org.parasol.hypercall.GuestAbort.class);
        assertThat(calls[0]).isEqualTo(2);
        assertThat(upcallsSeenByHandler[0]).isZero();
        assertThat(upcallsSeenByHandler[1]).as("delivered between the handler's return and the retry").isEqualTo(1);
        assertThat(g.domain.faults()).isEqualTo(2);
    }

    @Test
    void shouldPublishTimeUnderTheSeqlockConvertibleFromTheTsc() {
        clock.advance(123_456_789);
        g.domain.vcpu(0).attach(); // scheduled in again: vcpu_time_info rewritten
        long t = BareGuest.vcpuInfo() + 32;
        int version = g.mem.getInt(t);
        assertThat(version & 1).isZero();
        long tscStamp = g.mem.getLong(t + 8);
        long sys = g.mem.getLong(t + 16);
        int mul = g.mem.getInt(t + 24);
        int shift = g.mem.getByte(t + 28);
        assertThat(sys).isEqualTo(hv.systemTime());
        clock.advance(1_000_000);
        long delta = g.cpu.rdtsc() - tscStamp;
        long ns = org.parasol.hypervisor.time.TimeScale.scaleDelta(delta, mul, shift);
        assertThat(sys + ns).isBetween(hv.systemTime() - 2, hv.systemTime() + 2);
        assertThat(hv.timeScale().tscHz()).as("not 1 GHz, so mul/shift matter").isNotEqualTo(1_000_000_000L);
    }

    @Test
    @DisplayName("SCHEDOP_watchdog: at most two; expiry shuts the domain down with reason watchdog")
    void shouldShutDownOnWatchdogExpiry() throws Exception {
        g.mem.putInt(g.scratch, 0);
        g.mem.putInt(g.scratch + 4, 5);
        assertThat(g.call(Hypercall.SCHED_OP, SchedOp.WATCHDOG, g.scratch)).isEqualTo(1);
        assertThat(g.call(Hypercall.SCHED_OP, SchedOp.WATCHDOG, g.scratch)).isEqualTo(2);
        assertThat(g.call(Hypercall.SCHED_OP, SchedOp.WATCHDOG, g.scratch)).isEqualTo(-org.parasol.hypercall.Errno.ENOSPC);
        g.mem.putInt(g.scratch, 2);
        g.mem.putInt(g.scratch + 4, 0);
        assertThat(g.call(Hypercall.SCHED_OP, SchedOp.WATCHDOG, g.scratch)).as("destroy watchdog 2").isZero();
        clock.advance(4_000_000_000L);
        g.mem.putInt(g.scratch, 1);
        g.mem.putInt(g.scratch + 4, 5);
        assertThat(g.call(Hypercall.SCHED_OP, SchedOp.WATCHDOG, g.scratch)).as("re-arm").isZero();
        clock.advance(4_000_000_000L);
        assertThat(g.domain.mayRun()).isTrue();
        clock.advance(1_000_000_000L);
        // The timer thread hands the shutdown to the host worker (it never takes a domain's locks).
        Eventually.until(java.time.Duration.ofSeconds(5), () -> !g.domain.mayRun());
        assertThat(g.domain.state()).isIn(DomainState.SHUTDOWN, DomainState.DYING, DomainState.DEAD);
        assertThat(g.domain.shutdownReason()).isEqualTo(Shutdown.WATCHDOG);
    }

    @Test
    void shouldReportTheLatchedShutdownCode() {
        g.mem.putInt(g.scratch, Shutdown.REBOOT);
        assertThat(g.call(Hypercall.SCHED_OP, SchedOp.SHUTDOWN_CODE, g.scratch)).isZero();
        g.domain.crash("test");
        assertThat(g.domain.shutdownReason()).isEqualTo(Shutdown.REBOOT);
    }
}
