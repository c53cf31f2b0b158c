package org.parasol.hypercall.abi;

/**
 * Flags of {@code gnttab_copy.flags} ({@code GNTCOPY_*}) and of {@code gnttab_cache_flush.op}
 * ({@code GNTTAB_CACHE_*}), mirrors {@code public/grant_table.h}.
 */
public final class Gntcopy {
    private Gntcopy() {
    }

    /** {@code GNTCOPY_source_gref}: the source is a grant reference, not a local GMFN. */
    public static final int SOURCE_GREF = 1 << 0;
    /** {@code GNTCOPY_dest_gref}: the destination is a grant reference, not a local GMFN. */
    public static final int DEST_GREF = 1 << 1;

    /** {@code GNTTAB_CACHE_CLEAN}: clean the range. */
    public static final int CACHE_CLEAN = 1 << 0;
    /** {@code GNTTAB_CACHE_INVAL}: invalidate the range. */
    public static final int CACHE_INVAL = 1 << 1;
    /** {@code GNTTAB_CACHE_SOURCE_GREF}: {@code a} is a grant reference. */
    public static final int CACHE_SOURCE_GREF = 1 << 31;
}
