package org.parasol.hypercall.struct;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.abi.Domctl;

/**
 * Sizes and offsets of {@code xen_domctl} and the union members Parasol implements, as gcc
 * lays out Xen's {@code public/domctl.h} (interface version 0x18) for x86-64.
 */
class DomctlLayoutTest {

    @Nested
    @DisplayName("xen_domctl is a 16-byte header and a 128-byte union: 144 bytes")
    class DomctlLayout {
        @Test
        void shouldMatchXenOffsets() {
            // domctl.c build_assertions: sizeof == 16 + 128, offsetof(u) == 16
            assertThat(XenDomctl.SIZE).isEqualTo(144);
            assertThat(XenDomctl.CMD_OFFSET).isEqualTo(0);
            assertThat(XenDomctl.INTERFACE_VERSION_OFFSET).isEqualTo(4);
            assertThat(XenDomctl.DOMAIN_OFFSET).isEqualTo(8);
            assertThat(XenDomctl.U_OFFSET).isEqualTo(16);
            assertThat(XenDomctl.U_SIZE).isEqualTo(128);
        }

        @Test
        @DisplayName("clearU zeroes the 128-byte union and leaves the header")
        void shouldClearOnlyTheUnion() {
            SegmentBuffer bytes = SegmentBuffer.allocate(XenDomctl.SIZE + 8);
            bytes.setMemory(0, bytes.capacity(), (byte) 0x5A);
            XenDomctl d = new XenDomctl().wrap(bytes, 0);

            d.clearU();

            assertThat(d.cmd()).isEqualTo(0x5A5A5A5AL);
            assertThat(d.domain()).isEqualTo(0x5A5A);
            for (long i = XenDomctl.U_OFFSET; i < XenDomctl.SIZE; i++) {
                assertThat(bytes.getByte(i)).as("union byte %d", i).isZero();
            }
            assertThat(bytes.getLong(XenDomctl.SIZE)).isEqualTo(0x5A5A5A5A5A5A5A5AL);
        }

        @Test
        @DisplayName("golden bytes: createdomain of DOMID_ANY at version 0x18")
        void shouldWriteTheHeaderLittleEndian() {
            SegmentBuffer bytes = SegmentBuffer.allocate(XenDomctl.SIZE);
            new XenDomctl().wrap(bytes, 0).cmd(1).interfaceVersion(0x18).domain(0x7FF5);
            assertThat(bytes.segment().asSlice(0, 16).toArray(Layouts.U8)).containsExactly(
                    1, 0, 0, 0, 0x18, 0, 0, 0, (byte) 0xF5, 0x7F, 0, 0, 0, 0, 0, 0);
        }
    }

    @Nested
    @DisplayName("xen_domctl_createdomain is 68 bytes")
    class CreatedomainLayout {
        @Test
        void shouldMatchXenOffsets() {
            assertThat(XenDomctlCreatedomain.SIZE).isEqualTo(68);
            assertThat(XenDomctlCreatedomain.SSIDREF_OFFSET).isEqualTo(0);
            assertThat(XenDomctlCreatedomain.HANDLE_OFFSET).isEqualTo(4);
            assertThat(XenDomctlCreatedomain.FLAGS_OFFSET).isEqualTo(20);
            assertThat(XenDomctlCreatedomain.IOMMU_OPTS_OFFSET).isEqualTo(24);
            assertThat(XenDomctlCreatedomain.MAX_VCPUS_OFFSET).isEqualTo(28);
            assertThat(XenDomctlCreatedomain.MAX_EVTCHN_PORT_OFFSET).isEqualTo(32);
            assertThat(XenDomctlCreatedomain.MAX_GRANT_FRAMES_OFFSET).isEqualTo(36);
            assertThat(XenDomctlCreatedomain.MAX_MAPTRACK_FRAMES_OFFSET).isEqualTo(40);
            assertThat(XenDomctlCreatedomain.GRANT_OPTS_OFFSET).isEqualTo(44);
            assertThat(XenDomctlCreatedomain.ALTP2M_OPTS_OFFSET).isEqualTo(48);
            assertThat(XenDomctlCreatedomain.ALTP2M_NR_OFFSET).isEqualTo(50);
            assertThat(XenDomctlCreatedomain.VMTRACE_SIZE_OFFSET).isEqualTo(52);
            assertThat(XenDomctlCreatedomain.CPUPOOL_ID_OFFSET).isEqualTo(56);
            assertThat(XenDomctlCreatedomain.ARCH_EMULATION_FLAGS_OFFSET).isEqualTo(60);
            assertThat(XenDomctlCreatedomain.ARCH_MISC_FLAGS_OFFSET).isEqualTo(64);
        }

