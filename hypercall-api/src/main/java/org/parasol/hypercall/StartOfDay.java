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
 * <p>Deviation from Xen until the PV MMU lands ({@code update_va_mapping}): the builder also
 * maps the {@code shared_info} page, read-write, at {@link #SHARED_INFO_VA}. Xen leaves that
 * to the guest, which maps {@code start_info.shared_info} itself.
 */
public final class StartOfDay {
    private StartOfDay() {
    }

    /** Virtual address of the start-of-day region: 4 MiB. */
    public static final long VIRT_BASE = 0x40_0000L;

    /** Virtual address where the builder maps shared_info (2 MiB). */
    public static final long SHARED_INFO_VA = 0x20_0000L;
}
