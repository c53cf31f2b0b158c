package org.parasol.toolstack.dom0;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One domain dom0 is asked to build, as xl's domain config describes it: its name, the image,
 * its memory and maximum memory in KiB, its vCPUs, its command line, and what to do when it
 * shuts down. dom0 reads them from its boot module ({@link DomainList}: what {@code parasol run}
 * hands it) and, shorter, from its own command line as {@code build=IMAGE[:MEMORY_KIB[:VCPUS]],...}
 * (memory 4096 KiB, one vCPU, no command line, destroyed on every shutdown, named by dom0).
 *
 * @param name         the domain's name, or null for dom0 to choose (the image's, or
 *                     {@code <image>-<id>} when a live domain has it)
 * @param image        the kernel image's name
 * @param memoryKiB    memory populated at build, a multiple of 4 KiB
 * @param maxMemoryKiB {@code max_mem}, at least {@code memoryKiB}
 * @param vcpus        vCPUs, 1..32
 * @param cmdline      the kernel command line, printable ASCII, at most 1023 bytes
 * @param onPoweroff   xl's on_poweroff
 * @param onReboot     xl's on_reboot
 * @param onCrash      xl's on_crash (also for a watchdog shutdown)
 * @param devices      its split devices, whose back ends run in other domains ({@link DeviceSpec}),
 *                     each with its device id resolved, at most {@value #DEVICES_MAX}
 * @param sched        what the credit scheduler is told of it: weight, cap, cpupool, affinities
 * @param virt         {@code pv}, {@code trap} (built with {@code XEN_DOMCTL_CDF_hvm}: its kernel
 *                     executes privileged instructions under trap-and-emulate) or {@code bare}
 *                     (the same on the bare machine model: {@code CDF_hvm} with Parasol's
 *                     {@code PARASOL_EMU_BARE}) or {@code bt} (binary-translated:
 *                     {@code PARASOL_EMU_BT})
 * @param maxVcpus     xl's {@code maxvcpus}: the vCPUs the domain is built with
 *                     ({@code XEN_DOMCTL_max_vcpus}), {@code vcpus} of them online at boot, the
 *                     rest offline until {@code xl vcpu-set}; 0 means {@code vcpus}
 */
public record DomainSpec(String name, String image, long memoryKiB, long maxMemoryKiB, int vcpus, String cmdline,
        Action onPoweroff, Action onReboot, Action onCrash, List<DeviceSpec> devices, SchedSpec sched, String virt,
        int maxVcpus) {

    /** A spec whose vCPUs are all online at boot. */
    public DomainSpec(String name, String image, long memoryKiB, long maxMemoryKiB, int vcpus, String cmdline,
            Action onPoweroff, Action onReboot, Action onCrash, List<DeviceSpec> devices, SchedSpec sched, String virt) {
        this(name, image, memoryKiB, maxMemoryKiB, vcpus, cmdline, onPoweroff, onReboot, onCrash, devices, sched, virt,
                vcpus);
    }

    /** A paravirtual domain's spec. */
    public DomainSpec(String name, String image, long memoryKiB, long maxMemoryKiB, int vcpus, String cmdline,
            Action onPoweroff, Action onReboot, Action onCrash, List<DeviceSpec> devices, SchedSpec sched) {
        this(name, image, memoryKiB, maxMemoryKiB, vcpus, cmdline, onPoweroff, onReboot, onCrash, devices, sched, "pv");
    }

    /** What a spec gets when it leaves memory out. */
    public static final long DEFAULT_MEMORY_KIB = 4096;
    /** The most memory a spec may ask for: 64 GiB, far beyond any host Parasol runs on. */
    public static final long MAX_MEMORY_KIB = 64L << 20;
    /** The longest name: DomainConfig's and the load-image command's bound. */
    public static final int NAME_MAX = 64;
    /** The longest command line: start_info's {@code cmd_line} less its NUL. */
    public static final int CMDLINE_MAX = 1023;
    /** The most devices one domain may have. */
    public static final int DEVICES_MAX = 16;

    /** xl's on_poweroff/on_reboot/on_crash actions that dom0 carries out. */
    public enum Action {
        /** Destroy the domain. */
        DESTROY("destroy"),
        /** Destroy it and build a new one from the same spec. */
        RESTART("restart"),
        /** Leave it shut down, its memory and store paths kept, until the host ends. */
        PRESERVE("preserve");

        private final String word;

        Action(String word) {
            this.word = word;
        }

        /** Its word in xl.cfg and in the boot module. */
        public String word() {
            return word;
        }

        /** The action {@code word} names. */
        public static Action of(String word) {
            for (Action a : values()) {
                if (a.word.equals(word)) {
                    return a;
                }
            }
            throw new IllegalArgumentException("'" + word + "' is not destroy, restart or preserve");
        }
    }

    public DomainSpec {
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(cmdline, "cmdline");
        Objects.requireNonNull(onPoweroff, "onPoweroff");
        Objects.requireNonNull(onReboot, "onReboot");
        Objects.requireNonNull(onCrash, "onCrash");
        devices = List.copyOf(Objects.requireNonNull(devices, "devices"));
        Objects.requireNonNull(sched, "sched");
        virt = virt == null ? "pv" : virt;
        if (!virt.equals("pv") && !virt.equals("trap") && !virt.equals("bare") && !virt.equals("bt")) {
            throw new IllegalArgumentException("virt must be pv, trap, bare or bt: '" + virt + "'");
        }
        if (name != null && (name.isEmpty() || name.length() > NAME_MAX || !name.matches("[A-Za-z0-9_.-]+")
                || name.equals("Domain-0"))) {
            throw new IllegalArgumentException("not a domain name (1-64 of [A-Za-z0-9_.-], not Domain-0): '" + name + "'");
        }
        if (image.isEmpty() || image.length() > 255 || !image.matches("[A-Za-z0-9_.-]+") || image.startsWith(".")) {
            throw new IllegalArgumentException("not an image name: '" + image + "'");
        }
        if (memoryKiB < 256 || memoryKiB % 4 != 0 || memoryKiB > MAX_MEMORY_KIB) {
            throw new IllegalArgumentException("memory must be a multiple of 4 KiB from 256 KiB to 64 GiB: " + memoryKiB);
        }
        if (maxMemoryKiB < memoryKiB || maxMemoryKiB % 4 != 0 || maxMemoryKiB > MAX_MEMORY_KIB) {
            throw new IllegalArgumentException("maxmem must be a multiple of 4 KiB, at least memory (" + memoryKiB
                    + " KiB), at most 64 GiB: " + maxMemoryKiB);
        }
        if (vcpus < 1 || vcpus > 32) {
            throw new IllegalArgumentException("vcpus must be 1..32: " + vcpus);
        }
        maxVcpus = maxVcpus == 0 ? vcpus : maxVcpus;
        if (maxVcpus < vcpus || maxVcpus > 32) {
            throw new IllegalArgumentException("maxvcpus must be vcpus (" + vcpus + ") to 32: " + maxVcpus);
        }
        if (cmdline.length() > CMDLINE_MAX || !cmdline.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
            throw new IllegalArgumentException("the command line must be at most 1023 printable ASCII characters");
        }
        if (devices.size() > DEVICES_MAX) {
            throw new IllegalArgumentException("more than " + DEVICES_MAX + " devices");
        }
        java.util.Set<String> ids = new java.util.HashSet<>();
        for (DeviceSpec d : devices) {
            if (d.devid() < 0) {
                throw new IllegalArgumentException("device " + d.kind() + " has no devid");
            }
            if (!ids.add(d.kind() + "/" + d.devid())) {
                throw new IllegalArgumentException("device " + d.kind() + " " + d.devid() + " is given twice");
            }
            if (d.backend().equals(name)) {
                throw new IllegalArgumentException("device " + d.kind() + " " + d.devid()
                        + ": a domain cannot be its own back end");
            }
        }
    }

    /** A domain the scheduler is told nothing of. */
    public DomainSpec(String name, String image, long memoryKiB, long maxMemoryKiB, int vcpus, String cmdline,
            Action onPoweroff, Action onReboot, Action onCrash, List<DeviceSpec> devices) {
        this(name, image, memoryKiB, maxMemoryKiB, vcpus, cmdline, onPoweroff, onReboot, onCrash, devices,
                SchedSpec.DEFAULT);
    }

    /** A domain without devices. */
    public DomainSpec(String name, String image, long memoryKiB, long maxMemoryKiB, int vcpus, String cmdline,
            Action onPoweroff, Action onReboot, Action onCrash) {
        this(name, image, memoryKiB, maxMemoryKiB, vcpus, cmdline, onPoweroff, onReboot, onCrash, List.of());
    }

    /** A domain of {@code image} named by dom0, destroyed on every shutdown: a {@code build=} entry. */
    public DomainSpec(String image, long memoryKiB, int vcpus) {
        this(null, image, memoryKiB, memoryKiB, vcpus, "", Action.DESTROY, Action.DESTROY, Action.DESTROY);
    }

    /** Pages of memory populated at build. */
    public int pages() {
        return (int) (memoryKiB / 4);
    }

    /**
     * The specs of the {@code build=} word of {@code cmdline}; none without one.
     *
     * @throws IllegalArgumentException naming the part that is malformed
     */
    public static List<DomainSpec> parse(String cmdline) {
        List<DomainSpec> specs = new ArrayList<>();
        for (String word : cmdline.strip().split("\\s+")) {
            if (!word.startsWith("build=")) {
                continue;
            }
            for (String one : word.substring("build=".length()).split(",")) {
                if (one.isEmpty()) {
                    continue;
                }
                String[] p = one.split(":");
                if (p.length > 3) {
                    throw new IllegalArgumentException("build entry '" + one + "' is IMAGE[:MEMORY_KIB[:VCPUS]]");
                }
                try {
                    long kib = p.length > 1 ? Long.parseLong(p[1]) : DEFAULT_MEMORY_KIB;
                    int vcpus = p.length > 2 ? Integer.parseInt(p[2]) : 1;
                    specs.add(new DomainSpec(p[0], kib, vcpus));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("build entry '" + one + "': memory and vCPUs are numbers", e);
                }
            }
        }
        return specs;
    }
}