        @Test
        @DisplayName("the handle's 16 bytes sit between ssidref and flags")
        void shouldKeepTheHandleInItsSixteenBytes() {
            SegmentBuffer bytes = SegmentBuffer.allocate(XenDomctlCreatedomain.SIZE);
            XenDomctlCreatedomain c = new XenDomctlCreatedomain().wrap(bytes, 0);
            for (int i = 0; i < 16; i++) {
                c.handle(i, 0xF0 + i);
            }
            assertThat(c.ssidref()).isZero();
            assertThat(c.flags()).isZero();
            assertThat(bytes.getByte(4)).isEqualTo((byte) 0xF0);
            assertThat(bytes.getByte(19)).isEqualTo((byte) 0xFF);
            assertThat(c.handle(15)).isEqualTo(0xFF);
        }
    }

    @Nested
    @DisplayName("xen_domctl_getdomaininfo is 112 bytes")
    class GetdomaininfoLayout {
        @Test
        void shouldMatchXenOffsets() {
            assertThat(XenDomctlGetdomaininfo.SIZE).isEqualTo(112);
            assertThat(XenDomctlGetdomaininfo.DOMAIN_OFFSET).isEqualTo(0);
            assertThat(XenDomctlGetdomaininfo.FLAGS_OFFSET).isEqualTo(4);
            assertThat(XenDomctlGetdomaininfo.TOT_PAGES_OFFSET).isEqualTo(8);
            assertThat(XenDomctlGetdomaininfo.MAX_PAGES_OFFSET).isEqualTo(16);
            assertThat(XenDomctlGetdomaininfo.OUTSTANDING_PAGES_OFFSET).isEqualTo(24);
            assertThat(XenDomctlGetdomaininfo.SHR_PAGES_OFFSET).isEqualTo(32);
            assertThat(XenDomctlGetdomaininfo.PAGED_PAGES_OFFSET).isEqualTo(40);
            assertThat(XenDomctlGetdomaininfo.SHARED_INFO_FRAME_OFFSET).isEqualTo(48);
            assertThat(XenDomctlGetdomaininfo.CPU_TIME_OFFSET).isEqualTo(56);
            assertThat(XenDomctlGetdomaininfo.NR_ONLINE_VCPUS_OFFSET).isEqualTo(64);
            assertThat(XenDomctlGetdomaininfo.MAX_VCPU_ID_OFFSET).isEqualTo(68);
            assertThat(XenDomctlGetdomaininfo.SSIDREF_OFFSET).isEqualTo(72);
            assertThat(XenDomctlGetdomaininfo.HANDLE_OFFSET).isEqualTo(76);
            assertThat(XenDomctlGetdomaininfo.CPUPOOL_OFFSET).isEqualTo(92);
            assertThat(XenDomctlGetdomaininfo.GPADDR_BITS_OFFSET).isEqualTo(96);
            assertThat(XenDomctlGetdomaininfo.ARCH_EMULATION_FLAGS_OFFSET).isEqualTo(104);
            assertThat(XenDomctlGetdomaininfo.ARCH_MISC_FLAGS_OFFSET).isEqualTo(108);
        }
    }

    @Nested
    @DisplayName("max_mem (8), vcpucontext (16) and max_vcpus (4)")
    class SmallMembers {
        @Test
        void shouldMatchXenOffsets() {
            assertThat(XenDomctlMaxMem.SIZE).isEqualTo(8);
            assertThat(XenDomctlMaxMem.MAX_MEMKB_OFFSET).isEqualTo(0);
            assertThat(XenDomctlVcpucontext.SIZE).isEqualTo(16);
            assertThat(XenDomctlVcpucontext.VCPU_OFFSET).isEqualTo(0);
            assertThat(XenDomctlVcpucontext.CTXT_OFFSET).isEqualTo(8);
            assertThat(XenDomctlMaxVcpus.SIZE).isEqualTo(4);
            assertThat(XenDomctlMaxVcpus.MAX_OFFSET).isEqualTo(0);
        }
    }

