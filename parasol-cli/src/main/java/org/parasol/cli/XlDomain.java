package org.parasol.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.parasol.control.XlConfigParser;
import org.parasol.control.v1.DomainAction;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.domain.Virtualization;

/**
 * One domain described by an xl.cfg file, as {@code parasol run FILE.cfg} starts it: the
 * hypervisor's {@link DomainConfig} built from the control API's message that
 * {@link XlConfigParser} reads, and the file's on_* actions, which {@code parasol run} hands
 * to dom0 in its boot module: dom0, like xl and not the hypervisor, carries them out.
 *
 * <p>The configuration preserves the domain on every shutdown as far as the hypervisor is
 * concerned. Where the file leaves an action out, xl's default applies: destroy on poweroff and
 * crash, restart on reboot.
 *
 * @param source     the file, as named on the command line
 * @param config     what the hypervisor builds
 * @param onPoweroff the file's on_poweroff
 * @param onReboot   the file's on_reboot
 * @param onCrash    the file's on_crash (also for a watchdog shutdown)
 * @param scheduling the file's cpu_weight, cap, pool, cpus and cpus_soft, which dom0 applies
 *                   by domctl as it builds the domain
 * @param uplink     the file's {@code uplink} (Parasol's key: a bridge's TAP uplink), or null
 * @param maxVcpus   the file's {@code maxvcpus}: vCPUs built, {@code vcpus} of them online at boot
 */
