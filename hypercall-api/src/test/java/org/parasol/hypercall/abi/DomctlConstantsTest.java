package org.parasol.hypercall.abi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parasol.hypercall.abi.ConstantTable.assertExactly;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class DomctlConstantsTest {

    @Test
    @DisplayName("XEN_DOMCTL_* numbers, CDF and DOMINF bits, XEN_SCHEDULER_* and SCHEDOP_* and VCPUAFFINITY_* as domctl.h at interface version 0x18")
    void shouldNumberDomctlsAsXen() {
        assertExactly(Domctl.class,
                "INTERFACE_VERSION", 0x18,
                "CREATEDOMAIN", 1, "DESTROYDOMAIN", 2, "PAUSEDOMAIN", 3, "UNPAUSEDOMAIN", 4,
                "GETDOMAININFO", 5, "MAX_MEM", 11, "SETVCPUCONTEXT", 12, "GETVCPUCONTEXT", 13,
                "MAX_VCPUS", 15, "GET_DOMAIN_STATE", 90,
                "SETVCPUAFFINITY", 9, "SCHEDULER_OP", 16, "GETVCPUAFFINITY", 25,
                "SCHEDULER_CREDIT", 5, "SCHEDULER_CREDIT2", 6,
                "SCHEDOP_PUTINFO", 0, "SCHEDOP_GETINFO", 1, "SCHEDOP_PUTVCPUINFO", 2, "SCHEDOP_GETVCPUINFO", 3,
                "VCPUAFFINITY_HARD", 1, "VCPUAFFINITY_SOFT", 2, "VCPUAFFINITY_FORCE", 4,
                "PARASOL_LOAD_IMAGE", 0x5041, "PARASOL_IMAGE_NAME_MAX", 255, "PARASOL_CMDLINE_MAX", 1023, "PARASOL_NAME_MAX", 64,
                // Parasol's emulation flags for the lab's bare and bt domains: above Xen's X86_EMU_* (bits 0-10).
                "PARASOL_EMU_BARE", 1L << 31, "PARASOL_EMU_BT", 1L << 30,
                "CDF_HVM", 1, "CDF_HAP", 2, "CDF_S3_INTEGRITY", 4, "CDF_OOS_OFF", 8, "CDF_XS_DOMAIN", 16,
                "CDF_IOMMU", 32, "CDF_NESTED_VIRT", 64, "CDF_VPMU", 128, "CDF_TRAP_UNMAPPED_ACCESSES", 256,
                "GRANT_VERSION_MASK", 0xF,
                "DOMINF_DYING", 1, "DOMINF_HVM_GUEST", 2, "DOMINF_SHUTDOWN", 4, "DOMINF_PAUSED", 8,
                "DOMINF_BLOCKED", 16, "DOMINF_RUNNING", 32, "DOMINF_DEBUGGED", 64, "DOMINF_XS_DOMAIN", 128,
                "DOMINF_HAP", 256, "DOMINF_SHUTDOWNMASK", 255, "DOMINF_SHUTDOWNSHIFT", 16,
                "INVALID_MAX_VCPU_ID", 0xFFFFFFFF);
    }

    @Test
    @DisplayName("Parasol's command is far from every Xen domctl number (the highest, gdbsx, is 1003)")
    void shouldKeepParasolsCommandAwayFromXens() {
        assertThat(Domctl.PARASOL_LOAD_IMAGE).isGreaterThan(1003 * 16);
    }

    @Test
    @DisplayName("the shutdown code is bits 16..23 of getdomaininfo's flags")
    void shouldExtractTheShutdownCode() {
        assertThat(Domctl.shutdownCode(Domctl.DOMINF_SHUTDOWN | (3 << 16))).isEqualTo(3);
        assertThat(Domctl.shutdownCode(0xFFFF0000)).isEqualTo(255);
        assertThat(Domctl.shutdownCode(Domctl.DOMINF_PAUSED)).isZero();
    }
}
