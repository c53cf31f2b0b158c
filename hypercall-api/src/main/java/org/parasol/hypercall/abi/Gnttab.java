package org.parasol.hypercall.abi;

/**
 * Grant-table sizes and reserved references ({@code GNTTAB_*}), mirrors
 * {@code public/grant_table.h}; the default table limit is Xen's build default, not ABI.
 */
public final class Gnttab {
    private Gnttab() {
    }

    /** {@code GNTTAB_NR_RESERVED_ENTRIES}: references 0..7 are kept for the toolstack. */
    public static final int NR_RESERVED_ENTRIES = 8;
    /** {@code GNTTAB_RESERVED_CONSOLE}: pre-filled with the console ring page. */
    public static final int RESERVED_CONSOLE = 0;
    /** {@code GNTTAB_RESERVED_XENSTORE}: pre-filled with the xenstore ring page. */
    public static final int RESERVED_XENSTORE = 1;
    /** Size of {@code grant_entry_v1} in bytes. */
    public static final int ENTRY_V1_SIZE = 8;
    /** v1 entries per 4 KiB frame. */
    public static final int ENTRIES_PER_FRAME_V1 = 512;
    /** Size of {@code grant_entry_v2} in bytes. */
    public static final int ENTRY_V2_SIZE = 16;
    /** v2 entries per 4 KiB frame. */
    public static final int ENTRIES_PER_FRAME_V2 = 256;
    /** {@code grant_status_t} entries per v2 status frame. */
    public static final int STATUS_PER_FRAME_V2 = 2048;
    /** Frames of a new grant table. */
    public static final int INITIAL_FRAMES = 1;
    /** Xen's default limit on grant-table frames per domain (command-line configurable). */
    public static final int DEFAULT_MAX_FRAMES = 64;
    /** Xen's default limit on maptrack frames per domain. */
    public static final int DEFAULT_MAX_MAPTRACK_FRAMES = 1024;
}
