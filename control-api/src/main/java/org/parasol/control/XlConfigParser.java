package org.parasol.control;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.parasol.control.v1.Disk;
import org.parasol.control.v1.DiskAccess;
import org.parasol.control.v1.DiskFormat;
import org.parasol.control.v1.DomainAction;
import org.parasol.control.v1.DomainConfig;
import org.parasol.control.v1.NetworkInterface;
import org.parasol.control.v1.Uplink;

/**
 * Reads a domain configuration in xl.cfg's syntax (xl.cfg(5)) into the control API's
 * {@link DomainConfig}: the subset of xl.cfg Parasol understands, and nothing silently.
 *
 * <p>Syntax, as libxlu's parser takes it: {@code KEY = VALUE} settings separated by newlines
 * or {@code ;}; {@code #} starts a comment; a value is a string in double or single quotes, a
 * number, or a list {@code [ VALUE, ... ]} that may span lines. Keys are case-sensitive; a key
 * set twice keeps its last value, as xl does.
 *
 * <p>Keys: {@code name} (required), {@code memory} and {@code maxmem} (MiB), {@code vcpus},
 * {@code kernel} (an image name), {@code cmdline}, {@code extra} (appended to the command
 * line), {@code on_poweroff}, {@code on_reboot}, {@code on_crash}; the credit scheduler's
 * {@code cpu_weight} (1..65535) and {@code cap} (percent of one pCPU, 0 for none), the
 * cpupool {@code pool} (by name), and every vCPU's hard and soft affinity {@code cpus} and
 * {@code cpus_soft} (a string of pCPU numbers and ranges, {@code "all"}, or with {@code ^}
 * for a pCPU or range left out, as xl writes them; the per-vCPU list form and NUMA nodes are
 * refused); {@code disk}: a list of xl disk specs ({@code xl-disk-configuration(5)}'s
 * key=value form: {@code 'format=raw, vdev=xvda, access=rw, target=/path/img'}, {@code target}
 * last), plus Parasol's {@code size=} (bytes, or with a K/M/G suffix) for an image the host
 * creates when it is missing; and {@code vif}: a list of xl vif specs
 * ({@code 'mac=00:16:3e:00:00:01, bridge=xenbr0, ip=10.0.0.2'}); and Parasol's {@code uplink}:
 * {@code 'bridge=xenbr0, netns=NAME, tap=ptap0, ip=10.0.0.1/24'}, a host TAP device in network
 * namespace NAME joined to the bridge (netns required; the others default to xenbr0, ptap0 and
 * no address). xl keys the host cannot
 * honour yet — the rest of xl.cfg's vocabulary — are refused by
 * name; an unknown key is refused too. A refusal is a {@link ConfigException} naming the file,
 * the line, the key and what was expected; nothing is built from a configuration with an
 * error.
 */
public final class XlConfigParser {
    /** The keys Parasol honours. */
    public static final Set<String> KEYS = Set.of("name", "memory", "maxmem", "vcpus", "maxvcpus", "kernel", "cmdline", "extra",
            "on_poweroff", "on_reboot", "on_crash", "disk", "vif", "uplink", "cpu_weight", "cap", "pool", "cpus",
            "cpus_soft", "virt");
    /** The most pCPUs a {@code cpus} list may name (the hypervisor's bound on a pCPU mask). */
    public static final int PCPUS_MAX = 4096;

    /** The words of Parasol's {@code virt} key: how the kernel reaches the machine. */
    public static final Set<String> VIRT = Set.of("pv", "trap", "bare", "bt");

    /** xl.cfg keys Parasol knows and cannot honour yet, with the reason given. */
    private static final Map<String, String> NOT_YET = Map.ofEntries(
            Map.entry("type", "every domain is PV"),
            Map.entry("builder", "every domain is built as PV"),
            Map.entry("ramdisk", "images have no ramdisk"),
            Map.entry("bootloader", "images are loaded by name"),
            Map.entry("uuid", "domains get their handle from the toolstack"),
            Map.entry("on_watchdog", "a watchdog shutdown follows on_crash"),
            Map.entry("on_soft_reset", "soft reset is not supported"),
            Map.entry("pci", "there is no PCI passthrough"),
            Map.entry("vfb", "there is no framebuffer"),
            Map.entry("vkb", "there is no virtual keyboard"),
            Map.entry("channel", "there are no PV channels"),
            Map.entry("root", "images have no root device"),
            Map.entry("device_model_version", "there is no device model"));

