package org.parasol.hypercall.abi;

/**
 * Grant-table sub-commands ({@code GNTTABOP_*}), mirrors {@code public/grant_table.h}.
 *
 * <p>Passed as {@code cmd} to {@code grant_table_op(cmd, args, count)}; {@code args} is an
 * array of {@code count} per-command structures, each with its own {@code status} field.
 */
public final class GnttabOp {
    private GnttabOp() {
    }

    /** {@code GNTTABOP_map_grant_ref}: map a granted frame. */
    public static final int MAP_GRANT_REF = 0;
    /** {@code GNTTABOP_unmap_grant_ref}: unmap by handle. */
    public static final int UNMAP_GRANT_REF = 1;
    /** {@code GNTTABOP_setup_table}: get the frames of a grant table. */
    public static final int SETUP_TABLE = 2;
    /** {@code GNTTABOP_dump_table}: print a grant table on Xen's console. */
    public static final int DUMP_TABLE = 3;
    /** {@code GNTTABOP_transfer}: give a page to another domain (PV only). */
    public static final int TRANSFER = 4;
    /** {@code GNTTABOP_copy}: copy between granted and local frames. */
    public static final int COPY = 5;
    /** {@code GNTTABOP_query_size}: current and maximum table frames. */
    public static final int QUERY_SIZE = 6;
    /** {@code GNTTABOP_unmap_and_replace}: unmap and put another mapping in its place. */
    public static final int UNMAP_AND_REPLACE = 7;
    /** {@code GNTTABOP_set_version}: switch between v1 and v2 entries. */
    public static final int SET_VERSION = 8;
    /** {@code GNTTABOP_get_status_frames}: frames of the v2 status array. */
    public static final int GET_STATUS_FRAMES = 9;
    /** {@code GNTTABOP_get_version}: the table's entry version. */
    public static final int GET_VERSION = 10;
    /** {@code GNTTABOP_swap_grant_ref}: exchange two entries. */
    public static final int SWAP_GRANT_REF = 11;
    /** {@code GNTTABOP_cache_flush}: clean or invalidate a granted range. */
    public static final int CACHE_FLUSH = 12;
}
