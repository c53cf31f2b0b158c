package org.parasol.hypercall.abi;

/**
 * {@code xen_version(cmd, arg)} sub-commands ({@code XENVER_*}) and their buffer sizes,
 * mirrors {@code public/version.h}.
 */
public final class XenVersion {
    private XenVersion() {
    }

    /** {@code XENVER_version}: returns {@code major << 16 | minor}. */
    public static final int VERSION = 0;
    /** {@code XENVER_extraversion}: {@code char[16]}. */
    public static final int EXTRAVERSION = 1;
    /** {@code XENVER_compile_info}: compiler, user, domain, date. */
    public static final int COMPILE_INFO = 2;
    /** {@code XENVER_capabilities}: {@code char[1024]}. */
    public static final int CAPABILITIES = 3;
    /** {@code XENVER_changeset}: {@code char[64]}. */
    public static final int CHANGESET = 4;
    /** {@code XENVER_platform_parameters}: {@code virt_start}. */
    public static final int PLATFORM_PARAMETERS = 5;
    /** {@code XENVER_get_features}: one 32-bit submap of {@link Xenfeat} bits. */
    public static final int GET_FEATURES = 6;
    /** {@code XENVER_pagesize}: returns the page size. */
    public static final int PAGESIZE = 7;
    /** {@code XENVER_guest_handle}: the domain's handle (UUID). */
    public static final int GUEST_HANDLE = 8;
    /** {@code XENVER_commandline}: Xen's command line, {@code char[1024]}. */
    public static final int COMMANDLINE = 9;
    /** {@code XENVER_build_id}: build id bytes. */
    public static final int BUILD_ID = 10;

    /** Size of {@code xen_extraversion_t}. */
    public static final int EXTRAVERSION_LEN = 16;
    /** Size of {@code xen_capabilities_info_t}. */
    public static final int CAPABILITIES_INFO_LEN = 1024;
    /** Size of {@code xen_changeset_info_t}. */
    public static final int CHANGESET_INFO_LEN = 64;
    /** Size of {@code xen_commandline_t}. */
    public static final int COMMANDLINE_LEN = 1024;
    /** Size of {@code xen_domain_handle_t}, what {@code XENVER_guest_handle} writes. */
    public static final int DOMAIN_HANDLE_LEN = 16;
}
