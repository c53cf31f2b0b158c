package org.parasol.hypercall.abi;

/**
 * Extended MMU commands ({@code MMUEXT_*}) of {@code mmuext_op}, mirrors {@code public/xen.h}.
 * Number 14 is not defined.
 */
public final class MmuextOp {
    private MmuextOp() {
    }

    /** {@code MMUEXT_PIN_L1_TABLE}: validate and pin an L1 table. */
    public static final int PIN_L1_TABLE = 0;
    /** {@code MMUEXT_PIN_L2_TABLE}. */
    public static final int PIN_L2_TABLE = 1;
    /** {@code MMUEXT_PIN_L3_TABLE}. */
    public static final int PIN_L3_TABLE = 2;
    /** {@code MMUEXT_PIN_L4_TABLE}. */
    public static final int PIN_L4_TABLE = 3;
    /** {@code MMUEXT_UNPIN_TABLE}: drop the pin. */
    public static final int UNPIN_TABLE = 4;
    /** {@code MMUEXT_NEW_BASEPTR}: load a new kernel L4 (CR3). */
    public static final int NEW_BASEPTR = 5;
    /** {@code MMUEXT_TLB_FLUSH_LOCAL}. */
    public static final int TLB_FLUSH_LOCAL = 6;
    /** {@code MMUEXT_INVLPG_LOCAL}. */
    public static final int INVLPG_LOCAL = 7;
    /** {@code MMUEXT_TLB_FLUSH_MULTI}: flush the vCPUs in a mask. */
    public static final int TLB_FLUSH_MULTI = 8;
    /** {@code MMUEXT_INVLPG_MULTI}. */
    public static final int INVLPG_MULTI = 9;
    /** {@code MMUEXT_TLB_FLUSH_ALL}: flush every vCPU of the domain. */
    public static final int TLB_FLUSH_ALL = 10;
    /** {@code MMUEXT_INVLPG_ALL}. */
    public static final int INVLPG_ALL = 11;
    /** {@code MMUEXT_FLUSH_CACHE}. */
    public static final int FLUSH_CACHE = 12;
    /** {@code MMUEXT_SET_LDT}. */
    public static final int SET_LDT = 13;
    /** {@code MMUEXT_NEW_USER_BASEPTR}: load the user-mode L4. */
    public static final int NEW_USER_BASEPTR = 15;
    /** {@code MMUEXT_CLEAR_PAGE}: zero a frame. */
    public static final int CLEAR_PAGE = 16;
    /** {@code MMUEXT_COPY_PAGE}: copy {@code src_mfn} to {@code mfn}. */
    public static final int COPY_PAGE = 17;
    /** {@code MMUEXT_FLUSH_CACHE_GLOBAL}. */
    public static final int FLUSH_CACHE_GLOBAL = 18;
    /** {@code MMUEXT_MARK_SUPER}. */
    public static final int MARK_SUPER = 19;
    /** {@code MMUEXT_UNMARK_SUPER}. */
    public static final int UNMARK_SUPER = 20;
}
