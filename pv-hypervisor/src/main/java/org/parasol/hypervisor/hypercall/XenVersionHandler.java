package org.parasol.hypervisor.hypercall;

import static org.parasol.hypercall.Errno.EFAULT;
import static org.parasol.hypercall.Errno.ENODATA;
import static org.parasol.hypercall.Errno.ENOSYS;
import static org.parasol.hypercall.Errno.EPERM;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.abi.XenVersion;
import org.parasol.hypercall.abi.Xenfeat;
import org.parasol.hypercall.struct.XenCompileInfo;
import org.parasol.hypercall.struct.XenFeatureInfo;
import org.parasol.hypercall.struct.XenPlatformParameters;
import org.parasol.hypervisor.domain.Vcpu;

/**
 * xen_version (hypercall 17): {@code (cmd, arg)}.
 *
 * <p>XENVER_version returns {@code major << 16 | minor} with no argument; the string
 * commands copy a NUL-padded fixed-size buffer out; get_features fills
 * {@code xen_feature_info {u32 submap_idx IN; u32 submap OUT}}; pagesize returns 4096.
 * A bad pointer is -EFAULT; commandline and build_id are refused to unprivileged domains
 * (-EPERM), as Xen's XSM default does.
 */
final class XenVersionHandler implements HypercallHandler {

    @Override
    public long call(Vcpu v, long cmd, long arg, long a3, long a4, long a5) {
        return switch ((int) cmd) {
            case XenVersion.VERSION -> ((long) XenCompat.MAJOR << 16) | XenCompat.MINOR;
            case XenVersion.EXTRAVERSION -> string(v, arg, XenCompat.EXTRA_VERSION, XenVersion.EXTRAVERSION_LEN);
            case XenVersion.COMPILE_INFO -> compileInfo(v, arg);
            case XenVersion.CAPABILITIES -> string(v, arg, "xen-3.0-x86_64", XenVersion.CAPABILITIES_INFO_LEN);
            case XenVersion.CHANGESET -> string(v, arg, "parasol", XenVersion.CHANGESET_INFO_LEN);
            case XenVersion.PLATFORM_PARAMETERS -> platformParameters(v, arg);
            case XenVersion.GET_FEATURES -> features(v, arg);
            case XenVersion.PAGESIZE -> Mmu.PAGE_SIZE;
            case XenVersion.GUEST_HANDLE -> guestHandle(v, arg);
            case XenVersion.COMMANDLINE -> v.domain().privileged() ? string(v, arg, "", XenVersion.COMMANDLINE_LEN) : -EPERM;
            case XenVersion.BUILD_ID -> v.domain().privileged() ? -ENODATA : -EPERM;
            default -> -ENOSYS;
        };
    }

    private static long string(Vcpu v, long va, String s, int size) {
        return GuestArgs.of(v).outString(v, va, s, size) ? 0 : -EFAULT;
    }

    /** xen_compile_info: compiler, compile_by, compile_domain, compile_date. */
    private static long compileInfo(Vcpu v, long va) {
        GuestArgs a = GuestArgs.of(v);
        a.compileInfo.clear().compiler("javac " + Runtime.version().feature()).compileBy("parasol")
                .compileDomain("parasol.org").compileDate("");
        return a.out(v, va, XenCompileInfo.SIZE) ? 0 : -EFAULT;
    }

    private static long platformParameters(Vcpu v, long va) {
        GuestArgs a = GuestArgs.of(v);
        a.platformParameters.virtStart(Mmu.HYPERVISOR_VIRT_START);
        return a.out(v, va, XenPlatformParameters.SIZE) ? 0 : -EFAULT;
    }

    private static long features(Vcpu v, long va) {
        GuestArgs a = GuestArgs.of(v);
        if (!a.in(v, va, XenFeatureInfo.SIZE)) {
            return -EFAULT;
        }
        long submap = 0;
        if (a.featureInfo.submapIdx() == 0 && v.domain().privileged()) {
            submap |= 1L << Xenfeat.DOM0;
        }
        a.featureInfo.submap(submap);
        return a.out(v, va, XenFeatureInfo.SIZE) ? 0 : -EFAULT;
    }

    /** xen_domain_handle_t: 16 bytes; we derive a stable one from the domid and name. */
    private static long guestHandle(Vcpu v, long va) {
        java.util.UUID u = java.util.UUID.nameUUIDFromBytes(
                (v.domain().domid() + ":" + v.domain().name()).getBytes(StandardCharsets.UTF_8));
        ByteBuffer handle = ByteBuffer.allocate(XenVersion.DOMAIN_HANDLE_LEN)
                .putLong(u.getMostSignificantBits()).putLong(u.getLeastSignificantBits());
        return GuestArgs.of(v).outBytes(v, va, handle.array()) ? 0 : -EFAULT;
    }
}
