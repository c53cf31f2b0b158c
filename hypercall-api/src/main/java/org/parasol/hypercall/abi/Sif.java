package org.parasol.hypercall.abi;

/**
 * {@code start_info.flags} bits ({@code SIF_*}) and sizes of {@code start_info}, mirrors
 * {@code public/xen.h}.
 */
public final class Sif {
    private Sif() {
    }

    /** {@code SIF_PRIVILEGED}: the domain is privileged. */
    public static final int PRIVILEGED = 1 << 0;
    /** {@code SIF_INITDOMAIN}: the domain is the initial (control) domain. */
    public static final int INITDOMAIN = 1 << 1;
    /** {@code SIF_MULTIBOOT_MOD}: {@code mod_start} is a multiboot module list. */
    public static final int MULTIBOOT_MOD = 1 << 2;
    /** {@code SIF_MOD_START_PFN}: {@code mod_start} is a PFN, not a VA. */
    public static final int MOD_START_PFN = 1 << 3;
    /** {@code SIF_VIRT_P2M_4TOOLS}: the p2m list is virtually mapped for the tools. */
    public static final int VIRT_P2M_4TOOLS = 1 << 4;
    /**
     * Parasol's own flag (not Xen's): the domain runs on emulated hardware (trap-and-emulate,
     * binary translation or the bare machine model), so its kernel executes privileged
     * instructions instead of the hypercalls they replace. Outside {@code SIF_PM_MASK} and the
     * bits Xen defines; see docs/deviations.md.
     */
    public static final int PARASOL_NATIVE = 1 << 16;
    /** {@code SIF_PM_MASK}: reserved for power-management options. */
    public static final int PM_MASK = 0xFF << 8;

    /** {@code MAX_GUEST_CMDLINE}: size of {@code start_info.cmd_line}. */
    public static final int MAX_GUEST_CMDLINE = 1024;
    /** Size of {@code start_info.magic}. */
    public static final int MAGIC_LEN = 32;
    /** The x86-64 PV {@code start_info.magic} prefix Xen writes. */
    public static final String MAGIC_X86_64 = "xen-3.0-x86_64";
}
