package org.parasol.hypercall.guest;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.util.HexFormat;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.Mfn;
import org.parasol.hypercall.Port;
import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.abi.SchedOp;
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypercall.abi.VcpuOp;
import org.parasol.hypercall.struct.VcpuGuestContext;
import org.parasol.hypercall.struct.VcpuRunstateInfo;

class SchedVcpuAndTimerCallsTest {
    private static final long PAGE = FakeGuest.ARGUMENT_PAGE_VA;
    private final FakeGuest guest = new FakeGuest();
    private final ArgumentPage page = new ArgumentPage(PAGE);
    private final SchedOpCalls sched = new SchedOpCalls(guest, page);
    private final VcpuOpCalls vcpu = new VcpuOpCalls(guest, page);

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    @Test
    void shouldPassYieldAndBlockWithANullArgument() {
        sched.yield();
        sched.block();

        assertThat(guest.calls).extracting(FakeGuest.Call::nr).containsOnly(Hypercall.SCHED_OP);
        assertThat(guest.calls).extracting(FakeGuest.Call::a1).containsExactly((long) SchedOp.YIELD, (long) SchedOp.BLOCK);
        assertThat(guest.calls).extracting(FakeGuest.Call::a2).containsOnly(0L);
    }

    @Test
    @DisplayName("SCHEDOP_shutdown(suspend) passes the start_info MFN in the third register")
    void shouldPassTheStartInfoMfnOnSuspend() {
        sched.suspend(0x1234);

        FakeGuest.Call call = guest.onlyCall();
        assertThat(call.a1()).isEqualTo(SchedOp.SHUTDOWN);
        assertThat(call.a2()).isEqualTo(PAGE);
        assertThat(call.a3()).isEqualTo(0x1234);
        assertThat(call.bytesAt(PAGE, 4)).isEqualTo(hex("02000000"));
    }

    @Test
    void shouldMarshalShutdownRemoteShutdownAndWatchdog() {
        guest.hypervisor = (call, memory) -> call.a1() == SchedOp.WATCHDOG ? 1 : 0;

        sched.shutdown(Shutdown.POWEROFF);
        sched.remoteShutdown(DomId.of(3), Shutdown.REBOOT);
        long id = sched.watchdog(0, 30);

        assertThat(guest.calls.get(0).bytesAt(PAGE, 4)).isEqualTo(hex("00000000"));
        assertThat(guest.calls.get(0).a3()).isZero();
        assertThat(guest.calls.get(1).a1()).isEqualTo(SchedOp.REMOTE_SHUTDOWN);
        assertThat(guest.calls.get(1).bytesAt(PAGE, 8)).isEqualTo(hex("0300 0000 01000000"));
        assertThat(guest.calls.get(2).bytesAt(PAGE, 8)).isEqualTo(hex("00000000 1e000000"));
        assertThat(id).isEqualTo(1);
    }

    @Test
    @DisplayName("sched_poll: {ports ptr @0, nr_ports @8, timeout @16} with the port array beside it")
    void shouldMarshalPollWithThePortArrayOnThePage() {
        sched.poll(new Port[] {Port.of(5), Port.of(70), Port.of(99)}, 2, 1_000_000);

        FakeGuest.Call call = guest.onlyCall();
        assertThat(call.a1()).isEqualTo(SchedOp.POLL);
        assertThat(call.a2()).isEqualTo(PAGE + 8);
        assertThat(call.bytesAt(PAGE + 8, 24)).isEqualTo(hex("0010400000000000 02000000 00000000 40420f0000000000"));
        assertThat(call.bytesAt(PAGE, 8)).isEqualTo(hex("05000000 46000000"));

        guest.calls.clear();
        sched.poll(Port.of(4), 0);
        assertThat(guest.onlyCall().bytesAt(PAGE, 4)).isEqualTo(hex("04000000"));
    }