record XlDomain(String source, DomainConfig config, DomainConfig.Action onPoweroff, DomainConfig.Action onReboot,
        DomainConfig.Action onCrash, Scheduling scheduling, List<Disk> disks, List<String> vifs, Uplink uplink,
        int maxVcpus) {

    /**
     * A bridge's uplink to a host TAP device: the bridge, the namespace (a name under
     * /run/netns or a path), the TAP's name, and its address and prefix length (null, 0: none).
     */
    record Uplink(String bridge, String netns, String tap, String address, int prefix, boolean offload) {
        static Uplink of(org.parasol.control.v1.Uplink u) {
            String addr = null;
            int prefix = 0;
            if (!u.getAddress().isEmpty()) {
                int slash = u.getAddress().indexOf('/');
                addr = u.getAddress().substring(0, slash);
                prefix = Integer.parseInt(u.getAddress().substring(slash + 1));
            }
            return new Uplink(u.getBridge().isEmpty() ? "xenbr0" : u.getBridge(), u.getNetns(),
                    u.getTap().isEmpty() ? "ptap0" : u.getTap(), addr, prefix, !u.getNoOffload());
        }
    }

    /** The {@code device=} values in dom0's boot module: the disks, then the vifs. */
    List<String> devices() {
        List<String> out = new ArrayList<>();
        for (Disk d : disks) {
            out.add(d.deviceValue());
        }
        out.addAll(vifs);
        return out;
    }

    /**
     * One disk of the file: its vdev, access, the image's absolute path (a relative target is
     * taken from the file's folder) and the size to create it with when it is missing (0: it
     * must exist).
     */
    record Disk(String vdev, boolean readOnly, Path target, long createSize) {
        /** Its {@code device=} value in dom0's boot module, before escaping. */
        String deviceValue() {
            return "vbd:vdev=" + vdev + ",access=" + (readOnly ? "ro" : "rw") + ",target=" + target;
        }

        /**
         * Creates the image (sparse, zeroes) if it is missing and a size was given.
         *
         * @return whether it was created
         * @throws IOException naming the file when it is missing and cannot be made, or is not a
         *     regular readable file
         */
        boolean prepare() throws IOException {
            if (Files.exists(target)) {
                if (!Files.isRegularFile(target) || !Files.isReadable(target)) {
                    throw new IOException(target + ": not a readable regular file");
                }
                if (!readOnly && !Files.isWritable(target)) {
                    throw new IOException(target + ": not writable (give access=ro to serve it read-only)");
                }
                return false;
            }
            if (createSize == 0) {
                throw new IOException(target + ": no such file (give size= in the disk spec to create it)");
            }
            Files.createDirectories(target.toAbsolutePath().getParent());
            try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(target.toFile(), "rw")) {
                f.setLength(createSize);
            }
            return true;
        }
    }

    /**
     * The credit scheduler's settings of one domain, as xl.cfg gives them.
     *
     * @param weight   {@code cpu_weight}, or 0 for the default (256)
     * @param cap      {@code cap} in percent of one pCPU, 0 for none
     * @param pool     {@code pool}, the cpupool's name, or empty for Pool-0
     * @param cpus     {@code cpus}: every vCPU's hard affinity as pCPU numbers and ranges, or empty for all
     * @param cpusSoft {@code cpus_soft}: the soft affinity, or empty for all
     */
    record Scheduling(int weight, int cap, String pool, String cpus, String cpusSoft) {
        /** Nothing set: weight 256, no cap, Pool-0, every pCPU. */
        static final Scheduling DEFAULT = new Scheduling(0, 0, "", "", "");
    }

    /** Whether a {@code parasol run} argument names an xl.cfg file rather than an image. */
    static boolean isConfigFile(String arg) {
        return arg.endsWith(".cfg");
    }

    /**
     * Reads and checks {@code file}.
     *
     * @throws XlConfigParser.ConfigException naming the file, the line and the key, or the file
     *         when it cannot be read
     */
    static XlDomain read(Path file) throws XlConfigParser.ConfigException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new XlConfigParser.ConfigException(file.toString(), "no such file");
        } catch (IOException e) {
            throw new XlConfigParser.ConfigException(file.toString(), "cannot read it: " + e.getMessage());
        }
        return of(file.toString(), XlConfigParser.parse(file.toString(), text), file.toAbsolutePath().getParent());
    }

    /** The domain {@code c} (from {@code source}) describes. */
    static XlDomain of(String source, org.parasol.control.v1.DomainConfig c) {
        return of(source, c, Path.of("").toAbsolutePath());
    }

    /** The domain {@code c} (from {@code source}) describes, relative disk targets taken from {@code folder}. */
    static XlDomain of(String source, org.parasol.control.v1.DomainConfig c, Path folder) {
        List<Disk> disks = new ArrayList<>();
        for (org.parasol.control.v1.Disk d : c.getDisksList()) {
            disks.add(new Disk(d.getVdev(), d.getAccess() == org.parasol.control.v1.DiskAccess.DISK_ACCESS_READ_ONLY,
                    folder.resolve(d.getTarget()).normalize(), d.getCreateSizeBytes()));
        }
        long memoryKiB = c.getMemoryMib() * 1024;
        long maxKiB = c.getMaxmemMib() == 0 ? memoryKiB : c.getMaxmemMib() * 1024;
        DomainConfig config = new DomainConfig(c.getName(), memoryKiB, maxKiB, Math.max(1, c.getVcpus()),
                c.getKernel(), c.getCmdline(), false, DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE,
                DomainConfig.Action.PRESERVE).withVirt(Virtualization.parse(c.getVirt().isEmpty() ? "pv" : c.getVirt()));
        return new XlDomain(source, config, action(c.getOnPoweroff(), DomainConfig.Action.DESTROY),
                action(c.getOnReboot(), DomainConfig.Action.RESTART), action(c.getOnCrash(), DomainConfig.Action.DESTROY),
                new Scheduling(c.getCpuWeight(), c.getCap(), c.getPool(), c.getCpus(), c.getCpusSoft()),
                List.copyOf(disks), vifs(c), c.hasUplink() ? Uplink.of(c.getUplink()) : null,
                Math.max(Math.max(1, c.getVcpus()), c.getMaxvcpus()));
    }

    /** Each vif's {@code device=} value: {@code vif:bridge=B[,mac=M][,ip=I]}. */
    private static List<String> vifs(org.parasol.control.v1.DomainConfig c) {
        List<String> out = new ArrayList<>();
        for (org.parasol.control.v1.NetworkInterface n : c.getVifsList()) {
            StringBuilder sb = new StringBuilder("vif:bridge=").append(n.getBridge().isEmpty() ? "xenbr0" : n.getBridge());
            if (!n.getMac().isEmpty()) {
                sb.append(",mac=").append(n.getMac());
            }
            if (n.hasIp()) {
                sb.append(",ip=").append(n.getIp());
            }
            out.add(sb.toString());
        }
        return List.copyOf(out);
    }

    private static DomainConfig.Action action(DomainAction a, DomainConfig.Action xlDefault) {
        return switch (a) {
            case DOMAIN_ACTION_DESTROY -> DomainConfig.Action.DESTROY;
            case DOMAIN_ACTION_RESTART -> DomainConfig.Action.RESTART;
            case DOMAIN_ACTION_PRESERVE -> DomainConfig.Action.PRESERVE;
            // The parser refuses the others by name; a message from elsewhere gets xl's default.
            default -> xlDefault;
        };
    }
}
