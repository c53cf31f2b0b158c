package org.parasol.hypercall.struct;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.abi.Runstate;

/** The ordered and atomic accessors of fields both the guest and the hypervisor touch. */
class ConcurrentFieldsTest {
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment page = arena.allocate(4096, 4096);
    private final SegmentBuffer buffer = new SegmentBuffer(page);
    private final SharedInfo shared = new SharedInfo().wrap(buffer, 0);

    @AfterEach
    void close() {
        arena.close();
    }

    @Test
    @DisplayName("set_pending: test_and_set on evtchn_pending reports the previous bit")
    void shouldTestAndSetPendingBits() {
        assertThat(shared.testAndSetPending(130)).isFalse();
        assertThat(shared.testAndSetPending(130)).isTrue();
        assertThat(shared.isPending(130)).isTrue();
        assertThat(page.get(Layouts.U64, 2048 + 2 * 8)).isEqualTo(1L << 2);
        assertThat(shared.pendingWordAcquire(2)).isEqualTo(1L << 2);

        assertThat(shared.testAndClearPending(130)).isTrue();
        assertThat(shared.testAndClearPending(130)).isFalse();
        assertThat(shared.evtchnPending(2)).isZero();
    }

    @Test
    void shouldTestAndSetMaskBitsIndependentlyOfPending() {
        assertThat(shared.testAndSetMask(4095)).isFalse();
        assertThat(shared.isMasked(4095)).isTrue();
        assertThat(shared.isPending(4095)).isFalse();
        assertThat(shared.maskWordAcquire(63)).isEqualTo(Long.MIN_VALUE);
        assertThat(page.get(Layouts.U64, 2560 + 63 * 8)).isEqualTo(Long.MIN_VALUE);
        assertThat(shared.testAndClearMask(4095)).isTrue();
        assertThat(shared.isMasked(4095)).isFalse();
    }

    @Test
    @DisplayName("upcall_pending is set by a 32-bit CAS that leaves evtchn_upcall_mask alone")
    void shouldSetUpcallPendingWithoutTouchingMask() {
        VcpuInfo vcpu1 = shared.vcpuInfo(1, new VcpuInfo());
        vcpu1.upcallMaskRelease(1);

        assertThat(vcpu1.testAndSetUpcallPending()).isFalse();
        assertThat(vcpu1.testAndSetUpcallPending()).isTrue();
        assertThat(vcpu1.upcallPendingAcquire()).isEqualTo(1);
        assertThat(vcpu1.upcallMaskAcquire()).isEqualTo(1);
        assertThat(page.get(Layouts.U8, 64)).isEqualTo((byte) 1);
        assertThat(page.get(Layouts.U8, 65)).isEqualTo((byte) 1);

        vcpu1.upcallPendingRelease(0);
        VcpuInfo info = shared.vcpuInfo(1);
        assertThat(info.evtchnUpcallPending()).isZero();
        assertThat(info.evtchnUpcallMask()).isEqualTo(1);
        assertThat(shared.vcpuInfo(0).evtchnUpcallPending()).isZero();
    }

    @Test
    @DisplayName("the guest takes the selector with xchg(pending_sel, 0)")
    void shouldTakeThePendingSelector() {
        VcpuInfo vcpu0 = shared.vcpuInfo(0);
        assertThat(vcpu0.testAndSetPendingSel(2)).isFalse();
        assertThat(vcpu0.testAndSetPendingSel(63)).isFalse();
        assertThat(vcpu0.testAndSetPendingSel(2)).isTrue();
        assertThat(page.get(Layouts.U64, 8)).isEqualTo((1L << 2) | (1L << 63));

        assertThat(vcpu0.takePendingSel()).isEqualTo((1L << 2) | (1L << 63));
        assertThat(vcpu0.takePendingSel()).isZero();
    }

    @Test
    @DisplayName("ending access: cmpxchg(flags, GTF_permit_access, 0) fails while Xen holds GTF_reading")
    void shouldCompareAndSetGrantHeader() {
        GrantEntryV1 entry = new GrantEntryV1().wrap(buffer, 5 * GrantEntryV1.SIZE).domid(3).frame(0x1234);
        entry.flagsRelease(1); // GTF_permit_access

        int granted = GrantEntryV1.header(1, 3);
        assertThat(entry.headerAcquire()).isEqualTo(granted);
        assertThat(entry.compareAndSetHeader(granted, GrantEntryV1.header(1 | 8, 3))).isTrue();

        int witness = entry.compareAndExchangeHeader(granted, 0);
        assertThat(GrantEntryV1.headerFlags(witness)).isEqualTo(1 | 8);
        assertThat(GrantEntryV1.headerDomid(witness)).isEqualTo(3);
        assertThat(entry.flagsAcquire()).isEqualTo(9);
        assertThat(entry.frameAcquire()).isEqualTo(0x1234);

        assertThat(entry.clearFlags(8)).isEqualTo(GrantEntryV1.header(1 | 8, 3));
        assertThat(entry.headerAcquire()).isEqualTo(granted);
    }

    @Test
    void shouldPublishSeqlockVersions() {
        VcpuTimeInfo time = shared.vcpuInfo(3).time();
        time.versionRelease(7);
        shared.wcVersionRelease(9);
        VcpuRunstateInfo runstate = new VcpuRunstateInfo().wrap(buffer, 3200);
        runstate.stateEntryTimeRelease(Runstate.XEN_RUNSTATE_UPDATE | 5);

        assertThat(time.versionAcquire()).isEqualTo(7);
        assertThat(page.get(Layouts.U32, 3 * 64 + 32)).isEqualTo(7);
        assertThat(shared.wcVersionAcquire()).isEqualTo(9);
        assertThat(runstate.stateEntryTime()).isEqualTo(Runstate.XEN_RUNSTATE_UPDATE | 5);
        assertThat(runstate.stateEntryTimeAcquire()).isNegative();
    }

    @Test
    @DisplayName("an update under the seqlock leaves the version even and two higher, with every field written")
    void shouldPublishUnderTheSeqlock() {
        VcpuTimeInfo time = shared.vcpuInfo(2).time();
        time.publish(1000, 2000, 0x8000_0000L, -1, VcpuTimeInfo.XEN_PVCLOCK_TSC_STABLE_BIT);
        assertThat(time.versionAcquire()).isEqualTo(2);
        assertThat(time.tscTimestamp()).isEqualTo(1000);
        assertThat(time.systemTime()).isEqualTo(2000);
        assertThat(time.tscToSystemMul()).isEqualTo(0x8000_0000L);
        assertThat(time.tscShift()).isEqualTo(-1);
        assertThat(time.flags()).isEqualTo(VcpuTimeInfo.XEN_PVCLOCK_TSC_STABLE_BIT);

        time.versionRelease(5); // a writer died half-way: the next update still ends even
        time.publish(1, 2, 3, 0, 0);
        assertThat(time.versionAcquire()).isEqualTo(8);

        shared.publishWallclock(0x1_2345_6789L, 999_999_999);
        assertThat(shared.wcVersionAcquire()).isEqualTo(2);
        assertThat(shared.wallclockSeconds()).isEqualTo(0x1_2345_6789L);
        assertThat(shared.wcNsec()).isEqualTo(999_999_999);
    }
}
