package org.parasol.hypercall.abi;

/**
 * Domain-control sub-commands ({@code XEN_DOMCTL_*}) and their flags, mirrors
 * {@code public/domctl.h}; plus the one command Parasol adds, {@link #PARASOL_LOAD_IMAGE}.
 *
 * <p>{@code domctl(struct xen_domctl *)} (hypercall 36) takes one 144-byte structure whose
 * {@code cmd} selects the member of its union. Every command but the stable ones must carry
 * {@link #INTERFACE_VERSION} in {@code interface_version} ({@code -EACCES} otherwise); only a
 * control domain may issue them ({@code -EPERM}).
 */
public final class Domctl {
    private Domctl() {
    }

    /** {@code XEN_DOMCTL_INTERFACE_VERSION}: last bumped in Xen 4.22. */
    public static final int INTERFACE_VERSION = 0x00000018;

    /** {@code XEN_DOMCTL_createdomain}: a new, empty, paused domain; {@code domain} is IN/OUT. */
    public static final int CREATEDOMAIN = 1;
    /** {@code XEN_DOMCTL_destroydomain}: tear a domain down and free everything it holds. */
    public static final int DESTROYDOMAIN = 2;
    /** {@code XEN_DOMCTL_pausedomain}: one more controller pause. */
    public static final int PAUSEDOMAIN = 3;
    /** {@code XEN_DOMCTL_unpausedomain}: one controller pause less; at zero the domain runs. */
    public static final int UNPAUSEDOMAIN = 4;
    /** {@code XEN_DOMCTL_getdomaininfo}: state, memory and vCPUs of one domain. */
    public static final int GETDOMAININFO = 5;
    /** {@code XEN_DOMCTL_setvcpuaffinity}: a vCPU's hard and/or soft affinity. */
    public static final int SETVCPUAFFINITY = 9;
    /** {@code XEN_DOMCTL_max_mem}: set {@code max_pages} from a size in KiB. */
    public static final int MAX_MEM = 11;
    /** {@code XEN_DOMCTL_setvcpucontext}: a vCPU's initial {@code vcpu_guest_context}. */
    public static final int SETVCPUCONTEXT = 12;
    /** {@code XEN_DOMCTL_getvcpucontext}: read a vCPU's context back (not implemented: -ENOSYS). */
    public static final int GETVCPUCONTEXT = 13;
    /** {@code XEN_DOMCTL_max_vcpus}: allocate the vCPUs; must equal createdomain's max_vcpus. */
    public static final int MAX_VCPUS = 15;
    /** {@code XEN_DOMCTL_scheduler_op}: read or set a domain's scheduling parameters. */
    public static final int SCHEDULER_OP = 16;
    /** {@code XEN_DOMCTL_getvcpuaffinity}: a vCPU's hard and/or soft affinity. */
    public static final int GETVCPUAFFINITY = 25;
    /** {@code XEN_DOMCTL_get_domain_state}: a stable op, whose interface_version must be 0. */
    public static final int GET_DOMAIN_STATE = 90;

    /**
     * Parasol's own command ('P' 'A'), far from Xen's numbers: load a kernel image by name into
     * a created, populated, paused domain and lay out its start of day, which libxenguest does
     * from dom0 through foreign mappings on Xen. See {@code docs/deviations.md}.
     */
    public static final int PARASOL_LOAD_IMAGE = 0x5041;
    /** Longest image name {@link #PARASOL_LOAD_IMAGE} takes, in bytes. */
    public static final int PARASOL_IMAGE_NAME_MAX = 255;
    /** Longest command line {@link #PARASOL_LOAD_IMAGE} takes: {@code MAX_GUEST_CMDLINE} less the NUL. */
    public static final int PARASOL_CMDLINE_MAX = 1023;
    /** The longest domain name {@code PARASOL_LOAD_IMAGE} takes, in bytes. */
    public static final int PARASOL_NAME_MAX = 64;

    /** {@code XEN_SCHEDULER_CREDIT}: the credit scheduler's {@code sched_id}. */
    public static final int SCHEDULER_CREDIT = 5;
    /** {@code XEN_SCHEDULER_CREDIT2}. */
    public static final int SCHEDULER_CREDIT2 = 6;
    /** {@code XEN_DOMCTL_SCHEDOP_putinfo}: set the domain's parameters. */
    public static final int SCHEDOP_PUTINFO = 0;
    /** {@code XEN_DOMCTL_SCHEDOP_getinfo}: read them. */
    public static final int SCHEDOP_GETINFO = 1;
    /** {@code XEN_DOMCTL_SCHEDOP_putvcpuinfo}: per-vCPU parameters (not the credit scheduler's). */
    public static final int SCHEDOP_PUTVCPUINFO = 2;
    /** {@code XEN_DOMCTL_SCHEDOP_getvcpuinfo}. */
    public static final int SCHEDOP_GETVCPUINFO = 3;