    /** A configuration error: where and what. */
    public static final class ConfigException extends Exception {
        private static final long serialVersionUID = 1L;

        ConfigException(String source, int line, String message) {
            super(source + ":" + line + ": " + message);
        }

        /** An error of the whole file (it cannot be read, say): {@code source: message}. */
        public ConfigException(String source, String message) {
            super(source + ": " + message);
        }
    }

    private record Value(String text, List<String> list, boolean quoted, int line) {
        boolean isList() {
            return list != null;
        }
    }

    private final String source;
    private final String text;
    private int pos;
    private int line = 1;

    private XlConfigParser(String source, String text) {
        this.source = source;
        this.text = text;
    }

    /**
     * Parses {@code text} (the contents of {@code source}, named in errors).
     *
     * @throws ConfigException at the first error, naming the line and the key
     */
    public static DomainConfig parse(String source, String text) throws ConfigException {
        return new XlConfigParser(source, text).run();
    }

    private DomainConfig run() throws ConfigException {
        Map<String, Value> settings = new LinkedHashMap<>();
        Map<String, Integer> lines = new LinkedHashMap<>();
        for (;;) {
            skipBlanksAndComments(true);
            if (pos >= text.length()) {
                break;
            }
            int at = line;
            String key = identifier();
            skipBlanksAndComments(false);
            if (pos >= text.length() || text.charAt(pos) != '=') {
                throw new ConfigException(source, at, "expected '=' after '" + key + "'");
            }
            pos++;
            if (!KEYS.contains(key)) {
                String why = NOT_YET.get(key);
                throw new ConfigException(source, at, why != null ? "key '" + key + "' is not supported yet: " + why
                        : "unknown key '" + key + "' (Parasol understands " + String.join(", ", sorted(KEYS)) + ")");
            }
            skipBlanksAndComments(true);
            Value v = value(key);
            skipBlanksAndComments(false);
            if (pos < text.length() && text.charAt(pos) != '\n' && text.charAt(pos) != ';') {
                throw new ConfigException(source, line, "key '" + key + "': unexpected '" + text.charAt(pos)
                        + "' after the value");
            }
            if (pos < text.length()) {
                if (text.charAt(pos) == '\n') {
                    line++;
                }
                pos++;
            }
            settings.put(key, v);
            lines.put(key, at);
        }
        return build(settings);
    }

