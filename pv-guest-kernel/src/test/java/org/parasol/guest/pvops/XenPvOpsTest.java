package org.parasol.guest.pvops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.guest.FakeGuest;
import org.parasol.hypercall.Errno;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.guest.ArgumentPage;
import org.parasol.hypercall.struct.MmuUpdate;
import org.parasol.hypercall.struct.SharedInfo;
import org.parasol.hypercall.struct.VcpuInfo;

class XenPvOpsTest {
    private static final long ARGS = FakeGuest.BASE + 0x1000;
    private static final long SHARED = FakeGuest.BASE + 0x2000;
    private static final long VCPU0 = SHARED + SharedInfo.VCPU_INFO_OFFSET;

    private FakeGuest guest;
    private XenPvOps ops;

    @BeforeEach
    void setUp() {
        guest = new FakeGuest();
        ops = new XenPvOps(guest, new ArgumentPage(ARGS), SHARED);
    }

    private long count(int nr) {
        return guest.calls.stream().filter(c -> c[0] == nr).count();
    }

    @Test
    @DisplayName("outside lazy mode every setPte is one mmu_update")
    void shouldApplyEachUpdateAtOnceOutsideLazyMode() {
        ops.setPte(0x1000, 0x2003);
        ops.setPte(0x1008, 0x3003);
        assertThat(count(Hypercall.MMU_UPDATE)).isEqualTo(2);
        long[] last = guest.calls.get(guest.calls.size() - 1);
        assertThat(last[2]).as("count").isEqualTo(1);
        assertThat(guest.getLong(last[1] + MmuUpdate.PTR_OFFSET)).isEqualTo(0x1008);
        assertThat(guest.getLong(last[1] + MmuUpdate.VAL_OFFSET)).isEqualTo(0x3003);
    }

    @Test
    @DisplayName("lazy MMU mode: updates are queued and go out as one mmu_update batch, in order")
    void shouldBatchUpdatesInLazyMode() {
        ops.enterLazyMmu();
        for (int i = 0; i < 10; i++) {
            ops.setPte(0x1000 + 8L * i, 0x5000 + i);
        }
        assertThat(count(Hypercall.MMU_UPDATE)).isZero();
        ops.leaveLazyMmu();
        assertThat(count(Hypercall.MMU_UPDATE)).isEqualTo(1);
        long[] call = guest.calls.get(guest.calls.size() - 1);
        assertThat(call[2]).isEqualTo(10);
        for (int i = 0; i < 10; i++) {
            assertThat(guest.getLong(call[1] + i * MmuUpdate.SIZE + MmuUpdate.VAL_OFFSET)).isEqualTo(0x5000 + i);
        }
        assertThat(ops.mmuUpdateBatches()).isEqualTo(1);
    }

    @Test
    void shouldFlushAFullBatchWithoutLeavingLazyMode() {
        ops.enterLazyMmu();
        for (int i = 0; i < XenPvOps.BATCH + 1; i++) {
            ops.setPte(0x1000 + 8L * i, 1);
        }
        assertThat(count(Hypercall.MMU_UPDATE)).isEqualTo(1);
        ops.leaveLazyMmu();
        assertThat(count(Hypercall.MMU_UPDATE)).isEqualTo(2);
    }

    @Test
    void shouldReportARefusedUpdate() {
        guest.answer = x -> (x >>> 32) == Hypercall.MMU_UPDATE ? -Errno.EINVAL : 0;
        assertThatThrownBy(() -> ops.setPte(0x1000, 0x2003)).isInstanceOf(MmuException.class)
                .hasMessageContaining("mmu_update");
    }

    @Test
    @DisplayName("unmasking re-checks evtchn_upcall_pending and forces the callback with a hypercall")
    void shouldForceTheCallbackWhenAnEventIsPendingAtUnmask() {
        assertThat(ops.saveAndDisableEvents()).isTrue();
        assertThat(guest.getByte(VCPU0 + VcpuInfo.EVTCHN_UPCALL_MASK_OFFSET)).isEqualTo((byte) 1);
        ops.restoreEvents(true);
        assertThat(count(Hypercall.XEN_VERSION)).as("nothing pending: no hypercall").isZero();

        ops.saveAndDisableEvents();
        guest.putByte(VCPU0 + VcpuInfo.EVTCHN_UPCALL_PENDING_OFFSET, (byte) 1);
        ops.restoreEvents(true);
        assertThat(guest.getByte(VCPU0 + VcpuInfo.EVTCHN_UPCALL_MASK_OFFSET)).isZero();
        assertThat(count(Hypercall.XEN_VERSION)).isEqualTo(1);
    }

    @Test
    void shouldKeepEventsMaskedWhenRestoringADisabledState() {
        ops.saveAndDisableEvents();
        assertThat(ops.saveAndDisableEvents()).isFalse();
        ops.restoreEvents(false);
        assertThat(guest.getByte(VCPU0 + VcpuInfo.EVTCHN_UPCALL_MASK_OFFSET)).isEqualTo((byte) 1);
    }

    @Test
    void shouldProgramTheOneShotTimerWithSetTimerOp() {
        ops.programTimer(123_456);
        ops.programTimer(0);
        assertThat(guest.calls).filteredOn(c -> c[0] == Hypercall.SET_TIMER_OP).extracting(c -> c[1])
                .containsExactly(123_456L, 0L);
    }
}
