package org.parasol.examples.blkbench;

import java.util.ArrayList;
import java.util.List;

import org.parasol.drivers.blk.Vbd;

/**
 * The blkbench kernel's command line: {@code key=value} words separated by spaces; other words
 * are ignored (they may be for the kernel or another application).
 *
 * <pre>
 *  mode=M          read (sequential), write (sequential), randread or randwrite (default randread)
 *  bs=N            bytes per I/O: a multiple of 512 up to 4 MiB; a K or M suffix multiplies by
 *                  1024 or 1048576 (default 4096)
 *  qd=N            I/Os in flight, 1..256 (default 1)
 *  runs=LIST       instead of mode/bs/qd: several tests one after the other on the same
 *                  connection, comma-separated MODE/BS/QD triples (randread/4K/32,read/64K/8)
 *  queues=N        queues asked for (default 1)
 *  order=N         ring page order asked for (default 0)
 *  persistent=0|1  ask for persistent grants (default 1)
 *  indirect=0|1    ask for indirect descriptors (default 1)
 *  register=0|1    register the I/O buffers with blkfront (BlkFront.register: granted once,
 *                  no grant or copy per request) when they fit its limit (default 0)
 *  warmup=MS       untimed I/O before each test's timed phase (default 200)
 *  time=MS         the timed phase's length (default 1000); 0: bounded by bytes= alone
 *  bytes=N         end the timed phase after this many bytes (K/M/G suffixes; default 0: no bound)
 *  gap=MS          idle time before and after each timed phase (default 20), in which the host
 *                  may read the domains' counters
 *  seed=N          the random pattern's seed (default 1)
 * </pre>
 *
 * @param tests      the tests, in order
 * @param queues     queues asked for
 * @param order      ring page order asked for
 * @param persistent whether persistent grants are asked for
 * @param indirect   whether indirect descriptors are asked for
 * @param register   whether the I/O buffers are registered with blkfront
 * @param warmupMs   untimed milliseconds before each timed phase
 * @param timeMs     the timed phase's milliseconds, or 0 for a phase bounded by bytes alone
 * @param maxBytes   bytes after which a timed phase ends, or 0 for none
 * @param gapMs      idle milliseconds around each timed phase
 * @param seed       the random offsets' seed
 */
record BlkBenchOptions(List<Test> tests, int queues, int order, boolean persistent, boolean indirect, boolean register,
        long warmupMs,
        long timeMs, long maxBytes, long gapMs, long seed) {

    /** The largest request size: 4 MiB. */
    static final long MAX_BS = 4L << 20;
    /** The most I/Os in flight. */
    static final int MAX_QD = 256;
    /** The longest warm-up, timed phase or gap: ten minutes. */
    static final long MAX_MS = 600_000;

    /** One test: a pattern, a request size and a queue depth. */
    record Test(String mode, int bs, int qd) {
        Test {
            if (!List.of("read", "write", "randread", "randwrite").contains(mode)) {
                throw new IllegalArgumentException("mode must be read, write, randread or randwrite: '" + mode + "'");
            }
            if (bs < 512 || bs > MAX_BS || bs % 512 != 0) {
                throw new IllegalArgumentException("bs must be a multiple of 512 from 512 to 4M: " + bs);
            }
            if (qd < 1 || qd > MAX_QD) {
                throw new IllegalArgumentException("qd must be 1.." + MAX_QD + ": " + qd);
            }
        }

        boolean random() {
            return mode.startsWith("rand");
        }

        boolean write() {
            return mode.endsWith("write");
        }
    }

    BlkBenchOptions {
        tests = List.copyOf(tests);
        if (tests.isEmpty()) {
            throw new IllegalArgumentException("no test");
        }
        if (timeMs == 0 && maxBytes == 0) {
            throw new IllegalArgumentException("time=0 needs bytes=N to end the timed phase");
        }
    }

    /**
     * Parses {@code cmdline}.
     *
     * @throws IllegalArgumentException naming the word at fault
     */
    static BlkBenchOptions parse(String cmdline) {
        String mode = "randread";
        long bs = 4096;
        long qd = 1;
        List<Test> runs = null;
        int queues = 1;
        int order = 0;
        boolean persistent = true;
        boolean indirect = true;
        boolean register = false;
        long warmup = 200;
        long time = 1000;
        long bytes = 0;
        long gap = 20;
        long seed = 1;
        for (String word : cmdline.trim().split("\\s+")) {
            int eq = word.indexOf('=');
            if (eq <= 0) {
                continue;
            }
            String v = word.substring(eq + 1);
            switch (word.substring(0, eq)) {
                case "mode" -> mode = v;
                case "bs" -> bs = size("bs", v, MAX_BS);
                case "qd" -> qd = Vbd.number("qd", v, 1, MAX_QD);
                case "runs" -> runs = runs(v);
                case "queues" -> queues = (int) Vbd.number("queues", v, 1, Vbd.MAX_QUEUES);
                case "order" -> order = (int) Vbd.number("order", v, 0, Vbd.MAX_RING_PAGE_ORDER_VALUE);
                case "persistent" -> persistent = Vbd.number("persistent", v, 0, 1) == 1;
                case "indirect" -> indirect = Vbd.number("indirect", v, 0, 1) == 1;
                case "register" -> register = Vbd.number("register", v, 0, 1) == 1;
                case "warmup" -> warmup = Vbd.number("warmup", v, 0, MAX_MS);
                case "time" -> time = Vbd.number("time", v, 0, MAX_MS);
                case "bytes" -> bytes = size("bytes", v, Long.MAX_VALUE / 2);
                case "gap" -> gap = Vbd.number("gap", v, 0, MAX_MS);
                case "seed" -> seed = Vbd.number("seed", v, 0, Long.MAX_VALUE);
                default -> {
                    // someone else's option
                }
            }
        }
        List<Test> tests = runs != null ? runs : List.of(new Test(mode, (int) bs, (int) qd));
        return new BlkBenchOptions(tests, queues, order, persistent, indirect, register, warmup, time, bytes, gap, seed);
    }

    /** {@code MODE/BS/QD[,MODE/BS/QD...]}. */
    private static List<Test> runs(String v) {
        List<Test> out = new ArrayList<>();
        for (String t : v.split(",")) {
            String[] p = t.split("/");
            if (p.length != 3) {
                throw new IllegalArgumentException("runs: '" + t + "' is not MODE/BS/QD");
            }
            out.add(new Test(p[0], (int) size("bs", p[1], MAX_BS), (int) Vbd.number("qd", p[2], 1, MAX_QD)));
        }
        return out;
    }

    /** A byte count with an optional K, M or G suffix (powers of 1024). */
    static long size(String key, String v, long max) {
        long unit = 1;
        String digits = v;
        if (!v.isEmpty()) {
            switch (v.charAt(v.length() - 1)) {
                case 'K', 'k' -> unit = 1L << 10;
                case 'M', 'm' -> unit = 1L << 20;
                case 'G', 'g' -> unit = 1L << 30;
                default -> unit = 1;
            }
            if (unit != 1) {
                digits = v.substring(0, v.length() - 1);
            }
        }
        long n = Vbd.number(key, digits, 0, max / unit);
        return n * unit;
    }
}
