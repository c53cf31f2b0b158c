package org.parasol.hypercall.guest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.Errno;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.Port;
import org.parasol.hypercall.Virq;
import org.parasol.hypercall.abi.EvtchnOp;
import org.parasol.hypercall.abi.EvtchnStat;

class EventChannelCallsTest {
    private final FakeGuest guest = new FakeGuest();
    private final ArgumentPage page = new ArgumentPage(FakeGuest.ARGUMENT_PAGE_VA);
    private final EventChannelCalls evtchn = new EventChannelCalls(guest, page);

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    @Test
    @DisplayName("alloc_unbound: (cmd 6, &{dom u16, remote_dom u16, port u32}) and the port comes back")
    void shouldMarshalAllocUnboundAndReturnThePort() {
        guest.hypervisor = (call, memory) -> {
            memory.putInt(call.a2() + 4, 9);
            return 0;
        };

        long port = evtchn.allocUnbound(DomId.SELF, DomId.of(5));

        FakeGuest.Call call = guest.onlyCall();
        assertThat(call.nr()).isEqualTo(Hypercall.EVENT_CHANNEL_OP);
        assertThat(call.a1()).isEqualTo(EvtchnOp.ALLOC_UNBOUND);
        assertThat(call.a2()).isEqualTo(FakeGuest.ARGUMENT_PAGE_VA);
        assertThat(call.a3()).isZero();
        assertThat(call.bytesAt(call.a2(), 8)).isEqualTo(hex("f07f 0500 00000000"));
        assertThat(port).isEqualTo(9);
    }

    @Test
    void shouldReturnTheErrnoAndNotReadOutFieldsOnRefusal() {
        guest.hypervisor = (call, memory) -> {
            memory.putInt(call.a2() + 4, 77);
            return -Errno.ESRCH;
        };

        assertThat(evtchn.allocUnbound(DomId.SELF, DomId.of(99))).isEqualTo(-Errno.ESRCH);
    }

    @Test
    @DisplayName("bind_interdomain: remote_dom@0, remote_port@4, local_port@8 OUT")
    void shouldMarshalBindInterdomain() {
        guest.hypervisor = (call, memory) -> {
            memory.putInt(call.a2() + 8, 3);
            return 0;
        };

        long local = evtchn.bindInterdomain(DomId.of(1), Port.of(0x1234));

        assertThat(guest.onlyCall().a1()).isEqualTo(EvtchnOp.BIND_INTERDOMAIN);
        assertThat(guest.onlyCall().bytesAt(FakeGuest.ARGUMENT_PAGE_VA, 12)).isEqualTo(hex("0100 0000 34120000 00000000"));
        assertThat(local).isEqualTo(3);
    }

    @Test
    void shouldMarshalSendAsOnePortWord() {
        assertThat(evtchn.send(Port.of(0x0102_03))).isZero();

        FakeGuest.Call call = guest.onlyCall();
        assertThat(call.a1()).isEqualTo(EvtchnOp.SEND);
        assertThat(call.bytesAt(call.a2(), 4)).isEqualTo(hex("03020100"));
    }

    @Test
    void shouldMarshalBindVirqAndBindIpi() {
        guest.hypervisor = (call, memory) -> {
            if (call.a1() == EvtchnOp.BIND_VIRQ) {
                memory.putInt(call.a2() + 8, 4);
            } else {
                memory.putInt(call.a2() + 4, 5);
            }
            return 0;
        };

        assertThat(evtchn.bindVirq(Virq.TIMER, 2)).isEqualTo(4);
        assertThat(evtchn.bindIpi(3)).isEqualTo(5);

        assertThat(guest.calls.get(0).bytesAt(FakeGuest.ARGUMENT_PAGE_VA, 12)).isEqualTo(hex("00000000 02000000 00000000"));
        assertThat(guest.calls.get(1).a1()).isEqualTo(EvtchnOp.BIND_IPI);
        assertThat(guest.calls.get(1).bytesAt(FakeGuest.ARGUMENT_PAGE_VA, 8)).isEqualTo(hex("03000000 00000000"));
    }