    private DomainConfig build(Map<String, Value> s) throws ConfigException {
        DomainConfig.Builder b = DomainConfig.newBuilder();
        Value name = s.get("name");
        if (name == null) {
            throw new ConfigException(source, line, "key 'name' is missing: every domain needs a name");
        }
        String n = string(name, "name");
        // The host's rule for names (letters, digits, '_', '.', '-'): narrower than xl's, and safe in store paths.
        if (n.isEmpty() || n.length() > 64 || !n.matches("[A-Za-z0-9_.-]+")) {
            throw new ConfigException(source, name.line(), "key 'name': expected 1 to 64 letters, digits, '_', '.' or"
                    + " '-', got '" + n + "'");
        }
        b.setName(n);
        Value memory = s.get("memory");
        long mib = memory == null ? 4 : number(memory, "memory", 1, 1 << 20, "a number of MiB");
        b.setMemoryMib(mib);
        Value maxmem = s.get("maxmem");
        if (maxmem != null) {
            long max = number(maxmem, "maxmem", 1, 1 << 20, "a number of MiB");
            if (max < mib) {
                throw new ConfigException(source, maxmem.line(), "key 'maxmem': expected at least memory (" + mib
                        + " MiB), got " + max);
            }
            b.setMaxmemMib(max);
        }
        Value vcpus = s.get("vcpus");
        if (vcpus != null) {
            // 32: the vcpu_info slots of shared_info (XEN_LEGACY_MAX_VCPUS), all a PV domain gets here.
            b.setVcpus((int) number(vcpus, "vcpus", 1, 32, "a number of vCPUs"));
        }
        Value maxvcpus = s.get("maxvcpus");
        if (maxvcpus != null) {
            int online = b.getVcpus() == 0 ? 1 : b.getVcpus();
            long max = number(maxvcpus, "maxvcpus", 1, 32, "a number of vCPUs");
            if (max < online) {
                throw new ConfigException(source, maxvcpus.line(), "key 'maxvcpus': expected at least vcpus (" + online
                        + "), got " + max);
            }
            b.setMaxvcpus((int) max);
        }
        Value kernel = s.get("kernel");
        if (kernel == null) {
            throw new ConfigException(source, line, "key 'kernel' is missing: name the image the domain boots");
        }
        String image = string(kernel, "kernel");
        if (image.isEmpty() || image.contains("/") || image.startsWith(".")) {
            throw new ConfigException(source, kernel.line(), "key 'kernel': expected an image name (such as hello), got '"
                    + image + "'");
        }
        b.setKernel(image);
        String cmdline = s.containsKey("cmdline") ? string(s.get("cmdline"), "cmdline") : "";
        if (s.containsKey("extra")) {
            String extra = string(s.get("extra"), "extra");
            cmdline = cmdline.isEmpty() ? extra : cmdline + " " + extra;
        }
        if (cmdline.length() > 1023) {
            throw new ConfigException(source, line, "the command line is " + cmdline.length()
                    + " characters; start_info holds 1023");
        }
        b.setCmdline(cmdline);
        Value virt = s.get("virt");
        if (virt != null) {
            String v = string(virt, "virt");
            if (!VIRT.contains(v)) {
                throw new ConfigException(source, virt.line(), "key 'virt': expected \"pv\", \"trap\", \"bare\" or \"bt\", got '" + v + "'");
            }
            b.setVirt(v);
        }
        b.setOnPoweroff(action(s.get("on_poweroff"), "on_poweroff"));
        b.setOnReboot(action(s.get("on_reboot"), "on_reboot"));
        b.setOnCrash(action(s.get("on_crash"), "on_crash"));
        Value disk = s.get("disk");
        if (disk != null) {
            if (!disk.isList()) {
                throw new ConfigException(source, disk.line(), "key 'disk': expected a list of disk specs, such as"
                        + " [ 'format=raw, vdev=xvda, access=rw, target=/path/img' ]");
            }
            java.util.Set<String> vdevs = new java.util.HashSet<>();
            for (String spec : disk.list()) {
                Disk d = disk(spec, disk.line());
                if (!vdevs.add(d.getVdev())) {
                    throw new ConfigException(source, disk.line(), "key 'disk': vdev " + d.getVdev() + " is given twice");
                }
                b.addDisks(d);
            }
        }
        Value vif = s.get("vif");
        if (vif != null) {
            if (!vif.isList()) {
                throw new ConfigException(source, vif.line(), "key 'vif': expected a list of vif specs, such as"
                        + " [ 'mac=00:16:3e:00:00:01, bridge=xenbr0' ]");
            }
            for (String spec : vif.list()) {
                b.addVifs(vif(spec, vif.line()));
            }
        }
        Value weight = s.get("cpu_weight");
        if (weight != null) {
            b.setCpuWeight((int) number(weight, "cpu_weight", 1, 65535, "a weight"));
        }
        Value cap = s.get("cap");
        if (cap != null) {
            b.setCap((int) number(cap, "cap", 0, 65534, "a percentage of one pCPU (0: no cap)"));
        }
        Value pool = s.get("pool");
        if (pool != null) {
            String p = string(pool, "pool");
            if (!p.matches("[A-Za-z0-9_.-]{1,64}")) {
                throw new ConfigException(source, pool.line(), "key 'pool': expected a cpupool's name (1 to 64 letters,"
                        + " digits, '_', '.' or '-'), got '" + p + "'");
            }
            b.setPool(p);
        }
        if (s.containsKey("cpus")) {
            b.setCpus(cpuList(s.get("cpus"), "cpus"));
        }
        if (s.containsKey("cpus_soft")) {
            b.setCpusSoft(cpuList(s.get("cpus_soft"), "cpus_soft"));
        }
        Value uplink = s.get("uplink");
        if (uplink != null) {
            if (uplink.isList()) {
                throw new ConfigException(source, uplink.line(), "key 'uplink': expected one string, such as"
                        + " 'bridge=xenbr0, netns=parasol0, tap=ptap0, ip=10.0.0.1/24'");
            }
            b.setUplink(uplink(string(uplink, "uplink"), uplink.line()));
        }
        return b.build();
    }

