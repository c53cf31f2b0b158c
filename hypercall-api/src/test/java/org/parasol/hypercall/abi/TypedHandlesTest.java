package org.parasol.hypercall.abi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.parasol.hypercall.abi.ConstantTable.assertExactly;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GrantRef;
import org.parasol.hypercall.Mfn;
import org.parasol.hypercall.Pfn;
import org.parasol.hypercall.Port;

class TypedHandlesTest {

    @Test
    void shouldDefineReservedDomainIdsAsXen() {
        // fact sheet §4 domain-id constants
        assertExactly(DomId.class,
                "DOMID_FIRST_RESERVED", 0x7FF0, "DOMID_SELF", 0x7FF0, "DOMID_IO", 0x7FF1,
                "DOMID_XEN", 0x7FF2, "DOMID_COW", 0x7FF3, "DOMID_INVALID", 0x7FF4,
                "DOMID_ANY", 0x7FF5, "DOMID_IDLE", 0x7FFF, "DOMID_MASK", 0x7FFF);
        assertThat(DomId.SELF.value()).isEqualTo(0x7FF0);
        assertThat(DomId.IDLE.value()).isEqualTo(0x7FFF);
        assertThat(DomId.DOM0.value()).isZero();
    }

    @Test
    void shouldPrintDomainsAsXensPercentPd() {
        assertThat(DomId.of(3)).hasToString("d3");
        assertThat(DomId.DOM0).hasToString("d0");
        assertThat(DomId.SELF).hasToString("d[SELF]");
        assertThat(DomId.IDLE).hasToString("d[IDLE]");
        assertThat(DomId.XEN).hasToString("d[XEN]");
    }

    @Test
    void shouldShareTheReservedConstants() {
        assertThat(DomId.of(0x7FF0)).isSameAs(DomId.SELF);
        assertThat(DomId.of(0x7FF4)).isSameAs(DomId.INVALID);
        assertThat(DomId.of(7)).isEqualTo(new DomId(7));
        assertThat(DomId.of(7).isDomain()).isTrue();
        assertThat(DomId.ANY.isDomain()).isFalse();
    }

    @Property
    void shouldRejectDomainIdsWiderThanSixteenBits(@ForAll int value) {
        if ((value & ~0xFFFF) == 0) {
            assertThat(DomId.of(value).value()).isEqualTo(value);
        } else {
            assertThatThrownBy(() -> DomId.of(value)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Property
    void shouldAcceptPortsBelowTheFifoLimitOnly(@ForAll int value) {
        if (value >= 0 && value < 131072) {
            assertThat(Port.of(value).value()).isEqualTo(value);
        } else {
            assertThatThrownBy(() -> Port.of(value)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void shouldPrintPortsAndGrantRefs() {
        assertThat(Port.of(5)).hasToString("port 5");
        assertThat(Port.of(0)).isSameAs(Port.NONE);
        assertThat(GrantRef.of(8)).hasToString("gref 8");
        assertThatThrownBy(() -> GrantRef.of(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Property
    void shouldConvertFramesToAddressesAndBack(@ForAll @LongRange(min = 0, max = (1L << 40) - 1) long frame,
                                               @ForAll @IntRange(min = 0, max = 4095) int offset) {
        Mfn mfn = Mfn.of(frame);
        assertThat(Mfn.ofAddress(mfn.address() + offset)).isEqualTo(mfn);
        Pfn pfn = Pfn.of(frame);
        assertThat(Pfn.ofAddress(pfn.address() + offset)).isEqualTo(pfn);
    }

    @Test
    void shouldRejectFramesOutsideThePteFrameField() {
        assertThatThrownBy(() -> Mfn.of(1L << 40)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Mfn.of(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Pfn.ofAddress(-4096)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldPrintFramesInXensHex() {
        assertThat(Mfn.of(0x1a)).hasToString("mfn 0001a");
        assertThat(Pfn.of(0x123456)).hasToString("pfn 123456");
    }

    @Test
    void shouldNameVirqsAsXenAndShareTheDefinedOnes() {
        assertThat(org.parasol.hypercall.Virq.of(Virq.TIMER)).isSameAs(org.parasol.hypercall.Virq.TIMER);
        assertThat(org.parasol.hypercall.Virq.TIMER.value()).isEqualTo(Virq.TIMER);
        assertThat(org.parasol.hypercall.Virq.DOM_EXC).hasToString("VIRQ_DOM_EXC");
        assertThat(org.parasol.hypercall.Virq.MCA.value()).isEqualTo(Virq.ARCH_0);
        assertThat(org.parasol.hypercall.Virq.of(24)).hasToString("virq 24");
        assertThat(org.parasol.hypercall.Virq.of(24).isDefined()).isFalse();
        assertThat(org.parasol.hypercall.Virq.ARGO.virqClass()).isEqualTo(Virq.VirqClass.PER_DOMAIN);
        assertThatThrownBy(() -> org.parasol.hypercall.Virq.of(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Property
    void shouldGiveEveryDefinedVirqItsSharedHandle(@ForAll @IntRange(min = 0, max = 64) int number) {
        org.parasol.hypercall.Virq v = org.parasol.hypercall.Virq.of(number);
        assertThat(v.value()).isEqualTo(number);
        assertThat(v.isDefined()).isEqualTo(Virq.classOf(number) != null);
        if (v.isDefined()) {
            assertThat(org.parasol.hypercall.Virq.of(number)).isSameAs(v);
            assertThat(v).hasToString(Virq.name(number));
        }
    }
}
