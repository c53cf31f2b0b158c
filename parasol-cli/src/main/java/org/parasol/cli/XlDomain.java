package org.parasol.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import org.parasol.control.XlConfigParser;
import org.parasol.control.v1.DomainAction;
import org.parasol.hypervisor.domain.DomainConfig;

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
 */
record XlDomain(String source, DomainConfig config, DomainConfig.Action onPoweroff, DomainConfig.Action onReboot,
        DomainConfig.Action onCrash, Scheduling scheduling) {

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
        return of(file.toString(), XlConfigParser.parse(file.toString(), text));
    }

    /** The domain {@code c} (from {@code source}) describes. */
    static XlDomain of(String source, org.parasol.control.v1.DomainConfig c) {
        long memoryKiB = c.getMemoryMib() * 1024;
        long maxKiB = c.getMaxmemMib() == 0 ? memoryKiB : c.getMaxmemMib() * 1024;
        DomainConfig config = new DomainConfig(c.getName(), memoryKiB, maxKiB, Math.max(1, c.getVcpus()),
                c.getKernel(), c.getCmdline(), false, DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE,
                DomainConfig.Action.PRESERVE);
        return new XlDomain(source, config, action(c.getOnPoweroff(), DomainConfig.Action.DESTROY),
                action(c.getOnReboot(), DomainConfig.Action.RESTART), action(c.getOnCrash(), DomainConfig.Action.DESTROY),
                new Scheduling(c.getCpuWeight(), c.getCap(), c.getPool(), c.getCpus(), c.getCpusSoft()));
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