    /**
     * The {@code key=value} parts of one comma-separated spec of config key {@code what} (a vif
     * or the uplink), in order, each stripped; empty parts are skipped. A part without a key, or
     * a key given twice, is refused.
     */
    private java.util.Map<String, String> pairs(String what, String spec, int at) throws ConfigException {
        java.util.Map<String, String> pairs = new java.util.LinkedHashMap<>();
        for (String part : spec.split(",")) {
            String p = part.strip();
            if (p.isEmpty()) {
                continue;
            }
            int eq = p.indexOf('=');
            if (eq <= 0) {
                throw new ConfigException(source, at, "key '" + what + "': '" + p + "' is not key=value");
            }
            String key = p.substring(0, eq).strip();
            if (pairs.putIfAbsent(key, p.substring(eq + 1).strip()) != null) {
                throw new ConfigException(source, at, "key '" + what + "': '" + key + "' given twice in one spec");
            }
        }
        return pairs;
    }

    /** Parasol's uplink spec: bridge, netns, tap, ip (an address with its prefix length), offload (0: no TAP offloads). */
    private Uplink uplink(String spec, int at) throws ConfigException {
        Uplink.Builder u = Uplink.newBuilder();
        for (java.util.Map.Entry<String, String> e : pairs("uplink", spec, at).entrySet()) {
            String key = e.getKey();
            String val = e.getValue();
            switch (key) {
                case "bridge" -> {
                    if (!val.matches("[A-Za-z0-9_.-]{1,15}")) {
                        throw new ConfigException(source, at, "key 'uplink': bridge must be 1-15 of [A-Za-z0-9_.-], got '"
                                + val + "'");
                    }
                    u.setBridge(val);
                }
                case "netns" -> {
                    if (!(val.matches("[A-Za-z0-9_.-]{1,64}") && !val.startsWith(".")
                            || val.matches("/[A-Za-z0-9_./-]{1,250}"))) {
                        throw new ConfigException(source, at, "key 'uplink': netns must be a namespace name (ip netns"
                                + " add NAME) or an absolute path such as /proc/PID/ns/net, got '" + val + "'");
                    }
                    u.setNetns(val);
                }
                case "tap" -> {
                    if (!val.matches("[A-Za-z0-9_.-]{1,15}")) {
                        throw new ConfigException(source, at, "key 'uplink': tap must be an interface name of 1-15 of"
                                + " [A-Za-z0-9_.-], got '" + val + "'");
                    }
                    u.setTap(val);
                }
                case "ip" -> {
                    if (!val.matches("((25[0-5]|2[0-4]\\d|1?\\d?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1?\\d?\\d)/(3[0-2]|[12]?\\d)")) {
                        throw new ConfigException(source, at, "key 'uplink': ip must be an IPv4 address with its prefix"
                                + " length, such as 10.0.0.1/24, got '" + val + "'");
                    }
                    u.setAddress(val);
                }
                case "offload" -> {
                    if (!val.equals("0") && !val.equals("1")) {
                        throw new ConfigException(source, at, "key 'uplink': offload must be 0 or 1, got '" + val + "'");
                    }
                    u.setNoOffload(val.equals("0"));
                }
                default -> throw new ConfigException(source, at, "key 'uplink': unknown key '" + key
                        + "' (Parasol understands bridge, netns, tap, ip, offload)");
            }
        }
        if (u.getNetns().isEmpty()) {
            throw new ConfigException(source, at, "key 'uplink': netns is required: the TAP lives in a network namespace"
                    + " you make (ip netns add NAME), never in the host's own");
        }
        return u.build();
    }

