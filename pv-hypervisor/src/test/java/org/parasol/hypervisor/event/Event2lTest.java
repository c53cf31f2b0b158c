package org.parasol.hypervisor.event;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.struct.SharedInfo;
import org.parasol.hypercall.struct.VcpuInfo;

/** Xen's evtchn_2l_set_pending / unmask on a shared_info page, bit by bit, in Xen's order. */
class Event2lTest {
    private final SegmentBuffer page = SegmentBuffer.allocate(4096);
    private final List<String> woken = new ArrayList<>();
    private final Event2l events = new Event2l(page, 34, new Event2l.Wakeups() {
        @Override
        public void kick(int vcpu) {
            woken.add("kick " + vcpu);
        }

        @Override
        public void wakePollers(int port) {
            woken.add("pollers " + port);
        }
    });
    /** The guest's view of the same bytes. */
    private final SharedInfo guest = new SharedInfo().wrap(page, 0);

    @Test
    @DisplayName("set_pending: pending bit, selector bit port/64, upcall_pending, one kick, then the pollers")
    void shouldRaiseAnEdgeInXensOrder() {
        events.setPending(130, 1);

        VcpuInfo v1 = guest.vcpuInfo(1);
        assertThat(guest.isPending(130)).isTrue();
        assertThat(v1.evtchnPendingSel()).isEqualTo(1L << 2);
        assertThat(v1.evtchnUpcallPending()).isEqualTo(1);
        assertThat(guest.vcpuInfo(0).evtchnUpcallPending()).isZero();
        assertThat(woken).containsExactly("kick 1", "pollers 130");
    }

    @Test
    @DisplayName("set_pending of a port already pending makes no new edge: no selector, no kick, no poller wake-up")
    void shouldStopAtAnAlreadyPendingPort() {
        guest.testAndSetPending(7);

        events.setPending(7, 0);

        assertThat(guest.vcpuInfo(0).evtchnPendingSel()).isZero();
        assertThat(guest.vcpuInfo(0).evtchnUpcallPending()).isZero();
        assertThat(woken).isEmpty();
    }

    @Test
    @DisplayName("an upcall already pending is not kicked again: test_and_set(evtchn_upcall_pending) was set")
    void shouldKickOnlyOnTheFirstUpcall() {
        events.setPending(3, 0);
        events.setPending(70, 0);

        assertThat(guest.vcpuInfo(0).evtchnPendingSel()).isEqualTo(0b11);
        assertThat(woken).containsExactly("kick 0", "pollers 3", "pollers 70");
    }

    @Test
    @DisplayName("a masked port stays pending without selector or upcall, but pollers wake regardless of the mask")
    void shouldLeaveAMaskedEdgeForUnmask() {
        guest.testAndSetMask(9);

        events.setPending(9, 0);

        assertThat(guest.isPending(9)).isTrue();
        assertThat(guest.vcpuInfo(0).evtchnPendingSel()).isZero();
        assertThat(woken).containsExactly("pollers 9");

        woken.clear();
        events.unmask(9, 0);
        assertThat(guest.isMasked(9)).isFalse();
        assertThat(guest.vcpuInfo(0).evtchnPendingSel()).isEqualTo(1);
        assertThat(guest.vcpuInfo(0).evtchnUpcallPending()).isEqualTo(1);
        assertThat(woken).containsExactly("kick 0");
    }

    @Test
    @DisplayName("unmask raises nothing for a port that was not masked or is not pending")
    void shouldUnmaskQuietlyWithoutASwallowedEdge() {
        events.unmask(5, 0);
        guest.testAndSetMask(6);
        events.unmask(6, 0);

        assertThat(guest.isMasked(6)).isFalse();
        assertThat(guest.vcpuInfo(0).evtchnPendingSel()).isZero();
        assertThat(woken).isEmpty();
    }

    @Test
    @DisplayName("the guest's upcall mask byte survives the compare-and-set that raises upcall_pending")
    void shouldLeaveTheUpcallMaskAlone() {
        guest.vcpuInfo(2).evtchnUpcallMask(1);

        events.setPending(64 * 5, 2);

        assertThat(guest.vcpuInfo(2).evtchnUpcallMask()).isEqualTo(1);
        assertThat(guest.vcpuInfo(2).evtchnUpcallPending()).isEqualTo(1);
        assertThat(woken).containsExactly("kick 2", "pollers 320");
    }

    @Test
    @DisplayName("a vCPU beyond the 32 vcpu_info slots has none: its events stay in evtchn_pending for pollers")
    void shouldGiveVcpusBeyondTheSlotsNoVcpuInfo() {
        assertThat(events.vcpuInfo(31)).isNotNull();
        assertThat(events.vcpuInfo(32)).isNull();

        events.setPending(11, 33);

        assertThat(guest.isPending(11)).isTrue();
        assertThat(page.isZero(0, SharedInfo.EVTCHN_PENDING_OFFSET)).as("no vcpu_info slot was touched").isTrue();
        assertThat(woken).containsExactly("pollers 11");
    }

    @Test
    void shouldClearAClosedPortsPendingBit() {
        events.setPending(12, 0);
        events.clearPending(12);

        assertThat(events.isPending(12)).isFalse();
        assertThat(events.isMasked(12)).isFalse();
    }
}
