package org.parasol.hypercall.struct;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.SegmentBuffer;

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

    @Nested
    @DisplayName("xen_compile_info is 144 bytes of NUL-padded strings")
    class CompileInfoLayout {
        @Test
        void shouldMatchXenOffsets() {
            // version.h: struct xen_compile_info { char compiler[64]; compile_by[16]; compile_domain[32]; compile_date[32]; }
            assertThat(XenCompileInfo.SIZE).isEqualTo(144);
            assertThat(XenCompileInfo.COMPILER_OFFSET).isZero();
            assertThat(XenCompileInfo.COMPILE_BY_OFFSET).isEqualTo(64);
            assertThat(XenCompileInfo.COMPILE_DOMAIN_OFFSET).isEqualTo(80);
            assertThat(XenCompileInfo.COMPILE_DATE_OFFSET).isEqualTo(112);
        }

        @Test
        @DisplayName("a string that does not fit is truncated to leave its NUL, and padding is zeroed")
        void shouldTruncateAndPad() {
            SegmentBuffer buffer = SegmentBuffer.allocate(XenCompileInfo.SIZE);
            buffer.setMemory(0, XenCompileInfo.SIZE, (byte) 0x7F);
            XenCompileInfo info = new XenCompileInfo().wrap(buffer, 0)
                    .compileBy("a-name-longer-than-sixteen").compiler("javac 25");

            assertThat(info.compileBy()).isEqualTo("a-name-longer-t");
            assertThat(buffer.getByte(XenCompileInfo.COMPILE_BY_OFFSET + 15)).isZero();
            assertThat(info.compiler()).isEqualTo("javac 25");
            assertThat(buffer.isZero(8, XenCompileInfo.COMPILER_LEN - 8)).isTrue();
            assertThat(buffer.getByte(XenCompileInfo.COMPILE_DOMAIN_OFFSET)).isEqualTo((byte) 0x7F);
        }
    }
}