    /** One xl vif spec: mac, bridge, ip ({@code xl-network-configuration(5)}). */
    private NetworkInterface vif(String spec, int at) throws ConfigException {
        NetworkInterface.Builder n = NetworkInterface.newBuilder();
        for (java.util.Map.Entry<String, String> e : pairs("vif", spec, at).entrySet()) {
            String key = e.getKey();
            String val = e.getValue();
            switch (key) {
                case "mac" -> {
                    if (!val.matches("[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}")) {
                        throw new ConfigException(source, at, "key 'vif': mac must be like 00:16:3e:00:00:01, got '"
                                + val + "'");
                    }
                    n.setMac(val.toLowerCase(java.util.Locale.ROOT));
                }
                case "bridge" -> {
                    if (!val.matches("[A-Za-z0-9_.-]{1,15}")) {
                        throw new ConfigException(source, at, "key 'vif': bridge must be 1-15 of [A-Za-z0-9_.-], got '"
                                + val + "'");
                    }
                    n.setBridge(val);
                }
                case "ip" -> {
                    if (!val.matches("((25[0-5]|2[0-4]\\d|1?\\d?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1?\\d?\\d)")) {
                        throw new ConfigException(source, at, "key 'vif': ip must be a dotted IPv4 address, got '" + val
                                + "'");
                    }
                    n.setIp(val);
                }
                default -> throw new ConfigException(source, at, "key 'vif': unknown vif key '" + key
                        + "' (Parasol understands mac, bridge, ip)");
            }
        }
        return n.build();
    }

    /** One xl disk spec, key=value form; {@code target} takes the rest of the spec, commas and all. */
    private Disk disk(String spec, int at) throws ConfigException {
        Disk.Builder d = Disk.newBuilder();
        String rest = spec.strip();
        java.util.Set<String> seen = new java.util.HashSet<>();
        while (!rest.isEmpty()) {
            int eq = rest.indexOf('=');
            int comma = rest.indexOf(',');
            if (eq <= 0 || comma >= 0 && comma < eq) {
                throw new ConfigException(source, at, "key 'disk': '" + rest + "' is not key=value (Parasol reads xl's"
                        + " key=value disk specs, not the positional form)");
            }
            String key = rest.substring(0, eq).strip();
            String val;
            if (key.equals("target")) {
                val = rest.substring(eq + 1).strip();
                rest = "";
            } else {
                int end = rest.indexOf(',', eq);
                val = (end < 0 ? rest.substring(eq + 1) : rest.substring(eq + 1, end)).strip();
                rest = end < 0 ? "" : rest.substring(end + 1).strip();
            }
            if (!seen.add(key)) {
                throw new ConfigException(source, at, "key 'disk': '" + key + "' given twice in one spec");
            }
            switch (key) {
                case "vdev" -> {
                    if (!val.matches("(xvd|sd)[a-z]{1,4}[0-9]{0,3}|[1-9][0-9]{0,9}")) {
                        throw new ConfigException(source, at, "key 'disk': vdev must be like xvda or xvdb1, got '" + val
                                + "'");
                    }
                    d.setVdev(val);
                }
                case "target" -> d.setTarget(val);
                case "access" -> d.setAccess(switch (val) {
                    case "rw", "w" -> DiskAccess.DISK_ACCESS_READ_WRITE;
                    case "ro", "r" -> DiskAccess.DISK_ACCESS_READ_ONLY;
                    default -> throw new ConfigException(source, at, "key 'disk': access must be rw or ro, got '" + val
                            + "'");
                });
                case "format" -> {
                    if (!val.equals("raw")) {
                        throw new ConfigException(source, at, "key 'disk': format '" + val
                                + "' is not supported: only raw images are served");
                    }
                    d.setFormat(DiskFormat.DISK_FORMAT_RAW);
                }
                case "devtype" -> {
                    if (!val.equals("disk")) {
                        throw new ConfigException(source, at, "key 'disk': devtype '" + val + "' is not supported");
                    }
                }
                case "size" -> d.setCreateSizeBytes(size(val, at));
                default -> throw new ConfigException(source, at, "key 'disk': unknown disk key '" + key
                        + "' (Parasol understands vdev, target, access, format, devtype, size)");
            }
        }
        if (d.getVdev().isEmpty()) {
            throw new ConfigException(source, at, "key 'disk': a disk needs vdev= (such as vdev=xvda)");
        }
        if (d.getTarget().isEmpty()) {
            throw new ConfigException(source, at, "key 'disk': disk " + d.getVdev() + " needs target= (the image file)");
        }
        return d.build();
    }