    @Test
    void shouldDecodeAnInterdomainStatus() {
        guest.hypervisor = (call, memory) -> {
            memory.putInt(call.a2() + 8, EvtchnStat.INTERDOMAIN);
            memory.putInt(call.a2() + 12, 1);
            memory.putShort(call.a2() + 16, (short) 7);
            memory.putInt(call.a2() + 20, 33);
            return 0;
        };

        EventChannelCalls.ChannelStatus status = evtchn.status(DomId.SELF, Port.of(12));

        assertThat(guest.onlyCall().bytesAt(FakeGuest.ARGUMENT_PAGE_VA, 8)).isEqualTo(hex("f07f 0000 0c000000"));
        assertThat(status).isEqualTo(new EventChannelCalls.ChannelStatus(0, EvtchnStat.INTERDOMAIN, 1, DomId.of(7), Port.of(33), 0));
    }

    @Test
    void shouldMarshalTheFifoCommands() {
        guest.hypervisor = (call, memory) -> {
            if (call.a1() == EvtchnOp.INIT_CONTROL) {
                memory.putByte(call.a2() + 16, (byte) 17);
            }
            return 0;
        };

        assertThat(evtchn.initControl(0xABC, 0x40, 1)).isEqualTo(17);
        assertThat(evtchn.setPriority(Port.of(8), 3)).isZero();
        assertThat(evtchn.expandArray(0xDEF)).isZero();

        assertThat(guest.calls.get(0).bytesAt(FakeGuest.ARGUMENT_PAGE_VA, 24))
                .isEqualTo(hex("bc0a000000000000 40000000 01000000 00 00000000000000"));
        assertThat(guest.calls.get(1).bytesAt(FakeGuest.ARGUMENT_PAGE_VA, 8)).isEqualTo(hex("08000000 03000000"));
        assertThat(guest.calls.get(2).bytesAt(FakeGuest.ARGUMENT_PAGE_VA, 8)).isEqualTo(hex("ef0d000000000000"));
    }

    @Test
    @DisplayName("an upcall that makes its own hypercall during the return cannot clobber the outer call's OUT fields")
    void shouldKeepOuterOutFieldsAcrossANestedCall() {
        guest.hypervisor = (call, memory) -> {
            if (call.a1() == EvtchnOp.ALLOC_UNBOUND) {
                memory.putInt(call.a2() + 4, 21);
                // The event upcall runs at hypercall return and sends on another port.
                assertThat(evtchn.send(Port.of(2))).isZero();
            }
            return 0;
        };

        assertThat(evtchn.allocUnbound(DomId.SELF, DomId.DOM0)).isEqualTo(21);
        assertThat(guest.calls.get(1).a2()).as("the nested call got its own frame").isEqualTo(FakeGuest.ARGUMENT_PAGE_VA + 8);
        assertThat(page.available()).isEqualTo(ArgumentPage.SIZE);
    }

    @Test
    void shouldMarshalCloseUnmaskBindVcpuAndReset() {
        evtchn.close(Port.of(1));
        evtchn.unmask(Port.of(2));
        evtchn.bindVcpu(Port.of(3), 4);
        evtchn.reset(DomId.SELF);

        assertThat(guest.calls).extracting(FakeGuest.Call::a1)
                .containsExactly((long) EvtchnOp.CLOSE, (long) EvtchnOp.UNMASK, (long) EvtchnOp.BIND_VCPU, (long) EvtchnOp.RESET);
        assertThat(guest.calls.get(0).bytesAt(FakeGuest.ARGUMENT_PAGE_VA, 4)).isEqualTo(hex("01000000"));
        assertThat(guest.calls.get(1).bytesAt(FakeGuest.ARGUMENT_PAGE_VA, 4)).isEqualTo(hex("02000000"));
        assertThat(guest.calls.get(2).bytesAt(FakeGuest.ARGUMENT_PAGE_VA, 8)).isEqualTo(hex("03000000 04000000"));
        assertThat(guest.calls.get(3).bytesAt(FakeGuest.ARGUMENT_PAGE_VA, 2)).isEqualTo(hex("f07f"));
    }
}
