package org.parasol.hypercall.struct;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Sizes and offsets of the structures of {@code callback.h} and {@code vcpu.h}. */
class CallbackAndVcpuLayoutTest {

    @Nested
    @DisplayName("callback_register is 16 bytes")
    class CallbackRegisterLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §4 CALLBACKOP_register {u16 type; u16 flags; u64 address}
            assertThat(CallbackRegister.LAYOUT.byteSize()).isEqualTo(16);
            assertThat(CallbackRegister.TYPE_OFFSET).isEqualTo(0);
            assertThat(CallbackRegister.FLAGS_OFFSET).isEqualTo(2);
            assertThat(CallbackRegister.ADDRESS_OFFSET).isEqualTo(8);
        }
    }

    @Nested
    @DisplayName("callback_unregister is 4 bytes")
    class CallbackUnregisterLayout {
        @Test
        void shouldMatchXenOffsets() {
            // callback.h callback_unregister {u16 type; u16 _unused}
            assertThat(CallbackUnregister.LAYOUT.byteSize()).isEqualTo(4);
            assertThat(CallbackUnregister.TYPE_OFFSET).isEqualTo(0);
        }
    }

    @Nested
    @DisplayName("vcpu_runstate_info is 48 bytes")
    class VcpuRunstateInfoLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §10 vcpu_runstate_info
            assertThat(VcpuRunstateInfo.LAYOUT.byteSize()).isEqualTo(48);
            assertThat(VcpuRunstateInfo.STATE_OFFSET).isEqualTo(0);
            assertThat(VcpuRunstateInfo.STATE_ENTRY_TIME_OFFSET).isEqualTo(8);
            assertThat(VcpuRunstateInfo.TIME_OFFSET).isEqualTo(16);
        }
    }

    @Nested
    @DisplayName("vcpu_set_singleshot_timer is 16 bytes")
    class VcpuSetSingleshotTimerLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §10 VCPUOP_set_singleshot_timer
            assertThat(VcpuSetSingleshotTimer.LAYOUT.byteSize()).isEqualTo(16);
            assertThat(VcpuSetSingleshotTimer.TIMEOUT_ABS_NS_OFFSET).isEqualTo(0);
            assertThat(VcpuSetSingleshotTimer.FLAGS_OFFSET).isEqualTo(8);
        }
    }

    @Nested
    @DisplayName("vcpu_set_periodic_timer is 8 bytes")
    class VcpuSetPeriodicTimerLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §10 VCPUOP_set_periodic_timer
            assertThat(VcpuSetPeriodicTimer.LAYOUT.byteSize()).isEqualTo(8);
            assertThat(VcpuSetPeriodicTimer.PERIOD_NS_OFFSET).isEqualTo(0);
        }
    }

    @Nested
    @DisplayName("vcpu_register_vcpu_info is 16 bytes")
    class VcpuRegisterVcpuInfoLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §10 VCPUOP_register_vcpu_info
            assertThat(VcpuRegisterVcpuInfo.LAYOUT.byteSize()).isEqualTo(16);
            assertThat(VcpuRegisterVcpuInfo.MFN_OFFSET).isEqualTo(0);
            assertThat(VcpuRegisterVcpuInfo.OFFSET_OFFSET).isEqualTo(8);
            assertThat(VcpuRegisterVcpuInfo.RSVD_OFFSET).isEqualTo(12);
        }
    }

    @Nested
    @DisplayName("vcpu_register_runstate_memory_area is 8 bytes")
    class VcpuRegisterRunstateMemoryAreaLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §10 VCPUOP_register_runstate_memory_area
            assertThat(VcpuRegisterRunstateMemoryArea.LAYOUT.byteSize()).isEqualTo(8);
            assertThat(VcpuRegisterRunstateMemoryArea.ADDR_OFFSET).isEqualTo(0);
            assertThat(VcpuRegisterRunstateMemoryArea.ADDR_P_OFFSET).isEqualTo(0);
        }
    }
}
