package org.parasol.hypercall.abi;

import static org.parasol.hypercall.abi.ConstantTable.assertExactly;

import org.junit.jupiter.api.Test;

class VcpuAndMiscConstantsTest {

    @Test
    void shouldNumberVcpuOpsAsXen() {
        // fact sheet §10 vcpu_op commands; VCPU_SSHOTTMR_future = 1; period >= 1 ms;
        // PV vCPUs start with a 10 ms periodic timer
        assertExactly(VcpuOp.class,
                "INITIALISE", 0, "UP", 1, "DOWN", 2, "IS_UP", 3, "GET_RUNSTATE_INFO", 4,
                "REGISTER_RUNSTATE_MEMORY_AREA", 5, "SET_PERIODIC_TIMER", 6,
                "STOP_PERIODIC_TIMER", 7, "SET_SINGLESHOT_TIMER", 8, "STOP_SINGLESHOT_TIMER", 9,
                "REGISTER_VCPU_INFO", 10, "SEND_NMI", 11, "GET_PHYSID", 12,
                "REGISTER_VCPU_TIME_MEMORY_AREA", 13, "REGISTER_RUNSTATE_PHYS_AREA", 14,
                "REGISTER_VCPU_TIME_PHYS_AREA", 15,
                "VCPU_SSHOTTMR_FUTURE_BIT", 0, "VCPU_SSHOTTMR_FUTURE", 1,
                "MIN_PERIODIC_TIMER_NS", 1_000_000L, "DEFAULT_PERIODIC_TIMER_NS", 10_000_000L);
    }

    @Test
    void shouldNumberRunstatesAsXen() {
        // fact sheet §10 RUNSTATE values; §3.1/§10 XEN_RUNSTATE_UPDATE = bit 63
        assertExactly(Runstate.class,
                "RUNNING", 0, "RUNNABLE", 1, "BLOCKED", 2, "OFFLINE", 3, "NR_STATES", 4,
                "XEN_RUNSTATE_UPDATE", 0x8000000000000000L);
    }

    @Test
    void shouldNumberConsoleIoAsXen() {
        // fact sheet §4 and §16: CONSOLEIO_write = 0, CONSOLEIO_read = 1
        assertExactly(ConsoleIo.class, "WRITE", 0, "READ", 1);
    }

    @Test
    void shouldNumberXenVersionCommandsAsXen() {
        // fact sheet §4 xen_version cmds; extraversion char[16], capabilities char[1024]
        assertExactly(XenVersion.class,
                "VERSION", 0, "EXTRAVERSION", 1, "COMPILE_INFO", 2, "CAPABILITIES", 3,
                "CHANGESET", 4, "PLATFORM_PARAMETERS", 5, "GET_FEATURES", 6, "PAGESIZE", 7,
                "GUEST_HANDLE", 8, "COMMANDLINE", 9, "BUILD_ID", 10,
                "EXTRAVERSION_LEN", 16, "CAPABILITIES_INFO_LEN", 1024, "CHANGESET_INFO_LEN", 64,
                "COMMANDLINE_LEN", 1024, "DOMAIN_HANDLE_LEN", 16);
    }

    @Test
    void shouldNumberVmAssistAsXen() {
        // fact sheet §4 VMASST_CMD enable=0/disable=1 and VMASST types
        assertExactly(VmAssist.class,
                "CMD_ENABLE", 0, "CMD_DISABLE", 1,
                "TYPE_4GB_SEGMENTS", 0, "TYPE_4GB_SEGMENTS_NOTIFY", 1,
                "TYPE_WRITABLE_PAGETABLES", 2, "TYPE_PAE_EXTENDED_CR3", 3,
                "TYPE_ARCHITECTURAL_IOPL", 4, "TYPE_RUNSTATE_UPDATE_FLAG", 5, "TYPE_M2P_STRICT", 32);
    }

    @Test
    void shouldNumberXenfeatBitsAsXen() {
        // fact sheet §4 XENFEAT bits 0..11, 18, 19; 13..17 from public/features.h
        // (13 memory_op_vnode_supported, 14 ARM_SMCCC_supported, 15 linux_rsdp_unrestricted,
        // 16 not_direct_mapped, 17 direct_mapped); 12 is withdrawn
        assertExactly(Xenfeat.class,
                "WRITABLE_PAGE_TABLES", 0, "WRITABLE_DESCRIPTOR_TABLES", 1,
                "AUTO_TRANSLATED_PHYSMAP", 2, "SUPERVISOR_MODE_KERNEL", 3,
                "PAE_PGDIR_ABOVE_4GB", 4, "MMU_PT_UPDATE_PRESERVE_AD", 5, "HIGHMEM_ASSIST", 6,
                "GNTTAB_MAP_AVAIL_BITS", 7, "HVM_CALLBACK_VECTOR", 8, "HVM_SAFE_PVCLOCK", 9,
                "HVM_PIRQS", 10, "DOM0", 11, "MEMORY_OP_VNODE_SUPPORTED", 13,
                "ARM_SMCCC_SUPPORTED", 14, "LINUX_RSDP_UNRESTRICTED", 15,
                "NOT_DIRECT_MAPPED", 16, "DIRECT_MAPPED", 17, "RUNSTATE_PHYS_AREA", 18,
                "VCPU_TIME_PHYS_AREA", 19, "NR_SUBMAPS", 1);
    }

    @Test
    void shouldNumberCallbackOpAsXen() {
        // fact sheet §4 callback_op: register 0, unregister 1; CALLBACKTYPE_*;
        // CALLBACKF_mask_events = 1
        assertExactly(CallbackOp.class,
                "REGISTER", 0, "UNREGISTER", 1,
                "CALLBACKTYPE_EVENT", 0, "CALLBACKTYPE_FAILSAFE", 1, "CALLBACKTYPE_SYSCALL", 2,
                "CALLBACKTYPE_SYSENTER_DEPRECATED", 3, "CALLBACKTYPE_NMI", 4,
                "CALLBACKTYPE_SYSENTER", 5, "CALLBACKTYPE_SYSCALL32", 7,
                "CALLBACKF_MASK_EVENTS_BIT", 0, "CALLBACKF_MASK_EVENTS", 1);
    }

    @Test
    void shouldDefineSifFlagsAsXen() {
        // fact sheet §4 SIF flags, MAX_GUEST_CMDLINE = 1024, magic[32] "xen-3.0-x86_64"
        assertExactly(Sif.class,
                "PRIVILEGED", 1, "INITDOMAIN", 2, "MULTIBOOT_MOD", 4, "MOD_START_PFN", 8,
                "VIRT_P2M_4TOOLS", 16, "PM_MASK", 0xFF00,
                // Parasol's own flag (deviation 24), above SIF_PM_MASK: the kernel runs native.
                "PARASOL_NATIVE", 1 << 16,
                "MAX_GUEST_CMDLINE", 1024, "MAGIC_LEN", 32, "MAGIC_X86_64", "xen-3.0-x86_64");
    }
}
