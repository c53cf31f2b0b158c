package org.parasol.hypercall.abi;

/**
 * {@code vm_assist(cmd, type)} commands ({@code VMASST_CMD_*}) and assist types
 * ({@code VMASST_TYPE_*}), mirrors {@code public/xen.h}.
 */
public final class VmAssist {
    private VmAssist() {
    }

    /** {@code VMASST_CMD_enable}. */
    public static final int CMD_ENABLE = 0;
    /** {@code VMASST_CMD_disable}. */
    public static final int CMD_DISABLE = 1;

    /** {@code VMASST_TYPE_4gb_segments}: emulate 4 GiB segments (x86-32). */
    public static final int TYPE_4GB_SEGMENTS = 0;
    /** {@code VMASST_TYPE_4gb_segments_notify}: trap on 4 GiB segment emulation. */
    public static final int TYPE_4GB_SEGMENTS_NOTIFY = 1;
    /** {@code VMASST_TYPE_writable_pagetables}: direct L1 writes are trapped and emulated. */
    public static final int TYPE_WRITABLE_PAGETABLES = 2;
    /** {@code VMASST_TYPE_pae_extended_cr3}: PAE L3 above 4 GiB. */
    public static final int TYPE_PAE_EXTENDED_CR3 = 3;
    /** {@code VMASST_TYPE_architectural_iopl}: IOPL as the hardware defines it. */
    public static final int TYPE_ARCHITECTURAL_IOPL = 4;
    /** {@code VMASST_TYPE_runstate_update_flag}: set {@code XEN_RUNSTATE_UPDATE} while updating. */
    public static final int TYPE_RUNSTATE_UPDATE_FLAG = 5;
    /** {@code VMASST_TYPE_m2p_strict}: restrict the M2P view of 64-bit PV guests. */
    public static final int TYPE_M2P_STRICT = 32;
}
