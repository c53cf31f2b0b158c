package org.parasol.hypervisor.domain;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Whether one more domain fits the host, asked before anything of it is built (step 0 of
 * {@link DomainBuilder#build}): a create that does not fit is refused whole, naming each thing
 * that is short, how much it needs and how much there is. Three things run out:
 * <ul>
 *   <li><b>machine memory</b>: its pages and its shared_info page against the free frames;</li>
 *   <li><b>JVM heap</b>: what its structures take ({@link #HEAP_PER_DOMAIN},
 *       {@link #HEAP_PER_VCPU}, its frames' state while it touches them) against the maximum
 *       heap less what was live after the last collection (garbage does not count against
 *       it);</li>
 *   <li><b>threads</b>: a platform thread per vCPU that may run (none for a bare domain or
 *       with virtual threads) against the smallest of the kernel's {@code threads-max}, the
 *       cgroup's {@code pids.max} and half of {@code vm.max_map_count}, less the live
 *       threads.</li>
 * </ul>
 * The host-wide limits are read once; each check then costs a few loads and the memory
 * pools' usage.
 */
final class Admission {
    /** Heap of a domain's structures beyond its vCPUs and frames: see docs/hypervisor.md. */
    static final long HEAP_PER_DOMAIN = 24 * 1024;
    /** Heap of a vCPU's structures (its argument area comes from a pool while it runs). */
    static final long HEAP_PER_VCPU = 8 * 1024;
    /** Heap of the frame state per 2 MiB chunk a domain touches: 32 bytes a frame. */
    static final long HEAP_PER_CHUNK = 512L * 32;
    /** Heap kept back for the host itself: no domain may take the last of it. */
    static final long HEAP_RESERVE = 32L << 20;

    private static volatile long threadLimit = -1;

    /**
     * The heap's memory pools, looked up once: {@code getMemoryPoolMXBeans} makes a JMX name per
     * pool on every call, which was a fifth of a domain's creation.
     */
    private static final List<MemoryPoolMXBean> HEAP_POOLS = ManagementFactory.getMemoryPoolMXBeans().stream()
            .filter(p -> p.getType() == MemoryType.HEAP).toList();

    private Admission() {
    }

    /**
     * Why a domain of {@code cfg} does not fit: one phrase per shortfall, empty when it fits.
     *
     * @param freeFrames free frames of machine memory now
     * @param platformThreads whether each of its vCPUs needs a platform thread
     */
    static List<String> shortfalls(DomainConfig cfg, long freeFrames, boolean platformThreads) {
        return shortfalls(cfg, freeFrames, heapFree(), platformThreads
                ? threadLimit() - ManagementFactory.getThreadMXBean().getThreadCount() : Long.MAX_VALUE);
    }

    /** {@link #shortfalls(DomainConfig, long, boolean)} with the heap left and the threads left given. */
    static List<String> shortfalls(DomainConfig cfg, long freeFrames, long heapFree, long threadsLeft) {
        List<String> why = new ArrayList<>();
        long pages = cfg.nrPages() + 1; // and its shared_info page
        if (pages > freeFrames) {
            why.add("machine memory: needs " + pages + " pages (" + kib(pages * 4096) + "), " + freeFrames
                    + " free, short by " + (pages - freeFrames) + " (" + kib((pages - freeFrames) * 4096) + ")");
        }
        long heapNeeded = HEAP_PER_DOMAIN + cfg.vcpus() * HEAP_PER_VCPU
                + Math.min((cfg.nrPages() + 511) / 512, 4) * HEAP_PER_CHUNK; // the chunks a boot touches, at most
        if (heapNeeded > heapFree) {
            why.add("JVM heap: needs about " + kib(heapNeeded) + ", " + kib(Math.max(0, heapFree))
                    + " left of the maximum heap less " + kib(HEAP_RESERVE) + " for the host, short by "
                    + kib(heapNeeded - Math.max(0, heapFree)) + " (raise -Xmx)");
        }
        if (cfg.vcpus() > threadsLeft) {
            long left = Math.max(0, threadsLeft);
            why.add("threads: needs " + cfg.vcpus() + " (a platform thread per vCPU), " + left
                    + " more allowed (threads-max, pids.max, vm.max_map_count/2), short by " + (cfg.vcpus() - left)
                    + " (or use virtual threads)");
        }
        return why;
    }

    /** The maximum heap less what was live after the last collection (in use now where that is unknown) and the reserve. */
    private static long heapFree() {
        long max = Runtime.getRuntime().maxMemory();
        if (max == Long.MAX_VALUE) {
            return Long.MAX_VALUE;
        }
        long live = 0;
        for (MemoryPoolMXBean pool : HEAP_POOLS) {
            MemoryUsage after = pool.getCollectionUsage(); // null where the pool does not say
            live += after != null ? after.getUsed() : pool.getUsage().getUsed();
        }
        return max - live - HEAP_RESERVE;
    }

    /** Platform threads this process may have in all: read once. */
    private static long threadLimit() {
        long t = threadLimit;
        if (t < 0) {
            t = Long.MAX_VALUE;
            t = Math.min(t, number(Path.of("/proc/sys/kernel/threads-max")));
            t = Math.min(t, number(Path.of("/sys/fs/cgroup/pids.max")));
            long maps = number(Path.of("/proc/sys/vm/max_map_count"));
            if (maps != Long.MAX_VALUE) {
                t = Math.min(t, maps / 2);
            }
            threadLimit = t;
        }
        return t;
    }

    private static long number(Path file) {
        try {
            // readAllLines, not readString: /proc files say they are empty, and readString trusts that.
            return Long.parseLong(Files.readAllLines(file).get(0).strip());
        } catch (IOException | RuntimeException e) {
            return Long.MAX_VALUE; // unreadable, or "max": no limit from it
        }
    }

    private static String kib(long bytes) {
        if (bytes >= 10L << 20) {
            return (bytes >> 20) + " MiB";
        }
        return (bytes + 1023) / 1024 + " KiB";
    }
}
