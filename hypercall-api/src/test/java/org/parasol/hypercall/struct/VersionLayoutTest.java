package org.parasol.hypercall.struct;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Sizes and offsets of the structures of {@code version.h}. */
class VersionLayoutTest {

    @Nested
    @DisplayName("xen_feature_info is 8 bytes")
    class FeatureInfoLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §4 xen_version get_features 6; version.h xen_feature_info {u32 submap_idx; u32 submap}
            assertThat(XenFeatureInfo.LAYOUT.byteSize()).isEqualTo(8);
            assertThat(XenFeatureInfo.SUBMAP_IDX_OFFSET).isEqualTo(0);
            assertThat(XenFeatureInfo.SUBMAP_OFFSET).isEqualTo(4);
        }
    }

    @Nested
    @DisplayName("xen_platform_parameters is 8 bytes")
    class PlatformParametersLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §4 xen_version platform_parameters 5; version.h {xen_ulong_t virt_start}
            assertThat(XenPlatformParameters.LAYOUT.byteSize()).isEqualTo(8);
            assertThat(XenPlatformParameters.VIRT_START_OFFSET).isEqualTo(0);
        }
    }
}
