package org.parasol.guest.grant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.guest.FakeGuest;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.Mfn;
import org.parasol.hypercall.abi.Gtf;

/** The granting side against fake memory standing in for the mapped grant frame. */
class GrantTableTest {
    private static final long TABLE = FakeGuest.BASE;
    private FakeGuest g;
    private GrantTable gt;
    private long now;
    private int deferrals;

    @BeforeEach
    void setUp() {
        g = new FakeGuest();
        gt = new GrantTable(g, TABLE, 512, () -> now, () -> deferrals++);
    }

    private int flags(GrantedPage p) {
        return g.getShort(TABLE + 8L * p.ref().value()) & 0xFFFF;
    }

    /** What the hypervisor does while it copies from or maps the grant. */
    private void hypervisorSets(GrantedPage p, int bits) {
        g.getAndBitwiseOrInt(TABLE + 8L * p.ref().value(), bits);
    }

    private void hypervisorClears(GrantedPage p, int bits) {
        g.getAndBitwiseAndInt(TABLE + 8L * p.ref().value(), ~bits);
    }

    @Test
    @DisplayName("A grant publishes domid and frame, then the type; reserved refs 0..7 are never handed out")
    void shouldPublishAGrant() {
        GrantedPage p = gt.grantAccess(DomId.of(5), Mfn.of(0x1234), true);
        assertThat(p.ref().value()).isEqualTo(8);
        assertThat(p.grantee()).isEqualTo(DomId.of(5));
        assertThat(p.frame()).isEqualTo(Mfn.of(0x1234));
        assertThat(p.readonly()).isTrue();
        assertThat(g.getShort(TABLE + 8L * 8 + 2)).isEqualTo((short) 5);
        assertThat(g.getInt(TABLE + 8L * 8 + 4)).isEqualTo(0x1234);
        assertThat(flags(p)).isEqualTo(Gtf.PERMIT_ACCESS | Gtf.READONLY);
        assertThat(gt.grantAccess(DomId.of(5), Mfn.of(1), false).ref().value()).isEqualTo(9);
        assertThat(gt.freeReferences()).isEqualTo(512 - 8 - 2);
    }

    @Test
    @DisplayName("Closing a granted page ends access by CAS when no busy bit is set, and the reference is reused")
    void shouldEndAccessOnCloseAndReuse() {
        GrantedPage first;
        try (GrantedPage p = gt.grantAccess(DomId.of(5), Mfn.of(7), false)) {
            first = p;
            assertThat(p.isEnded()).isFalse();
        }
        assertThat(first.isEnded()).isTrue();
        assertThat(flags(first)).isZero();
        assertThat(gt.freeReferences()).isEqualTo(512 - 8);
        GrantedPage again = gt.grantAccess(DomId.of(6), Mfn.of(8), false);
        assertThat(again.ref()).isEqualTo(first.ref());
        assertThat(deferrals).isZero();
    }

    @Test
    @DisplayName("While GTF_reading/GTF_writing are set, end of access is deferred and retried after its back-off, never spun on")
    void shouldDeferWhileBusy() {
        GrantedPage p = gt.grantAccess(DomId.of(5), Mfn.of(7), false);
        hypervisorSets(p, Gtf.READING | Gtf.WRITING);
        int free = gt.freeReferences();
        assertThat(gt.endAccess(p, 1_000)).isFalse();
        assertThat(deferrals).as("the owner is told, to schedule the retries").isEqualTo(1);
        assertThat(gt.deferredReferences()).isEqualTo(1);
        assertThat(flags(p)).as("entry untouched").isEqualTo(Gtf.PERMIT_ACCESS | Gtf.READING | Gtf.WRITING);
        assertThat(gt.processDeferred(1_000 + 500_000)).as("back-off not over").isEqualTo(1);
        assertThat(gt.processDeferred(1_000 + 1_000_000)).as("still busy").isEqualTo(1);
        hypervisorClears(p, Gtf.WRITING);
        assertThat(gt.processDeferred(1_000 + 2_000_000)).as("back-off doubled").isEqualTo(1);
        hypervisorClears(p, Gtf.READING);
        assertThat(gt.processDeferred(1_000 + 3_000_000)).isZero();
        assertThat(flags(p)).isZero();
        assertThat(gt.freeReferences()).isEqualTo(free + 1);
    }

    @Test
    @DisplayName("close() of a busy grant takes the deferred path at the table's clock")
    void shouldDeferOnCloseAtTheTablesClock() {
        now = 5_000;
        GrantedPage p = gt.grantAccess(DomId.of(5), Mfn.of(7), false);
        hypervisorSets(p, Gtf.READING);
        p.close();
        assertThat(p.isEnded()).isTrue();
        assertThat(deferrals).isEqualTo(1);
        hypervisorClears(p, Gtf.READING);
        assertThat(gt.processDeferred(5_000 + 999_999)).as("due 1 ms after the close").isEqualTo(1);
        assertThat(gt.processDeferred(5_000 + 1_000_000)).isZero();
        p.close();
        assertThat(deferrals).as("closing again does nothing").isEqualTo(1);
    }

    @Test
    @DisplayName("tryEndAccess never frees; a page ended twice is refused, and a stale page never ends its reference's next grant")
    void shouldRefuseMisuse() {
        GrantedPage p = gt.grantAccess(DomId.of(5), Mfn.of(7), false);
        assertThat(gt.tryEndAccess(p)).isTrue();
        assertThat(gt.freeReferences()).as("revoked, not freed").isEqualTo(512 - 8 - 1);
        assertThat(p.endAccess()).isTrue();
        assertThatThrownBy(p::endAccess).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> gt.tryEndAccess(p)).isInstanceOf(IllegalStateException.class);
        GrantedPage next = gt.grantAccess(DomId.of(6), Mfn.of(9), false);
        assertThat(next.ref()).isEqualTo(p.ref());
        p.close();
        assertThat(next.isEnded()).isFalse();
        assertThat(flags(next)).as("the new grant stands").isEqualTo(Gtf.PERMIT_ACCESS);
    }

    @Test
    @DisplayName("An exhausted table says so instead of handing out a reserved or used reference")
    void shouldRefuseWhenFull() {
        GrantTable small = new GrantTable(g, TABLE + 4096, 10, () -> 0, () -> { });
        small.grantAccess(DomId.of(1), Mfn.of(1), false);
        small.grantAccess(DomId.of(1), Mfn.of(1), false);
        assertThatThrownBy(() -> small.grantAccess(DomId.of(1), Mfn.of(1), false))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("full");
    }
}
