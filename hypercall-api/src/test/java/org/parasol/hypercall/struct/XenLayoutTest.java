package org.parasol.hypercall.struct;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.abi.Evtchn2l;

/** Sizes and offsets of the structures of {@code xen.h} and {@code arch-x86/xen.h} (x86-64). */
class XenLayoutTest {

    @Nested
    @DisplayName("start_info is 1168 bytes")
    class StartInfoLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §4 start_info
            assertThat(StartInfo.LAYOUT.byteSize()).isEqualTo(1168);
            assertThat(StartInfo.SIZE).isEqualTo(1168);
            assertThat(StartInfo.MAGIC_OFFSET).isEqualTo(0);
            assertThat(StartInfo.NR_PAGES_OFFSET).isEqualTo(32);
            assertThat(StartInfo.SHARED_INFO_OFFSET).isEqualTo(40);
            assertThat(StartInfo.FLAGS_OFFSET).isEqualTo(48);
            assertThat(StartInfo.STORE_MFN_OFFSET).isEqualTo(56);
            assertThat(StartInfo.STORE_EVTCHN_OFFSET).isEqualTo(64);
            assertThat(StartInfo.CONSOLE_MFN_OFFSET).isEqualTo(72);
            assertThat(StartInfo.CONSOLE_EVTCHN_OFFSET).isEqualTo(80);
            assertThat(StartInfo.CONSOLE_INFO_OFF_OFFSET).isEqualTo(72);
            assertThat(StartInfo.CONSOLE_INFO_SIZE_OFFSET).isEqualTo(76);
            assertThat(StartInfo.PT_BASE_OFFSET).isEqualTo(88);
            assertThat(StartInfo.NR_PT_FRAMES_OFFSET).isEqualTo(96);
            assertThat(StartInfo.MFN_LIST_OFFSET).isEqualTo(104);
            assertThat(StartInfo.MOD_START_OFFSET).isEqualTo(112);
            assertThat(StartInfo.MOD_LEN_OFFSET).isEqualTo(120);
            assertThat(StartInfo.CMD_LINE_OFFSET).isEqualTo(128);
            assertThat(StartInfo.FIRST_P2M_PFN_OFFSET).isEqualTo(1152);
            assertThat(StartInfo.NR_P2M_FRAMES_OFFSET).isEqualTo(1160);
        }
    }

    @Nested
    @DisplayName("vcpu_time_info is 32 bytes")
    class VcpuTimeInfoLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §3.1 vcpu_time_info
            assertThat(VcpuTimeInfo.LAYOUT.byteSize()).isEqualTo(32);
            assertThat(VcpuTimeInfo.VERSION_OFFSET).isEqualTo(0);
            assertThat(VcpuTimeInfo.TSC_TIMESTAMP_OFFSET).isEqualTo(8);
            assertThat(VcpuTimeInfo.SYSTEM_TIME_OFFSET).isEqualTo(16);
            assertThat(VcpuTimeInfo.TSC_TO_SYSTEM_MUL_OFFSET).isEqualTo(24);
            assertThat(VcpuTimeInfo.TSC_SHIFT_OFFSET).isEqualTo(28);
            assertThat(VcpuTimeInfo.FLAGS_OFFSET).isEqualTo(29);
        }
    }

    @Nested
    @DisplayName("vcpu_info is 64 bytes")
    class VcpuInfoLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §3.2 vcpu_info
            assertThat(VcpuInfo.LAYOUT.byteSize()).isEqualTo(64);
            assertThat(VcpuInfo.EVTCHN_UPCALL_PENDING_OFFSET).isEqualTo(0);
            assertThat(VcpuInfo.EVTCHN_UPCALL_MASK_OFFSET).isEqualTo(1);
            assertThat(VcpuInfo.EVTCHN_PENDING_SEL_OFFSET).isEqualTo(8);
            assertThat(VcpuInfo.ARCH_CR2_OFFSET).isEqualTo(16);
            assertThat(VcpuInfo.ARCH_PAD_OFFSET).isEqualTo(24);
            assertThat(VcpuInfo.TIME_OFFSET).isEqualTo(32);
        }
    }

    @Nested
    @DisplayName("shared_info is 3136 bytes")
    class SharedInfoLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §3.3 shared_info
            assertThat(SharedInfo.LAYOUT.byteSize()).isEqualTo(3136);
            assertThat(SharedInfo.VCPU_INFO_OFFSET).isEqualTo(0);
            assertThat(SharedInfo.VCPU_INFO_STRIDE).isEqualTo(64);
            assertThat(SharedInfo.vcpuInfoOffset(31)).isEqualTo(1984);
            assertThat(SharedInfo.EVTCHN_PENDING_OFFSET).isEqualTo(2048);
            assertThat(SharedInfo.EVTCHN_MASK_OFFSET).isEqualTo(2560);
            assertThat(SharedInfo.WC_VERSION_OFFSET).isEqualTo(3072);
            assertThat(SharedInfo.WC_SEC_OFFSET).isEqualTo(3076);
            assertThat(SharedInfo.WC_NSEC_OFFSET).isEqualTo(3080);
            assertThat(SharedInfo.WC_SEC_HI_OFFSET).isEqualTo(3084);
            assertThat(SharedInfo.ARCH_MAX_PFN_OFFSET).isEqualTo(3088);
            assertThat(SharedInfo.ARCH_PFN_TO_MFN_FRAME_LIST_LIST_OFFSET).isEqualTo(3096);
            assertThat(SharedInfo.ARCH_NMI_REASON_OFFSET).isEqualTo(3104);
            assertThat(SharedInfo.ARCH_P2M_CR3_OFFSET).isEqualTo(3112);
            assertThat(SharedInfo.ARCH_P2M_VADDR_OFFSET).isEqualTo(3120);
            assertThat(SharedInfo.ARCH_P2M_GENERATION_OFFSET).isEqualTo(3128);
        }

        @Test
        @DisplayName("port p is bit (p mod 64) of word (p / 64)")
        void shouldPlacePortBitsByWord() {
            // fact sheet §5.3 2-level ABI
            assertThat(Evtchn2l.NR_CHANNELS).isEqualTo(4096);
            assertThat(SharedInfo.pendingWordOffset(0)).isEqualTo(2048);
            assertThat(SharedInfo.pendingWordOffset(63)).isEqualTo(2048);
            assertThat(SharedInfo.pendingWordOffset(64)).isEqualTo(2056);
            assertThat(SharedInfo.maskWordOffset(4095)).isEqualTo(2560 + 63 * 8);
        }
    }

    @Nested
    @DisplayName("trap_info is 16 bytes")
    class TrapInfoLayout {
        @Test
        void shouldMatchXenOffsets() {
            // arch-x86/xen.h trap_info: vector u8, flags u8, cs u16, address u64
            assertThat(TrapInfo.LAYOUT.byteSize()).isEqualTo(16);
            assertThat(TrapInfo.VECTOR_OFFSET).isEqualTo(0);
            assertThat(TrapInfo.FLAGS_OFFSET).isEqualTo(1);
            assertThat(TrapInfo.CS_OFFSET).isEqualTo(2);
            assertThat(TrapInfo.ADDRESS_OFFSET).isEqualTo(8);
        }
    }

    @Nested
    @DisplayName("vcpu_guest_context is 5168 bytes")
    class VcpuGuestContextLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §10 VCPUOP_initialise; offsets from arch-x86/xen.h and xen-x86_64.h
            assertThat(VcpuGuestContext.LAYOUT.byteSize()).isEqualTo(5168);
            assertThat(VcpuGuestContext.CPU_USER_REGS_LAYOUT.byteSize()).isEqualTo(200);
            assertThat(VcpuGuestContext.FPU_CTXT_OFFSET).isEqualTo(0);
            assertThat(VcpuGuestContext.FLAGS_OFFSET).isEqualTo(512);
            assertThat(VcpuGuestContext.USER_REGS_OFFSET).isEqualTo(520);
            assertThat(VcpuGuestContext.USER_REGS_RSI_OFFSET).isEqualTo(520 + 104);
            assertThat(VcpuGuestContext.USER_REGS_RIP_OFFSET).isEqualTo(520 + 128);
            assertThat(VcpuGuestContext.USER_REGS_RSP_OFFSET).isEqualTo(520 + 152);
            assertThat(VcpuGuestContext.TRAP_CTXT_OFFSET).isEqualTo(720);
            assertThat(VcpuGuestContext.LDT_BASE_OFFSET).isEqualTo(4816);
            assertThat(VcpuGuestContext.GDT_FRAMES_OFFSET).isEqualTo(4832);
            assertThat(VcpuGuestContext.KERNEL_SS_OFFSET).isEqualTo(4968);
            assertThat(VcpuGuestContext.CTRLREG_OFFSET).isEqualTo(4984);
            assertThat(VcpuGuestContext.CTRLREG3_OFFSET).isEqualTo(5008);
            assertThat(VcpuGuestContext.DEBUGREG_OFFSET).isEqualTo(5048);
            assertThat(VcpuGuestContext.EVENT_CALLBACK_EIP_OFFSET).isEqualTo(5112);
            assertThat(VcpuGuestContext.FAILSAFE_CALLBACK_EIP_OFFSET).isEqualTo(5120);
            assertThat(VcpuGuestContext.SYSCALL_CALLBACK_EIP_OFFSET).isEqualTo(5128);
            assertThat(VcpuGuestContext.VM_ASSIST_OFFSET).isEqualTo(5136);
            assertThat(VcpuGuestContext.FS_BASE_OFFSET).isEqualTo(5144);
            assertThat(VcpuGuestContext.GS_BASE_KERNEL_OFFSET).isEqualTo(5152);
            assertThat(VcpuGuestContext.GS_BASE_USER_OFFSET).isEqualTo(5160);
        }
    }

    @Nested
    @DisplayName("mmu_update is 16 bytes")
    class MmuUpdateLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §9.1 mmu_update
            assertThat(MmuUpdate.LAYOUT.byteSize()).isEqualTo(16);
            assertThat(MmuUpdate.PTR_OFFSET).isEqualTo(0);
            assertThat(MmuUpdate.VAL_OFFSET).isEqualTo(8);
        }
    }

    @Nested
    @DisplayName("mmuext_op is 24 bytes")
    class MmuextOpLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §9.2 mmuext_op
            assertThat(MmuextOp.LAYOUT.byteSize()).isEqualTo(24);
            assertThat(MmuextOp.CMD_OFFSET).isEqualTo(0);
            assertThat(MmuextOp.ARG1_MFN_OFFSET).isEqualTo(8);
            assertThat(MmuextOp.ARG1_LINEAR_ADDR_OFFSET).isEqualTo(8);
            assertThat(MmuextOp.ARG2_NR_ENTS_OFFSET).isEqualTo(16);
            assertThat(MmuextOp.ARG2_VCPUMASK_OFFSET).isEqualTo(16);
            assertThat(MmuextOp.ARG2_SRC_MFN_OFFSET).isEqualTo(16);
        }
    }

    @Nested
    @DisplayName("multicall_entry is 64 bytes")
    class MulticallEntryLayout {
        @Test
        void shouldMatchXenOffsets() {
            // fact sheet §1.4 multicall
            assertThat(MulticallEntry.LAYOUT.byteSize()).isEqualTo(64);
            assertThat(MulticallEntry.OP_OFFSET).isEqualTo(0);
            assertThat(MulticallEntry.RESULT_OFFSET).isEqualTo(8);
            assertThat(MulticallEntry.ARGS_OFFSET).isEqualTo(16);
        }
    }
}
