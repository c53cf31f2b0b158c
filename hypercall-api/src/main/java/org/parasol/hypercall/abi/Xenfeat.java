package org.parasol.hypercall.abi;

/**
 * Feature bit numbers ({@code XENFEAT_*}) reported by {@code XENVER_get_features}, mirrors
 * {@code public/features.h}. Bit 12 ({@code grant_map_identity}) is withdrawn and not defined.
 */
public final class Xenfeat {
    private Xenfeat() {
    }

    /** {@code XENFEAT_writable_page_tables}: guest may write its page tables directly. */
    public static final int WRITABLE_PAGE_TABLES = 0;
    /** {@code XENFEAT_writable_descriptor_tables}: guest may write GDT/LDT directly. */
    public static final int WRITABLE_DESCRIPTOR_TABLES = 1;
    /** {@code XENFEAT_auto_translated_physmap}: Xen translates guest frames (not classic PV). */
    public static final int AUTO_TRANSLATED_PHYSMAP = 2;
    /** {@code XENFEAT_supervisor_mode_kernel}: the kernel runs in ring 0. */
    public static final int SUPERVISOR_MODE_KERNEL = 3;
    /** {@code XENFEAT_pae_pgdir_above_4gb}: PAE page directories may sit above 4 GiB. */
    public static final int PAE_PGDIR_ABOVE_4GB = 4;
    /** {@code XENFEAT_mmu_pt_update_preserve_ad}: {@code MMU_PT_UPDATE_PRESERVE_AD} works. */
    public static final int MMU_PT_UPDATE_PRESERVE_AD = 5;
    /** {@code XENFEAT_highmem_assist}: {@code MMUEXT_[UN]MARK_SUPER} etc. available. */
    public static final int HIGHMEM_ASSIST = 6;
    /** {@code XENFEAT_gnttab_map_avail_bits}: {@code GNTMAP_guest_avail} bits are honoured. */
    public static final int GNTTAB_MAP_AVAIL_BITS = 7;
    /** {@code XENFEAT_hvm_callback_vector}: HVM event delivery by vector. */
    public static final int HVM_CALLBACK_VECTOR = 8;
    /** {@code XENFEAT_hvm_safe_pvclock}: the PV clock is safe in HVM. */
    public static final int HVM_SAFE_PVCLOCK = 9;
    /** {@code XENFEAT_hvm_pirqs}: HVM PIRQs over event channels. */
    public static final int HVM_PIRQS = 10;
    /** {@code XENFEAT_dom0}: the domain may run as dom0. */
    public static final int DOM0 = 11;
    /** {@code XENFEAT_memory_op_vnode_supported}: {@code XENMEMF_vnode} accepted. */
    public static final int MEMORY_OP_VNODE_SUPPORTED = 13;
    /** {@code XENFEAT_ARM_SMCCC_supported}: Arm SMC calling convention. */
    public static final int ARM_SMCCC_SUPPORTED = 14;
    /** {@code XENFEAT_linux_rsdp_unrestricted}: ACPI RSDP may sit anywhere (x86 PVH). */
    public static final int LINUX_RSDP_UNRESTRICTED = 15;
    /** {@code XENFEAT_not_direct_mapped}: guest frames are not machine frames. */
    public static final int NOT_DIRECT_MAPPED = 16;
    /** {@code XENFEAT_direct_mapped}: guest frame == machine frame. */
    public static final int DIRECT_MAPPED = 17;
    /** {@code XENFEAT_runstate_phys_area}: {@code VCPUOP_register_runstate_phys_area} allowed. */
    public static final int RUNSTATE_PHYS_AREA = 18;
    /** {@code XENFEAT_vcpu_time_phys_area}: {@code VCPUOP_register_vcpu_time_phys_area} allowed. */
    public static final int VCPU_TIME_PHYS_AREA = 19;

    /** {@code XENFEAT_NR_SUBMAPS}: number of 32-bit submaps. */
    public static final int NR_SUBMAPS = 1;
}
