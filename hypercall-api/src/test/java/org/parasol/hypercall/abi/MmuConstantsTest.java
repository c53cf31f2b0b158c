package org.parasol.hypercall.abi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parasol.hypercall.abi.ConstantTable.assertExactly;

import org.junit.jupiter.api.Test;

class MmuConstantsTest {

    @Test
    void shouldNumberMmuUpdateTypesAndPteBitsAsXen() {
        // fact sheet §9.1 mmu_update types (ptr & 3) and x86-64 PTE bits: 0 P, 1 RW, 2 US,
        // 3 PWT, 4 PCD, 5 A, 6 D, 7 PAT, 8 G, 9-11 avail, 12-51 frame, 63 NX
        assertExactly(Mmu.class,
                "NORMAL_PT_UPDATE", 0, "MACHPHYS_UPDATE", 1, "PT_UPDATE_PRESERVE_AD", 2,
                "PT_UPDATE_NO_TRANSLATE", 3, "CMD_MASK", 3, "MMU_UPDATE_PREEMPTED", 0x80000000,
                "PAGE_PRESENT", 0x1L, "PAGE_RW", 0x2L, "PAGE_USER", 0x4L, "PAGE_PWT", 0x8L,
                "PAGE_PCD", 0x10L, "PAGE_ACCESSED", 0x20L, "PAGE_DIRTY", 0x40L, "PAGE_PAT", 0x80L,
                "PAGE_PSE", 0x80L, "PAGE_GLOBAL", 0x100L, "PAGE_AVAIL", 0xE00L,
                "PAGE_NX", 0x8000000000000000L, "PAGE_FRAME_MASK", 0x000FFFFFFFFFF000L,
                "PAGE_SHIFT", 12, "PAGE_SIZE", 4096, "PT_ENTRIES", 512,
                // xen-x86_64.h: __HYPERVISOR_VIRT_START/END, __MACH2PHYS_VIRT_START/END
                "HYPERVISOR_VIRT_START", 0xFFFF800000000000L, "HYPERVISOR_VIRT_END", 0xFFFF880000000000L,
                "MACH2PHYS_VIRT_START", 0xFFFF800000000000L, "MACH2PHYS_VIRT_END", 0xFFFF804000000000L);
    }

    @Test
    void shouldCoverFrameBits12To51WithTheFrameMask() {
        // fact sheet §9.1: 12-51 frame
        assertThat(Long.numberOfTrailingZeros(Mmu.PAGE_FRAME_MASK)).isEqualTo(12);
        assertThat(Long.bitCount(Mmu.PAGE_FRAME_MASK)).isEqualTo(40);
        assertThat(Mmu.PAGE_FRAME_MASK & (Mmu.PAGE_NX | 0xFFFL)).isZero();
    }

    @Test
    void shouldNumberMmuextOpsAsXen() {
        // fact sheet §9.2 mmuext_op commands (14 unused)
        assertExactly(MmuextOp.class,
                "PIN_L1_TABLE", 0, "PIN_L2_TABLE", 1, "PIN_L3_TABLE", 2, "PIN_L4_TABLE", 3,
                "UNPIN_TABLE", 4, "NEW_BASEPTR", 5, "TLB_FLUSH_LOCAL", 6, "INVLPG_LOCAL", 7,
                "TLB_FLUSH_MULTI", 8, "INVLPG_MULTI", 9, "TLB_FLUSH_ALL", 10, "INVLPG_ALL", 11,
                "FLUSH_CACHE", 12, "SET_LDT", 13, "NEW_USER_BASEPTR", 15, "CLEAR_PAGE", 16,
                "COPY_PAGE", 17, "FLUSH_CACHE_GLOBAL", 18, "MARK_SUPER", 19, "UNMARK_SUPER", 20);
    }

    @Test
    void shouldDefineUvmfFlagsAsXen() {
        // fact sheet §9.3 UVMF flags
        assertExactly(Uvmf.class,
                "NONE", 0, "TLB_FLUSH", 1, "INVLPG", 2, "FLUSHTYPE_MASK", 3,
                "MULTI", 0, "LOCAL", 0, "ALL", 4);
    }
}