    private long size(String val, int at) throws ConfigException {
        long unit = 1;
        String digits = val;
        if (!val.isEmpty()) {
            switch (Character.toUpperCase(val.charAt(val.length() - 1))) {
                case 'K' -> unit = 1L << 10;
                case 'M' -> unit = 1L << 20;
                case 'G' -> unit = 1L << 30;
                default -> unit = 1;
            }
            if (unit != 1) {
                digits = val.substring(0, val.length() - 1);
            }
        }
        if (!digits.matches("[1-9][0-9]{0,12}") || Long.parseLong(digits) > (1L << 42) / unit
                || Long.parseLong(digits) * unit % 512 != 0) {
            throw new ConfigException(source, at, "key 'disk': size must be a whole number of 512-byte sectors, up to"
                    + " 4 TiB, with an optional K, M or G: '" + val + "'");
        }
        return Long.parseLong(digits) * unit;
    }

    /**
     * xl's CPU list ({@code xl.cfg(5)}, "CPU-LIST"): {@code "all"}, or comma-separated pCPU
     * numbers and ranges {@code a-b}, each of which may be {@code ^}-prefixed to leave it out
     * of what the others name. Answered in the plain form ({@code "0-3,6"}), or empty for all.
     */
    private String cpuList(Value v, String key) throws ConfigException {
        if (v.isList()) {
            throw new ConfigException(source, v.line(), "key '" + key + "': the per-vCPU list form is not supported yet;"
                    + " give one CPU list (a string) for every vCPU");
        }
        String text = v.text().strip();
        if (text.equals("all")) {
            return "";
        }
        java.util.BitSet in = new java.util.BitSet();
        java.util.BitSet out = new java.util.BitSet();
        for (String part : text.split(",", -1)) {
            String p = part.strip();
            boolean not = p.startsWith("^");
            String range = not ? p.substring(1) : p;
            if (range.startsWith("node:") || range.startsWith("nodes:")) {
                throw new ConfigException(source, v.line(), "key '" + key + "': NUMA nodes are not supported: name pCPUs");
            }
            int dash = range.indexOf('-');
            int lo;
            int hi;
            try {
                lo = Integer.parseInt(dash < 0 ? range : range.substring(0, dash));
                hi = dash < 0 ? lo : Integer.parseInt(range.substring(dash + 1));
            } catch (NumberFormatException e) {
                throw new ConfigException(source, v.line(), "key '" + key + "': expected pCPU numbers and ranges such"
                        + " as \"0-3,^2\" or \"all\", got '" + v.text() + "'");
            }
            if (lo < 0 || hi < lo || hi >= PCPUS_MAX) {
                throw new ConfigException(source, v.line(), "key '" + key + "': '" + p + "' is not a range of pCPUs below "
                        + PCPUS_MAX);
            }
            (not ? out : in).set(lo, hi + 1);
        }
        in.andNot(out);
        if (in.isEmpty()) {
            throw new ConfigException(source, v.line(), "key '" + key + "': '" + v.text() + "' names no pCPU");
        }
        StringBuilder sb = new StringBuilder();
        for (int i = in.nextSetBit(0); i >= 0; i = in.nextSetBit(i + 1)) {
            int j = in.nextClearBit(i) - 1;
            sb.append(sb.isEmpty() ? "" : ",").append(i);
            if (j > i) {
                sb.append('-').append(j);
            }
            i = j;
        }
        return sb.toString();
    }