    /** {@code XEN_VCPUAFFINITY_HARD}: the hard affinity is set or read. */
    public static final int VCPUAFFINITY_HARD = 1 << 0;
    /** {@code XEN_VCPUAFFINITY_SOFT}: the soft affinity is set or read. */
    public static final int VCPUAFFINITY_SOFT = 1 << 1;
    /** {@code XEN_VCPUAFFINITY_FORCE}: undo a {@code SCHEDOP_pin_override} (no effect in Parasol). */
    public static final int VCPUAFFINITY_FORCE = 1 << 2;

    /**
     * {@code XEN_DOMCTL_CDF_hvm}: an HVM guest; for Parasol, a trap-and-emulate domain (without
     * {@link #CDF_HAP}, which is refused).
     */
    public static final int CDF_HVM = 1 << 0;
    /**
     * Parasol's own bit of x86's {@code arch.emulation_flags} (Xen's {@code X86_EMU_*} end at
     * bit 10): with {@link #CDF_HVM}, the domain runs on the bare machine model, its privileged
     * instructions taking effect with no VM exit (the lab's reference). See docs/deviations.md.
     */
    public static final long PARASOL_EMU_BARE = 1L << 31;
    /**
     * Parasol's own bit of {@code arch.emulation_flags}: with {@link #CDF_HVM}, the domain's
     * kernel image is binary-translated at load (its privileged call sites rewritten to enter
     * the emulation with no VM exit). See docs/deviations.md.
     */
    public static final long PARASOL_EMU_BT = 1L << 30;
    /** {@code XEN_DOMCTL_CDF_hap}: hardware-assisted paging (HVM only). */
    public static final int CDF_HAP = 1 << 1;
    /** {@code XEN_DOMCTL_CDF_s3_integrity}: tboot memory integrity over S3. */
    public static final int CDF_S3_INTEGRITY = 1 << 2;
    /** {@code XEN_DOMCTL_CDF_oos_off}: no out-of-sync shadow page tables. */
    public static final int CDF_OOS_OFF = 1 << 3;
    /** {@code XEN_DOMCTL_CDF_xs_domain}: a xenstore domain. */
    public static final int CDF_XS_DOMAIN = 1 << 4;
    /** {@code XEN_DOMCTL_CDF_iommu}: may use the IOMMU. */
    public static final int CDF_IOMMU = 1 << 5;
    /** {@code XEN_DOMCTL_CDF_nested_virt}: nested virtualization. */
    public static final int CDF_NESTED_VIRT = 1 << 6;
    /** {@code XEN_DOMCTL_CDF_vpmu}: expose the vPMU. */
    public static final int CDF_VPMU = 1 << 7;
    /** {@code XEN_DOMCTL_CDF_trap_unmapped_accesses}. */
    public static final int CDF_TRAP_UNMAPPED_ACCESSES = 1 << 8;

    /** {@code XEN_DOMCTL_GRANT_version_mask}: the grant version in {@code grant_opts}. */
    public static final int GRANT_VERSION_MASK = 0xF;

    /** {@code XEN_DOMINF_dying}: the domain is dying or dead. */
    public static final int DOMINF_DYING = 1 << 0;
    /** {@code XEN_DOMINF_hvm_guest}. */
    public static final int DOMINF_HVM_GUEST = 1 << 1;
    /** {@code XEN_DOMINF_shutdown}: the guest has shut down; the code is in the top bits. */
    public static final int DOMINF_SHUTDOWN = 1 << 2;
    /** {@code XEN_DOMINF_paused}: paused by the controller. */
    public static final int DOMINF_PAUSED = 1 << 3;
    /** {@code XEN_DOMINF_blocked}: every online vCPU is blocked. */
    public static final int DOMINF_BLOCKED = 1 << 4;
    /** {@code XEN_DOMINF_running}: some vCPU is on a pCPU. */
    public static final int DOMINF_RUNNING = 1 << 5;
    /** {@code XEN_DOMINF_debugged}. */
    public static final int DOMINF_DEBUGGED = 1 << 6;
    /** {@code XEN_DOMINF_xs_domain}. */
    public static final int DOMINF_XS_DOMAIN = 1 << 7;
    /** {@code XEN_DOMINF_hap}. */
    public static final int DOMINF_HAP = 1 << 8;
    /** {@code XEN_DOMINF_shutdownmask}: the shutdown code, after the shift. */
    public static final int DOMINF_SHUTDOWNMASK = 255;
    /** {@code XEN_DOMINF_shutdownshift}: where the shutdown code sits in {@code flags}. */
    public static final int DOMINF_SHUTDOWNSHIFT = 16;

    /** {@code XEN_INVALID_MAX_VCPU_ID}: {@code max_vcpu_id} of a domain without vCPUs ({@code ~0U}). */
    public static final int INVALID_MAX_VCPU_ID = 0xFFFF_FFFF;

    /** The shutdown code a {@code getdomaininfo} {@code flags} word carries. */
    public static int shutdownCode(int flags) {
        return (flags >>> DOMINF_SHUTDOWNSHIFT) & DOMINF_SHUTDOWNMASK;
    }
}
