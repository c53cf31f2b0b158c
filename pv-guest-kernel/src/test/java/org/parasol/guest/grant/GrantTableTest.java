package org.parasol.guest.grant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.guest.FakeGuest;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GrantRef;
import org.parasol.hypercall.Mfn;
import org.parasol.hypercall.abi.Gtf;

/** The granting side against fake memory standing in for the mapped grant frame. */
class GrantTableTest {
    private static final long TABLE = FakeGuest.BASE;
    private FakeGuest g;
    private GrantTable gt;

    @BeforeEach
    void setUp() {
        g = new FakeGuest();
        gt = new GrantTable(g, TABLE, 512);
    }

    private int flags(GrantRef r) {
        return g.getShort(TABLE + 8L * r.value()) & 0xFFFF;
    }

    /** What the hypervisor does while it copies from or maps the grant. */
    private void hypervisorSets(GrantRef r, int bits) {
        g.getAndBitwiseOrInt(TABLE + 8L * r.value(), bits);
    }

    private void hypervisorClears(GrantRef r, int bits) {
        g.getAndBitwiseAndInt(TABLE + 8L * r.value(), ~bits);
    }

    @Test
    @DisplayName("A grant publishes domid and frame, then the type; reserved refs 0..7 are never handed out")
    void shouldPublishAGrant() {
        GrantRef r = gt.grantAccess(DomId.of(5), Mfn.of(0x1234), true);
        assertThat(r.value()).isEqualTo(8);
        assertThat(g.getShort(TABLE + 8L * 8 + 2)).isEqualTo((short) 5);
        assertThat(g.getInt(TABLE + 8L * 8 + 4)).isEqualTo(0x1234);
        assertThat(flags(r)).isEqualTo(Gtf.PERMIT_ACCESS | Gtf.READONLY);
        assertThat(gt.grantAccess(DomId.of(5), Mfn.of(1), false).value()).isEqualTo(9);
        assertThat(gt.freeReferences()).isEqualTo(512 - 8 - 2);
    }

    @Test
    @DisplayName("End of access succeeds by CAS when no busy bit is set, and the reference is reused")
    void shouldEndAccessAndReuse() {
        GrantRef r = gt.grantAccess(DomId.of(5), Mfn.of(7), false);
        assertThat(gt.endAccess(r, 0)).isTrue();
        assertThat(flags(r)).isZero();
        assertThat(gt.grantAccess(DomId.of(6), Mfn.of(8), false)).isEqualTo(r);
    }

    @Test
    @DisplayName("While GTF_reading/GTF_writing are set, end of access is deferred and retried after its back-off, never spun on")
    void shouldDeferWhileBusy() {
        GrantRef r = gt.grantAccess(DomId.of(5), Mfn.of(7), false);
        hypervisorSets(r, Gtf.READING | Gtf.WRITING);
        int free = gt.freeReferences();
        assertThat(gt.endAccess(r, 1_000)).isFalse();
        assertThat(gt.deferredReferences()).isEqualTo(1);
        assertThat(flags(r)).as("entry untouched").isEqualTo(Gtf.PERMIT_ACCESS | Gtf.READING | Gtf.WRITING);
        assertThat(gt.processDeferred(1_000 + 500_000)).as("back-off not over").isEqualTo(1);
        assertThat(gt.processDeferred(1_000 + 1_000_000)).as("still busy").isEqualTo(1);
        hypervisorClears(r, Gtf.WRITING);
        assertThat(gt.processDeferred(1_000 + 2_000_000)).as("back-off doubled").isEqualTo(1);
        hypervisorClears(r, Gtf.READING);
        assertThat(gt.processDeferred(1_000 + 3_000_000)).isZero();
        assertThat(flags(r)).isZero();
        assertThat(gt.freeReferences()).isEqualTo(free + 1);
    }

    @Test
    @DisplayName("tryEndAccess never frees; a reference ended twice or out of range is refused")
    void shouldRefuseMisuse() {
        GrantRef r = gt.grantAccess(DomId.of(5), Mfn.of(7), false);
        gt.endAccess(r, 0);
        assertThatThrownBy(() -> gt.endAccess(r, 0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> gt.tryEndAccess(GrantRef.of(3))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> gt.tryEndAccess(GrantRef.of(512))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("An exhausted table says so instead of handing out a reserved or used reference")
    void shouldRefuseWhenFull() {
        GrantTable small = new GrantTable(g, TABLE + 4096, 10);
        small.grantAccess(DomId.of(1), Mfn.of(1), false);
        small.grantAccess(DomId.of(1), Mfn.of(1), false);
        assertThatThrownBy(() -> small.grantAccess(DomId.of(1), Mfn.of(1), false))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("full");
    }
}
