package org.parasol.hypercall.abi;

/**
 * {@code update_va_mapping} flags ({@code UVMF_*}), mirrors {@code public/xen.h}.
 *
 * <p>Low two bits: flush type; bit 2: scope. With {@link #MULTI} the flags also carry a
 * pointer to a vCPU bitmap (its low three bits are free because it is 8-byte aligned).
 */
public final class Uvmf {
    private Uvmf() {
    }

    /** {@code UVMF_NONE}: no flush. */
    public static final int NONE = 0;
    /** {@code UVMF_TLB_FLUSH}: flush the whole TLB. */
    public static final int TLB_FLUSH = 1;
    /** {@code UVMF_INVLPG}: flush the one address. */
    public static final int INVLPG = 2;
    /** {@code UVMF_FLUSHTYPE_MASK}. */
    public static final int FLUSHTYPE_MASK = 3;
    /** {@code UVMF_MULTI}: flush the vCPUs in the bitmap whose address is OR-ed in. */
    public static final int MULTI = 0;
    /** {@code UVMF_LOCAL}: flush only this vCPU (MULTI with a null bitmap). */
    public static final int LOCAL = 0;
    /** {@code UVMF_ALL}: flush every vCPU of the domain. */
    public static final int ALL = 1 << 2;
}
