package org.parasol.hypercall;

/**
 * Where a Parasol domain finds things at boot, beyond what {@code start_info} says.
 *
 * <p>The domain builder lays out the start-of-day region as Xen's does: from
 * {@link #VIRT_BASE}, the P2M list, the {@code start_info} page, then the bootstrap page
 * tables (mapped read-only), then at least 512 KiB of free mapped pages. The first free
 * page is {@code pt_base + nr_pt_frames * 4096}. Virtual address 0 is never mapped, so a null
 * pointer faults.
 *
 * <p>As on Xen, the guest maps the {@code shared_info} page itself: it passes the machine
 * address in {@code start_info.shared_info} to {@code update_va_mapping} for a virtual address
 * of its choice. Parasol's builder gives {@link #SHARED_INFO_VA} an L1 table (nothing mapped
 * in it), so a guest that maps shared_info there needs no page-table page of its own.
 */
public final class StartOfDay {
    private StartOfDay() {
    }

    /** Virtual address of the start-of-day region: 4 MiB. */
    public static final long VIRT_BASE = 0x40_0000L;

    /**
     * Virtual address (2 MiB) below the start-of-day region that the builder leaves unmapped
     * under a present L1 table: the conventional place to map shared_info with
     * {@code update_va_mapping}.
     */
    public static final long SHARED_INFO_VA = 0x20_0000L;
}