    private DomainAction action(Value v, String key) throws ConfigException {
        if (v == null) {
            return DomainAction.DOMAIN_ACTION_UNSPECIFIED;
        }
        return switch (string(v, key)) {
            case "destroy" -> DomainAction.DOMAIN_ACTION_DESTROY;
            case "restart" -> DomainAction.DOMAIN_ACTION_RESTART;
            case "preserve" -> DomainAction.DOMAIN_ACTION_PRESERVE;
            case "rename-restart", "coredump-destroy", "coredump-restart" -> throw new ConfigException(source,
                    v.line(), "key '" + key + "': '" + v.text() + "' is not supported yet (no renaming of dead domains,"
                            + " no core dumps): use destroy, restart or preserve");
            default -> throw new ConfigException(source, v.line(), "key '" + key + "': expected destroy, restart or "
                    + "preserve, got '" + v.text() + "'");
        };
    }

    private String string(Value v, String key) throws ConfigException {
        if (v.isList()) {
            throw new ConfigException(source, v.line(), "key '" + key + "': expected a string, got a list");
        }
        return v.text();
    }

    private long number(Value v, String key, long min, long max, String what) throws ConfigException {
        if (v.isList()) {
            throw new ConfigException(source, v.line(), "key '" + key + "': expected " + what + ", got a list");
        }
        String t = v.text().strip();
        long n;
        try {
            n = Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw new ConfigException(source, v.line(), "key '" + key + "': expected " + what + ", got '" + t + "'");
        }
        if (n < min || n > max) {
            throw new ConfigException(source, v.line(), "key '" + key + "': expected " + what + " from " + min + " to "
                    + max + ", got " + n);
        }
        return n;
    }

    // ---------------------------------------------------------------- lexing

    private void skipBlanksAndComments(boolean newlines) {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == '#') {
                while (pos < text.length() && text.charAt(pos) != '\n') {
                    pos++;
                }
            } else if (c == ' ' || c == '\t' || c == '\r') {
                pos++;
            } else if (newlines && (c == '\n' || c == ';')) {
                if (c == '\n') {
                    line++;
                }
                pos++;
            } else {
                return;
            }
        }
    }

    private String identifier() throws ConfigException {
        int start = pos;
        while (pos < text.length() && (Character.isLetterOrDigit(text.charAt(pos)) || text.charAt(pos) == '_')) {
            pos++;
        }
        if (pos == start) {
            throw new ConfigException(source, line, "expected a key, got '" + text.charAt(pos) + "'");
        }
        return text.substring(start, pos);
    }

    private Value value(String key) throws ConfigException {
        if (pos >= text.length()) {
            throw new ConfigException(source, line, "key '" + key + "': the value is missing");
        }
        int at = line;
        char c = text.charAt(pos);
        if (c == '[') {
            pos++;
            List<String> items = new ArrayList<>();
            for (;;) {
                skipBlanksAndComments(true);
                if (pos >= text.length()) {
                    throw new ConfigException(source, at, "key '" + key + "': the list is not closed with ']'");
                }
                if (text.charAt(pos) == ']') {
                    pos++;
                    return new Value(null, items, false, at);
                }
                items.add(scalar(key).text());
                skipBlanksAndComments(true);
                if (pos < text.length() && text.charAt(pos) == ',') {
                    pos++;
                }
            }
        }
        return scalar(key);
    }

    private Value scalar(String key) throws ConfigException {
        int at = line;
        char c = text.charAt(pos);
        if (c == '"' || c == '\'') {
            int start = ++pos;
            while (pos < text.length() && text.charAt(pos) != c) {
                if (text.charAt(pos) == '\n') {
                    throw new ConfigException(source, at, "key '" + key + "': the string is not closed on its line");
                }
                pos++;
            }
            if (pos >= text.length()) {
                throw new ConfigException(source, at, "key '" + key + "': the string is not closed");
            }
            String s = text.substring(start, pos++);
            return new Value(s, null, true, at);
        }
        int start = pos;
        while (pos < text.length() && (Character.isLetterOrDigit(text.charAt(pos)) || "._-".indexOf(text.charAt(pos)) >= 0)) {
            pos++;
        }
        if (pos == start) {
            throw new ConfigException(source, at, "key '" + key + "': expected a value, got '" + c + "'");
        }
        return new Value(text.substring(start, pos), null, false, at);
    }

    private static List<String> sorted(Set<String> s) {
        List<String> l = new ArrayList<>(s);
        l.sort(null);
        return l;
    }
}
