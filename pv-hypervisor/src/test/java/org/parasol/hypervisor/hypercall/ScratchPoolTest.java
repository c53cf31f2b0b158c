package org.parasol.hypervisor.hypercall;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.ValueLayout;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The host's pool of hypercall argument areas: a vCPU that blocks gives its area back, the next
 * hypercall of any vCPU takes one, and one domain's arguments never reach another's vCPU.
 */
class ScratchPoolTest {
    private final HypercallTable table = new HypercallTable();

    @Test
    @DisplayName("an area given back is taken again, by its own domain as it was left")
    void shouldReuseAGivenBackArea() {
        GuestArgs a = (GuestArgs) table.takeScratch(5);
        a.bytes().set(ValueLayout.JAVA_LONG, 0, 0x1234L);
        table.giveScratch(a);

        GuestArgs b = (GuestArgs) table.takeScratch(5);

        assertThat(b).isSameAs(a);
        assertThat(b.bytes().get(ValueLayout.JAVA_LONG, 0)).isEqualTo(0x1234L);
    }

    @Test
    @DisplayName("another domain's vCPU gets the area wiped: no argument of the domain before it is left to leak")
    void shouldWipeAnAreaThatChangesDomain() {
        GuestArgs a = (GuestArgs) table.takeScratch(5);
        a.bytes().set(ValueLayout.JAVA_LONG, 64, -1L);
        a.consoleChunk[7] = 'x';
        a.pollPorts[0] = 9;
        table.giveScratch(a);

        GuestArgs b = (GuestArgs) table.takeScratch(6);

        assertThat(b).isSameAs(a);
        assertThat(b.bytes().get(ValueLayout.JAVA_LONG, 64)).isZero();
        assertThat(b.consoleChunk[7]).isZero();
        assertThat(b.pollPorts[0]).isZero();
    }

    @Test
    @DisplayName("a domain gets back an area it used before another domain's, when one is pooled")
    void shouldPreferTheDomainsOwnArea() {
        GuestArgs mine = (GuestArgs) table.takeScratch(5);
        GuestArgs theirs = (GuestArgs) table.takeScratch(6);
        table.giveScratch(mine);
        table.giveScratch(theirs);

        assertThat(table.takeScratch(5)).isSameAs(mine);
        assertThat(table.takeScratch(6)).isSameAs(theirs);
    }

    @Test
    @DisplayName("the pool is bounded: areas beyond it are left to the collector, and an empty pool makes a new area")
    void shouldBoundThePool() {
        GuestArgs[] many = new GuestArgs[HypercallTable.SCRATCH_POOL + 10];
        for (int i = 0; i < many.length; i++) {
            many[i] = (GuestArgs) table.takeScratch(1);
        }
        for (GuestArgs a : many) {
            table.giveScratch(a);
        }
        java.util.Set<GuestArgs> back = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (int i = 0; i < many.length; i++) {
            back.add((GuestArgs) table.takeScratch(1));
        }
        int reused = 0;
        for (GuestArgs a : many) {
            if (back.contains(a)) {
                reused++;
            }
        }
        assertThat(reused).isEqualTo(HypercallTable.SCRATCH_POOL);
        assertThat(back).hasSize(many.length);
    }
}
