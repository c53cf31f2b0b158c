package org.parasol.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;

/**
 * What {@code parasol run} builds for one instance of an image: one domain named after it (the
 * default), or the domains a {@code <image>.launch} file beside the image descriptor lists, in
 * the order dom0 builds them, each with its image and its split devices.
 *
 * <pre>
 * # pingpong.launch
 * domains=pong ping                     # the domains, in build order (1-16 names)
 * ping.device=pingpong:backend=pong     # ping's devices, space-separated: KIND:backend=NAME
 * pong.image=pingpong                   # a domain's image (default: this image)
 * </pre>
 *
 * <p>A device's back end must be a domain listed before its front end: dom0 builds in order,
 * and the back end must exist when the front end is built (it writes both ends of the device
 * into the store then, as libxl does for xl's {@code backend=<domain>}). The plan is handed to
 * dom0 through its boot module ({@link Dom0Module}); the domains meet through the store.
 *
 * @param domains the domains of one instance, in build order
 */
record LaunchPlan(List<Member> domains) {
    /** The file name suffix of a launch descriptor. */
    static final String SUFFIX = ".launch";
    /** The most domains one instance may have. */
    static final int DOMAINS_MAX = 16;

    /**
     * One domain of an instance.
     *
     * @param name    its name, numbered by {@code parasol run} when the image runs more than once
     * @param image   its image
     * @param devices its split devices, whose back ends are other domains of the instance
     */
    record Member(String name, String image, List<Device> devices) {
        Member {
            devices = List.copyOf(devices);
        }
    }

    /**
     * A split device of a member, served by another member.
     *
     * @param kind    the device kind (its store directories' name)
     * @param backend the name of the member that serves it
     */
    record Device(String kind, String backend) {
        /** What dom0's boot module says of it, the back end's name with {@code suffix}: {@code kind:backend=NAME}. */
        String value(String suffix) {
            return kind + ":backend=" + backend + suffix;
        }
    }

    LaunchPlan {
        domains = List.copyOf(domains);
    }

    /** One domain named after the image. */
    static LaunchPlan single(String image) {
        return new LaunchPlan(List.of(new Member(image, image, List.of())));
    }

    /** Images the plan's domains run. */
    Set<String> images() {
        Set<String> images = new java.util.LinkedHashSet<>();
        for (Member m : domains) {
            images.add(m.image());
        }
        return images;
    }

    /**
     * The plan for {@code image}: {@code <imagesDir>/<image>.launch} if it exists, else
     * {@link #single}.
     *
     * @throws LaunchException if the file cannot be read or a key is unknown, missing or malformed
     */
    static LaunchPlan read(Path imagesDir, String image) throws LaunchException {
        Path file = imagesDir.resolve(image + SUFFIX);
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (NoSuchFileException e) {
            return single(image);
        } catch (IOException | IllegalArgumentException e) {
            throw new LaunchException("cannot read launch descriptor " + file + ": " + e.getMessage(), e);
        }
        String list = p.getProperty("domains", "").strip();
        if (list.isEmpty()) {
            throw new LaunchException(file + ": domains= must list the domains of one instance");
        }
        List<String> names = List.of(list.split("\\s+"));
        if (names.size() > DOMAINS_MAX) {
            throw new LaunchException(file + ": more than " + DOMAINS_MAX + " domains");
        }
        Set<String> keys = new HashSet<>(Set.of("domains"));
        Set<String> earlier = new HashSet<>();
        List<Member> members = new ArrayList<>();
        for (String name : names) {
            if (!name.matches("[A-Za-z0-9_.-]{1,60}") || name.equals("Domain-0")) {
                throw new LaunchException(file + ": '" + name + "' is not a domain name (1-60 of [A-Za-z0-9_.-])");
            }
            if (earlier.contains(name)) {
                throw new LaunchException(file + ": '" + name + "' is listed twice");
            }
            keys.add(name + ".image");
            keys.add(name + ".device");
            String memberImage = p.getProperty(name + ".image", image).strip();
            List<Device> devices = new ArrayList<>();
            for (String d : p.getProperty(name + ".device", "").strip().split("\\s+")) {
                if (!d.isEmpty()) {
                    devices.add(device(file, name, d, earlier));
                }
            }
            members.add(new Member(name, memberImage, devices));
            earlier.add(name);
        }
        for (String key : p.stringPropertyNames()) {
            if (!keys.contains(key)) {
                throw new LaunchException(file + ": unknown key '" + key + "' (keys: domains, <name>.image, <name>.device)");
            }
        }
        return new LaunchPlan(members);
    }

    /** {@code KIND:backend=NAME}, NAME listed before {@code name}. */
    private static Device device(Path file, String name, String spec, Set<String> earlier) throws LaunchException {
        int colon = spec.indexOf(':');
        String kind = colon < 0 ? "" : spec.substring(0, colon);
        String rest = colon < 0 ? "" : spec.substring(colon + 1);
        if (!kind.matches("[a-z0-9][a-z0-9_-]{0,31}") || !rest.startsWith("backend=")) {
            throw new LaunchException(file + ": " + name + ".device '" + spec + "' is not KIND:backend=NAME");
        }
        String backend = rest.substring("backend=".length());
        if (!earlier.contains(backend)) {
            throw new LaunchException(file + ": " + name + ".device '" + spec + "': the back end '" + backend
                    + "' must be a domain listed before " + name);
        }
        return new Device(kind, backend);
    }
}
