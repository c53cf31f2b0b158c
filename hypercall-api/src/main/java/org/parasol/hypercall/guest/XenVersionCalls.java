package org.parasol.hypercall.guest;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.abi.XenVersion;
import org.parasol.hypercall.struct.Layouts;
import org.parasol.hypercall.struct.XenFeatureInfo;
import org.parasol.hypercall.struct.XenPlatformParameters;

/**
 * {@code xen_version(cmd, arg)} (hypercall 17): the hypervisor's version, build strings,
 * feature bits and page size. Every command is legal for every domain; an unknown command
 * answers {@code -ENOSYS} and a bad pointer {@code -EFAULT}.
 */
public final class XenVersionCalls {
    private final Cpu cpu;
    private final ArgumentPage page;
    private final XenFeatureInfo features = new XenFeatureInfo();
    private final XenPlatformParameters parameters = new XenPlatformParameters();

    /** Wrappers for {@code cpu}, marshalling through {@code page} (the same vCPU's). */
    public XenVersionCalls(Cpu cpu, ArgumentPage page) {
        this.cpu = Objects.requireNonNull(cpu, "cpu");
        this.page = Objects.requireNonNull(page, "page");
    }

    /** {@code XENVER_version}: {@code major << 16 | minor}. */
    public long version() {
        return cpu.hypercall(Hypercall.XEN_VERSION, XenVersion.VERSION, 0);
    }

    /** {@code XENVER_extraversion}: the version suffix (at most 16 bytes), e.g. {@code ".0"}. */
    public Text extraversion() {
        return text(XenVersion.EXTRAVERSION, XenVersion.EXTRAVERSION_LEN);
    }

    /** {@code XENVER_capabilities}: the space-separated guest ABIs offered (at most 1024 bytes). */
    public Text capabilities() {
        return text(XenVersion.CAPABILITIES, XenVersion.CAPABILITIES_INFO_LEN);
    }

    /** {@code XENVER_changeset}: the source revision (at most 64 bytes). */
    public Text changeset() {
        return text(XenVersion.CHANGESET, XenVersion.CHANGESET_INFO_LEN);
    }

    /** {@code XENVER_commandline}: the hypervisor's command line (at most 1024 bytes). */
    public Text commandline() {
        return text(XenVersion.COMMANDLINE, XenVersion.COMMANDLINE_LEN);
    }

    /**
     * {@code XENVER_get_features}: feature word {@code submapIndex} ({@code XENFEAT_*} bit
     * {@code b} of word {@code i} is feature {@code 32 * i + b}).
     *
     * @return the 32 feature bits (non-negative), or {@code -EINVAL} for an index beyond
     *     the hypervisor's feature words
     */
    public long getFeatures(int submapIndex) {
        long off = page.push(XenFeatureInfo.SIZE);
        try {
            features.wrap(page.buffer(), off).submapIdx(submapIndex);
            GuestMemory memory = cpu.memory();
            page.copyIn(memory, off, XenFeatureInfo.SIZE);
            long rc = cpu.hypercall(Hypercall.XEN_VERSION, XenVersion.GET_FEATURES, page.address(off));
            if (rc < 0) {
                return rc;
            }
            page.copyOut(memory, off, XenFeatureInfo.SIZE);
            return features.wrap(page.buffer(), off).submap();
        } finally {
            page.pop(off);
        }
    }

    /**
     * {@code XENVER_platform_parameters}: the lowest virtual address the hypervisor reserves.
     *
     * @return {@code virt_start}, or {@code -errno}
     */
    public long platformParameters() {
        long off = page.push(XenPlatformParameters.SIZE);
        try {
            GuestMemory memory = cpu.memory();
            page.copyIn(memory, off, XenPlatformParameters.SIZE);
            long rc = cpu.hypercall(Hypercall.XEN_VERSION, XenVersion.PLATFORM_PARAMETERS, page.address(off));
            if (rc < 0) {
                return rc;
            }
            page.copyOut(memory, off, XenPlatformParameters.SIZE);
            return parameters.wrap(page.buffer(), off).virtStart();
        } finally {
            page.pop(off);
        }
    }

    /** {@code XENVER_pagesize}: 4096. */
    public long pagesize() {
        return cpu.hypercall(Hypercall.XEN_VERSION, XenVersion.PAGESIZE, 0);
    }

    private Text text(int cmd, int capacity) {
        long off = page.push(capacity);
        try {
            GuestMemory memory = cpu.memory();
            page.copyIn(memory, off, capacity);
            long rc = cpu.hypercall(Hypercall.XEN_VERSION, cmd, page.address(off));
            if (rc < 0) {
                return new Text(rc, null);
            }
            page.copyOut(memory, off, capacity);
            int length = 0;
            while (length < capacity && page.scratch().get(Layouts.U8, off + length) != 0) {
                length++;
            }
            byte[] bytes = new byte[length];
            for (int i = 0; i < length; i++) {
                bytes[i] = page.scratch().get(Layouts.U8, off + i);
            }
            return new Text(rc, new String(bytes, StandardCharsets.US_ASCII));
        } finally {
            page.pop(off);
        }
    }

    /**
     * A string the hypervisor wrote.
     *
     * @param result the hypercall's result, 0 or {@code -errno}
     * @param text the string up to its NUL, or {@code null} when {@code result < 0}
     */
    public record Text(long result, String text) {
    }
}
