package org.parasol.hypercall.abi;

/**
 * Flags of {@code gnttab_map_grant_ref.flags} ({@code GNTMAP_*}), mirrors
 * {@code public/grant_table.h}. A map must ask for {@link #HOST_MAP} and/or {@link #DEVICE_MAP}.
 */
public final class Gntmap {
    private Gntmap() {
    }

    /** {@code GNTMAP_device_map}: map for device (bus) access. */
    public static final int DEVICE_MAP = 1 << 0;
    /** {@code GNTMAP_host_map}: map into the caller's page tables at {@code host_addr}. */
    public static final int HOST_MAP = 1 << 1;
    /** {@code GNTMAP_readonly}: read-only mapping. */
    public static final int READONLY = 1 << 2;
    /** {@code GNTMAP_application_map}: user-accessible mapping. */
    public static final int APPLICATION_MAP = 1 << 3;
    /** {@code GNTMAP_contains_pte}: {@code host_addr} is the machine address of a PTE, not a VA. */
    public static final int CONTAINS_PTE = 1 << 4;
    /** {@code _GNTMAP_guest_avail0}: first bit the guest may use for itself. */
    public static final int GUEST_AVAIL0 = 16;
    /** {@code GNTMAP_guest_avail_mask}: bits the guest may use for itself. */
    public static final int GUEST_AVAIL_MASK = 0xFFFF_0000;
}
