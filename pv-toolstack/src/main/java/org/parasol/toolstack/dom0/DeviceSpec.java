package org.parasol.toolstack.dom0;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One split device of a domain dom0 builds, as xl's device specs describe one whose back end
 * runs in another domain (a driver domain: xl.cfg's {@code backend=<domain>} in a
 * {@code disk=}/{@code vif=} entry): the device kind, which names its store directories, its
 * device id, and the domain that serves it. The domain the spec belongs to is the front end.
 *
 * <p>In dom0's boot module a device is one {@code device=} word of its domain's line
 * ({@link DomainList}); its value, before escaping, is the kind, a colon, and xl's
 * comma-separated {@code key=value} device spec:
 * <pre>
 *  pingpong:backend=pong            kind pingpong, devid 0 (the next free), served by the domain named pong
 *  pingpong:backend=pong,devid=3    the same with devid 3
 * </pre>
 * Keys: {@code backend} (required: the name of a domain listed on an earlier line, since the
 * back end must exist when the front end is built) and {@code devid} (default: the lowest
 * unused of that kind in the domain). A disk or a network interface takes the same shape
 * later ({@code vbd:vdev=xvda,target=...,backend=dd}), with its own keys.
 *
 * <p>From this, dom0 writes what libxl's {@code libxl__device_generic_add} writes
 * ({@link XsDevices}): the front end's {@code /local/domain/<front>/device/<kind>/<devid>}
 * and the back end's {@code /local/domain/<back>/backend/<kind>/<front>/<devid>}.
 *
 * <p>A virtual disk ({@code vbd}) takes xl's disk keys instead, and is served by dom0 unless
 * {@code backend=} names a driver domain; its devid is its vdev's number ({@code xvda} = 51712),
 * and {@code target}, which may hold commas, must come last:
 * <pre>
 *  vbd:vdev=xvda,access=rw,format=raw,target=/srv/disk.img
 * </pre>
 * Keys: {@code vdev} (required), {@code access} ({@code rw}/{@code w}, the default, or
 * {@code ro}/{@code r}), {@code format} ({@code raw} only), {@code devtype} ({@code disk} only),
 * {@code backend}, and {@code target} (required: the host path of the image, which the back
 * end opens).
 *
 * @param kind    the device kind: 1-32 of {@code [a-z0-9_-]}, starting with a letter or digit
 * @param devid   the device id, 0..{@value #DEVID_MAX}, or -1 for the next free one
 * @param backend the name of the domain that serves it
 * @param params  a disk's {@code vdev}, {@code access} and {@code target}; empty for other kinds
 */
public record DeviceSpec(String kind, int devid, String backend, Map<String, String> params) {
    /** The name dom0 has in the store, and the default back end of a disk. */
    public static final String DOM0 = "Domain-0";
    /** The virtual block device kind. */
    public static final String VBD = "vbd";
    /** The virtual network interface kind. */
    public static final String VIF = "vif";

    /** A device of another kind than a disk: no params. */
    public DeviceSpec(String kind, int devid, String backend) {
        this(kind, devid, backend, Map.of());
    }

    /** The highest device id: Linux's vbd ids reach 2^28 and more; anything up to 2^31-1 is taken. */
    public static final int DEVID_MAX = Integer.MAX_VALUE;
    /** The keys of the spec after the kind. */
    private static final Set<String> KEYS = Set.of("backend", "devid");

    public DeviceSpec {
        Objects.requireNonNull(kind, "kind");
        params = Map.copyOf(params);
        Objects.requireNonNull(backend, "backend");
        if (kind.isEmpty() || kind.length() > 32 || !kind.matches("[a-z0-9][a-z0-9_-]*")) {
            throw new IllegalArgumentException("not a device kind (1-32 of [a-z0-9_-]): '" + shorten(kind) + "'");
        }
        if (devid < -1) {
            throw new IllegalArgumentException("devid must be 0.." + DEVID_MAX + ": " + devid);
        }
        if (backend.isEmpty() || backend.length() > DomainSpec.NAME_MAX || !backend.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("backend must name a domain (1-64 of [A-Za-z0-9_.-]): '"
                    + shorten(backend) + "'");
        }
    }

    /** This spec with device id {@code id}. */
    public DeviceSpec withDevid(int id) {
        return new DeviceSpec(kind, id, backend, params);
    }

    /** Whether this is a virtual disk. */
    public boolean isDisk() {
        return kind.equals(VBD);
    }

    /** A disk's back-end keys beside the generic ones ({@code libxl__device_disk_setdefault}'s). */
    public Map<String, String> backendKeys() {
        if (!isDisk()) {
            return Map.of();
        }
        Map<String, String> m = new LinkedHashMap<>();
        m.put("params", params.get("target"));
        m.put("mode", readOnly() ? "r" : "w");
        m.put("type", "file");
        m.put("dev", params.get("vdev"));
        m.put("device-type", "disk");
        m.put("removable", "0");
        m.put("bootable", "1");
        return m;
    }

    /** A disk's front-end keys beside the generic ones. */
    public Map<String, String> frontendKeys() {
        if (!isDisk()) {
            return Map.of();
        }
        Map<String, String> m = new LinkedHashMap<>();
        m.put("virtual-device", Integer.toString(devid));
        m.put("device-type", "disk");
        return m;
    }

    /** Whether a disk is read-only ({@code access=ro}). */
    public boolean readOnly() {
        String a = params.getOrDefault("access", "rw");
        return a.equals("ro") || a.equals("r");
    }

    /**
     * The device {@code value} (unescaped: {@code kind:key=value,...}) describes.
     *
     * @throws IllegalArgumentException naming what is wrong: no kind, an unknown, repeated or
     *     valueless key, no backend, a devid that is not a decimal number in range
     */
    public static DeviceSpec parse(String value) {
        int colon = value.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("device '" + shorten(value) + "' is KIND:backend=DOMAIN[,devid=N]");
        }
        String kind = value.substring(0, colon);
        if (kind.equals(VBD)) {
            return parseDisk(value.substring(colon + 1));
        }
        if (kind.equals(VIF)) {
            return parseVif(value.substring(colon + 1));
        }
        Map<String, String> kv = new HashMap<>();
        for (String part : value.substring(colon + 1).split(",", -1)) {
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("device '" + shorten(kind) + "': '" + shorten(part) + "' is not key=value");
            }
            String key = part.substring(0, eq);
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException("device '" + shorten(kind) + "': unknown key '" + shorten(key) + "'");
            }
            if (kv.put(key, part.substring(eq + 1)) != null) {
                throw new IllegalArgumentException("device '" + shorten(kind) + "': key '" + key + "' given twice");
            }
        }
        String backend = kv.get("backend");
        if (backend == null) {
            throw new IllegalArgumentException("device '" + shorten(kind) + "': no backend=");
        }
        int devid = -1;
        String d = kv.get("devid");
        if (d != null) {
            if (d.isEmpty() || d.length() > 10 || !d.chars().allMatch(c -> c >= '0' && c <= '9')
                    || Long.parseLong(d) > DEVID_MAX) {
                throw new IllegalArgumentException("device '" + shorten(kind) + "': devid must be a decimal number 0.."
                        + DEVID_MAX + ": '" + shorten(d) + "'");
            }
            devid = Integer.parseInt(d);
        }
        return new DeviceSpec(kind, devid, backend);
    }

    /** The keys of a disk spec. */
    private static final Set<String> DISK_KEYS = Set.of("vdev", "access", "format", "devtype", "backend", "target");

    private static DeviceSpec parseDisk(String spec) {
        Map<String, String> kv = new HashMap<>();
        String rest = spec;
        while (!rest.isEmpty()) {
            int eq = rest.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("disk: '" + shorten(rest) + "' is not key=value");
            }
            String key = rest.substring(0, eq).trim();
            if (!DISK_KEYS.contains(key)) {
                throw new IllegalArgumentException("disk: unknown key '" + shorten(key) + "'");
            }
            String val;
            if (key.equals("target")) {
                val = rest.substring(eq + 1); // the rest, commas and all, as xl reads it
                rest = "";
            } else {
                int comma = rest.indexOf(',', eq);
                val = (comma < 0 ? rest.substring(eq + 1) : rest.substring(eq + 1, comma)).trim();
                rest = comma < 0 ? "" : rest.substring(comma + 1).stripLeading();
            }
            if (kv.put(key, val) != null) {
                throw new IllegalArgumentException("disk: key '" + key + "' given twice");
            }
        }
        String vdev = kv.get("vdev");
        if (vdev == null) {
            throw new IllegalArgumentException("disk: no vdev= (e.g. vdev=xvda)");
        }
        int devid;
        try {
            devid = org.parasol.drivers.blk.Vbd.devid(vdev);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("disk: " + e.getMessage());
        }
        String target = kv.get("target");
        if (target == null || target.isEmpty()) {
            throw new IllegalArgumentException("disk " + vdev + ": no target= (the image file)");
        }
        String access = kv.getOrDefault("access", "rw");
        if (!Set.of("rw", "w", "ro", "r").contains(access)) {
            throw new IllegalArgumentException("disk " + vdev + ": access must be rw or ro: '" + shorten(access) + "'");
        }
        String format = kv.getOrDefault("format", "raw");
        if (!format.equals("raw")) {
            throw new IllegalArgumentException("disk " + vdev + ": format '" + shorten(format)
                    + "' is not served; only raw images are");
        }
        String devtype = kv.getOrDefault("devtype", "disk");
        if (!devtype.equals("disk")) {
            throw new IllegalArgumentException("disk " + vdev + ": devtype '" + shorten(devtype) + "' is not served");
        }
        Map<String, String> params = new LinkedHashMap<>();
        params.put("vdev", vdev);
        params.put("access", access);
        params.put("target", target);
        return new DeviceSpec(VBD, devid, kv.getOrDefault("backend", DOM0), params);
    }

    /** The keys of a vif spec. */
    private static final Set<String> VIF_KEYS = Set.of("mac", "bridge", "ip", "backend", "devid");

    /** xl's vif spec ({@code xl-network-configuration(5)}): mac, bridge, ip, backend; dom0 serves by default. */
    private static DeviceSpec parseVif(String spec) {
        Map<String, String> kv = new LinkedHashMap<>();
        for (String part : spec.split(",", -1)) {
            String p = part.strip();
            if (p.isEmpty()) {
                continue;
            }
            int eq = p.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("vif: '" + shorten(p) + "' is not key=value");
            }
            String key = p.substring(0, eq).strip();
            if (!VIF_KEYS.contains(key)) {
                throw new IllegalArgumentException("vif: unknown key '" + shorten(key) + "'");
            }
            if (kv.put(key, p.substring(eq + 1).strip()) != null) {
                throw new IllegalArgumentException("vif: key '" + key + "' given twice");
            }
        }
        Map<String, String> params = new LinkedHashMap<>();
        String mac = kv.get("mac");
        if (mac != null) {
            long m = org.parasol.drivers.net.Vif.parseMac(mac.toLowerCase(java.util.Locale.ROOT));
            if ((m >>> 40 & 1) != 0) {
                throw new IllegalArgumentException("vif: mac " + mac + " is a multicast address");
            }
            params.put("mac", org.parasol.drivers.net.Vif.formatMac(m));
        }
        String bridge = kv.getOrDefault("bridge", org.parasol.drivers.net.NetBackend.DEFAULT_BRIDGE);
        if (bridge.isEmpty() || bridge.length() > 15 || !bridge.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("vif: bridge must be 1-15 of [A-Za-z0-9_.-]: '" + shorten(bridge) + "'");
        }
        params.put("bridge", bridge);
        String ip = kv.get("ip");
        if (ip != null) {
            if (!ip.matches("(\\d{1,3}\\.){3}\\d{1,3}")) {
                throw new IllegalArgumentException("vif: ip must be a dotted IPv4 address: '" + shorten(ip) + "'");
            }
            for (String octet : ip.split("\\.")) {
                if (Integer.parseInt(octet) > 255) {
                    throw new IllegalArgumentException("vif: ip must be a dotted IPv4 address: '" + shorten(ip) + "'");
                }
            }
            params.put("ip", ip);
        }
        int devid = -1;
        String d = kv.get("devid");
        if (d != null) {
            if (!d.matches("\\d{1,4}")) {
                throw new IllegalArgumentException("vif: devid must be 0..9999: '" + shorten(d) + "'");
            }
            devid = Integer.parseInt(d);
        }
        return new DeviceSpec(VIF, devid, kv.getOrDefault("backend", DOM0), params);
    }

    /** Whether this is a network interface. */
    public boolean isVif() {
        return kind.equals(VIF);
    }

    /**
     * A vif's MAC: the spec's, or one in Xen's {@code 00:16:3e} prefix made from the front
     * end's domid and the devid (libxl picks one at random; this one is unique per host and
     * stable across runs).
     */
    public String mac(int front) {
        String m = params.get("mac");
        if (m != null) {
            return m;
        }
        long v = 0x00163eL << 24 | ((long) (front & 0xFFFF) << 8) | (devid & 0xFF);
        return org.parasol.drivers.net.Vif.formatMac(v);
    }

    /** A vif's back-end keys beside the generic ones, for front end {@code front}. */
    public Map<String, String> vifBackendKeys(int front) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("mac", mac(front));
        m.put("bridge", params.get("bridge"));
        m.put("handle", Integer.toString(devid));
        m.put("type", "vif");
        if (params.containsKey("ip")) {
            m.put("ip", params.get("ip"));
        }
        return m;
    }

    /** A vif's front-end keys beside the generic ones. */
    public Map<String, String> vifFrontendKeys(int front) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("mac", mac(front));
        m.put("handle", Integer.toString(devid));
        return m;
    }

    /** Its value in a module line, before escaping: {@code kind:backend=NAME[,devid=N]}, or a disk's keys. */
    public String value() {
        if (isVif()) {
            StringBuilder sb = new StringBuilder(VIF + ":bridge=" + params.get("bridge"));
            if (params.containsKey("mac")) {
                sb.append(",mac=").append(params.get("mac"));
            }
            if (params.containsKey("ip")) {
                sb.append(",ip=").append(params.get("ip"));
            }
            sb.append(",backend=").append(backend);
            if (devid >= 0) {
                sb.append(",devid=").append(devid);
            }
            return sb.toString();
        }
        if (isDisk()) {
            return VBD + ":vdev=" + params.get("vdev") + ",access=" + params.get("access") + ",backend=" + backend
                    + ",target=" + params.get("target");
        }
        return kind + ":backend=" + backend + (devid < 0 ? "" : ",devid=" + devid);
    }

    private static String shorten(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }
}