    @Nested
    @DisplayName("xen_domctl_scheduler_op (24, its union 8-aligned) and xen_domctl_vcpuaffinity (40, two 16-byte xenctl_bitmaps)")
    class SchedulingMembers {
        @Test
        void shouldMatchXenOffsets() {
            assertThat(XenDomctlSchedulerOp.SIZE).isEqualTo(24);
            assertThat(XenDomctlSchedulerOp.SCHED_ID_OFFSET).isEqualTo(0);
            assertThat(XenDomctlSchedulerOp.CMD_OFFSET).isEqualTo(4);
            assertThat(XenDomctlSchedulerOp.U_OFFSET).isEqualTo(8);
            assertThat(XenDomctlSchedulerOp.CREDIT_WEIGHT_OFFSET).isEqualTo(8);
            assertThat(XenDomctlSchedulerOp.CREDIT_CAP_OFFSET).isEqualTo(10);
            assertThat(XenDomctlVcpuaffinity.BITMAP.byteSize()).isEqualTo(16);
            assertThat(XenDomctlVcpuaffinity.SIZE).isEqualTo(40);
            assertThat(XenDomctlVcpuaffinity.VCPU_OFFSET).isEqualTo(0);
            assertThat(XenDomctlVcpuaffinity.FLAGS_OFFSET).isEqualTo(4);
            assertThat(XenDomctlVcpuaffinity.HARD_BITMAP_OFFSET).isEqualTo(8);
            assertThat(XenDomctlVcpuaffinity.HARD_NR_BITS_OFFSET).isEqualTo(16);
            assertThat(XenDomctlVcpuaffinity.SOFT_BITMAP_OFFSET).isEqualTo(24);
            assertThat(XenDomctlVcpuaffinity.SOFT_NR_BITS_OFFSET).isEqualTo(32);
        }

        @Test
        void shouldCarryXenNumbers() {
            assertThat(Domctl.SETVCPUAFFINITY).isEqualTo(9);
            assertThat(Domctl.SCHEDULER_OP).isEqualTo(16);
            assertThat(Domctl.GETVCPUAFFINITY).isEqualTo(25);
            assertThat(Domctl.SCHEDULER_CREDIT).isEqualTo(5);
            assertThat(Domctl.SCHEDOP_PUTINFO).isZero();
            assertThat(Domctl.SCHEDOP_GETINFO).isEqualTo(1);
        }
    }

    @Nested
    @DisplayName("Parasol's parasol_domctl_load_image is 104 bytes and fits the union")
    class LoadImageLayout {
        @Test
        void shouldKeepItsOffsetsAndFitTheUnion() {
            assertThat(ParasolDomctlLoadImage.SIZE).isEqualTo(104).isLessThanOrEqualTo(XenDomctl.U_SIZE);
            assertThat(ParasolDomctlLoadImage.IMAGE_OFFSET).isEqualTo(0);
            assertThat(ParasolDomctlLoadImage.IMAGE_LEN_OFFSET).isEqualTo(8);
            assertThat(ParasolDomctlLoadImage.CMDLINE_LEN_OFFSET).isEqualTo(12);
            assertThat(ParasolDomctlLoadImage.CMDLINE_OFFSET).isEqualTo(16);
            assertThat(ParasolDomctlLoadImage.ENTRY_OFFSET).isEqualTo(24);
            assertThat(ParasolDomctlLoadImage.START_INFO_OFFSET).isEqualTo(32);
            assertThat(ParasolDomctlLoadImage.CR3_OFFSET).isEqualTo(40);
            assertThat(ParasolDomctlLoadImage.STACK_OFFSET).isEqualTo(48);
            assertThat(ParasolDomctlLoadImage.NR_PAGES_OFFSET).isEqualTo(56);
            assertThat(ParasolDomctlLoadImage.PT_BASE_OFFSET).isEqualTo(64);
            assertThat(ParasolDomctlLoadImage.STORE_EVTCHN_OFFSET).isEqualTo(72);
            assertThat(ParasolDomctlLoadImage.STORE_DOMID_OFFSET).isEqualTo(76);
            assertThat(ParasolDomctlLoadImage.PAD_OFFSET).isEqualTo(78);
            assertThat(ParasolDomctlLoadImage.STORE_MFN_OFFSET).isEqualTo(80);
            assertThat(ParasolDomctlLoadImage.NAME_OFFSET).isEqualTo(88);
            assertThat(ParasolDomctlLoadImage.NAME_LEN_OFFSET).isEqualTo(96);
            assertThat(ParasolDomctlLoadImage.PAD2_OFFSET).isEqualTo(100);
        }
    }
}
