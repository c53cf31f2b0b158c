package org.parasol.hypercall.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.Errno;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.abi.CallbackOp;
import org.parasol.hypercall.abi.ConsoleIo;
import org.parasol.hypercall.abi.TrapVector;
import org.parasol.hypercall.abi.XenVersion;
import org.parasol.hypercall.struct.TrapInfo;

class CallbackVersionConsoleCallsTest {
    private static final long PAGE = FakeGuest.ARGUMENT_PAGE_VA;
    private final FakeGuest guest = new FakeGuest();
    private final ArgumentPage page = new ArgumentPage(PAGE);

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    @Test
    @DisplayName("set_callbacks takes event, failsafe and syscall addresses in registers on x86-64")
    void shouldPassSetCallbacksInRegisters() {
        new CallbackCalls(guest, page).setCallbacks(0x10, 0x20, 0x30);

        FakeGuest.Call call = guest.onlyCall();
        assertThat(call.nr()).isEqualTo(Hypercall.SET_CALLBACKS);
        assertThat(new long[] {call.a1(), call.a2(), call.a3()}).containsExactly(0x10, 0x20, 0x30);
    }

    @Test
    void shouldMarshalCallbackRegisterAndUnregister() {
        CallbackCalls callbacks = new CallbackCalls(guest, page);
        callbacks.register(CallbackOp.CALLBACKTYPE_FAILSAFE, CallbackOp.CALLBACKF_MASK_EVENTS, 0x1234);
        callbacks.unregister(CallbackOp.CALLBACKTYPE_NMI);

        assertThat(guest.calls.get(0).nr()).isEqualTo(Hypercall.CALLBACK_OP);
        assertThat(guest.calls.get(0).a1()).isEqualTo(CallbackOp.REGISTER);
        assertThat(guest.calls.get(0).bytesAt(PAGE, 16)).isEqualTo(hex("0100 0100 00000000 3412000000000000"));
        assertThat(guest.calls.get(1).a1()).isEqualTo(CallbackOp.UNREGISTER);
        assertThat(guest.calls.get(1).bytesAt(PAGE, 4)).isEqualTo(hex("0400 0000"));
    }

    @Test
    @DisplayName("set_trap_table: the array ends with an entry whose address is 0")
    void shouldTerminateTheTrapTable() {
        guest.memory.fill(PAGE, 64, (byte) 0x77);
        MemorySegment traps = MemorySegment.ofArray(new byte[32]);
        new TrapInfo().wrap(new SegmentBuffer(traps), 0).vector(14).flags(TrapVector.TI_IF).address(0xAA);
        new TrapInfo().wrap(new SegmentBuffer(traps), 16).vector(13).address(0xBB);

        new TrapTableCalls(guest, page).setTrapTable(new SegmentBuffer(traps), 0, 2);

        FakeGuest.Call call = guest.onlyCall();
        assertThat(call.nr()).isEqualTo(Hypercall.SET_TRAP_TABLE);
        assertThat(call.a1()).isEqualTo(PAGE);
        assertThat(call.bytesAt(PAGE, 48)).isEqualTo(hex(
                "0e04 0000 00000000 aa00000000000000"
                        + "0d00 0000 00000000 bb00000000000000"
                        + "0000 0000 00000000 0000000000000000"));
    }

    @Test
    void shouldRefuseATrapEntryThatWouldEndTheTableEarly() {
        TrapTableCalls trapTable = new TrapTableCalls(guest, page);
        MemorySegment traps = MemorySegment.ofArray(new byte[16]);

        assertThatThrownBy(() -> trapTable.setTrapTable(new SegmentBuffer(traps), 0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> trapTable.setTrap(14, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(guest.calls).isEmpty();
        trapTable.clearTrapTable();
        assertThat(guest.onlyCall().a1()).isZero();
    }

    @Test
    void shouldReadXenVersionStringsAndFeatures() {
        guest.hypervisor = (call, memory) -> {
            if (call.a1() == XenVersion.EXTRAVERSION) {
                memory.putBytes(call.a2(), ".0-parasol\0".getBytes(StandardCharsets.US_ASCII));
                return 0;
            }
            if (call.a1() == XenVersion.GET_FEATURES) {
                memory.putInt(call.a2() + 4, 0x8000_0001);
                return 0;
            }
            return (4 << 16) | 19;
        };
        XenVersionCalls version = new XenVersionCalls(guest, page);

        assertThat(version.version()).isEqualTo((4 << 16) | 19);
        assertThat(version.extraversion()).isEqualTo(new XenVersionCalls.Text(0, ".0-parasol"));
        assertThat(version.getFeatures(1)).isEqualTo(0x8000_0001L);
        assertThat(guest.calls.get(2).bytesAt(PAGE, 4)).isEqualTo(hex("01000000"));
    }

    @Test
    void shouldReturnTheErrnoForAVersionStringItCannotRead() {
        guest.hypervisor = (call, memory) -> -Errno.EFAULT;

        assertThat(new XenVersionCalls(guest, page).capabilities()).isEqualTo(new XenVersionCalls.Text(-Errno.EFAULT, null));
    }

    @Test
    @DisplayName("console_io(CONSOLEIO_write, count, buffer): text longer than the page goes in chunks")
    void shouldWriteConsoleTextInChunks() {
        StringBuilder seen = new StringBuilder();
        guest.hypervisor = (call, memory) -> {
            seen.append(new String(call.bytesAt(call.a3(), (int) call.a2()), StandardCharsets.US_ASCII));
            return 0;
        };
        String text = "x".repeat(5000) + "end\n";

        assertThat(new ConsoleIoCalls(guest, page).write(text)).isZero();

        assertThat(guest.calls).hasSize(2);
        assertThat(guest.calls.get(0).nr()).isEqualTo(Hypercall.CONSOLE_IO);
        assertThat(guest.calls.get(0).a1()).isEqualTo(ConsoleIo.WRITE);
        assertThat(guest.calls.get(0).a2()).isEqualTo(4096);
        assertThat(guest.calls.get(0).a3()).isEqualTo(PAGE);
        assertThat(seen.toString()).isEqualTo(text);
    }

    @Test
    void shouldReadConsoleInputThroughThePage() {
        guest.hypervisor = (call, memory) -> {
            memory.putBytes(call.a3(), "hi".getBytes(StandardCharsets.US_ASCII));
            return 2;
        };
        MemorySegment dst = MemorySegment.ofArray(new byte[8]);

        assertThat(new ConsoleIoCalls(guest, page).read(dst, 0, 8)).isEqualTo(2);

        assertThat(guest.onlyCall().a1()).isEqualTo(ConsoleIo.READ);
        assertThat(guest.onlyCall().a2()).isEqualTo(8);
        assertThat(new String(dst.asSlice(0, 2).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII))
                .isEqualTo("hi");
    }
}
