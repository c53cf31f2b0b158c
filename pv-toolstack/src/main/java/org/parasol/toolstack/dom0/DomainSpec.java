package org.parasol.toolstack.dom0;

import java.util.ArrayList;
import java.util.List;

/**
 * One domain dom0 is asked to build: the image, its memory in KiB, its vCPUs and its command
 * line. dom0 reads a list of them from its own command line, as
 * {@code build=IMAGE[:MEMORY_KIB[:VCPUS]],...} (memory 4096 KiB and one vCPU by default), until
 * the toolstack's control API carries full configurations.
 *
 * @param image     the kernel image's name
 * @param memoryKiB memory, a multiple of 4 KiB
 * @param vcpus     vCPUs
 */
public record DomainSpec(String image, long memoryKiB, int vcpus) {
    /** What a spec gets when it leaves memory out. */
    public static final long DEFAULT_MEMORY_KIB = 4096;

    public DomainSpec {
        if (image.isEmpty() || !image.matches("[A-Za-z0-9_.-]+") || image.startsWith(".")) {
            throw new IllegalArgumentException("not an image name: '" + image + "'");
        }
        if (memoryKiB < 256 || memoryKiB % 4 != 0) {
            throw new IllegalArgumentException("memory must be a multiple of 4 KiB, at least 256 KiB: " + memoryKiB);
        }
        if (vcpus < 1 || vcpus > 32) {
            throw new IllegalArgumentException("vcpus must be 1..32: " + vcpus);
        }
    }

    /** Pages of memory. */
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
