package org.parasol.hypercall.struct;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.SegmentBuffer;

/** Sizes and offsets of every {@code EVTCHNOP_*} argument of {@code event_channel.h}. */
class EventChannelLayoutTest {

    @Nested
    @DisplayName("evtchn_bind_interdomain is 12 bytes")
    class BindInterdomainLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §5.1 bind_interdomain
            assertThat(EvtchnBindInterdomain.LAYOUT.byteSize()).isEqualTo(12);
            assertThat(EvtchnBindInterdomain.REMOTE_DOM_OFFSET).isEqualTo(0);
            assertThat(EvtchnBindInterdomain.REMOTE_PORT_OFFSET).isEqualTo(4);
            assertThat(EvtchnBindInterdomain.LOCAL_PORT_OFFSET).isEqualTo(8);
        }
    }

    @Nested
    @DisplayName("evtchn_bind_virq is 12 bytes")
    class BindVirqLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §5.1 bind_virq
            assertThat(EvtchnBindVirq.LAYOUT.byteSize()).isEqualTo(12);
            assertThat(EvtchnBindVirq.VIRQ_OFFSET).isEqualTo(0);
            assertThat(EvtchnBindVirq.VCPU_OFFSET).isEqualTo(4);
            assertThat(EvtchnBindVirq.PORT_OFFSET).isEqualTo(8);
        }
    }

    @Nested
    @DisplayName("evtchn_bind_pirq is 12 bytes")
    class BindPirqLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §5.1 bind_pirq
            assertThat(EvtchnBindPirq.LAYOUT.byteSize()).isEqualTo(12);
            assertThat(EvtchnBindPirq.PIRQ_OFFSET).isEqualTo(0);
            assertThat(EvtchnBindPirq.FLAGS_OFFSET).isEqualTo(4);
            assertThat(EvtchnBindPirq.PORT_OFFSET).isEqualTo(8);
        }
    }

    @Nested
    @DisplayName("evtchn_close, evtchn_send and evtchn_unmask are 4 bytes")
    class PortOnlyLayouts {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §5.1 close, send, unmask
            assertThat(EvtchnClose.LAYOUT.byteSize()).isEqualTo(4);
            assertThat(EvtchnClose.PORT_OFFSET).isEqualTo(0);
            assertThat(EvtchnSend.LAYOUT.byteSize()).isEqualTo(4);
            assertThat(EvtchnSend.PORT_OFFSET).isEqualTo(0);
            assertThat(EvtchnUnmask.LAYOUT.byteSize()).isEqualTo(4);
            assertThat(EvtchnUnmask.PORT_OFFSET).isEqualTo(0);
        }
    }

    @Nested
    @DisplayName("evtchn_status is 24 bytes")
    class StatusLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §5.1 status
            assertThat(EvtchnStatus.LAYOUT.byteSize()).isEqualTo(24);
            assertThat(EvtchnStatus.DOM_OFFSET).isEqualTo(0);
            assertThat(EvtchnStatus.PORT_OFFSET).isEqualTo(4);
            assertThat(EvtchnStatus.STATUS_OFFSET).isEqualTo(8);
            assertThat(EvtchnStatus.VCPU_OFFSET).isEqualTo(12);
            assertThat(EvtchnStatus.U_OFFSET).isEqualTo(16);
            assertThat(EvtchnStatus.U_UNBOUND_DOM_OFFSET).isEqualTo(16);
            assertThat(EvtchnStatus.U_INTERDOMAIN_DOM_OFFSET).isEqualTo(16);
            assertThat(EvtchnStatus.U_INTERDOMAIN_PORT_OFFSET).isEqualTo(20);
            assertThat(EvtchnStatus.U_PIRQ_OFFSET).isEqualTo(16);
            assertThat(EvtchnStatus.U_VIRQ_OFFSET).isEqualTo(16);
        }

        @Test
        @DisplayName("clearU zeroes all 8 bytes of the union and nothing else")
        void shouldClearTheWholeUnionOnly() {
            SegmentBuffer bytes = SegmentBuffer.allocate(EvtchnStatus.SIZE + 8);
            bytes.setMemory(0, bytes.capacity(), (byte) 0x5A);
            EvtchnStatus s = new EvtchnStatus().wrap(bytes, 0).interdomainDom(7).interdomainPort(9);

            s.clearU();

            assertThat(s.interdomainDom()).isZero();
            assertThat(s.interdomainPort()).isZero();
            assertThat(bytes.getLong(EvtchnStatus.U_OFFSET)).isZero();
            assertThat(bytes.getLong(EvtchnStatus.STATUS_OFFSET)).isEqualTo(0x5A5A5A5A5A5A5A5AL);
            assertThat(bytes.getLong(EvtchnStatus.SIZE)).isEqualTo(0x5A5A5A5A5A5A5A5AL);
        }
    }

    @Nested
    @DisplayName("evtchn_alloc_unbound is 8 bytes")
    class AllocUnboundLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §5.1 alloc_unbound
            assertThat(EvtchnAllocUnbound.LAYOUT.byteSize()).isEqualTo(8);
            assertThat(EvtchnAllocUnbound.DOM_OFFSET).isEqualTo(0);
            assertThat(EvtchnAllocUnbound.REMOTE_DOM_OFFSET).isEqualTo(2);
            assertThat(EvtchnAllocUnbound.PORT_OFFSET).isEqualTo(4);
        }
    }

    @Nested
    @DisplayName("evtchn_bind_ipi and evtchn_bind_vcpu are 8 bytes")
    class VcpuBindingLayouts {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §5.1 bind_ipi, bind_vcpu
            assertThat(EvtchnBindIpi.LAYOUT.byteSize()).isEqualTo(8);
            assertThat(EvtchnBindIpi.VCPU_OFFSET).isEqualTo(0);
            assertThat(EvtchnBindIpi.PORT_OFFSET).isEqualTo(4);
            assertThat(EvtchnBindVcpu.LAYOUT.byteSize()).isEqualTo(8);
            assertThat(EvtchnBindVcpu.PORT_OFFSET).isEqualTo(0);
            assertThat(EvtchnBindVcpu.VCPU_OFFSET).isEqualTo(4);
        }
    }

    @Nested
    @DisplayName("evtchn_reset is 2 bytes")
    class ResetLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §5.1 reset
            assertThat(EvtchnReset.LAYOUT.byteSize()).isEqualTo(2);
            assertThat(EvtchnReset.DOM_OFFSET).isEqualTo(0);
        }
    }

    @Nested
    @DisplayName("evtchn_init_control is 24 bytes")
    class InitControlLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §5.1 init_control
            assertThat(EvtchnInitControl.LAYOUT.byteSize()).isEqualTo(24);
            assertThat(EvtchnInitControl.CONTROL_GFN_OFFSET).isEqualTo(0);
            assertThat(EvtchnInitControl.OFFSET_OFFSET).isEqualTo(8);
            assertThat(EvtchnInitControl.VCPU_OFFSET).isEqualTo(12);
            assertThat(EvtchnInitControl.LINK_BITS_OFFSET).isEqualTo(16);
        }
    }

    @Nested
    @DisplayName("evtchn_expand_array and evtchn_set_priority are 8 bytes")
    class FifoLayouts {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §5.1 expand_array, set_priority
            assertThat(EvtchnExpandArray.LAYOUT.byteSize()).isEqualTo(8);
            assertThat(EvtchnExpandArray.ARRAY_GFN_OFFSET).isEqualTo(0);
            assertThat(EvtchnSetPriority.LAYOUT.byteSize()).isEqualTo(8);
            assertThat(EvtchnSetPriority.PORT_OFFSET).isEqualTo(0);
            assertThat(EvtchnSetPriority.PRIORITY_OFFSET).isEqualTo(4);
        }
    }
}
