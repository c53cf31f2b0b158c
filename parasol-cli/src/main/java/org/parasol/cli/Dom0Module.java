package org.parasol.cli;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.parasol.hypervisor.domain.DomainConfig;

/**
 * dom0's boot module as {@code parasol run} writes it: the run's domains, one a line, in the
 * format dom0's {@code org.parasol.toolstack.dom0.DomainList} reads (words {@code key=value},
 * every byte of a value outside {@code [A-Za-z0-9._-]} as {@code %XX}). The CLI needs nothing
 * of dom0's code, so the format is written here and read there; {@code Dom0ModuleTest} checks
 * that dom0 reads back what this writes.
 */
final class Dom0Module {
    private final List<String> lines = new ArrayList<>();

    Dom0Module() {
        lines.add("# parasol run: the domains dom0 builds, one a line");
    }

    /**
     * Adds the domain {@code cfg} with its on_* actions.
     *
     * @throws IllegalArgumentException if dom0 could not take it: a command line over 1023
     *     bytes or with other than printable ASCII
     */
    Dom0Module add(DomainConfig cfg, DomainConfig.Action onPoweroff, DomainConfig.Action onReboot,
            DomainConfig.Action onCrash) {
        return add(cfg, onPoweroff, onReboot, onCrash, List.of());
    }

    /**
     * Adds the domain {@code cfg} with its on_* actions and its split devices, each a
     * {@code device=} word: {@code KIND:backend=NAME} before escaping, {@code NAME} a domain
     * added before this one (dom0 refuses the module otherwise).
     *
     * @throws IllegalArgumentException as {@link #add(DomainConfig, DomainConfig.Action, DomainConfig.Action,
     *     DomainConfig.Action)}
     */
    Dom0Module add(DomainConfig cfg, DomainConfig.Action onPoweroff, DomainConfig.Action onReboot,
            DomainConfig.Action onCrash, List<String> devices) {
        return add(cfg, onPoweroff, onReboot, onCrash, devices, XlDomain.Scheduling.DEFAULT, 0);
    }

    /**
     * Adds the domain {@code cfg} as {@link #add(DomainConfig, DomainConfig.Action, DomainConfig.Action,
     * DomainConfig.Action, List)} does, with the credit scheduler's settings {@code s}: words
     * {@code cpu_weight=}, {@code cap=}, {@code pool=} (the pool's id, {@code poolId}),
     * {@code cpus=} and {@code cpus_soft=}, each only when set.
     */
    Dom0Module add(DomainConfig cfg, DomainConfig.Action onPoweroff, DomainConfig.Action onReboot,
            DomainConfig.Action onCrash, List<String> devices, XlDomain.Scheduling s, int poolId) {
        String cmdline = cfg.cmdline() == null ? "" : cfg.cmdline();
        if (cmdline.length() > 1023 || !cmdline.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
            throw new IllegalArgumentException("domain '" + cfg.name()
                    + "': the command line must be at most 1023 printable ASCII characters");
        }
        lines.add("name=" + escape(cfg.name()) + " image=" + escape(cfg.image()) + " memory=" + cfg.memoryKiB()
                + " maxmem=" + cfg.maxMemoryKiB() + " vcpus=" + cfg.vcpus() + " cmdline=" + escape(cmdline)
                + " on_poweroff=" + word(onPoweroff) + " on_reboot=" + word(onReboot) + " on_crash=" + word(onCrash)
                + (cfg.virt().nativeKernel() ? " virt=" + cfg.virt().key() : "")
                + devices.stream().map(d -> " device=" + escape(d)).collect(java.util.stream.Collectors.joining())
                + (s.weight() != 0 ? " cpu_weight=" + s.weight() : "") + (s.cap() != 0 ? " cap=" + s.cap() : "")
                + (poolId != 0 ? " pool=" + poolId : "") + (s.cpus().isEmpty() ? "" : " cpus=" + escape(s.cpus()))
                + (s.cpusSoft().isEmpty() ? "" : " cpus_soft=" + escape(s.cpusSoft())));
        return this;
    }

    /**
     * The last domain added is built with {@code maxVcpus} vCPUs ({@code maxvcpus=}, when above
     * its {@code vcpus}), the rest offline until {@code xl vcpu-set}.
     */
    Dom0Module maxVcpus(int maxVcpus) {
        String last = lines.get(lines.size() - 1);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(" vcpus=([0-9]+) ").matcher(last);
        if (m.find() && maxVcpus > Integer.parseInt(m.group(1))) {
            lines.set(lines.size() - 1, last.substring(0, m.end() - 1) + " maxvcpus=" + maxVcpus + last.substring(m.end() - 1));
        }
        return this;
    }

    /** The last line added: one domain, as {@code xl create} at dom0's console takes it. */
    String lastLine() {
        return lines.get(lines.size() - 1);
    }

    /** Domains added. */
    int domains() {
        return lines.size() - 1;
    }

    /** The module's bytes. */
    byte[] bytes() {
        return (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private static String word(DomainConfig.Action a) {
        return switch (a) {
            case DESTROY -> "destroy";
            case RESTART -> "restart";
            case PRESERVE -> "preserve";
        };
    }

    /** {@code value} with every byte outside {@code [A-Za-z0-9._-]} as {@code %XX}. */
    static String escape(String value) {
        StringBuilder sb = new StringBuilder();
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
                sb.append((char) c);
            } else {
                sb.append('%').append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 15, 16));
            }
        }
        return sb.toString();
    }
}
