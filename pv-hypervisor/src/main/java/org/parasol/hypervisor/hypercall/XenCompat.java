package org.parasol.hypervisor.hypercall;

/**
 * Which Xen this hypervisor presents itself as: the version {@code XENVER_version} reports
 * and the interface version whose ABI {@code hypercall-api} follows.
 */
public final class XenCompat {
    private XenCompat() {
    }

    /** Major version reported by {@code XENVER_version}. */
    public static final int MAJOR = 4;
    /** Minor version reported by {@code XENVER_version}. */
    public static final int MINOR = 19;
    /** {@code __XEN_INTERFACE_VERSION__} of the public headers the ABI was read from. */
    public static final int INTERFACE_VERSION = 0x00041300;
    /** {@code XENVER_extraversion}. */
    public static final String EXTRA_VERSION = "-parasol";
}