    @Test
    @DisplayName("VCPUOP_initialise writes a 5168-byte context where only Parasol's fields are non-zero")
    void shouldBuildTheGuestContextInTheCallersBuffer() {
        long buffer = FakeGuest.BASE + 0x4000;
        guest.memory.fill(buffer, VcpuGuestContext.SIZE, (byte) 0x5A);

        vcpu.initialise(2, buffer, VcpuGuestContext.VGCF_ONLINE, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66);

        FakeGuest.Call call = guest.onlyCall();
        assertThat(call.nr()).isEqualTo(Hypercall.VCPU_OP);
        assertThat(call.a1()).isEqualTo(VcpuOp.INITIALISE);
        assertThat(call.a2()).isEqualTo(2);
        assertThat(call.a3()).isEqualTo(buffer);
        VcpuGuestContext ctx = new VcpuGuestContext()
                .wrap(new SegmentBuffer(MemorySegment.ofArray(call.bytesAt(buffer, (int) VcpuGuestContext.SIZE))), 0);
        assertThat(ctx.otherBytesZero()).isTrue();
        assertThat(ctx.flags()).isEqualTo(VcpuGuestContext.VGCF_ONLINE);
        assertThat(ctx.rip()).isEqualTo(0x11);
        assertThat(ctx.rsp()).isEqualTo(0x22);
        assertThat(ctx.rsi()).isEqualTo(0x33);
        assertThat(ctx.ctrlreg3()).isEqualTo(0x44);
        assertThat(ctx.eventCallbackEip()).isEqualTo(0x55);
        assertThat(ctx.failsafeCallbackEip()).isEqualTo(0x66);
    }

    @Test
    void shouldMarshalTheVcpuTimersAndVcpuInfo() {
        vcpu.setSingleshotTimer(0, 0x1_0000_0000L, 1);
        vcpu.setPeriodicTimer(1, 10_000_000);
        vcpu.registerVcpuInfo(3, Mfn.of(0x77), 0x40);
        vcpu.up(3);

        assertThat(guest.calls.get(0).a1()).isEqualTo(VcpuOp.SET_SINGLESHOT_TIMER);
        assertThat(guest.calls.get(0).bytesAt(PAGE, 16)).isEqualTo(hex("0000000001000000 01000000 00000000"));
        assertThat(guest.calls.get(1).a2()).isEqualTo(1);
        assertThat(guest.calls.get(1).bytesAt(PAGE, 8)).isEqualTo(hex("8096980000000000"));
        assertThat(guest.calls.get(2).a1()).isEqualTo(VcpuOp.REGISTER_VCPU_INFO);
        assertThat(guest.calls.get(2).bytesAt(PAGE, 16)).isEqualTo(hex("7700000000000000 40000000 00000000"));
        assertThat(guest.calls.get(3).a1()).isEqualTo(VcpuOp.UP);
        assertThat(guest.calls.get(3).a2()).isEqualTo(3);
        assertThat(guest.calls.get(3).a3()).isZero();
    }

    @Test
    void shouldCopyTheRunstateInfoOut() {
        guest.hypervisor = (call, memory) -> {
            memory.putInt(call.a3(), 2);
            memory.putLong(call.a3() + 16, 123);
            return 0;
        };
        MemorySegment dst = MemorySegment.ofArray(new byte[48]);

        assertThat(vcpu.getRunstateInfo(0, dst, 0)).isZero();

        VcpuRunstateInfo info = new VcpuRunstateInfo().wrap(new SegmentBuffer(dst), 0);
        assertThat(info.state()).isEqualTo(2);
        assertThat(info.time(0)).isEqualTo(123);
    }

    @Test
    void shouldPassTimerAndVmAssistInRegisters() {
        new TimerCalls(guest).setTimerOp(5_000_000_000L);
        new TimerCalls(guest).cancel();
        new VmAssistCalls(guest).enable(2);
        new VmAssistCalls(guest).disable(5);

        assertThat(guest.calls.get(0).nr()).isEqualTo(Hypercall.SET_TIMER_OP);
        assertThat(guest.calls.get(0).a1()).isEqualTo(5_000_000_000L);
        assertThat(guest.calls.get(1).a1()).isZero();
        assertThat(guest.calls.get(2).nr()).isEqualTo(Hypercall.VM_ASSIST);
        assertThat(guest.calls.get(2).a1()).isZero();
        assertThat(guest.calls.get(2).a2()).isEqualTo(2);
        assertThat(guest.calls.get(3).a1()).isEqualTo(1);
        assertThat(guest.calls.get(3).a2()).isEqualTo(5);
    }
}
