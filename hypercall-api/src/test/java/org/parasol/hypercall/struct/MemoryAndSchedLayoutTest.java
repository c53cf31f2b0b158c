package org.parasol.hypercall.struct;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Sizes and offsets of the structures of {@code memory.h} and {@code sched.h}. */
class MemoryAndSchedLayoutTest {

    @Nested
    @DisplayName("xen_memory_reservation is 32 bytes")
    class ReservationLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §8 xen_memory_reservation
            assertThat(XenMemoryReservation.LAYOUT.byteSize()).isEqualTo(32);
            assertThat(XenMemoryReservation.EXTENT_START_OFFSET).isEqualTo(0);
            assertThat(XenMemoryReservation.NR_EXTENTS_OFFSET).isEqualTo(8);
            assertThat(XenMemoryReservation.EXTENT_ORDER_OFFSET).isEqualTo(16);
            assertThat(XenMemoryReservation.MEM_FLAGS_OFFSET).isEqualTo(20);
            assertThat(XenMemoryReservation.DOMID_OFFSET).isEqualTo(24);
        }
    }

    @Nested
    @DisplayName("xen_memory_domain is 2 bytes")
    class MemoryDomainLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §8 xen_memory_domain {u16 domid}
            assertThat(XenMemoryDomain.LAYOUT.byteSize()).isEqualTo(2);
            assertThat(XenMemoryDomain.DOMID_OFFSET).isEqualTo(0);
        }
    }

    @Nested
    @DisplayName("xen_machphys_mfn_list is 24 bytes")
    class MachphysMfnListLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §8 XENMEM_machphys_mfn_list
            assertThat(XenMachphysMfnList.LAYOUT.byteSize()).isEqualTo(24);
            assertThat(XenMachphysMfnList.MAX_EXTENTS_OFFSET).isEqualTo(0);
            assertThat(XenMachphysMfnList.EXTENT_START_OFFSET).isEqualTo(8);
            assertThat(XenMachphysMfnList.NR_EXTENTS_OFFSET).isEqualTo(16);
        }
    }

    @Nested
    @DisplayName("xen_machphys_mapping is 24 bytes")
    class MachphysMappingLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §8 XENMEM_machphys_mapping {v_start, v_end, max_mfn}
            assertThat(XenMachphysMapping.LAYOUT.byteSize()).isEqualTo(24);
            assertThat(XenMachphysMapping.V_START_OFFSET).isEqualTo(0);
            assertThat(XenMachphysMapping.V_END_OFFSET).isEqualTo(8);
            assertThat(XenMachphysMapping.MAX_MFN_OFFSET).isEqualTo(16);
        }
    }

    @Nested
    @DisplayName("xen_add_to_physmap is 24 bytes")
    class AddToPhysmapLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §8 XENMEM_add_to_physmap
            assertThat(XenAddToPhysmap.LAYOUT.byteSize()).isEqualTo(24);
            assertThat(XenAddToPhysmap.DOMID_OFFSET).isEqualTo(0);
            assertThat(XenAddToPhysmap.SIZE_OFFSET).isEqualTo(2);
            assertThat(XenAddToPhysmap.SPACE_OFFSET).isEqualTo(4);
            assertThat(XenAddToPhysmap.IDX_OFFSET).isEqualTo(8);
            assertThat(XenAddToPhysmap.GPFN_OFFSET).isEqualTo(16);
        }
    }

    @Nested
    @DisplayName("sched_shutdown is 4 bytes")
    class ShutdownLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §7 SCHEDOP_shutdown
            assertThat(SchedShutdown.LAYOUT.byteSize()).isEqualTo(4);
            assertThat(SchedShutdown.REASON_OFFSET).isEqualTo(0);
        }
    }

    @Nested
    @DisplayName("sched_poll is 24 bytes")
    class PollLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §7 SCHEDOP_poll
            assertThat(SchedPoll.LAYOUT.byteSize()).isEqualTo(24);
            assertThat(SchedPoll.PORTS_OFFSET).isEqualTo(0);
            assertThat(SchedPoll.NR_PORTS_OFFSET).isEqualTo(8);
            assertThat(SchedPoll.TIMEOUT_OFFSET).isEqualTo(16);
        }
    }

    @Nested
    @DisplayName("sched_remote_shutdown is 8 bytes")
    class RemoteShutdownLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §7 SCHEDOP_remote_shutdown
            assertThat(SchedRemoteShutdown.LAYOUT.byteSize()).isEqualTo(8);
            assertThat(SchedRemoteShutdown.DOMAIN_ID_OFFSET).isEqualTo(0);
            assertThat(SchedRemoteShutdown.REASON_OFFSET).isEqualTo(4);
        }
    }

    @Nested
    @DisplayName("sched_watchdog is 8 bytes")
    class WatchdogLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §7 SCHEDOP_watchdog
            assertThat(SchedWatchdog.LAYOUT.byteSize()).isEqualTo(8);
            assertThat(SchedWatchdog.ID_OFFSET).isEqualTo(0);
            assertThat(SchedWatchdog.TIMEOUT_OFFSET).isEqualTo(4);
        }
    }
}
