package org.parasol.hypervisor.domain;

import java.util.Objects;

/**
 * What a domain is created with: the hypervisor's view of an {@code xl.cfg}.
 *
 * @param name        the domain's name, unique among live domains
 * @param memoryKiB   initial memory (nr_pages × 4 KiB); at least 256 KiB
 * @param maxMemoryKiB maximum reservation; at least {@code memoryKiB}
 * @param vcpus       number of vCPUs (1 .. 32)
 * @param image       kernel image short name, or {@code null} for a kernel given directly
 * @param cmdline     the kernel command line (start_info.cmd_line, at most 1023 bytes)
 * @param privileged  SIF_PRIVILEGED: may use privileged hypercalls and host access
 * @param onPoweroff  action when the domain shuts down with reason poweroff
 * @param onReboot    action on reboot
 * @param onCrash     action on crash or watchdog
 * @param virt        how the kernel reaches the machine (xl.cfg's {@code virt}); null is PV
 */
public record DomainConfig(String name, long memoryKiB, long maxMemoryKiB, int vcpus, String image,
        String cmdline, boolean privileged, Action onPoweroff, Action onReboot, Action onCrash,
        Virtualization virt) {

    /** A paravirtual domain. */
    public DomainConfig(String name, long memoryKiB, long maxMemoryKiB, int vcpus, String image, String cmdline,
            boolean privileged, Action onPoweroff, Action onReboot, Action onCrash) {
        this(name, memoryKiB, maxMemoryKiB, vcpus, image, cmdline, privileged, onPoweroff, onReboot, onCrash,
                Virtualization.PV);
    }

    /** {@code MAX_GUEST_CMDLINE} minus the terminating NUL. */
    public static final int MAX_CMDLINE = 1023;

    /** What happens after a shutdown, as xl.cfg's on_* settings. */
    public enum Action {
        /** Release everything. */
        DESTROY,
        /** Destroy and create again from the same config. */
        RESTART,
        /** Keep the domain (and its memory) for inspection until destroyed. */
        PRESERVE
    }

    public DomainConfig {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty() || name.length() > 64 || !name.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("domain name must be 1-64 of [A-Za-z0-9_.-]: '" + name + "'");
        }
        if (memoryKiB < 256 || memoryKiB % 4 != 0) {
            throw new IllegalArgumentException("memory must be a multiple of 4 KiB, at least 256 KiB: " + memoryKiB);
        }
        if (maxMemoryKiB < memoryKiB || maxMemoryKiB % 4 != 0) {
            throw new IllegalArgumentException("maxmem must be a multiple of 4 KiB, at least memory: " + maxMemoryKiB);
        }
        if (vcpus < 1 || vcpus > 32) {
            throw new IllegalArgumentException("vcpus must be 1..32: " + vcpus);
        }
        cmdline = cmdline == null ? "" : cmdline;
        if (cmdline.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_CMDLINE) {
            throw new IllegalArgumentException("command line longer than " + MAX_CMDLINE + " bytes");
        }
        onPoweroff = onPoweroff == null ? Action.DESTROY : onPoweroff;
        onReboot = onReboot == null ? Action.DESTROY : onReboot;
        onCrash = onCrash == null ? Action.DESTROY : onCrash;
        virt = virt == null ? Virtualization.PV : virt;
        if (virt.nativeKernel() && privileged) {
            throw new IllegalArgumentException("a privileged domain runs paravirtualized: virt = \"" + virt.key() + "\"");
        }
    }

    /** An unprivileged one-vCPU domain of {@code memoryMiB} MiB running {@code image}. */
    public static DomainConfig of(String name, String image, long memoryMiB) {
        return new DomainConfig(name, memoryMiB * 1024, memoryMiB * 1024, 1, image, "", false,
                null, null, null);
    }

    /** nr_pages. */
    public long nrPages() {
        return memoryKiB / 4;
    }

    /** max_pages. */
    public long maxPages() {
        return maxMemoryKiB / 4;
    }

    public DomainConfig withVcpus(int n) {
        return new DomainConfig(name, memoryKiB, maxMemoryKiB, n, image, cmdline, privileged, onPoweroff, onReboot, onCrash, virt);
    }

    public DomainConfig withMemoryKiB(long kib) {
        return new DomainConfig(name, kib, Math.max(kib, maxMemoryKiB), vcpus, image, cmdline, privileged, onPoweroff, onReboot, onCrash, virt);
    }

    public DomainConfig withMaxMemoryKiB(long kib) {
        return new DomainConfig(name, memoryKiB, kib, vcpus, image, cmdline, privileged, onPoweroff, onReboot, onCrash, virt);
    }

    public DomainConfig withCmdline(String c) {
        return new DomainConfig(name, memoryKiB, maxMemoryKiB, vcpus, image, c, privileged, onPoweroff, onReboot, onCrash, virt);
    }

    public DomainConfig withPrivileged(boolean p) {
        return new DomainConfig(name, memoryKiB, maxMemoryKiB, vcpus, image, cmdline, p, onPoweroff, onReboot, onCrash, virt);
    }

    public DomainConfig withName(String n) {
        return new DomainConfig(n, memoryKiB, maxMemoryKiB, vcpus, image, cmdline, privileged, onPoweroff, onReboot, onCrash, virt);
    }

    public DomainConfig withVirt(Virtualization v) {
        return new DomainConfig(name, memoryKiB, maxMemoryKiB, vcpus, image, cmdline, privileged, onPoweroff, onReboot, onCrash, v);
    }

    public DomainConfig withActions(Action poweroff, Action reboot, Action crash) {
        return new DomainConfig(name, memoryKiB, maxMemoryKiB, vcpus, image, cmdline, privileged, poweroff, reboot, crash, virt);
    }
}
