package org.parasol.toolstack.dom0;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The domains dom0 builds at boot, as the host hands them over in dom0's boot module
 * ({@code start_info.mod_start}, as Xen hands dom0 the modules its boot loader loaded): one
 * domain a line, words {@code key=value} separated by spaces, every byte of a value outside
 * {@code [A-Za-z0-9._-]} written {@code %XX} (two hex digits), so a value never holds a space,
 * an {@code =} or a line break.
 *
 * <pre>
 * # parasol run: the run's domains
 * name=hello-1 image=hello memory=4096 maxmem=4096 vcpus=1 cmdline=console%3Dhvc0%20quiet on_poweroff=destroy on_reboot=restart on_crash=destroy
 * name=pong image=pingpong
 * name=ping image=pingpong device=pingpong%3abackend%3dpong
 * </pre>
 *
 * <p>{@code image} is required; {@code name} defaults to dom0's choice, {@code memory} (KiB) to
 * 4096, {@code maxmem} (KiB) to {@code memory}, {@code vcpus} to 1, {@code cmdline} to empty, the
 * actions to xl's defaults (destroy, restart, destroy). Blank lines and lines starting with
 * {@code #} are skipped; line ends may be {@code \n} or {@code \r\n}.
 *
 * <p>The credit scheduler's words, each optional: {@code cpu_weight} (1..65535),
 * {@code cap} (percent of one pCPU), {@code pool} (a cpupool's id), {@code cpus} and
 * {@code cpus_soft} (every vCPU's hard and soft affinity, pCPU numbers and ranges such as
 * {@code 0-3,6}); {@link Builder} applies them by domctl ({@link SchedSpec}).
 *
 * <p>{@code device} is the one key a line may repeat, once per split device of the domain (at
 * most {@value DomainSpec#DEVICES_MAX}): {@code KIND:backend=NAME[,devid=N]} before escaping
 * ({@link DeviceSpec}), the domain being the device's front end and {@code NAME} its back end,
 * which must be named on an earlier line (dom0 builds in order, and a back end must exist
 * when its front end is built). A device without {@code devid} gets the lowest free one of its
 * kind; the same kind and devid twice in a domain is refused.
 *
 * <p>The module comes from the host, but is parsed as if it were hostile: a line longer than
 * {@value #LINE_MAX} bytes, more than {@value #DOMAINS_MAX} domains, an unknown or repeated key,
 * a word without {@code =}, a bad escape, a number out of range or a name given twice refuses
 * the whole module with the line number and the reason, and nothing is built.
 */
public final class DomainList {
    /** The longest line: a 1023-byte command line fully escaped, and the rest. */
    public static final int LINE_MAX = 4096;
    /** The most domains one module may ask for. */
    public static final int DOMAINS_MAX = 1024;

    private static final Set<String> KEYS = Set.of("name", "image", "memory", "maxmem", "vcpus", "maxvcpus", "cmdline", "virt",
            "on_poweroff", "on_reboot", "on_crash", "device", "cpu_weight", "cap", "pool", "cpus", "cpus_soft");
    /** The key a line may give more than once. */
    private static final String DEVICE = "device";

    private DomainList() {
    }

    /**
     * The domains {@code module} (UTF-8 text in the format above) describes, in order.
     *
     * @throws IllegalArgumentException naming the line and what is wrong with it
     */
    public static List<DomainSpec> parse(byte[] module) {
        String text = new String(module, StandardCharsets.UTF_8);
        List<DomainSpec> specs = new ArrayList<>();
        Set<String> names = new HashSet<>();
        int lineNo = 0;
        int start = 0;
        while (start < text.length()) {
            int end = text.indexOf('\n', start);
            if (end < 0) {
                end = text.length();
            }
            lineNo++;
            String line = text.substring(start, end);
            start = end + 1;
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            if (line.length() > LINE_MAX) {
                throw new IllegalArgumentException("line " + lineNo + ": longer than " + LINE_MAX + " bytes");
            }
            String stripped = line.strip();
            if (stripped.isEmpty() || stripped.startsWith("#")) {
                continue;
            }
            if (specs.size() == DOMAINS_MAX) {
                throw new IllegalArgumentException("line " + lineNo + ": more than " + DOMAINS_MAX + " domains");
            }
            DomainSpec spec;
            try {
                spec = parseLine(stripped, names);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("line " + lineNo + ": " + e.getMessage(), e);
            }
            if (spec.name() != null && !names.add(spec.name())) {
                throw new IllegalArgumentException("line " + lineNo + ": the name '" + spec.name() + "' is given twice");
            }
            specs.add(spec);
        }
        return specs;
    }

    /** One line; {@code earlier} holds the names of the domains on the lines before it. */
    private static DomainSpec parseLine(String line, Set<String> earlier) {
        Map<String, String> kv = new HashMap<>();
        List<DeviceSpec> asked = new ArrayList<>();
        for (String word : line.split(" +")) {
            int eq = word.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("'" + shorten(word) + "' is not key=value");
            }
            String key = word.substring(0, eq);
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException("unknown key '" + shorten(key) + "'");
            }
            if (key.equals(DEVICE)) {
                if (asked.size() == DomainSpec.DEVICES_MAX) {
                    throw new IllegalArgumentException("more than " + DomainSpec.DEVICES_MAX + " devices");
                }
                asked.add(DeviceSpec.parse(unescape(word.substring(eq + 1))));
            } else if (kv.put(key, unescape(word.substring(eq + 1))) != null) {
                throw new IllegalArgumentException("key '" + key + "' given twice");
            }
        }
        String image = kv.get("image");
        if (image == null) {
            throw new IllegalArgumentException("no image");
        }
        long memory = number(kv, "memory", DomainSpec.DEFAULT_MEMORY_KIB);
        long maxmem = number(kv, "maxmem", memory);
        long vcpus = number(kv, "vcpus", 1);
        if (vcpus > 32) {
            throw new IllegalArgumentException("vcpus must be 1..32: " + vcpus);
        }
        long maxVcpus = number(kv, "maxvcpus", vcpus);
        if (maxVcpus > 32) {
            throw new IllegalArgumentException("maxvcpus must be vcpus to 32: " + maxVcpus);
        }
        long weight = number(kv, "cpu_weight", 0);
        long cap = number(kv, "cap", 0);
        long pool = number(kv, "pool", 0);
        if (weight > 65535 || cap > 65534 || pool > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("cpu_weight must be at most 65535, cap 65534, pool a cpupool id");
        }
        SchedSpec sched = new SchedSpec((int) weight, (int) cap, (int) pool, kv.getOrDefault("cpus", ""),
                kv.getOrDefault("cpus_soft", ""));
        return new DomainSpec(kv.get("name"), image, memory, maxmem, (int) vcpus, kv.getOrDefault("cmdline", ""),
                action(kv, "on_poweroff", DomainSpec.Action.DESTROY), action(kv, "on_reboot", DomainSpec.Action.RESTART),
                action(kv, "on_crash", DomainSpec.Action.DESTROY), devices(asked, kv.get("name"), earlier), sched,
                kv.getOrDefault("virt", "pv"), (int) maxVcpus);
    }

    /**
     * The devices as asked, each back end named on an earlier line, each without a devid given
     * the lowest free one of its kind (after those given explicitly, wherever they stand).
     */
    private static List<DeviceSpec> devices(List<DeviceSpec> asked, String name, Set<String> earlier) {
        Map<String, Set<Integer>> taken = new HashMap<>();
        for (DeviceSpec d : asked) {
            if (d.backend().equals(name)) {
                throw new IllegalArgumentException("device " + d.kind() + ": a domain cannot be its own back end");
            }
            if (!earlier.contains(d.backend()) && !d.backend().equals(DeviceSpec.DOM0)) {
                throw new IllegalArgumentException("device " + d.kind() + ": the back end '" + d.backend()
                        + "' is not a domain named on an earlier line");
            }
            if (d.devid() >= 0 && !taken.computeIfAbsent(d.kind(), k -> new HashSet<>()).add(d.devid())) {
                throw new IllegalArgumentException("device " + d.kind() + " " + d.devid() + " is given twice");
            }
        }
        List<DeviceSpec> out = new ArrayList<>();
        for (DeviceSpec d : asked) {
            if (d.devid() >= 0) {
                out.add(d);
                continue;
            }
            Set<Integer> ids = taken.computeIfAbsent(d.kind(), k -> new HashSet<>());
            int id = 0;
            while (ids.contains(id)) {
                id++;
            }
            ids.add(id);
            out.add(d.withDevid(id));
        }
        return out;
    }

    private static long number(Map<String, String> kv, String key, long absent) {
        String v = kv.get(key);
        if (v == null) {
            return absent;
        }
        if (v.isEmpty() || v.length() > 12 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException(key + " must be a decimal number below 10^12: '" + shorten(v) + "'");
        }
        return Long.parseLong(v);
    }

    private static DomainSpec.Action action(Map<String, String> kv, String key, DomainSpec.Action absent) {
        String v = kv.get(key);
        try {
            return v == null ? absent : DomainSpec.Action.of(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + ": " + e.getMessage(), e);
        }
    }

    /** A value with its {@code %XX} escapes decoded; bytes outside the plain set must be escaped. */
    static String unescape(String v) {
        byte[] out = new byte[v.length()];
        int n = 0;
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '%') {
                if (i + 2 >= v.length()) {
                    throw new IllegalArgumentException("a '%' without two hex digits");
                }
                int hi = Character.digit(v.charAt(i + 1), 16);
                int lo = Character.digit(v.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    throw new IllegalArgumentException("a '%' without two hex digits");
                }
                out[n++] = (byte) (hi << 4 | lo);
                i += 2;
            } else if (plain(c)) {
                out[n++] = (byte) c;
            } else {
                throw new IllegalArgumentException("a byte that must be escaped: 0x" + Integer.toHexString(c));
            }
        }
        return new String(out, 0, n, StandardCharsets.UTF_8);
    }

    /** {@code value} with every byte outside {@code [A-Za-z0-9._-]} as {@code %XX}. */
    public static String escape(String value) {
        StringBuilder sb = new StringBuilder();
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if (plain(c)) {
                sb.append(c);
            } else {
                sb.append('%').append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 15, 16));
            }
        }
        return sb.toString();
    }

    /** One module line for {@code spec}, every key written. */
    public static String line(DomainSpec spec) {
        StringBuilder devices = new StringBuilder();
        for (DeviceSpec d : spec.devices()) {
            devices.append(" device=").append(escape(d.value()));
        }
        return (spec.name() == null ? "" : "name=" + escape(spec.name()) + " ") + "image=" + escape(spec.image())
                + " memory=" + spec.memoryKiB() + " maxmem=" + spec.maxMemoryKiB() + " vcpus=" + spec.vcpus()
                + (spec.maxVcpus() == spec.vcpus() ? "" : " maxvcpus=" + spec.maxVcpus())
                + " cmdline=" + escape(spec.cmdline()) + " on_poweroff=" + spec.onPoweroff().word() + " on_reboot="
                + spec.onReboot().word() + " on_crash=" + spec.onCrash().word()
                + (spec.virt().equals("pv") ? "" : " virt=" + spec.virt()) + devices + sched(spec.sched());
    }

    /** The scheduling words of a line, each only when it differs from the default. */
    private static String sched(SchedSpec s) {
        return (s.weight() != 0 ? " cpu_weight=" + s.weight() : "") + (s.cap() != 0 ? " cap=" + s.cap() : "")
                + (s.pool() != 0 ? " pool=" + s.pool() : "") + (s.cpus().isEmpty() ? "" : " cpus=" + escape(s.cpus()))
                + (s.cpusSoft().isEmpty() ? "" : " cpus_soft=" + escape(s.cpusSoft()));
    }

    private static boolean plain(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-';
    }

    private static String shorten(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }
}
