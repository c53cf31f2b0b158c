package org.parasol.hypervisor.hypercall;

import static org.parasol.hypercall.Errno.EFAULT;
import static org.parasol.hypercall.Errno.ENODATA;
import static org.parasol.hypercall.Errno.ENOSYS;
import static org.parasol.hypercall.Errno.EPERM;

import java.nio.charset.StandardCharsets;

import org.parasol.hypercall.abi.XenVersion;
import org.parasol.hypercall.abi.Xenfeat;
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

    /** HYPERVISOR_VIRT_START on x86-64: the start of Xen's reserved hole. */
    static final long HYPERVISOR_VIRT_START = 0xFFFF_8000_0000_0000L;

    /** XENFEAT_dom0. */

    @Override
    public long call(Vcpu v, long cmd, long arg, long a3, long a4, long a5) {
        return switch ((int) cmd) {
            case XenVersion.VERSION -> ((long) XenCompat.MAJOR << 16) | XenCompat.MINOR;
            case XenVersion.EXTRAVERSION -> string(v, arg, XenCompat.EXTRA_VERSION, 16);
            case XenVersion.COMPILE_INFO -> compileInfo(v, arg);
            case XenVersion.CAPABILITIES -> string(v, arg, "xen-3.0-x86_64", 1024);
            case XenVersion.CHANGESET -> string(v, arg, "parasol", 64);
            case XenVersion.PLATFORM_PARAMETERS -> platformParameters(v, arg);
            case XenVersion.GET_FEATURES -> features(v, arg);
            case XenVersion.PAGESIZE -> 4096;
            case XenVersion.GUEST_HANDLE -> guestHandle(v, arg);
            case XenVersion.COMMANDLINE -> v.domain().privileged() ? string(v, arg, "", 1024) : -EPERM;
            case XenVersion.BUILD_ID -> v.domain().privileged() ? -ENODATA : -EPERM;
            default -> -ENOSYS;
        };
    }

    private static long string(Vcpu v, long va, String s, int size) {
        GuestArgs.zero(v, 0, size);
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        int n = Math.min(b.length, size - 1);
        for (int i = 0; i < n; i++) {
            GuestArgs.s(v).set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, b[i]);
        }
        return GuestArgs.out(v, 0, va, size) ? 0 : -EFAULT;
    }

    /** xen_compile_info: compiler[64], compile_by[16], compile_domain[32], compile_date[32]. */
    private static long compileInfo(Vcpu v, long va) {
        GuestArgs.zero(v, 0, 144);
        putString(v, 0, "javac " + Runtime.version().feature(), 64);
        putString(v, 64, "parasol", 16);
        putString(v, 80, "parasol.org", 32);
        putString(v, 112, "", 32);
        return GuestArgs.out(v, 0, va, 144) ? 0 : -EFAULT;
    }

    private static void putString(Vcpu v, long off, String s, int size) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < Math.min(b.length, size - 1); i++) {
            GuestArgs.s(v).set(java.lang.foreign.ValueLayout.JAVA_BYTE, off + i, b[i]);
        }
    }

    private static long platformParameters(Vcpu v, long va) {
        GuestArgs.put64(v, 0, HYPERVISOR_VIRT_START);
        return GuestArgs.out(v, 0, va, 8) ? 0 : -EFAULT;
    }

    private static long features(Vcpu v, long va) {
        if (!GuestArgs.in(v, va, 0, 8)) {
            return -EFAULT;
        }
        int idx = GuestArgs.u32(v, 0);
        int submap = 0;
        if (idx == 0 && v.domain().privileged()) {
            submap |= 1 << Xenfeat.DOM0;
        }
        GuestArgs.put32(v, 4, submap);
        return GuestArgs.out(v, 4, va + 4, 4) ? 0 : -EFAULT;
    }

    /** xen_domain_handle_t: 16 bytes; we derive a stable one from the domid and name. */
    private static long guestHandle(Vcpu v, long va) {
        java.util.UUID u = java.util.UUID.nameUUIDFromBytes(
                (v.domain().domid() + ":" + v.domain().name()).getBytes(StandardCharsets.UTF_8));
        GuestArgs.s(v).set(GuestArgs.U64, 0, Long.reverseBytes(u.getMostSignificantBits()));
        GuestArgs.s(v).set(GuestArgs.U64, 8, Long.reverseBytes(u.getLeastSignificantBits()));
        return GuestArgs.out(v, 0, va, 16) ? 0 : -EFAULT;
    }
}
