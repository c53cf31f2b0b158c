package org.parasol.toolstack.dom0;

import java.util.HashMap;
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
 * @param kind    the device kind: 1-32 of {@code [a-z0-9_-]}, starting with a letter or digit
 * @param devid   the device id, 0..{@value #DEVID_MAX}, or -1 for the next free one
 * @param backend the name of the domain that serves it
 */
public record DeviceSpec(String kind, int devid, String backend) {
    /** The highest device id: Linux's vbd ids reach 2^28 and more; anything up to 2^31-1 is taken. */
    public static final int DEVID_MAX = Integer.MAX_VALUE;
    /** The keys of the spec after the kind. */
    private static final Set<String> KEYS = Set.of("backend", "devid");

    public DeviceSpec {
        Objects.requireNonNull(kind, "kind");
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
        return new DeviceSpec(kind, id, backend);
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

    /** Its value in a module line, before escaping: {@code kind:backend=NAME[,devid=N]}. */
    public String value() {
        return kind + ":backend=" + backend + (devid < 0 ? "" : ",devid=" + devid);
    }

    private static String shorten(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }
}
