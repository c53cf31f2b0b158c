package org.parasol.hypercall.struct;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.abi.Runstate;

/** The atomic helpers for fields both the guest and the hypervisor touch. */
class ConcurrentFieldsTest {
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment page = arena.allocate(4096, 4096);

    @AfterEach
    void close() {
        arena.close();
    }

    @Test
    @DisplayName("set_pending: test_and_set on evtchn_pending reports the previous bit")
    void shouldTestAndSetPendingBits() {
        assertThat(SharedInfo.testAndSetPending(page, 0, 130)).isFalse();
        assertThat(SharedInfo.testAndSetPending(page, 0, 130)).isTrue();
        assertThat(SharedInfo.isPending(page, 0, 130)).isTrue();
        assertThat(page.get(Layouts.U64, 2048 + 2 * 8)).isEqualTo(1L << 2);
        assertThat(SharedInfo.pendingWordAcquire(page, 0, 2)).isEqualTo(1L << 2);

        assertThat(SharedInfo.testAndClearPending(page, 0, 130)).isTrue();
        assertThat(SharedInfo.testAndClearPending(page, 0, 130)).isFalse();
        assertThat(new SharedInfo().wrap(page, 0).evtchnPending(2)).isZero();
    }

    @Test
    void shouldTestAndSetMaskBitsIndependentlyOfPending() {
        assertThat(SharedInfo.testAndSetMask(page, 0, 4095)).isFalse();
        assertThat(SharedInfo.isMasked(page, 0, 4095)).isTrue();
        assertThat(SharedInfo.isPending(page, 0, 4095)).isFalse();
        assertThat(SharedInfo.maskWordAcquire(page, 0, 63)).isEqualTo(Long.MIN_VALUE);
        assertThat(SharedInfo.testAndClearMask(page, 0, 4095)).isTrue();
        assertThat(SharedInfo.isMasked(page, 0, 4095)).isFalse();
    }

    @Test
    @DisplayName("upcall_pending is set by a 32-bit CAS that leaves evtchn_upcall_mask alone")
    void shouldSetUpcallPendingWithoutTouchingMask() {
        long vcpu1 = SharedInfo.vcpuInfoOffset(1);
        VcpuInfo.upcallMaskRelease(page, vcpu1, 1);

        assertThat(VcpuInfo.testAndSetUpcallPending(page, vcpu1)).isFalse();
        assertThat(VcpuInfo.testAndSetUpcallPending(page, vcpu1)).isTrue();
        assertThat(VcpuInfo.upcallPendingAcquire(page, vcpu1)).isEqualTo(1);
        assertThat(VcpuInfo.upcallMaskAcquire(page, vcpu1)).isEqualTo(1);

        VcpuInfo.upcallPendingRelease(page, vcpu1, 0);
        VcpuInfo info = new SharedInfo().wrap(page, 0).vcpuInfo(1);
        assertThat(info.evtchnUpcallPending()).isZero();
        assertThat(info.evtchnUpcallMask()).isEqualTo(1);
    }

    @Test
    @DisplayName("the guest takes the selector with xchg(pending_sel, 0)")
    void shouldTakeThePendingSelector() {
        long vcpu0 = SharedInfo.vcpuInfoOffset(0);
        assertThat(VcpuInfo.testAndSetPendingSel(page, vcpu0, 2)).isFalse();
        assertThat(VcpuInfo.testAndSetPendingSel(page, vcpu0, 63)).isFalse();
        assertThat(VcpuInfo.testAndSetPendingSel(page, vcpu0, 2)).isTrue();

        assertThat(VcpuInfo.takePendingSel(page, vcpu0)).isEqualTo((1L << 2) | (1L << 63));
        assertThat(VcpuInfo.takePendingSel(page, vcpu0)).isZero();
    }

    @Test
    @DisplayName("ending access: cmpxchg(flags, GTF_permit_access, 0) fails while Xen holds GTF_reading")
    void shouldCompareAndSetGrantHeader() {
        long entry = 5 * GrantEntryV1.SIZE;
        new GrantEntryV1().wrap(page, entry).domid(3).frame(0x1234);
        GrantEntryV1.flagsRelease(page, entry, 1); // GTF_permit_access

        int granted = GrantEntryV1.header(1, 3);
        assertThat(GrantEntryV1.headerAcquire(page, entry)).isEqualTo(granted);
        assertThat(GrantEntryV1.compareAndSetHeader(page, entry, granted, GrantEntryV1.header(1 | 8, 3))).isTrue();

        int witness = GrantEntryV1.compareAndExchangeHeader(page, entry, granted, 0);
        assertThat(GrantEntryV1.headerFlags(witness)).isEqualTo(1 | 8);
        assertThat(GrantEntryV1.headerDomid(witness)).isEqualTo(3);
        assertThat(GrantEntryV1.flagsAcquire(page, entry)).isEqualTo(9);
        assertThat(new GrantEntryV1().wrap(page, entry).frame()).isEqualTo(0x1234);
    }

    @Test
    void shouldPublishSeqlockVersions() {
        long time = SharedInfo.vcpuInfoOffset(3) + VcpuInfo.TIME_OFFSET;
        VcpuTimeInfo.versionRelease(page, time, 7);
        SharedInfo.wcVersionRelease(page, 0, 9);
        VcpuRunstateInfo.stateEntryTimeRelease(page, 3200, Runstate.XEN_RUNSTATE_UPDATE | 5);

        assertThat(VcpuTimeInfo.versionAcquire(page, time)).isEqualTo(7);
        assertThat(new SharedInfo().wrap(page, 0).vcpuInfo(3).time().version()).isEqualTo(7);
        assertThat(SharedInfo.wcVersionAcquire(page, 0)).isEqualTo(9);
        assertThat(new VcpuRunstateInfo().wrap(page, 3200).stateEntryTime())
                .isEqualTo(Runstate.XEN_RUNSTATE_UPDATE | 5);
        assertThat(VcpuRunstateInfo.stateEntryTimeAcquire(page, 3200)).isNegative();
    }
}
