package org.parasol.hypervisor;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.parasol.hypervisor.mm.FrameTable;

/**
 * What this host process can give domains, and whether a set of domains fits: the admission
 * check a run or a create passes before anything is built. Three things run out, each
 * named in a refusal:
 * <ul>
 *   <li><b>machine memory</b> the host can back: machine memory is a file in {@code /dev/shm}
 *       (or the temporary directory), committed as frames are touched, and a touch the file
 *       system cannot back kills the access, so what is configured must fit the free space of
 *       that file system and the memory the kernel says is available;</li>
 *   <li><b>JVM heap</b>: the per-domain structures and the frame table's state
 *       ({@link #heapBytes(long, long, long)}), against the maximum heap;</li>
 *   <li><b>threads</b>: a platform thread per vCPU, against the smallest of the kernel's
 *       {@code threads-max}, the process limit ({@code RLIMIT_NPROC}), the cgroup's
 *       {@code pids.max} and half of {@code vm.max_map_count} (a thread's stack and its guard
 *       are two mappings), less the threads already running.</li>
 * </ul>
 *
 * @param machineBytes machine memory the host can back, in bytes
 * @param heapBytes    the JVM's maximum heap, in bytes
 * @param threads      platform threads this process may still start
 */
public record HostLimits(long machineBytes, long heapBytes, long threads) {

    /** Heap a domain's structures take beyond its frames (measured: see docs/hypervisor.md). */
    public static final long HEAP_PER_DOMAIN = 24 * 1024;
    /** Heap a vCPU's structures take: its TLB, hypercall scratch, scheduler and timer state. */
    public static final long HEAP_PER_VCPU = 24 * 1024;
    /**
     * Heap of the frame table's state per page a domain owns, as if every page were touched
     * (an untouched 2 MiB extent costs far less): an upper bound.
     */
    public static final long HEAP_PER_PAGE = FrameTable.CHUNK_BYTES / (1 << 9);
    /** Heap the host needs besides domains: the hypervisor, dom0's xenstored, class metadata aside. */
    public static final long HEAP_BASE = 64L << 20;
    /** Threads the host runs besides vCPUs: reaper, console, timers, the socket's event loop, the JVM's own. */
    public static final long THREADS_BASE = 32;

    /** No limit: for hosts whose caller checked already. */
    public static final HostLimits UNLIMITED = new HostLimits(Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE);

    /** Reads this host's limits now. A limit that cannot be read counts as none. */
    public static HostLimits probe() {
        long machine = Long.MAX_VALUE;
        Path shm = Path.of("/dev/shm");
        Path dir = Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
        try {
            FileStore store = Files.getFileStore(dir);
            machine = store.getUsableSpace();
        } catch (IOException | RuntimeException e) {
            // unknown: no limit from the file system
        }
        long available = meminfo("MemAvailable:");
        if (available > 0) {
            machine = Math.min(machine, available);
        }
        long threads = Long.MAX_VALUE;
        threads = Math.min(threads, number(Path.of("/proc/sys/kernel/threads-max")));
        threads = Math.min(threads, number(Path.of("/sys/fs/cgroup/pids.max")));
        long maps = number(Path.of("/proc/sys/vm/max_map_count"));
        if (maps != Long.MAX_VALUE) {
            threads = Math.min(threads, maps / 2);
        }
        threads = Math.min(threads, nproc());
        if (threads != Long.MAX_VALUE) {
            threads = Math.max(0, threads - Thread.activeCount() - THREADS_BASE);
        }
        return new HostLimits(machine, Runtime.getRuntime().maxMemory(), threads);
    }

    /**
     * The heap {@code domains} domains with {@code vcpus} vCPUs and {@code pages} pages in
     * all need, with the host's own.
     */
    public static long heapBytes(long domains, long vcpus, long pages) {
        return HEAP_BASE + domains * HEAP_PER_DOMAIN + vcpus * HEAP_PER_VCPU + pages * HEAP_PER_PAGE;
    }

    /**
     * Why a host needing {@code machine} bytes of machine memory, {@code heap} bytes of heap
     * and {@code threads} more platform threads does not fit these limits: one phrase per
     * shortfall, naming what is short, how much is needed and how much there is; empty when
     * it fits.
     */
    public List<String> shortfalls(long machine, long heap, long threads) {
        List<String> why = new ArrayList<>();
        if (machine > machineBytes) {
            why.add("machine memory: needs " + mib(machine) + ", the host can back " + mib(machineBytes)
                    + " (free space of /dev/shm and MemAvailable)");
        }
        if (heap > heapBytes) {
            why.add("JVM heap: needs about " + mib(heap) + ", the maximum heap is " + mib(heapBytes)
                    + " (raise it with -Xmx in PARASOL_JAVA_OPTS)");
        }
        if (threads > this.threads) {
            why.add("threads: needs " + threads + " (a platform thread per vCPU), the host allows " + this.threads
                    + " more (threads-max, ulimit -u, pids.max, vm.max_map_count/2)");
        }
        return why;
    }

    private static String mib(long bytes) {
        if (bytes == Long.MAX_VALUE) {
            return "unlimited";
        }
        return bytes >= (10L << 30) ? (bytes >> 30) + " GiB" : (bytes >> 20) + " MiB";
    }

    private static long meminfo(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.substring(key.length()).replace("kB", "").strip()) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // unknown
        }
        return -1;
    }

    private static long number(Path file) {
        try {
            // readAllLines, not readString: /proc files say they are empty, and readString trusts that.
            String s = Files.readAllLines(file).get(0).strip();
            return s.equals("max") ? Long.MAX_VALUE : Long.parseLong(s);
        } catch (IOException | RuntimeException e) {
            return Long.MAX_VALUE;
        }
    }

    /** RLIMIT_NPROC's soft limit from /proc/self/limits ("Max processes"). */
    private static long nproc() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max processes")) {
                    String soft = line.substring("Max processes".length()).strip().split("\\s+")[0];
                    return soft.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(soft);
                }
            }
        } catch (IOException | RuntimeException e) {
            // unknown
        }
        return Long.MAX_VALUE;
    }
}
